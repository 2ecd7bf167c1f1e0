// Ogg Opus writer (RFC 7845 over RFC 3533), used to package the recorder's raw `.ASR` packets without re-encoding
// and to wrap packets from our own encoder.
//
// Layout: page 0 = OpusHead alone with BOS; page 1 = OpusTags alone; then audio pages, whole packets only, at most
// `maxPacketsPerPage` (default 50 = 1 s of 20 ms packets, so a seek never has to read more than ~4 KB), the last
// page flagged EOS. Granule positions count 48 kHz samples, including the pre-skip, up to the last packet that ends on
// the page (RFC 7845 section 4).
//
// Pre-skip for recorder packets: 120 samples (2.5 ms at 48 kHz). TOC 0xB8 packets are CELT-only, which libopus
// produces in its restricted low-delay mode, whose encoder look-ahead is exactly 2.5 ms (ffmpeg's libopus writes
// pre-skip 120 for the same settings). RFC 7845 says the pre-skip is the encoder's delay to drop from the decoder
// output; the 3840-sample recommendation there is for streams cropped mid-way, which ours are not.

import { AudioFormatError } from './errors.js';
import { ASR_PACKET_BYTES, ASR_TOC, badTocError, emptyAsrError, strayBytesError } from './asr.js';
import { oggCrc } from './ogg-crc.js';
import { PAGE_BOS, PAGE_EOS } from './ogg-page.js';

export const ASR_PRE_SKIP = 120;
/** 48 kHz samples in one 20 ms packet. */
export const SAMPLES_PER_20MS = 960;
const MAX_SEGMENTS = 255;

export interface OggPageInput {
  headerType: number;
  granule: bigint;
  serial: number;
  sequence: number;
  /** Whole packets; together they must fit in 255 lacing values. */
  packets: readonly Uint8Array[];
}

/** Lacing values for one whole packet: a run of 255s then the remainder (0 when the length is a multiple of 255). */
export function lacingFor(length: number): number[] {
  const out = new Array<number>(Math.floor(length / 255)).fill(255);
  out.push(length % 255);
  return out;
}

