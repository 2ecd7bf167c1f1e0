// `plaud-sync devices`: the recorders mounted now, with what identifies them and how many recordings they hold.
// --json: one object per recorder per line; keys sn, sn_type, model, firmware, mountPath, recordings are a public
// interface (more keys may be added, none removed).
import type { Command } from 'commander';
import { findDevices } from '../../sync/devices/find.js';
import { scanVolume } from '../../sync/devices/scan.js';
import { deviceDisplayName } from '../../sync/devices/traits.js';
import { readSettings } from '../../sync/settings-file.js';
import { defaultLibraryDir } from '../../sync/paths.js';
import { addMountRootOption, formatBytes, linePrinter, mountRootsFrom } from '../common.js';
import { addStateDirOption, resolveStateDir } from '../engine-context.js';

interface DevicesFlags {
  mountRoot?: string[];
  stateDir?: string;
  json?: boolean;
}

export function register(program: Command): void {
  addStateDirOption(addMountRootOption(program.command('devices')))
    .description('list the Plaud recorders mounted now')
    .option('--json', 'print one JSON object per recorder per line')
    .action(async (flags: DevicesFlags) => {
      const printer = linePrinter({ json: !!flags.json });
      // Without --mount-root, the mount roots saved in the state folder's settings (as sync and watch use), else the
      // OS's.
      const saved = flags.mountRoot?.length ? undefined : savedMountRoots(flags);
      const roots = saved?.length ? saved : mountRootsFrom(flags);
      const devices = await findDevices(roots);
      if (!devices.length && !flags.json) console.log(`No Plaud recorder found under ${roots.join(', ')}.`);
      for (const d of devices) {
        let recordings: number | null = null;
        let skipped = 0;
        let scanError: string | undefined;
        try {
          const scan = await scanVolume(d.mountPath, d.sn);
          recordings = scan.recordings.length;
          skipped = scan.skipped.length;
        } catch (err) {
          scanError = `could not list recordings: ${(err as Error).message}`;
        }
        const name = deviceDisplayName(d);
        const lines = [
          `${name} (${d.sn_type}), serial ${d.sn || 'unknown'}, firmware ${d.firmware || 'unknown'}`,
          `  at ${d.mountPath}, ${recordings ?? '?'} recording(s)${skipped ? `, ${skipped} odd file(s) skipped` : ''}` +
            (d.totalBytes ? `, ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}` : ''),
          ...(scanError ? [`  ${scanError}`] : []),
          ...d.warnings.map((w) => `  warning: ${w}`),
        ];
        printer.event(
          {
            sn: d.sn,
            sn_type: d.sn_type,
            model: d.model,
            firmware: d.firmware,
            ...(d.build ? { build: d.build } : {}),
            mountPath: d.mountPath,
            recordings,
            skipped,
            freeBytes: d.freeBytes,
            totalBytes: d.totalBytes,
            id: d.id,
            warnings: d.warnings,
            ...(scanError ? { error: scanError } : {}),
          },
          lines.join('\n'),
        );
      }
      printer.close();
    });
}

function savedMountRoots(flags: DevicesFlags): string[] | undefined {
  try {
    return readSettings(resolveStateDir(flags), defaultLibraryDir()).mountRoots;
  } catch {
    return undefined; // unreadable settings are the engine commands' business; listing devices goes on
  }
}
