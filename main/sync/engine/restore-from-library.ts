// The library as the second source of truth. Each recording's manifest says what was verified and, once the cloud
// confirmed it, the cloud file id. When the ledger lost records (recover-ledger dropped damaged lines) this puts back
// every take the library holds that the ledger no longer knows: as synced when the manifest names its cloud file
// (never uploaded again), else as pulled (the next sync uploads it once).
import fs from 'node:fs/promises';
import type { Ledger } from '../ledger/index.js';
import { originalFilesOf, uploadFilePath, type Manifest, type UploadFileEntry } from '../library/manifest.js';
import { snTypeForName } from '../library/playable.js';
import { originalsManifests } from '../library/migrate-layout.js';
import { recordingId } from '../recording/identity.js';
import type { Recording, SnType } from '../types.js';

export interface RestoreReport {
  /** Takes put back as synced: the library says the cloud has them. */
  restoredSynced: number;
  /** Takes put back as pulled: in the library, not known to be in the cloud; the next sync uploads them. */
  restoredToUpload: number;
  /** Takes the ledger already knew. */
  alreadyKnown: number;
}

/** Every complete recording manifest of the library (in its hidden originals folder: library/layout.ts). */
export async function libraryManifests(
  libraryDir: string,
): Promise<{ dir: string; base: string; manifest: Manifest }[]> {
  return (await originalsManifests(libraryDir)).filter((e) => e.manifest.complete);
}

/**
 * The upload file a restored take points at: the first format (Opus, then MP3) whose file is there with its noted
 * size and is not a version noted but never confirmed (a crash before its rename), else the first entry at all (the
 * upload makes it again from the originals).
 */
async function playableEntry(libraryDir: string, dir: string, m: Manifest): Promise<UploadFileEntry | undefined> {
  const entries = [m.upload?.opus, m.upload?.mp3].filter((e): e is UploadFileEntry => e !== undefined);
  for (const e of entries) {
    const st = await fs.stat(uploadFilePath(libraryDir, dir, e)).catch(() => undefined);
    if (e.replaces === undefined && st?.isFile() && st.size === e.size) return e;
  }
  return entries[0];
}

/** Put back the takes the library holds and the ledger does not know. `snTypeOf` names a serial's device type. */
export async function restoreFromLibrary(
  ledger: Ledger,
  libraryDir: string,
  snTypeOf: (sn: string) => SnType | undefined = () => undefined,
): Promise<RestoreReport> {
  const report: RestoreReport = { restoredSynced: 0, restoredToUpload: 0, alreadyKnown: 0 };
  for (const { dir, manifest: m } of await libraryManifests(libraryDir)) {
    const take = m.take ?? 1;
    const id = recordingId(m.sn, m.relBase, take);
    if (ledger.get(id)) {
      report.alreadyKnown++;
      continue;
    }
    const up = await playableEntry(libraryDir, dir, m);
    if (!up || (!m.wav && !m.asr)) continue; // nothing that could be uploaded or shown
    const rec: Recording = {
      key: `${m.sn}/${m.relBase}`,
      sn: m.sn,
      kind: m.kind,
      relBase: m.relBase,
      startMs: m.startMs,
      durationMs: m.durationMs,
      endMs: m.endMs,
    };
    if (m.wav) rec.wav = { relPath: `${m.relBase}.WAV`, size: m.wav.sourceSize, mtimeMs: m.wav.sourceMtimeMs };
    if (m.asr)
      rec.asr = {
        relPath: `${m.relBase}.ASR`,
        size: m.asr.sourceSize,
        mtimeMs: m.asr.sourceMtimeMs,
        format: 'raw-opus',
      };
    // A serial no prefix explains is a Note (FACTS: "anything else is a Note"), unless the recorder was seen before.
    const snType = snTypeForName(m.sn, snTypeOf(m.sn));
    const r = ledger.discover(rec, { sn_type: snType, deviceId: `${snType}:${m.sn}` }, { take });
    ledger.transition(r.id, 'pulling');
    const files = originalFilesOf(dir, m);
    ledger.transition(r.id, 'pulled', {
      durationMs: up.durationMs || m.durationMs,
      pulled: {
        files,
        upload: {
          path: uploadFilePath(libraryDir, dir, up),
          size: up.size,
          md5: up.md5,
          filetype: up.filetype,
          durationMs: up.durationMs,
        },
      },
    });
    if (m.cloud) {
      ledger.transition(r.id, 'synced', { cloudFileId: m.cloud.fileId });
      report.restoredSynced++;
    } else report.restoredToUpload++;
  }
  return report;
}
