// One ledger line: `<crc32 as 8 hex digits> <json>\n`. The checksum tells a torn or damaged line
// from a good one without trusting anything else in the line.
import { crc32 } from 'node:zlib';

export function encodeLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; reason: string };

/** Decode one line (without its newline). */
export function decodeLine(line: string): DecodeResult {
  if (line.length < 10 || line[8] !== ' ') return { ok: false, reason: 'the line is not in ledger format (no checksum)' };
  const want = Number.parseInt(line.slice(0, 8), 16);
  const json = line.slice(9);
  if (!/^[0-9a-f]{8}$/.test(line.slice(0, 8))) return { ok: false, reason: 'the line is not in ledger format (bad checksum field)' };
  if (crc32(json) !== want) return { ok: false, reason: 'its checksum does not match (the line was changed or partly written)' };
  try {
    return { ok: true, value: JSON.parse(json) };
  } catch {
    return { ok: false, reason: 'the line is not valid JSON' };
  }
}

/** Split file text into lines. `complete` is false when the last line has no newline (a torn write). */
export function splitLines(text: string): { lines: string[]; complete: boolean } {
  if (text.length === 0) return { lines: [], complete: true };
  const complete = text.endsWith('\n');
  const lines = text.split('\n');
  if (complete) lines.pop();
  return { lines, complete };
}
