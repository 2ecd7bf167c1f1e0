// One-shot discovery (no watchers): which mounted volumes under the mount roots are Plaud recorders.
// The DeviceMonitor does the same on events; the CLI's `devices` and `pull` use this directly.
//
// Nothing here touches an entry of a mount root in our own process before a probe child (probe.ts) has seen it
// answer and found a Plaud MODEL.txt on it: a hung volume beside the recorder is skipped after the probe timeout
// and never holds up the others.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeviceInfo } from '../types.js';
import { nullLogger, type Logger } from '../log.js';
import { identifyVolume, type IdentifyOptions } from './identify.js';
import { parseModelFile } from './model-file.js';
import { sharedProber, type ProbeResult, type VolumeProber } from './probe.js';
import { driveLetterOf, listWindowsDrives, probeableRoots, type DriveInfo } from './windows-drives.js';

export interface ProbeOptions {
  prober?: VolumeProber;
  timeoutMs?: number;
  logger?: Logger;
  /** Default process.platform; 'win32' filters drive letters (windows-drives.ts). */
  platform?: NodeJS.Platform;
  /** Windows drive list (default: asks Windows). */
  listDrives?: () => Promise<DriveInfo[]>;
  /** Windows: a recorder was just seen on USB, and the drive letters known before it. */
  usbAttachSeen?: boolean;
  knownDrives?: ReadonlySet<string>;
  /** An earlier answer to use instead of probing this entry again (the DeviceMonitor's follow-up passes). */
  reuse?: (mountPath: string) => ProbeResult | undefined;
}

export interface ProbedEntry {
  mountPath: string;
  result: ProbeResult;
  /** The result is an earlier answer (`reuse`), not a new probe. */
  reused?: boolean;
}

/** The roots to look at: on Windows, only removable drive letters (or the one a USB attach points at). */
async function rootsToProbe(mountRoots: readonly string[], opts: ProbeOptions): Promise<string[]> {
  // A drive letter stays as it is (resolving "E:\\" elsewhere than on Windows would make it a relative folder).
  const roots = [...new Set(mountRoots.map((r) => (driveLetterOf(r) ? r : path.resolve(r))))];
  if ((opts.platform ?? process.platform) !== 'win32' || !roots.some((r) => driveLetterOf(r))) return roots;
  let drives: DriveInfo[];
  try {
    drives = await (opts.listDrives ?? listWindowsDrives)();
  } catch (err) {
    // Without the list we cannot tell a removable drive from a network one: look at folders only, not letters.
    (opts.logger ?? nullLogger).warn('could not tell which drives are removable; drive letters are skipped this time', {
      err,
    });
    drives = [];
  }
  return probeableRoots(roots, drives, {
    ...(opts.usbAttachSeen ? { usbAttachSeen: true } : {}),
    ...(opts.knownDrives ? { known: opts.knownDrives } : {}),
  });
}

/**
 * Probe each root itself (a drive letter, a mount point given directly) and each folder in it, all at once, each
 * bounded by the probe timeout. A root's folder list is read in-process only after the root answered its probe;
 * that readdir takes entry types from the directory itself, so it never reaches into a volume mounted on an entry.
 */
export async function probeMountRoots(mountRoots: readonly string[], opts: ProbeOptions = {}): Promise<ProbedEntry[]> {
  const prober = opts.prober ?? sharedProber();
  const probeOpts = {
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  };
  const probe = async (mountPath: string): Promise<ProbedEntry> => {
    const earlier = opts.reuse?.(mountPath);
    if (earlier) return { mountPath, result: earlier, reused: true };
    return { mountPath, result: await prober.probe(mountPath, probeOpts) };
  };
  const roots = await rootsToProbe(mountRoots, opts);
  const perRoot = await Promise.all(
    roots.map(async (root) => {
      const self = await probe(root);
      if (self.result.state !== 'answered' || driveLetterOf(root)) return [self];
      let subdirs: string[] = [];
      try {
        subdirs = (await fs.readdir(root, { withFileTypes: true }))
          .filter((e) => e.isDirectory())
          .map((e) => path.join(root, e.name));
      } catch {
        // Root vanished since its probe: nothing mounted there.
      }
      return [self, ...(await Promise.all(subdirs.map(probe)))];
    }),
  );
  const seen = new Set<string>();
  return perRoot.flat().filter((e) => !seen.has(e.mountPath) && !!seen.add(e.mountPath));
}

/** Whether a probe found a Plaud MODEL.txt: only then may we look at the volume in-process. */
export function looksLikeRecorder(r: ProbeResult): boolean {
  return r.state === 'answered' && r.modelText !== undefined && parseModelFile(r.modelText) !== null;
}

/** Every recorder mounted under the roots, identified from its content. Non-recorders are left out quietly. */
export async function findDevices(
  mountRoots: readonly string[],
  opts: IdentifyOptions & ProbeOptions = {},
): Promise<DeviceInfo[]> {
  const probed = await probeMountRoots(mountRoots, opts);
  const found = await Promise.all(
    probed.filter((e) => looksLikeRecorder(e.result)).map((e) => identifyVolume(e.mountPath, opts).catch(() => null)),
  );
  return found.filter((d): d is DeviceInfo => d !== null);
}
