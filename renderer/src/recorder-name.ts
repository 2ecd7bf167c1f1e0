// The one place a recorder's name for people is made: "Plaud NotePin", never "PLAUD NOTEPIN".
import type { SnType } from '../../main/app/ipc/contract.js';

const NAMES: Record<SnType, string> = {
  note: 'Plaud Note',
  notepin: 'Plaud NotePin',
  notepro: 'Plaud NotePro',
  other: 'Plaud recorder',
};

/** "PLAUD NOTE X" -> "Plaud Note X": for models the table does not know. */
function titleCase(model: string): string {
  return model
    .trim()
    .toLowerCase()
    .replace(/\b\p{L}/gu, (c) => c.toUpperCase());
}

/** The display name of a recorder model; the cloud's type wins, the model line only names an "other". */
export function recorderName(r: { sn_type: SnType; model?: string }): string {
  if (r.sn_type !== 'other') return NAMES[r.sn_type];
  return r.model?.trim() ? titleCase(r.model) : NAMES.other;
}

/** The cloud's device type in words ("notepin" -> "NotePin"). */
export function snTypeWords(t: SnType): string {
  return t === 'other' ? 'Other model' : NAMES[t].replace(/^Plaud /, '');
}

/** The last four digits of the serial: tells two recorders of one model apart. */
export function serialTail(sn: string): string {
  return sn.slice(-4);
}
