// `plaud-sync upload-newer-version ID`: a recording that was already uploaded changed on the recorder afterwards (it
// grew, or a file of it changed). Plaud Sync never uploads such a change by itself; this uploads what the recorder
// holds now, once, as a recording of its own beside the first. The recorder must be plugged in.
import type { Command } from 'commander';
import { onePassEngine } from '../one-pass.js';
import { addEngineOptions, engineContext, type EngineFlags } from '../engine-context.js';
import { attachPrinter } from '../engine-output.js';

export function register(program: Command): void {
  addEngineOptions(program.command('upload-newer-version'))
    .description(
      'upload the newer version of a recording that changed on the recorder after it was uploaded (see status)',
    )
    .argument('<id>', 'recording id (see status --json)')
    .action(async (id: string, flags: EngineFlags) => {
      const ctx = engineContext(flags);
      const engine = onePassEngine(ctx);
      const printer = attachPrinter(engine, { json: !!flags.json });
      try {
        await engine.start();
        // Refuse a wrong id before anything is copied or uploaded.
        const known = engine.records().find((r) => r.id === id);
        if (!known) throw new Error(`No recording with id ${id}. "plaud-sync status --json" lists the ids.`);
        if (!known.changedOnDevice)
          throw new Error(`The recorder holds no newer version of ${id}: there is nothing to upload again.`);
        await engine.syncNow();
        await engine.whenIdle();
        const newId = await engine.uploadNewerVersion(id);
        await engine.whenIdle();
        const r = engine.records().find((x) => x.id === newId);
        const ok = r?.state === 'synced';
        printer.line(
          { type: 'summary', id, newId, state: r?.state ?? 'unknown', cloudFileId: r?.synced?.cloudFileId ?? null },
          ok
            ? `The newer version was uploaded as a recording of its own (${newId}).`
            : `The newer version is ${r?.state ?? 'unknown'}; see "plaud-sync status".`,
        );
        process.exitCode = ok ? 0 : 1;
      } finally {
        await engine.stop().catch(() => {});
        printer.close();
      }
    });
}
