// `plaud-sync pull`: copy new recordings from one recorder (--volume) or every mounted one into the verified library.
// Human mode prints progress and a summary; --json prints one event per line (pull events as the library emits
// them, plus 'device', 'skipped', 'summary' and 'error'). Exit code 1 when anything failed or nothing was found.
import path from 'node:path';
import { Option, type Command } from 'commander';
import { findDevices } from '../../sync/devices/find.js';
import { identifyVolume } from '../../sync/devices/identify.js';
import { scanVolume } from '../../sync/devices/scan.js';
import { deviceDisplayName } from '../../sync/devices/traits.js';
import { pullAll, type PullEvent } from '../../sync/engine/pull-coordinator.js';
import { defaultLibraryDir } from '../../sync/paths.js';
import { readSettings } from '../../sync/settings-file.js';
import { migrateLibraryIfNeeded } from '../../sync/engine/library-layout.js';
import { addStateDirOption, libraryNamesSetting, resolveStateDir } from '../state-dir.js';
import type { DeviceInfo, UploadFormat } from '../../sync/types.js';
import { addMountRootOption, formatBytes, linePrinter, mountRootsFrom, type LinePrinter } from '../common.js';

interface PullFlags {
  stateDir?: string;
  volume?: string;
  mountRoot?: string[];
  library?: string;
  format: UploadFormat;
  json?: boolean;
}

function eventText(e: PullEvent, device: DeviceInfo): string | undefined {
  switch (e.type) {
    case 'pull-start':
      return e.recordingsTotal
        ? `Copying ${e.recordingsTotal} new recording(s), ${formatBytes(e.bytesTotal)}, from ${deviceDisplayName(device)} ${device.sn}` +
            (e.alreadyPulled ? ` (${e.alreadyPulled} already in the library)` : '')
        : `Nothing new on ${deviceDisplayName(device)} ${device.sn}: all ${e.alreadyPulled} recording(s) are already in the library.`;
    case 'recording-failed':
      return `  could not copy ${e.key}: ${e.message}`;
    case 'pull-stopped':
      return `Stopped: ${e.message}`;
    default:
      return undefined;
  }
}

async function pullDevice(
  device: DeviceInfo,
  libraryDir: string,
  format: UploadFormat,
  printer: LinePrinter,
  signal: AbortSignal,
  nameTemplate?: string,
): Promise<boolean> {
  printer.event({
    type: 'device',
    sn: device.sn,
    sn_type: device.sn_type,
    model: device.model,
    firmware: device.firmware,
    mountPath: device.mountPath,
    warnings: device.warnings,
  });
  for (const w of device.warnings) printer.event({ type: 'warning', sn: device.sn, message: w }, `warning: ${w}`);
  const scan = await scanVolume(device.mountPath, device.sn);
  for (const s of scan.skipped)
    printer.event({ type: 'skipped', sn: device.sn, ...s }, `  skipped ${s.relPath}: ${s.reason}`);
  // Recordings the recorder is still writing are not copied now (never one file of them): never "safe to unplug".
  for (const u of scan.unsettled)
    printer.event(
      { type: 'waiting', sn: device.sn, ...u },
      `  waiting for the recorder to finish writing ${u.relPath}: ${u.reason}`,
    );
  const summary = await pullAll(device, scan.recordings, {
    libraryDir,
    format,
    ...(nameTemplate ? { nameTemplate } : {}),
    signal,
    onEvent: (e) => {
      printer.event({ ...e, sn: device.sn }, eventText(e, device));
      if (e.type === 'progress' && e.bytesTotal) {
        const pct = Math.floor((100 * e.bytesDone) / e.bytesTotal);
        printer.progress(
          `  ${e.recordingsDone}/${e.recordingsTotal} recordings, ${formatBytes(e.bytesDone)} of ${formatBytes(e.bytesTotal)} (${pct}%)`,
        );
      }
    },
  });
  const waiting = scan.unsettled.length;
  const ok = !summary.stopped && summary.failed.length === 0 && waiting === 0;
  printer.event(
    {
      type: 'summary',
      sn: device.sn,
      mountPath: device.mountPath,
      libraryDir,
      pulled: summary.pulled.length,
      alreadyPulled: summary.alreadyPulled,
      failed: summary.failed.length,
      skipped: scan.skipped.length,
      waitingForRecorder: waiting,
      bytesCopied: summary.bytesCopied,
      ok,
      ...(summary.stopped ? { stopped: summary.stopped } : {}),
    },
    `${device.sn}: ${summary.pulled.length} recording(s) pulled into ${libraryDir} (${formatBytes(summary.bytesCopied)} copied and verified), ` +
      `${summary.alreadyPulled} already there, ${summary.failed.length} failed.` +
      (waiting ? ` ${waiting} still being written on the recorder: pull again once it has finished.` : '') +
      (ok ? ' Safe to unplug.' : ''),
  );
  if (summary.stopped) printer.error(summary.stopped.message, { code: summary.stopped.code, sn: device.sn });
  else if (summary.failed.length)
    printer.error(`${summary.failed.length} recording(s) from ${device.sn} could not be pulled (see above).`, {
      sn: device.sn,
    });
  return ok;
}

