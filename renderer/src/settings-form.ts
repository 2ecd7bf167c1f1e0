// The settings form model: SettingsView in, a validated SettingsPatch out. Kept apart from the
// component so the rules (what is required, which URLs are allowed) are plain functions.
import type { SettingsPatch, SettingsView } from '../../main/app/ipc/contract.js';
import { templateProblem } from './names.js';

export interface SettingsForm {
  apiBase: string;
  credKind: 'none' | 'token' | 'client';
  clientId: string;
  /** Typed secrets; empty means "keep the saved one". */
  apiToken: string;
  clientSecret: string;
  identity: 'sn' | 'owner_id';
  ownerId: string;
  libraryDir: string;
  /** The file-name template (main/sync/library/names.ts), as typed. */
  libraryNames: string;
  autoSync: boolean;
  uploadFormat: 'opus' | 'mp3';
  concurrency: string;
  removeAfterSync: boolean;
  startAtLogin: boolean;
  notifications: boolean;
}

export type FieldName = keyof SettingsForm;
export interface FormError {
  field?: FieldName;
  message: string;
}

export function formFromView(v: SettingsView): SettingsForm {
  return {
    apiBase: v.apiBase,
    credKind: v.credentials.kind,
    clientId: v.credentials.kind === 'client' ? v.credentials.clientId : '',
    apiToken: '',
    clientSecret: '',
    identity: v.identity,
    ownerId: v.ownerId ?? '',
    libraryDir: v.libraryDir,
    libraryNames: v.libraryNames,
    autoSync: v.autoSync,
    uploadFormat: v.uploadFormat,
    concurrency: String(v.concurrency),
    removeAfterSync: v.removeAfterSync,
    startAtLogin: v.startAtLogin,
    notifications: v.notifications,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function checkApiBase(s: string): string | null {
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return 'The API base must be a full address, such as https://api.plaud.ai.';
  }
  if (u.protocol === 'https:') return null;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return null;
  return 'The API base must start with https:// (plain http is allowed only for this computer).';
}

export function patchFromForm(f: SettingsForm, v: SettingsView): { patch: SettingsPatch } | { error: FormError } {
  const apiErr = checkApiBase(f.apiBase);
  if (apiErr) return { error: { field: 'apiBase', message: apiErr } };
  const patch: SettingsPatch = {
    apiBase: f.apiBase.trim(),
    identity: f.identity,
    libraryDir: f.libraryDir,
    autoSync: f.autoSync,
    uploadFormat: f.uploadFormat,
    removeAfterSync: f.removeAfterSync,
    startAtLogin: f.startAtLogin,
    notifications: f.notifications,
  };
  if (f.credKind === 'token') {
    if (!f.apiToken.trim() && !v.hasApiToken) return { error: { field: 'apiToken', message: 'Enter the API token.' } };
    patch.credentials = { kind: 'token' };
    if (f.apiToken.trim()) patch.apiToken = f.apiToken.trim();
  } else if (f.credKind === 'client') {
    if (!f.clientId.trim()) return { error: { field: 'clientId', message: 'Enter the client id.' } };
    if (!f.clientSecret.trim() && !v.hasClientSecret) {
      return { error: { field: 'clientSecret', message: 'Enter the client secret.' } };
    }
    patch.credentials = { kind: 'client', clientId: f.clientId.trim() };
    if (f.clientSecret.trim()) patch.clientSecret = f.clientSecret.trim();
  } else {
    patch.credentials = { kind: 'none' };
  }
  if ((patch.apiToken || patch.clientSecret) && !v.secretStorageAvailable) {
    return {
      error: {
        field: patch.apiToken ? 'apiToken' : 'clientSecret',
        message: 'This computer offers no safe place for secrets, so Plaud Sync cannot save them.',
      },
    };
  }
  if (f.identity === 'owner_id' && !f.ownerId.trim()) {
    return { error: { field: 'ownerId', message: 'Enter the owner id, or send the recorder serial instead.' } };
  }
  if (f.ownerId.trim() || v.ownerId !== undefined) patch.ownerId = f.ownerId.trim();
  const c = Number(f.concurrency);
  if (!Number.isInteger(c) || c < 1 || c > 16) {
    return { error: { field: 'concurrency', message: 'Parallel uploads must be a whole number from 1 to 16.' } };
  }
  patch.concurrency = c;
  if (!f.libraryDir) return { error: { field: 'libraryDir', message: 'Choose a library folder.' } };
  // The same rule main's settings schema applies, so the user reads it next to the field, not as a save failure.
  const namesProblem = templateProblem(f.libraryNames);
  if (namesProblem) return { error: { field: 'libraryNames', message: namesProblem } };
  patch.libraryNames = f.libraryNames.trim();
  return { patch };
}

export function isDirty(f: SettingsForm, v: SettingsView): boolean {
  return JSON.stringify(f) !== JSON.stringify(formFromView(v));
}