/** Build one complete page with its CRC. */
export function buildOggPage(p: OggPageInput): Buffer {
  let segments = 0;
  let bodyLength = 0;
  for (const pk of p.packets) {
    segments += Math.floor(pk.length / 255) + 1;
    bodyLength += pk.length;
  }
  if (segments > MAX_SEGMENTS) throw new RangeError(`an Ogg page holds at most 255 segments, got ${segments}`);
  const page = Buffer.allocUnsafe(27 + segments + bodyLength);
  page.write('OggS', 0, 'latin1');
  page[4] = 0; // stream structure version
  page[5] = p.headerType;
  page.writeBigInt64LE(p.granule, 6);
  page.writeUInt32LE(p.serial >>> 0, 14);
  page.writeUInt32LE(p.sequence >>> 0, 18);
  page.writeUInt32LE(0, 22); // CRC, zero while computing
  page[26] = segments;
  let lace = 27;
  let off = 27 + segments;
  for (const pk of p.packets) {
    // Lacing: a run of 255s then the remainder (0 when the length is a multiple of 255).
    for (let n = Math.floor(pk.length / 255); n > 0; n--) page[lace++] = 255;
    page[lace++] = pk.length % 255;
    page.set(pk, off);
    off += pk.length;
  }
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

export interface OggOpusOptions {
  channels?: number;
  /** Informational: the sample rate of the audio before encoding (OpusHead). */
  inputSampleRate?: number;
  preSkip?: number;
  /** Stream serial number; random when not given. */
  serial?: number;
  vendor?: string;
  maxPacketsPerPage?: number;
}

export function opusHeadPacket(channels: number, preSkip: number, inputSampleRate: number): Buffer {
  const b = Buffer.alloc(19);
  b.write('OpusHead', 0, 'latin1');
  b[8] = 1; // version
  b[9] = channels;
  b.writeUInt16LE(preSkip, 10);
  b.writeUInt32LE(inputSampleRate, 12);
  b.writeInt16LE(0, 16); // output gain
  b[18] = 0; // channel mapping family 0: mono or stereo, no mapping table
  return b;
}

export function opusTagsPacket(vendor: string, comments: readonly string[] = []): Buffer {
  const parts: Buffer[] = [Buffer.from('OpusTags', 'latin1')];
  const v = Buffer.from(vendor, 'utf8');
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  parts.push(u32(v.length), v, u32(comments.length));
  for (const c of comments) {
    const cb = Buffer.from(c, 'utf8');
    parts.push(u32(cb.length), cb);
  }
  return Buffer.concat(parts);
}

/**
 * Incremental Ogg Opus stream writer. Feed packets; it hands back finished pages to write out.
 * A page is only emitted once the next packet arrives or at end(), so the last page can carry EOS.
 */
const NO_PAGES: readonly Buffer[] = Object.freeze([]);

export class OggOpusWriter {
  private readonly serial: number;
  private readonly maxPackets: number;
  private readonly opts: Required<Omit<OggOpusOptions, 'serial' | 'maxPacketsPerPage'>>;
  private sequence = 0;
  /** 48 kHz samples so far, as a number (exact to 2^53: millennia of audio); a BigInt per packet cost too much. */
  private samples = 0;
  /** Set by end(): the final granule, which may trim the last packet's padding. */
  private finalGranule: bigint | undefined;
  /** Granule of the last page handed out. */
  private emittedGranule = 0n;
  private pending: Uint8Array[] = [];
  private pendingSegments = 0;
  private packetCount = 0;
  private started = false;
  private ended = false;

  constructor(opts: OggOpusOptions = {}) {
    this.serial = opts.serial ?? (Math.random() * 0x100000000) >>> 0;
    this.maxPackets = Math.min(opts.maxPacketsPerPage ?? 50, MAX_SEGMENTS);
    this.opts = {
      channels: opts.channels ?? 1,
      inputSampleRate: opts.inputSampleRate ?? 16_000,
      preSkip: opts.preSkip ?? ASR_PRE_SKIP,
      vendor: opts.vendor ?? 'plaud-sync',
    };
  }

  /** Audio packets written so far. */
  get packets(): number {
    return this.packetCount;
  }

  /** 48 kHz samples (including pre-skip) of the packets written so far. */
  get granule(): bigint {
    return this.finalGranule ?? BigInt(this.samples);
  }

  get preSkip(): number {
    return this.opts.preSkip;
  }

  /** The two header pages; called implicitly by the first packet() if not called before. */
  headers(): Buffer[] {
    if (this.started) return [];
    this.started = true;
    const { channels, preSkip, inputSampleRate, vendor } = this.opts;
    return [
      this.page(PAGE_BOS, 0n, [opusHeadPacket(channels, preSkip, inputSampleRate)]),
      this.page(0, 0n, [opusTagsPacket(vendor)]),
    ];
  }

  /** Add one Opus packet decoding to `samples48k` samples. Returns pages that are now complete. */
  packet(p: Uint8Array, samples48k: number): readonly Buffer[] {
    if (this.ended) throw new Error('OggOpusWriter: packet after end');
    let out: Buffer[] | undefined = this.started ? undefined : this.headers();
    const segs = Math.floor(p.length / 255) + 1;
    if (segs > MAX_SEGMENTS) throw new RangeError(`Opus packet of ${p.length} bytes is too large for one Ogg page`);
    if (this.pending.length >= this.maxPackets || this.pendingSegments + segs > MAX_SEGMENTS) {
      const granule = BigInt(this.samples);
      (out ??= []).push(this.page(0, granule, this.pending));
      this.emittedGranule = granule;
      this.pending = [];
      this.pendingSegments = 0;
    }
    this.pending.push(p);
    this.pendingSegments += segs;
    this.packetCount++;
    this.samples += samples48k;
    return out ?? NO_PAGES;
  }

  /**
   * Flush the last page with EOS. `finalGranule` may be lower than the running total to trim the padding an encoder
   * added to its last frame (RFC 7845 section 4.5); never higher.
   */
  end(finalGranule?: bigint): Buffer[] {
    if (this.ended) return [];
    if (this.packetCount === 0)
      throw new AudioFormatError('NO_SOURCE', 'There is no audio to write: the recording has no Opus packets.');
    let g = BigInt(this.samples);
    if (finalGranule !== undefined) {
      // End trimming may only drop samples of the packets on this last page (RFC 7845 section 4.5).
      if (finalGranule > g || finalGranule < this.emittedGranule) {
        throw new RangeError(
          `final granule position ${finalGranule} is outside the last page (${this.emittedGranule}..${g})`,
        );
      }
      g = finalGranule;
    }
    this.ended = true;
    const out = this.headers();
    out.push(this.page(PAGE_EOS, g, this.pending));
    this.pending = [];
    this.finalGranule = g;
    return out;
  }

  private page(flags: number, granule: bigint, packets: Uint8Array[]): Buffer {
    return buildOggPage({ headerType: flags, granule, serial: this.serial, sequence: this.sequence++, packets });
  }
}

export interface PackageResult {
  packets: number;
  /** Playable length: (final granule - pre-skip) / 48 kHz, in ms. */
  durationMs: number;
  bytes: number;
}

/**
 * Package a raw recorder `.ASR` byte stream (80-byte packets, any chunking) into Ogg Opus, calling `write` with each
 * page in order. Reads nothing itself, so memory stays at one chunk plus one page. Every packet's TOC byte is checked;
 * stray bytes at the end are an error (a half packet cannot be decoded and would shift nothing but is not audio).
 */
export async function packageRawAsr(
  chunks: AsyncIterable<Uint8Array>,
  write: (page: Buffer) => void | Promise<void>,
  opts: OggOpusOptions & { signal?: AbortSignal } = {},
): Promise<PackageResult> {
  const writer = new OggOpusWriter({ channels: 1, inputSampleRate: 16_000, preSkip: ASR_PRE_SKIP, ...opts });
  let bytes = 0;
  const emit = async (pages: Buffer[]): Promise<void> => {
    for (const pg of pages) {
      bytes += pg.length;
      await write(pg);
    }
  };
  let carry = Buffer.alloc(0);
  for await (const chunk of chunks) {
    opts.signal?.throwIfAborted();
    // Our own copy of the chunk (the writer keeps packets until their page is complete, and the caller's read
    // buffer may be reused): one copy per chunk, then each packet is a view into it.
    const buf = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
    const whole = buf.length - (buf.length % ASR_PACKET_BYTES);
    const pages: Buffer[] = [];
    for (let off = 0; off < whole; off += ASR_PACKET_BYTES) {
      if (buf[off] !== ASR_TOC) throw badTocError(writer.packets, buf[off]);
      for (const pg of writer.packet(buf.subarray(off, off + ASR_PACKET_BYTES), SAMPLES_PER_20MS)) pages.push(pg);
    }
    carry = Buffer.from(buf.subarray(whole));
    await emit(pages);
  }
  if (carry.length) throw strayBytesError(writer.packets * ASR_PACKET_BYTES + carry.length);
  if (writer.packets === 0) throw emptyAsrError();
  await emit(writer.end());
  return { packets: writer.packets, durationMs: durationMsOf(writer.granule, writer.preSkip), bytes };
}

export function durationMsOf(granule: bigint, preSkip: number): number {
  const samples = granule - BigInt(preSkip);
  return samples <= 0n ? 0 : Math.round(Number(samples) / 48);
}
