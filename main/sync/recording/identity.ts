// What names a recording. A recording is a take: the recorder's serial, its folder (NOTES or CALLS) and the start-time
// name it was written under. Size is not identity: a recording whose partner file shows up later, or that was still
// settling at the first look, is the same recording. A recorder whose clock was reset can write a different recording
// under a name an earlier one had; that one is a second take of the name (take 2, 3, ...), told apart by content
// (fingerprint.ts), and it gets a library name of its own so neither copy is overwritten.

/** Ledger id of a take: `<sn>/<relBase>` for the first take of a name, `<sn>/<relBase>~<take>` for later ones. */
export function recordingId(sn: string, relBase: string, take = 1): string {
  if (!Number.isInteger(take) || take < 1)
    throw new RangeError(`A take number is a whole number from 1 (got ${take}).`);
  return take === 1 ? `${sn}/${relBase}` : `${sn}/${relBase}~${take}`;
}

/** The inverse of recordingId, or undefined for an id that is not one (for example a format-1 id with `#size`). */
export function parseRecordingId(id: string): { sn: string; relBase: string; take: number } | undefined {
  const m = /^([^/]+)\/((?:NOTES|CALLS)\/\d{8}\/\d{1,12})(?:~(\d+))?$/.exec(id);
  if (!m) return undefined;
  const take = m[3] ? Number(m[3]) : 1;
  if (take < 2 && m[3]) return undefined;
  return { sn: m[1]!, relBase: m[2]!, take };
}

/** The base name of a take's files in the library: the start time for take 1, `<start>-<take>` after that. */
export function libraryBaseOf(base: string, take = 1): string {
  return take === 1 ? base : `${base}-${take}`;
}

/** Total bytes of a recording's source files (shown to people and used for progress; not identity). */
export function sourceBytes(rec: { wav?: { size: number }; asr?: { size: number } }): number {
  return (rec.wav?.size ?? 0) + (rec.asr?.size ?? 0);
}

type FileSeen = { size: number; mtimeMs: number };

/** The same files present (WAV, ASR), each with the same size and modification time: nothing read from either. */
export function sameFiles(
  a: { wav?: FileSeen | undefined; asr?: FileSeen | undefined },
  b: { wav?: FileSeen | undefined; asr?: FileSeen | undefined },
): boolean {
  for (const role of ['wav', 'asr'] as const) {
    const x = a[role];
    const y = b[role];
    if (!x !== !y) return false;
    if (x && y && (x.size !== y.size || x.mtimeMs !== y.mtimeMs)) return false;
  }
  return true;
}
