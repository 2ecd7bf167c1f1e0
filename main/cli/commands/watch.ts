// `plaud-sync watch`: the headless daemon. Syncs each recorder as it is plugged in, keeps uploading,
// and on SIGINT/SIGTERM stops gracefully: the step in flight is checkpointed in the ledger.
import type { Command } from 'commander';
import { SyncEngine } from '../../sync/engine/engine.js';
import { createDeviceWatcher } from '../../sync/engine/monitor-port.js';
import { addEngineOptions, engineContext, type EngineFlags } from '../engine-context.js';
import { attachPrinter } from '../engine-output.js';

export function register(program: Command): void {
  addEngineOptions(program.command('watch'))
    .description('run as a daemon: sync every recorder when it is plugged in (stop with Ctrl-C or SIGTERM)')
    .action(async (flags: EngineFlags) => {
      const ctx = engineContext(flags);
      const watcher = createDeviceWatcher({ mountRoots: ctx.mountRoots, logger: ctx.logger });
      const engine = new SyncEngine({
        stateDir: ctx.stateDir,
        settings: { ...ctx.settings, autoSync: true },
        secrets: ctx.secrets,
        logger: ctx.logger,
        watcher,
      });
      const printer = attachPrinter(engine, { json: !!flags.json });
      await engine.start();
      printer.line(
        { type: 'watching', mountRoots: ctx.mountRoots, stateDir: ctx.stateDir },
        `Watching ${ctx.mountRoots.join(', ')} for recorders. Press Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          printer.line({ type: 'stopping', signal }, 'Stopping: saving progress...');
          void engine.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      printer.line({ type: 'stopped' }, 'Stopped.');
      printer.close();
    });
}
