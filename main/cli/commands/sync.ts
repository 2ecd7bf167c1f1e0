// `plaud-sync sync`: one pass that pulls every attached recorder and uploads everything pending.
// Exit 0 only when nothing is left failed or pending.
import type { Command } from 'commander';
import { onePassEngine } from '../one-pass.js';
import { addEngineOptions, engineContext, type EngineFlags } from '../engine-context.js';
import { attachPrinter, summaryLine, type Printer } from '../engine-output.js';

export const EXIT_PENDING = 1;
export const EXIT_INTERRUPTED = 130;
/** How long one pass waits for recordings the recorder is still writing before it reports them as pending. */
export const DEFAULT_WAIT_FOR_RECORDER_S = 15;

export function register(program: Command): void {
  addEngineOptions(program.command('sync'))
    .description(
      'pull new recordings from attached recorders and upload everything pending, then exit (0 = nothing left pending)',
    )
    .option(
      '--wait-for-recorder <seconds>',
      'how long to wait for recordings the recorder is still writing',
      String(DEFAULT_WAIT_FOR_RECORDER_S),
    )
    .action(async (flags: EngineFlags & { waitForRecorder?: string }) => {
      const waitS = Number(flags.waitForRecorder ?? DEFAULT_WAIT_FOR_RECORDER_S);
      if (!Number.isFinite(waitS) || waitS < 0) {
        process.stderr.write(`--wait-for-recorder takes a number of seconds (got "${flags.waitForRecorder}").\n`);
        process.exitCode = 2;
        return;
      }
      const ctx = engineContext(flags);
      const engine = onePassEngine(ctx, { retry: { baseMs: 2_000, maxMs: 10_000, maxAttempts: 8 } });
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
        // A recording the recorder is still writing is looked at again by the engine every few seconds; a one-shot
        // pass gives it a bounded time, then reports it as pending.
        const waitUntil = Date.now() + waitS * 1000;
        if (!interrupted && engine.unsettledOnRecorders() > 0) {
          printer.line(
            { type: 'waiting', recordings: engine.unsettledOnRecorders() },
            'Waiting for the recorder to finish writing...',
          );
        }
        while (!interrupted && engine.unsettledOnRecorders() > 0 && Date.now() < waitUntil) {
          await new Promise((r) => setTimeout(r, 250));
          await engine.whenIdle();
        }
        const waiting = interrupted ? 0 : engine.unsettledOnRecorders();
        const pending = interrupted ? [] : engine.pendingRecords();
        const all = interrupted ? [] : engine.records();
        const summary = {
          type: 'summary' as const,
          synced: all.filter((r) => r.state === 'synced').length,
          pending: pending.filter((r) => r.state !== 'failed').length + waiting,
          waitingForRecorder: waiting,
          failed: pending.filter((r) => r.state === 'failed').length,
          problems: engine.getState().problems.map((p) => ({
            code: p.code,
            message: p.message,
            action: p.action,
            ...(p.detail ? { detail: p.detail } : {}),
          })),
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
        if (waiting)
          printer.human(
            `  ${waiting === 1 ? 'One recording is' : `${waiting} recordings are`} still being written on the recorder; run sync again once it has finished.`,
          );
        process.exitCode = pending.length === 0 && waiting === 0 ? 0 : EXIT_PENDING;
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
