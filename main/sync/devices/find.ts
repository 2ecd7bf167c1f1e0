// One-shot discovery (no watchers): which mounted volumes under the mount roots are Plaud recorders.
// The DeviceMonitor does the same on events; the CLI's `devices` and `pull` use this directly.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DeviceInfo } from '../types.js';
import { identifyVolume, type IdentifyOptions } from './identify.js';

/** Folders that may be a volume: each root itself (a drive letter, a mount point given directly) and its sub-folders. */
export async function volumeCandidates(mountRoots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of mountRoots) {
    const root = path.resolve(r);
    out.push(root);
    try {
      for (const e of await fs.readdir(root, { withFileTypes: true })) if (e.isDirectory()) out.push(path.join(root, e.name));
    } catch {
      // Root absent or unreadable: nothing mounted there.
    }
  }
  return [...new Set(out)];
}

/** Every recorder mounted under the roots, identified from its content. Non-recorders are left out quietly. */
export async function findDevices(mountRoots: readonly string[], opts: IdentifyOptions = {}): Promise<DeviceInfo[]> {
  const found = await Promise.all((await volumeCandidates(mountRoots)).map((p) => identifyVolume(p, opts).catch(() => null)));
  return found.filter((d): d is DeviceInfo => d !== null);
}
