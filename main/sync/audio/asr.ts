// Inspects a recorder `.ASR` file: raw Opus packets (80 bytes, 20 ms, TOC 0xB8) back to back, no container.
// Newer firmware may write Ogg Opus instead, so the container is detected from the first bytes, never assumed.
// The rules and their wording live here only: the scan (devices/scan.ts) and the packager (ogg-opus.ts) call them.

import { open, type FileHandle } from 'node:fs/promises';
import { AudioFormatError } from './errors.js';
import { PAGE_BOS, readOggPageHeader, readVerifiedOggPage } from './ogg-page.js';

export interface AsrInfo {
  format: 'raw-opus' | 'ogg-opus';
  durationMs: number;
  /** Number of 20 ms packets (raw files only). */
  frames?: number;
}

/** The recorder's packet shape (FACTS: 32 kbit/s CBR CELT). */
export const ASR_PACKET_BYTES = 80;
export const ASR_PACKET_MS = 20;
/** TOC byte: config 23 (CELT-only, wideband, 20 ms), mono, one frame per packet. */
export const ASR_TOC = 0xb8;
/** Packets checked in one read at the start (1 s). */
const HEAD_PACKETS = 50;
/** How many more packets' TOC bytes we check, spread over the rest of the file. */
const TOC_SAMPLES = 16;
/** How far from the end we look for the last Ogg page (a page is at most 65,307 bytes). */
const OGG_TAIL_BYTES = 65_307 * 2;

/**
 * Files up to this size are read whole in one call and checked in memory (most recordings: 32 kbit/s is 14 MB an hour).
 */
const WHOLE_READ_BYTES = 1024 * 1024;

type ReadAt = (pos: number, len: number) => Promise<Buffer>;

/** True when the first bytes start an Ogg page (newer firmware writes its ASR as Ogg Opus). */
export function isOggHead(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x4f && head[1] === 0x67 && head[2] === 0x67 && head[3] === 0x53; // 'OggS'
}

export function emptyAsrError(filePath?: string): AudioFormatError {
  return new AudioFormatError('ASR_EMPTY', 'The ASR file is empty (0 bytes).', filePath);
}

/** A raw ASR of `size` bytes that is not a whole number of packets. */
export function strayBytesError(size: number, filePath?: string): AudioFormatError {
  return new AudioFormatError(
    'ASR_STRAY_BYTES',
    `The ASR file is not a whole number of ${ASR_PACKET_BYTES}-byte Opus packets: ${Math.floor(size / ASR_PACKET_BYTES)} whole packets and ${size % ASR_PACKET_BYTES} stray bytes at the end.`,
    filePath,
  );
}

/**
 * Packet `index` (from 0) starts with `byte` instead of the recorder's TOC; `frames` is the total where it is known.
 */
export function badTocError(
  index: number,
  byte: number | undefined,
  frames?: number,
  filePath?: string,
): AudioFormatError {
  const hex = (byte ?? 0).toString(16).padStart(2, '0').toUpperCase();
  return new AudioFormatError(
    'ASR_BAD_TOC',
    `The ASR file is not recorder Opus audio: packet ${index + 1}${frames !== undefined ? ` of ${frames}` : ''} starts with 0x${hex} instead of 0x${ASR_TOC.toString(16).toUpperCase()}.`,
    filePath,
  );
}

/**
 * The checks a raw ASR passes on its size and first packet alone: not empty, whole packets, the recorder's TOC. Enough
 * for a listing to tell a recorder ASR from another file at the cost of one tiny read; inspectAsr checks more packets.
 */
export function checkRawAsrHead(head: Uint8Array, size: number, filePath?: string): AsrInfo & { frames: number } {
  if (size === 0) throw emptyAsrError(filePath);
  if (size % ASR_PACKET_BYTES !== 0) throw strayBytesError(size, filePath);
  const frames = size / ASR_PACKET_BYTES;
  if (head[0] !== ASR_TOC) throw badTocError(0, head[0], frames, filePath);
  return { format: 'raw-opus', durationMs: frames * ASR_PACKET_MS, frames };
}

/**
 * What a listing needs from an ASR, given its first 4 bytes and its size: a raw file is judged on those alone; an Ogg
 * file is inspected (its length is in its last page), so only then is the answer a promise.
 */
export function asrInfoFromHead(head: Uint8Array, size: number, filePath: string): AsrInfo | Promise<AsrInfo> {
  if (isOggHead(head)) return inspectAsr(filePath);
  return checkRawAsrHead(head, size, filePath);
}

