// Remove-after-sync: deleting a recording's files from the recorder once the cloud has it and the
// library copy re-verifies. The ledger marks the delete 'pending' before any file is touched and
// 'done' after, so a yank in between only means the next attach finishes the job: the recording is
// in the library and the cloud either way.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LedgerRecord } from '../ledger/index.js';
import { md5File } from '../library/copy.js';
import type { EngineContext } from './context.js';
import type { DeviceRuntime } from './device-pulls.js';

export class DeviceDeleteRefused extends Error {
  override name = 'DeviceDeleteRefused';
}

/** Re-hash every library copy of a record; true only when all match the ledger. */
export async function libraryCopyVerified(r: LedgerRecord): Promise<boolean> {
  if (!r.pulled || r.pulled.files.length === 0) return false;
  for (const f of r.pulled.files) {
    try {
      const got = await md5File(f.libraryPath);
      if (got.size !== f.size || got.md5 !== f.md5) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Unlink the record's source files on the mounted recorder. Each path must stay inside the volume,
 * be a regular file (not a link) and still have the size the ledger saw; anything else is refused.
 */
export async function removeSourcesFromDevice(mountPath: string, r: LedgerRecord): Promise<void> {
  const root = path.resolve(mountPath);
  const sources = [r.source.wav, r.source.asr].filter((s): s is NonNullable<typeof s> => !!s);
  for (const s of sources) {
    const p = path.resolve(root, s.relPath);
    if (p !== root && !p.startsWith(root + path.sep))
      throw new DeviceDeleteRefused(`Refusing to delete ${s.relPath}: it is outside the recorder.`);
    let st;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // already gone (an earlier, interrupted delete)
      throw err;
    }
    if (!st.isFile()) throw new DeviceDeleteRefused(`Refusing to delete ${s.relPath}: it is not a regular file.`);
    if (st.size !== s.size)
      throw new DeviceDeleteRefused(`Refusing to delete ${s.relPath}: it changed on the recorder since it was copied.`);
    await fs.unlink(p);
  }
}

/**
 * Remove-after-sync for one attached recorder: every synced take it still holds whose library copy re-verifies by MD5,
 * the pending mark on disk before the recorder is touched. Stops at the first failure (unplugged, refused).
 * Only takes whose files on the recorder were copied or quick-checked during this plug-in (`rt.verified`) qualify:
 * the scan trusts known files by size and time, and a file the quick check could not read (a bad block) may hold
 * another recording that was never copied. A delete left pending by an earlier plug-in is finished as before.
 */
export async function removeSyncedTakes(
  ctx: EngineContext,
  rt: Pick<DeviceRuntime, 'info' | 'verified'>,
  attached: () => boolean,
): Promise<void> {
  const { ledger, problems, log } = ctx;
  if (!ctx.settings.removeAfterSync || ctx.stopping) return;
  for (const r of ledger.bySn(rt.info.sn)) {
    if (
      r.state !== 'synced' ||
      r.deviceDelete?.state === 'done' ||
      r.offDevice !== undefined ||
      r.changedOnDevice ||
      !(rt.verified.has(r.id) || r.deviceDelete?.state === 'pending') ||
      !attached()
    )
      continue;
    if (!(await libraryCopyVerified(r))) {
      problems.raise({
        code: 'other',
        level: 'needs-you',
        recordingId: r.id,
        message: 'A recording was not removed from the recorder: its copy in the library does not verify.',
        action: 'It stays on the recorder. Check the library disk.',
        detail: r.relBase,
      });
      continue;
    }
    try {
      ledger.markDeviceDelete(r.id, 'pending');
      // The synced state and the pending mark are on disk before anything on the recorder is deleted.
      await ledger.flushed();
      await removeSourcesFromDevice(rt.info.mountPath, r);
      ledger.markDeviceDelete(r.id, 'done');
      log.info('removed from recorder after sync', { id: r.id });
    } catch (err) {
      log.warn('remove from recorder failed', { id: r.id, err });
      break; // unplugged or refused: the pending mark makes the next attach finish it
    }
  }
}
