import type { SnType } from '../types.js';

// Every device trait lives in this one table: adding a model is adding a row.
// NotePin and NotePro were not observed over USB; they are assumed to share the Note's USB ids and layout.
export interface DeviceTrait {
  sn_type: SnType;
  /** Human name for the UI. */
  displayName: string;
  /** Model names as MODEL.txt's first line writes them (upper case, before the firmware token). */
  modelNames: string[];
  /** Serial number prefixes that identify this model (confirmation, or fallback when the model line is unknown). */
  serialPrefixes: string[];
  /** USB ids and the product string the recorder reports in mass-storage mode. */
  usb: { vendorId: number; productId: number; productStrings: string[] }[];
  /** Volume labels seen for this model (a hint only: identification is by content). */
  volumeLabels: string[];
}

export const USB_MANUFACTURER = 'PLAUD';

export const DEVICE_TRAITS: readonly DeviceTrait[] = [
  {
    sn_type: 'notepro',
    displayName: 'Plaud NotePro',
    modelNames: ['PLAUD NOTEPRO', 'PLAUD NOTE PRO'],
    serialPrefixes: ['881'],
    usb: [{ vendorId: 0x0bda, productId: 0x4042, productStrings: ['NOTEPRO', 'NOTE PRO'] }],
    volumeLabels: ['PLAUD_NOTEPRO'],
  },
  {
    sn_type: 'notepin',
    displayName: 'Plaud NotePin',
    modelNames: ['PLAUD NOTEPIN', 'PLAUD NOTE PIN', 'PLAUD NOTEPIN S'],
    serialPrefixes: ['882', '883'],
    usb: [{ vendorId: 0x0bda, productId: 0x4042, productStrings: ['NOTEPIN', 'NOTE PIN'] }],
    volumeLabels: ['PLAUD_NOTEPIN'],
  },
  {
    sn_type: 'note',
    displayName: 'Plaud Note',
    modelNames: ['PLAUD NOTE'],
    // Anything not matching another model's prefix is a Note (Plaud's sample app does the same).
    serialPrefixes: [],
    usb: [{ vendorId: 0x0bda, productId: 0x4042, productStrings: ['NOTE'] }],
    volumeLabels: ['PLAUD_NOTE'],
  },
];

/** All USB vendor/product pairs of the table, de-duplicated (for the USB watcher filter and the udev rule). */
export function knownUsbIds(): { vendorId: number; productId: number }[] {
  const seen = new Map<string, { vendorId: number; productId: number }>();
  for (const t of DEVICE_TRAITS)
    for (const u of t.usb) seen.set(`${u.vendorId}:${u.productId}`, { vendorId: u.vendorId, productId: u.productId });
  return [...seen.values()];
}

export function traitFor(snType: SnType): DeviceTrait | undefined {
  return DEVICE_TRAITS.find((t) => t.sn_type === snType);
}

/** What a recorder is called when its type has no row (sn_type "other") and it names no model either. */
export const UNKNOWN_RECORDER_NAME = 'Plaud recorder';

/**
 * A recorder's name for people: the table's displayName ("Plaud NotePin", never "PLAUD NOTEPIN"); for a type the table
 * does not know, its own model line in title case. Every name in main/ comes from here; the renderer has its own copy
 * (renderer/src/recorder-name.ts, it may not import main/ at run time) and a test keeps the two giving the same names.
 */
export function deviceDisplayName(d: { sn_type: SnType | string; model?: string }): string {
  // A string too: engine events carry the type as text; a type outside the table is named by its model line.
  const known = DEVICE_TRAITS.find((t) => t.sn_type === d.sn_type)?.displayName;
  if (known) return known;
  const model = d.model?.trim();
  return model ? model.toLowerCase().replace(/\b\p{L}/gu, (c) => c.toUpperCase()) : UNKNOWN_RECORDER_NAME;
}
