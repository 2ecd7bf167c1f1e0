// Sniffs the audio container from the first bytes, so the emulator can refuse a file whose declared filetype lies.
import type { UploadFiletype } from './faults.js';

/** What the first bytes look like: 'opus' (Ogg with an OpusHead first packet), 'mp3', or null. */
export function sniffAudio(head: Buffer): UploadFiletype | null {
  if (isOggOpus(head)) return 'opus';
  if (isMp3(head)) return 'mp3';
  return null;
}

function isOggOpus(b: Buffer): boolean {
  // Ogg page: "OggS", version 0, header type, ..., byte 26 = segment count, then the segment table, then the packet.
  if (b.length < 28 || b.toString('latin1', 0, 4) !== 'OggS' || b[4] !== 0) return false;
  const segments = b[26]!;
  const packetStart = 27 + segments;
  return b.length >= packetStart + 8 && b.toString('latin1', packetStart, packetStart + 8) === 'OpusHead';
}

function isMp3(b: Buffer): boolean {
  if (b.length >= 3 && b.toString('latin1', 0, 3) === 'ID3') return true;
  // MPEG audio frame sync: 11 set bits; version bits 01 are reserved, layer bits 00 are reserved.
  if (b.length < 2 || b[0] !== 0xff || (b[1]! & 0xe0) !== 0xe0) return false;
  const version = (b[1]! >> 3) & 0x03;
  const layer = (b[1]! >> 1) & 0x03;
  return version !== 0x01 && layer !== 0x00;
}

/** A describable name of what was found, for error messages. */
export function describeHead(head: Buffer): string {
  const kind = sniffAudio(head);
  if (kind === 'opus') return 'Ogg Opus';
  if (kind === 'mp3') return 'MP3';
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'RIFF') return 'a RIFF/WAV file';
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'OggS') return 'Ogg without an OpusHead packet';
  if (head.length === 0) return 'an empty file';
  return `unknown content starting with bytes ${head.subarray(0, 8).toString('hex')}`;
}