/** The library the app and the engine use (settings), so `pull` fills the same one. */
function libraryFromSettings(flags: PullFlags): string {
  return readSettings(resolveStateDir(flags), defaultLibraryDir()).libraryDir;
}

export function register(program: Command): void {
  addStateDirOption(addMountRootOption(program.command('pull')))
    .description('copy new recordings from the plugged-in recorder(s) into the verified local library')
    .option('--volume <path>', 'pull from the recorder mounted at this path only')
    .option('--library <dir>', `the library folder (default: the library setting, else ${defaultLibraryDir()})`)
    .addOption(new Option('--format <format>', 'upload file to prepare').choices(['opus', 'mp3']).default('opus'))
    .option('--json', 'print one JSON event per line')
    .action(async (flags: PullFlags) => {
      const printer = linePrinter({ json: !!flags.json });
      let libraryDir: string;
      try {
        libraryDir = path.resolve(flags.library ?? libraryFromSettings(flags));
      } catch (err) {
        printer.error((err as Error).message);
        process.exitCode = 1;
        return;
      }
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      try {
        let devices: DeviceInfo[];
        if (flags.volume) {
          const d = await identifyVolume(path.resolve(flags.volume));
          if (!d) {
            printer.error(`${flags.volume} is not a Plaud recorder (no readable Plaud MODEL.txt at its top level).`);
            process.exitCode = 1;
            return;
          }
          devices = [d];
        } else {
          const roots = mountRootsFrom(flags);
          devices = await findDevices(roots);
          if (!devices.length) {
            printer.error(
              `No Plaud recorder found under ${roots.join(', ')}. Plug one in (with "Access via USB" enabled in the Plaud app) or give --volume.`,
            );
            process.exitCode = 1;
            return;
          }
        }
        const stateDir = resolveStateDir(flags);
        const nameTemplate = libraryNamesSetting(stateDir);
        // A library from before readable names is moved first, so nothing in it is copied twice.
        let moved;
        try {
          moved = await migrateLibraryIfNeeded(libraryDir, { ...(nameTemplate ? { nameTemplate } : {}) });
        } catch (err) {
          printer.error((err as Error).message);
          process.exitCode = 1;
          return;
        }
        if (moved && (moved.renamed || moved.recordersMoved))
          printer.event(
            { type: 'library-moved', libraryDir, ...moved },
            `The library now gives recordings readable names (${moved.renamed} moved; the recorder's own files are in ${path.join(libraryDir, '.originals')}).`,
          );
        let allOk = true;
        for (const d of devices) {
          try {
            if (!(await pullDevice(d, libraryDir, flags.format, printer, ac.signal, nameTemplate))) allOk = false;
          } catch (err) {
            allOk = false;
            printer.error(`Could not pull from ${d.mountPath}: ${(err as Error).message}`, { sn: d.sn });
          }
          if (ac.signal.aborted) break;
        }
        if (!allOk) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
        printer.close();
      }
    });
}
