// `plaud-sync sync`: one pass that pulls every attached recorder and uploads everything pending.
// Exit 0 only when nothing is left failed or pending.
import type { Command } from 'commander';
import { SyncEngine } from '../../sync/engine/engine.js';
import { createDeviceWatcher } from '../../sync/engine/monitor-port.js';
import { addEngineOptions, engineContext, type EngineFlags } from '../engine-context.js';
import { attachPrinter, summaryLine, type Printer } from '../engine-output.js';

export const EXIT_PENDING = 1;
export const EXIT_INTERRUPTED = 130;

export function register(program: Command): void {
  addEngineOptions(program.command('sync'))
    .description('pull new recordings from attached recorders and upload everything pending, then exit (0 = nothing left pending)')
    .action(async (flags: EngineFlags) => {
      const ctx = engineContext(flags);
      // One pass: a USB attach cannot happen usefully here, so only the volumes are looked at.
      const watcher = createDeviceWatcher({ mountRoots: ctx.mountRoots, logger: ctx.logger, usb: false, rescanIntervalMs: 60_000 });
      const engine = new SyncEngine({ stateDir: ctx.stateDir, settings: ctx.settings, secrets: ctx.secrets, logger: ctx.logger, watcher, retry: { baseMs: 2_000, maxMs: 10_000, maxAttempts: 8 } });
      const printer: Printer = attachPrinter(engine, { json: !!flags.json });
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
        printer.line({ type: 'stopping' }, 'Stopping: finishing the current step and saving progress...');
        void engine.stop();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await engine.start();
        if (!interrupted) await engine.syncNow();
        if (!interrupted) await engine.whenIdle();
        const pending = interrupted ? [] : engine.pendingRecords();
        const all = interrupted ? [] : engine.records();
        const summary = {
          type: 'summary' as const,
          synced: all.filter((r) => r.state === 'synced').length,
          pending: pending.filter((r) => r.state !== 'failed').length,
          failed: pending.filter((r) => r.state === 'failed').length,
          problems: engine.getState().problems.map((p) => ({ code: p.code, message: p.message, action: p.action })),
        };
        await engine.stop();
        if (interrupted) {
          process.exitCode = EXIT_INTERRUPTED;
          return;
        }
        printer.line(summary, summaryLine(summary));
        for (const r of pending.filter((x) => x.state === 'failed')) {
          printer.human(`  failed: ${r.relBase} (${r.sn}): ${r.failure?.reason ?? 'unknown reason'}`);
        }
        process.exitCode = pending.length === 0 ? 0 : EXIT_PENDING;
      } catch (err) {
        await engine.stop().catch(() => {});
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        printer.close();
      }
    });
}
