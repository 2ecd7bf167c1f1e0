// Reading Ogg page headers (RFC 3533 section 6) from a buffer.

import { oggPageCrcOk } from './ogg-crc.js';

export const OGG_CAPTURE = 0x5367674f; // 'OggS' read as little-endian uint32
export const OGG_HEADER_FIXED = 27;

export const PAGE_CONTINUED = 0x01;
export const PAGE_BOS = 0x02;
export const PAGE_EOS = 0x04;

export interface OggPageHeader {
  headerType: number;
  /** -1n when no packet ends on this page. */
  granule: bigint;
  serial: number;
  sequence: number;
  /** Segment table (lacing values). */
  lacing: Uint8Array;
  headerLength: number;
  bodyLength: number;
  /** headerLength + bodyLength */
  pageLength: number;
}

/**
 * Parse the page header at `off`. Returns null when there is no 'OggS' there or the header runs past the buffer.
 * Does not check the CRC (see oggPageCrcOk).
 */
export function readOggPageHeader(buf: Uint8Array, off: number): OggPageHeader | null {
  if (off + OGG_HEADER_FIXED > buf.length) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset + off);
  if (dv.getUint32(0, true) !== OGG_CAPTURE || buf[off + 4] !== 0) return null;
  const segs = buf[off + 26]!;
  const headerLength = OGG_HEADER_FIXED + segs;
  if (off + headerLength > buf.length) return null;
  const lacing = buf.subarray(off + OGG_HEADER_FIXED, off + headerLength);
  let bodyLength = 0;
  for (const l of lacing) bodyLength += l;
  return {
    headerType: buf[off + 5]!,
    granule: dv.getBigInt64(6, true),
    serial: dv.getUint32(14, true),
    sequence: dv.getUint32(18, true),
    lacing,
    headerLength,
    bodyLength,
    pageLength: headerLength + bodyLength,
  };
}

/** A page at `off` that lies wholly inside `buf` and whose CRC is right, or null. */
export function readVerifiedOggPage(buf: Uint8Array, off: number): OggPageHeader | null {
  const h = readOggPageHeader(buf, off);
  if (!h || off + h.pageLength > buf.length) return null;
  return oggPageCrcOk(buf.subarray(off, off + h.pageLength)) ? h : null;
}

/** Split a page body into packets (and a trailing unfinished packet piece, if the last lacing value is 255). */
export function pagePackets(
  body: Uint8Array,
  lacing: Uint8Array,
): { packets: Uint8Array[]; partial: Uint8Array | null } {
  const packets: Uint8Array[] = [];
  let start = 0;
  let len = 0;
  for (const l of lacing) {
    len += l;
    if (l < 255) {
      packets.push(body.subarray(start, start + len));
      start += len;
      len = 0;
    }
  }
  return {
    packets,
    partial:
      len > 0 || (lacing.length > 0 && lacing[lacing.length - 1] === 255) ? body.subarray(start, start + len) : null,
  };
}
