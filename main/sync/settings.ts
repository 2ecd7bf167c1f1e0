// User settings: one schema for the app (electron-store) and the headless CLI (conf).
// Secrets are never part of Settings: `credentials` only says which kind is configured;
// the token / client secret live in a SecretStore (safeStorage in the app, env/flags headless).
import { z } from 'zod';
import { UPLOAD_FORMATS } from './types.js';
import { DEFAULT_NAME_TEMPLATE, templateProblem } from './library/names.js';

export const DEFAULT_API_BASE = 'https://api.plaud.ai';

export const SettingsSchema = z.object({
  libraryDir: z.string().min(1),
  apiBase: z.string().url(),
  credentials: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('none') }),
    z.object({ kind: z.literal('token') }),
    z.object({ kind: z.literal('client'), clientId: z.string().min(1) }),
  ]),
  /** Which identity complete-upload carries: the recorder's serial (default) or an owner id. */
  identity: z.enum(['sn', 'owner_id']),
  ownerId: z.string().optional(),
  autoSync: z.boolean(),
  concurrency: z.number().int().min(1).max(16),
  uploadFormat: z.enum(UPLOAD_FORMATS),
  removeAfterSync: z.boolean(),
  startAtLogin: z.boolean(),
  notifications: z.boolean(),
  mountRoots: z.array(z.string()).optional(),
  /** How playable files are named in the library (library/names.ts); applies to recordings copied from now on. */
  libraryNames: z.string().superRefine((t, ctx) => {
    const problem = templateProblem(t);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  }),
});
export type Settings = z.infer<typeof SettingsSchema>;

export function defaultSettings(libraryDir: string): Settings {
  return {
    libraryDir,
    apiBase: DEFAULT_API_BASE,
    credentials: { kind: 'none' },
    identity: 'sn',
    autoSync: true,
    concurrency: 4,
    uploadFormat: 'opus',
    removeAfterSync: false,
    startAtLogin: true,
    notifications: true,
    libraryNames: DEFAULT_NAME_TEMPLATE,
  };
}

/** Secrets by name; implementations must never log values. */
export type SecretName = 'apiToken' | 'clientSecret';
export interface SecretStore {
  /** False where secrets cannot be stored safely (then set() throws with a plain reason). */
  canStore(): boolean;
  get(name: SecretName): Promise<string | undefined>;
  set(name: SecretName, value: string): Promise<void>;
  delete(name: SecretName): Promise<void>;
}