async function readFrom(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

export async function inspectAsr(filePath: string): Promise<AsrInfo> {
  const fh = await open(filePath, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) throw emptyAsrError(filePath);
    // A small file in one read instead of a score of tiny ones, each a round trip to the I/O thread pool.
    let readAt: ReadAt = (pos, len) => readFrom(fh, pos, len);
    if (size <= WHOLE_READ_BYTES) {
      const whole = await readFrom(fh, 0, size);
      readAt = async (pos, len) => whole.subarray(pos, pos + len);
    }
    const head = await readAt(0, Math.min(size, 4096));
    if (isOggHead(head)) return await inspectOgg(readAt, size, head, filePath);
    return await inspectRaw(readAt, size, filePath);
  } finally {
    await fh.close();
  }
}

async function inspectRaw(readAt: ReadAt, size: number, filePath: string): Promise<AsrInfo> {
  // Every packet of the first second (one read), then an even spread and the last packet: enough to tell a recorder
  // ASR from some other file without reading all of it. Packaging checks every packet anyway.
  const headPackets = Math.min(Math.floor(size / ASR_PACKET_BYTES), HEAD_PACKETS);
  const head = await readAt(0, headPackets * ASR_PACKET_BYTES);
  const { frames } = checkRawAsrHead(head, size, filePath);
  const badToc = (i: number, b: number | undefined): AudioFormatError => badTocError(i, b, frames, filePath);
  for (let i = 1; i < headPackets; i++)
    if (head[i * ASR_PACKET_BYTES] !== ASR_TOC) throw badToc(i, head[i * ASR_PACKET_BYTES]);
  const picks = new Set<number>([frames - 1]);
  const step = Math.max(1, Math.floor(frames / TOC_SAMPLES));
  for (let i = headPackets; i < frames && picks.size <= TOC_SAMPLES; i += step) picks.add(i);
  for (const i of [...picks].sort((a, b) => a - b)) {
    if (i < headPackets) continue;
    const b = await readAt(i * ASR_PACKET_BYTES, 1);
    if (b[0] !== ASR_TOC) throw badToc(i, b[0]);
  }
  return { format: 'raw-opus', durationMs: frames * ASR_PACKET_MS, frames };
}

/** Parse the OpusHead packet from the first page; returns the pre-skip (48 kHz samples). */
export function parseOpusHeadPage(
  head: Uint8Array,
  filePath?: string,
): { preSkip: number; channels: number; inputRate: number; serial: number } {
  const h = readOggPageHeader(head, 0);
  if (!h || !(h.headerType & PAGE_BOS) || h.headerLength + 19 > head.length) {
    throw new AudioFormatError('OGG_BAD_PAGE', "The Ogg file's first page is damaged.", filePath);
  }
  const p = head.subarray(h.headerLength);
  if (Buffer.from(p.subarray(0, 8)).toString('latin1') !== 'OpusHead') {
    throw new AudioFormatError('OGG_NOT_OPUS', 'The Ogg file does not hold Opus audio (no OpusHead header).', filePath);
  }
  const dv = new DataView(p.buffer, p.byteOffset, 19);
  if ((p[8]! & 0xf0) !== 0) {
    throw new AudioFormatError(
      'OGG_NOT_OPUS',
      `The Ogg Opus file has an unsupported header version ${p[8]}.`,
      filePath,
    );
  }
  return { channels: p[9]!, preSkip: dv.getUint16(10, true), inputRate: dv.getUint32(12, true), serial: h.serial };
}

async function inspectOgg(readAt: ReadAt, size: number, head: Buffer, filePath: string): Promise<AsrInfo> {
  const { preSkip, serial } = parseOpusHeadPage(head, filePath);
  // The duration is the granule position of the last complete, intact page of our stream, minus the pre-skip.
  // A file cut short ends in a partial page, so search backwards for one that checks out.
  const tailStart = Math.max(0, size - OGG_TAIL_BYTES);
  const tail = await readAt(tailStart, size - tailStart);
  for (let off = tail.length - 27; off >= 0; off--) {
    if (tail[off] !== 0x4f || tail[off + 1] !== 0x67) continue; // 'Og'
    const h = readVerifiedOggPage(tail, off);
    if (!h || h.serial !== serial || h.granule < 0n) continue;
    const samples = h.granule - BigInt(preSkip);
    if (samples < 0n) break;
    return { format: 'ogg-opus', durationMs: Math.round(Number(samples) / 48) };
  }
  throw new AudioFormatError(
    'OGG_NO_GRANULE',
    'The Ogg Opus file is damaged: no intact audio page found near its end, so its length is unknown.',
    filePath,
  );
}
