// Shared builders for ledger tests and the ledger bench: realistic recordings and patches.
import fs from 'node:fs';
import type { Recording } from '../../../main/sync/types.js';
import type { TransitionPatch } from '../../../main/sync/ledger/index.js';

export const SN = '888123456789012345';
export const DEVICE = { sn_type: 'note' as const, deviceId: `note:${SN}` };

/** Recording number i on device `sn`, one second of WAV+ASR per 10 s of index. */
export function recording(i: number, sn = SN): Recording {
  const startSec = 1_709_280_000 + i * 3600;
  const day = new Date(startSec * 1000).toISOString().slice(0, 10).replace(/-/g, '');
  const kind = i % 5 === 0 ? 'call' : 'note';
  const relBase = `${kind === 'call' ? 'CALLS' : 'NOTES'}/${day}/${startSec}`;
  const durationMs = 60_000 + (i % 100) * 10_000;
  return {
    key: `${sn}/${relBase}`,
    sn,
    kind,
    relBase,
    startMs: startSec * 1000,
    durationMs,
    endMs: startSec * 1000 + durationMs,
    wav: { relPath: `${relBase}.WAV`, size: 512 + (durationMs / 1000) * 64000, mtimeMs: startSec * 1000 + durationMs },
    asr: {
      relPath: `${relBase}.ASR`,
      size: (durationMs / 1000) * 4000,
      mtimeMs: startSec * 1000 + durationMs,
      format: 'raw-opus',
    },
  };
}

const md5 = (i: number, salt: string) =>
  (salt + i.toString(16))
    .padStart(32, '0')
    .slice(-32)
    .replace(/[^0-9a-f]/g, 'a');

export function pulledPatch(rec: Recording, i: number): TransitionPatch {
  return {
    pulled: {
      files: [
        {
          relPath: rec.wav!.relPath,
          libraryPath: `/home/u/Plaud Recordings/${rec.sn}/${rec.relBase}.WAV`,
          size: rec.wav!.size,
          md5: md5(i, 'a1'),
        },
        {
          relPath: rec.asr!.relPath,
          libraryPath: `/home/u/Plaud Recordings/${rec.sn}/${rec.relBase}.ASR`,
          size: rec.asr!.size,
          md5: md5(i, 'b2'),
        },
      ],
      upload: {
        path: `/home/u/Plaud Recordings/${rec.sn}/${rec.relBase}.opus`,
        size: rec.asr!.size + 4096,
        md5: md5(i, 'c3'),
        filetype: 'opus',
        durationMs: rec.durationMs,
      },
    },
  };
}

export function uploadPatch(i: number): TransitionPatch {
  return {
    upload: {
      fileId: `file-${i.toString(36)}-0123456789abcdef`,
      uploadId: `upload-${i}-2~abcdefghijklmnopqrstuvwxyz0123456789ABCDEF`,
      partSize: 5_242_880,
      partCount: 1,
    },
  };
}

/** Leave a ledger as a killed process would: files exactly as they are (no final compaction), lock and fd let go. */
export function simulateCrash(l: object): void {
  const inner = l as unknown as { lock: { release(): void }; fd: number };
  inner.lock.release();
  fs.closeSync(inner.fd);
}
