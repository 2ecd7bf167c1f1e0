// Identify a mounted volume as a Plaud recorder from its content (MODEL.txt), never from its label.
// Serial sources: MODEL.txt, the `pad ` chunk of a recording's WAV, and the USB serial when a USB attach was seen.
// Disagreements are reported in DeviceInfo.warnings; the MODEL.txt serial wins (it is what the device states).
import fs from 'node:fs/promises';
import path from 'node:path';
import { inspectWav } from '../audio/wav.js';
import type { DeviceInfo, SnType } from '../types.js';
import { nullLogger, type Logger } from '../log.js';
import { DEVICE_TRAITS } from './traits.js';
import { readModelFile, SERIAL_PATTERN } from './model-file.js';
import { RECORDING_FOLDERS } from './scan.js';

export interface Classification {
  sn_type: SnType;
  /** Which source decided: the model line, the serial prefix, or the USB product string. */
  decidedBy: 'model' | 'serial-prefix' | 'usb-product' | 'none';
  warnings: string[];
}

function normaliseModel(s: string): string {
  return s
    .toUpperCase()
    .replace(/[\s_]+/g, ' ')
    .trim();
}

/** sn_type from the model line first; the serial prefix confirms it or decides when the line is unknown. */
export function classifyDevice(input: { model?: string; serial?: string; usbProduct?: string }): Classification {
  const warnings: string[] = [];
  const model = normaliseModel(input.model ?? '');
  const byModel = model ? DEVICE_TRAITS.find((t) => t.modelNames.some((m) => normaliseModel(m) === model)) : undefined;
  const serial = input.serial ?? '';
  const byPrefix = serial ? DEVICE_TRAITS.find((t) => t.serialPrefixes.some((p) => serial.startsWith(p))) : undefined;
  const usbProduct = normaliseModel(input.usbProduct ?? '');
  const byUsb = usbProduct
    ? DEVICE_TRAITS.find((t) => t.usb.some((u) => u.productStrings.some((p) => normaliseModel(p) === usbProduct)))
    : undefined;

  if (byModel) {
    // Prefixes are only listed for models that have them; a Note's serial has none of the others' prefixes.
    const prefixSays =
      byPrefix?.sn_type ?? (serial && byModel.serialPrefixes.length === 0 ? byModel.sn_type : undefined);
    if (serial && prefixSays !== byModel.sn_type) {
      warnings.push(
        `MODEL.txt says "${input.model}" (${byModel.sn_type}) but serial ${serial} looks like a ${prefixSays ?? 'different model'}; using ${byModel.sn_type}.`,
      );
    }
    return { sn_type: byModel.sn_type, decidedBy: 'model', warnings };
  }
  if (model) warnings.push(`Unknown recorder model "${input.model}".`);
  if (byPrefix) return { sn_type: byPrefix.sn_type, decidedBy: 'serial-prefix', warnings };
  if (byUsb) return { sn_type: byUsb.sn_type, decidedBy: 'usb-product', warnings };
  // Plaud's own sample app treats any other serial as a Note; we only do so when the model line agrees it is a Note
  // variant, otherwise the honest answer is "other".
  if (/^PLAUD NOTE\b/.test(model)) return { sn_type: 'note', decidedBy: 'model', warnings };
  return { sn_type: 'other', decidedBy: 'none', warnings };
}

export interface IdentifyOptions {
  /** From a USB attach of a recorder, when one was seen. */
  usbSerial?: string;
  usbProduct?: string;
  /** Look at one WAV's `pad ` chunk for a third serial opinion (default true). */
  checkWavSerial?: boolean;
  logger?: Logger;
}

/**
 * Identify the volume at mountPath. Returns null, quietly, for anything that is not a Plaud recorder
 * (no MODEL.txt, or one that is not Plaud's).
 */
export async function identifyVolume(mountPath: string, opts: IdentifyOptions = {}): Promise<DeviceInfo | null> {
  const log = opts.logger ?? nullLogger;
  const mf = await readModelFile(mountPath);
  if (!mf) return null;
  const warnings = [...mf.warnings];

  const usbSerial = opts.usbSerial && SERIAL_PATTERN.test(opts.usbSerial) ? opts.usbSerial : undefined;
  const padSerial = opts.checkWavSerial === false ? undefined : await firstWavSerial(mountPath);

  // MODEL.txt serial first, then USB, then the WAV pad chunk.
  const sn = mf.serial ?? usbSerial ?? (padSerial && SERIAL_PATTERN.test(padSerial) ? padSerial : undefined) ?? '';
  if (!mf.serial && sn)
    warnings.push(
      `Using serial ${sn} from ${sn === usbSerial ? 'the USB connection' : 'a recording'} because MODEL.txt has none.`,
    );
  if (!sn)
    warnings.push(
      'No serial number found on this recorder (MODEL.txt, USB and recordings are silent); its recordings cannot be filed or uploaded.',
    );
  if (usbSerial && sn && usbSerial !== sn)
    warnings.push(`Serial numbers disagree: MODEL.txt says ${sn}, USB says ${usbSerial}.`);
  if (padSerial && sn && padSerial !== sn)
    warnings.push(`Serial numbers disagree: MODEL.txt says ${sn}, a recording's WAV header says ${padSerial}.`);

  const cls = classifyDevice({
    model: mf.model,
    serial: sn,
    ...(opts.usbProduct ? { usbProduct: opts.usbProduct } : {}),
  });
  warnings.push(...cls.warnings);

  let freeBytes = 0;
  let totalBytes = 0;
  try {
    const st = await fs.statfs(mountPath);
    freeBytes = st.bavail * st.bsize;
    totalBytes = st.blocks * st.bsize;
  } catch (err) {
    log.debug('statfs failed', { mountPath, err });
  }

  const info: DeviceInfo = {
    id: `${cls.sn_type}:${sn}`,
    sn,
    sn_type: cls.sn_type,
    model: mf.model || 'unknown',
    firmware: mf.firmware,
    mountPath,
    freeBytes,
    totalBytes,
    warnings,
  };
  if (mf.build) info.build = mf.build;
  if (usbSerial) info.usbSerial = usbSerial;
  for (const w of warnings) log.warn(w, { mountPath });
  return info;
}

/** The `pad ` serial of the newest-named WAV we can find cheaply (one date folder, one file), if any. */
async function firstWavSerial(mountPath: string): Promise<string | undefined> {
  for (const folder of RECORDING_FOLDERS) {
    try {
      const dirs = (await fs.readdir(path.join(mountPath, folder), { withFileTypes: true }))
        .filter((d) => d.isDirectory() && /^\d{8}$/.test(d.name))
        .map((d) => d.name)
        .sort()
        .reverse();
      for (const d of dirs) {
        const files = (await fs.readdir(path.join(mountPath, folder, d), { withFileTypes: true })).filter(
          (f) => f.isFile() && /^\d+\.wav$/i.test(f.name),
        );
        for (const f of files.slice(0, 3)) {
          try {
            const w = await inspectWav(path.join(mountPath, folder, d, f.name));
            if (w.padSerial) return w.padSerial;
          } catch {
            // A broken WAV is the scan's business; try the next one.
          }
        }
      }
    } catch {
      // Folder absent: fine.
    }
  }
  return undefined;
}
