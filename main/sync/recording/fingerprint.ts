// Telling takes apart by content. A fingerprint holds, per file, its size and an MD5 of its first bytes of audio
// (64 KiB, or less when the file is shorter). For a WAV the bytes hashed start after the recorder's 512-byte header,
// because a recorder that finishes or extends a file rewrites the sizes in its header: the audio is what identifies.
// Two looks at a name show the same take when every file they have in common starts
// with the same bytes: a file that grew keeps its beginning, a partner file that appeared later is not compared, and a
// different recording under a reused name differs in its first second of audio (64 KiB is 1 s of WAV, 16 s of ASR).
//
// Reading 64 KiB per file is not free on a recorder served at USB speed, so the scan never does it: the engine asks
// for a fingerprint only when a name it knows looks different (other sizes, or files it saw go away come back).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { z } from 'zod';

export const HEAD_BYTES = 64 * 1024;
/**
 * The quick check: an MD5 of the first 4 KiB of audio, read for every known recording once per plug-in after the pull,
 * so a recording deleted and replaced by another of the same name, size and time while unplugged is still noticed,
 * at a cost of one small read per file.
 */
export const QUICK_BYTES = 4096;
/** Where the hashed bytes start, per role: the WAV's audio begins at 0x200 on the recorder; raw ASR has no header. */
export const HEAD_OFFSET: Readonly<Record<'wav' | 'asr', number>> = { wav: 0x200, asr: 0 };

export const fileFingerprintSchema = z.object({
  size: z.number().int().nonnegative(),
  /** Bytes hashed, from HEAD_OFFSET of the file's role. */
  headLen: z.number().int().nonnegative(),
  headMd5: z.string().regex(/^[0-9a-f]{32}$/),
  /** MD5 of the first QUICK_BYTES of those bytes (fewer when the file is shorter). */
  quickMd5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
});
export type FileFingerprint = z.infer<typeof fileFingerprintSchema>;

export const fingerprintSchema = z.object({
  wav: fileFingerprintSchema.optional(),
  asr: fileFingerprintSchema.optional(),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;

export type Role = 'wav' | 'asr';
export const ROLES: readonly Role[] = ['asr', 'wav'];

/** MD5 of `len` bytes of a file from its role's HEAD_OFFSET (fewer when the file is shorter: headLen says how many). */
export async function headOf(file: string, role: Role, len = HEAD_BYTES): Promise<FileFingerprint> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const offset = HEAD_OFFSET[role];
    const want = Math.max(0, Math.min(len, size - offset));
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return {
      size,
      headLen: got,
      headMd5: crypto.createHash('md5').update(buf.subarray(0, got)).digest('hex'),
      quickMd5: crypto
        .createHash('md5')
        .update(buf.subarray(0, Math.min(got, QUICK_BYTES)))
        .digest('hex'),
    };
  } finally {
    await fh.close();
  }
}

export type TakeRelation =
  /** The same files, byte for byte at their beginnings and the same sizes. */
  | 'same'
  /** The same take with a file added that was missing before (WAV first, ASR later, or the reverse). */
  | 'partner-added'
  /** The same take, but a file it had is longer, shorter, or gone. */
  | 'changed'
  /** A different recording under the same name. */
  | 'different';

/**
 * How what the recorder holds now (`now`, read with `readHead` on demand) relates to a known take (`known`).
 * `readHead(role, len)` must hash the first `len` bytes of the recorder's file, so the comparison covers exactly the
 * bytes the known fingerprint covered even when the file has grown since.
 */
export async function relate(
  known: Fingerprint,
  now: { wav?: { size: number }; asr?: { size: number } },
  readHead: (role: Role, len: number) => Promise<FileFingerprint>,
): Promise<TakeRelation> {
  let common = 0;
  let sizesDiffer = false;
  let added = false;
  let removed = false;
  for (const role of ROLES) {
    const k = known[role];
    const n = now[role];
    if (k && !n) removed = true;
    if (!k && n) added = true;
    if (!k || !n) continue;
    if (n.size < HEAD_OFFSET[role] + k.headLen) {
      // Shorter than the part we know: a cut-down version of this take when its first bytes (the quick check) match,
      // else another recording. (A recording under 16 s has an ASR under 64 KiB, so any cut of it lands here.)
      const quickLen = Math.min(QUICK_BYTES, k.headLen);
      if (!k.quickMd5 || n.size < HEAD_OFFSET[role] + quickLen) return 'different';
      const q = await readHead(role, quickLen);
      if (q.headLen !== quickLen || q.quickMd5 !== k.quickMd5) return 'different';
      common++;
      sizesDiffer = true;
      continue;
    }
    const h = await readHead(role, k.headLen);
    if (h.headLen !== k.headLen || h.headMd5 !== k.headMd5) return 'different';
    common++;
    if (n.size !== k.size) sizesDiffer = true;
  }
  // No file in common (the WAV gone and an ASR come, or the reverse): nothing proves it is another recording, nor the
  // same one. 'changed' lets the user decide (before its upload the take is simply copied again), instead of a silent
  // second upload of what may be the same recording.
  if (common === 0) return 'changed';
  if (sizesDiffer || removed) return 'changed';
  return added ? 'partner-added' : 'same';
}
