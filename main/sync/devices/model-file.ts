// MODEL.txt is the recorder's own statement of what it is. Two ASCII lines, e.g.
//   PLAUD NOTE V0095@00:47:14 Feb 28 2024
//   Serial No.:888317426812345678
// The file comes from a removable volume: treat it as untrusted input (size cap, odd bytes, CRLF, missing lines).
import fs from 'node:fs/promises';
import path from 'node:path';

export const MODEL_FILE_NAME = 'MODEL.txt';
/** A real MODEL.txt is < 100 bytes; anything far bigger is not one. */
const MAX_MODEL_FILE_BYTES = 4096;

export interface ModelFile {
  /** Upper-cased model name with single spaces, e.g. "PLAUD NOTE". */
  model: string;
  /** Firmware token, e.g. "V0095" ('' when the first line had none). */
  firmware: string;
  /** Build date/time text after '@', e.g. "00:47:14 Feb 28 2024". */
  build?: string;
  /** Serial as written, when present and well-formed. */
  serial?: string;
  /** Problems noticed while parsing, in plain words. */
  warnings: string[];
}

/** A serial must be safe to use as a folder name and plausible: 6..32 letters/digits. */
export const SERIAL_PATTERN = /^[A-Za-z0-9]{6,32}$/;

const FIRMWARE_TOKEN = /^V[0-9][0-9A-Za-z._-]*$/;
const SERIAL_LINE = /^serial\s*(?:no|number|num)?\.?\s*[:=]\s*(.*)$/i;

/**
 * Parse MODEL.txt content. Returns null when the text does not look like a Plaud MODEL.txt at all
 * (no PLAUD model line and no serial line): such a volume is not a recorder.
 */
export function parseModelFile(text: string): ModelFile | null {
  const warnings: string[] = [];
  // Strip BOM and NULs, split on any line ending, keep printable ASCII only.
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/[^\x20-\x7E]/g, '').trim())
    .filter((l) => l.length > 0);

  let model = '';
  let firmware = '';
  let build: string | undefined;
  let serial: string | undefined;
  let sawSerialLine = false;

  for (const line of lines) {
    const s = SERIAL_LINE.exec(line);
    if (s) {
      sawSerialLine = true;
      const value = (s[1] ?? '').trim();
      if (SERIAL_PATTERN.test(value)) {
        // Two serials mean a damaged or tampered file; the first stays (the device writes it first), both are named.
        if (serial === undefined) serial = value;
        else if (value !== serial)
          warnings.push(
            `MODEL.txt states two serial numbers, ${serial} and ${value}; using ${serial}. Check the recorder's MODEL.txt.`,
          );
      } else
        warnings.push(
          `MODEL.txt has a serial line but its value "${value.slice(0, 40)}" is not a valid serial number.`,
        );
      continue;
    }
    if (!model && /^PLAUD\b/i.test(line)) {
      const [head, ...rest] = line.split('@');
      const tokens = (head ?? '').trim().split(/\s+/);
      const fwIndex = tokens.findIndex((t) => FIRMWARE_TOKEN.test(t));
      if (fwIndex > 0) {
        firmware = tokens[fwIndex] ?? '';
        model = tokens.slice(0, fwIndex).join(' ').toUpperCase();
      } else {
        model = tokens.join(' ').toUpperCase();
        warnings.push('MODEL.txt does not state a firmware version.');
      }
      const b = rest.join('@').trim();
      if (b) build = b;
    }
  }
  if (!model && !sawSerialLine) return null;
  if (!model) warnings.push('MODEL.txt does not name the model.');
  if (!sawSerialLine) warnings.push('MODEL.txt does not state a serial number.');
  return { model, firmware, ...(build ? { build } : {}), ...(serial ? { serial } : {}), warnings };
}

/**
 * Read and parse `<mount>/MODEL.txt`. Null when it is missing, not a regular file, too big, or not a Plaud
 * MODEL.txt. Never follows a symlink (lstat): a volume must not point us elsewhere.
 */
export async function readModelFile(mountPath: string): Promise<ModelFile | null> {
  const file = path.join(mountPath, MODEL_FILE_NAME);
  let st;
  try {
    st = await fs.lstat(file);
  } catch {
    // FAT is case-insensitive but other filesystems are not: look for any casing.
    const alt = await findCaseInsensitive(mountPath, MODEL_FILE_NAME);
    if (!alt) return null;
    return readModelFile2(path.join(mountPath, alt));
  }
  if (!st.isFile() || st.size > MAX_MODEL_FILE_BYTES) return null;
  return readModelFile2(file);
}

async function readModelFile2(file: string): Promise<ModelFile | null> {
  try {
    const st = await fs.lstat(file);
    if (!st.isFile() || st.size > MAX_MODEL_FILE_BYTES) return null;
    const buf = await fs.readFile(file);
    return parseModelFile(buf.toString('latin1'));
  } catch {
    return null;
  }
}

async function findCaseInsensitive(dir: string, name: string): Promise<string | undefined> {
  try {
    const entries = await fs.readdir(dir);
    return entries.find((e) => e.toLowerCase() === name.toLowerCase());
  } catch {
    return undefined;
  }
}
