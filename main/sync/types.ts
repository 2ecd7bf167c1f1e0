// Domain types shared by every part of the engine (devices, library, audio, upload, ledger, engine).

/** The cloud's device type enum (contract: complete-upload `sn_type`). */
export const SN_TYPES = ['note', 'notepin', 'notepro', 'other'] as const;
export type SnType = (typeof SN_TYPES)[number];

/** What we upload: the contract allows opus or mp3. */
export const UPLOAD_FORMATS = ['opus', 'mp3'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

/**
 * One finished part of a multipart upload: the uploader reports it, the ledger keeps it (neither imports the other).
 */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** Folder on the recorder a recording came from. */
export type RecordingKind = 'note' | 'call';

/** A recorder whose volume is mounted and whose MODEL.txt identified it. */
export interface DeviceInfo {
  /** Stable id for the UI and ledger: `${sn_type}:${sn}`. */
  id: string;
  sn: string;
  sn_type: SnType;
  /** Model name as the device says it, e.g. "PLAUD NOTE". */
  model: string;
  firmware: string;
  /** Firmware build date/time text from MODEL.txt, if present. */
  build?: string;
  mountPath: string;
  freeBytes: number;
  totalBytes: number;
  /** USB serial when a USB attach was seen for this device. */
  usbSerial?: string;
  /** Disagreements between serial sources, in plain words (empty when all agree). */
  warnings: string[];
}

/** One recording found on a recorder (a WAV and/or ASR sharing a base name). */
export interface Recording {
  /** `${sn}/${kind folder}/${date folder}/${base}` — unique per device. */
  key: string;
  sn: string;
  kind: RecordingKind;
  /** Path relative to the volume root, POSIX separators, without extension: `NOTES/20240301/1709280000`. */
  relBase: string;
  /** Epoch milliseconds, from the file name. */
  startMs: number;
  /** Milliseconds of audio actually present. */
  durationMs: number;
  endMs: number;
  wav?: { relPath: string; size: number; mtimeMs: number };
  asr?: { relPath: string; size: number; mtimeMs: number; format: 'raw-opus' | 'ogg-opus' };
}

/** An entry the scan did not accept, with a reason a user can read. */
export interface SkippedEntry {
  relPath: string;
  reason: string;
}
