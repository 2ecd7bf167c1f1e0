// One ledger line: `<crc32 as 8 hex digits> <head json>[<TAB><body json>]\n`.
// The checksum covers everything between the space and the newline, so a torn or damaged line is
// told from a good one without trusting anything in it. The head is small (kind, id, serial, state)
// and is parsed at load; the body (a whole record) is kept as bytes and parsed only when the record
// is first used: a 10,000-record load then costs little more than reading and checksumming the file.
// JSON.stringify never emits a raw TAB, so the first TAB always ends the head.
import { crc32 } from 'node:zlib';

const TAB = 0x09;
const NL = 0x0a;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** The 8 lower-case hex digits at buf[i..i+8) as a number, or -1 (a load parses 10,000+ of these). */
function hexAt(buf: Buffer, i: number): number {
  let v = 0;
  for (let k = 0; k < 8; k++) {
    const c = buf[i + k]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Encode a line from a head object and an optional body (an object, or JSON bytes kept from a load). */
export function encodeLine(head: unknown, body?: unknown): Buffer {
  const h = JSON.stringify(head);
  if (body === undefined) return Buffer.from(`${hex8(crc32(h))} ${h}\n`);
  const b = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const hb = Buffer.from(`${h}\t`);
  const crc = crc32(b, crc32(hb));
  return Buffer.concat([Buffer.from(`${hex8(crc)} `), hb, b, Buffer.from('\n')]);
}

export type DecodeResult =
  { ok: true; head: unknown; bodyStart: number; bodyEnd: number } | { ok: false; reason: string };

/** Decode the line buf[start, end) (without its newline). bodyStart === bodyEnd when there is no body. */
export function decodeLine(buf: Buffer, start: number, end: number): DecodeResult {
  if (end - start < 10 || buf[start + 8] !== 0x20)
    return { ok: false, reason: 'the line is not in ledger format (no checksum)' };
  const want = hexAt(buf, start);
  if (want < 0) return { ok: false, reason: 'the line is not in ledger format (bad checksum field)' };
  if (crc32(buf.subarray(start + 9, end)) !== want) {
    return { ok: false, reason: 'its checksum does not match (the line was changed or partly written)' };
  }
  let tab = buf.indexOf(TAB, start + 9);
  if (tab < 0 || tab >= end) tab = end;
  try {
    const head: unknown = JSON.parse(buf.toString('utf8', start + 9, tab));
    return { ok: true, head, bodyStart: Math.min(tab + 1, end), bodyEnd: end };
  } catch {
    return { ok: false, reason: 'the line is not valid JSON' };
  }
}

/** Line boundaries: [start, end) pairs without newlines. `complete` is false when the last line has no newline. */
export function splitLines(buf: Buffer): { starts: number[]; ends: number[]; complete: boolean } {
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) {
      starts.push(pos);
      ends.push(buf.length);
      return { starts, ends, complete: false };
    }
    starts.push(pos);
    ends.push(nl);
    pos = nl + 1;
  }
  return { starts, ends, complete: true };
}
