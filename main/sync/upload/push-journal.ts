// `plaud-sync push` keeps no ledger, yet a rerun after a complete-upload that got no answer must finish the SAME
// upload, or the cloud gets a second copy. This journal is push's own memory: one small JSON file per (file content,
// account, owner) under <state>/push/, holding the upload state to resume, or the cloud file id once it is done.
// Each write is atomic (temp file, fsync, rename, directory fsync), so a crash leaves the old or the new entry.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { UploadState } from './uploader.js';

/** What makes two pushes "the same upload": the bytes, where they go, and whose they are. */
export interface PushKey {
  /** Absolute path of the file. */
  file: string;
  size: number;
  md5: string;
  apiBase: string;
  /** Who uploads: `client:<id>` or `token:<hash prefix>` (never the secret itself). */
  account: string;
  /** Who the recording belongs to: `sn:<serial>` or `owner:<id>`. */
  owner: string;
}

const partSchema = z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1) });
const stateSchema = z.object({
  fileId: z.string().min(1),
  uploadId: z.string().min(1),
  partSize: z.number().int().positive(),
  fileSize: z.number().int().positive(),
  md5: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  parts: z.array(partSchema),
  urls: z.array(z.object({ partNumber: z.number().int().min(1), url: z.string().min(1) })).optional(),
  urlsExpireAt: z.number().optional(),
  completing: z.boolean(),
  possibleDuplicate: z.boolean(),
});
const resultSchema = z.object({
  fileId: z.string().min(1),
  uploadId: z.string().min(1),
  possibleDuplicate: z.boolean(),
  at: z.number(),
});
const entrySchema = z.object({
  version: z.literal(1),
  key: z.object({
    file: z.string(),
    size: z.number(),
    md5: z.string(),
    apiBase: z.string(),
    account: z.string(),
    owner: z.string(),
  }),
  state: stateSchema.optional(),
  result: resultSchema.optional(),
  updatedAt: z.number(),
});
export type PushEntry = z.infer<typeof entrySchema>;
export type PushResult = z.infer<typeof resultSchema>;

/** The account part of a key: a token is hashed (a prefix of its SHA-256), never stored. */
export function accountKey(creds: { kind: 'token'; token: string } | { kind: 'client'; clientId: string }): string {
  if (creds.kind === 'client') return `client:${creds.clientId}`;
  return `token:${createHash('sha256').update(creds.token.trim()).digest('hex').slice(0, 16)}`;
}

export class PushJournal {
  constructor(readonly dir: string) {}

  private idFor(key: PushKey): string {
    return createHash('sha256')
      .update(JSON.stringify([key.file, key.size, key.md5, key.apiBase, key.account, key.owner]))
      .digest('hex')
      .slice(0, 32);
  }

  private fileFor(key: PushKey): string {
    return path.join(this.dir, `${this.idFor(key)}.json`);
  }

  /** The name of the lock file a push of this key holds, so two pushes of one file at once do not upload it twice. */
  lockNameFor(key: PushKey): string {
    return `${this.idFor(key)}.lock`;
  }

  /**
   * The entry for this key, or undefined (none, or unreadable: then the push starts afresh and says so via `problem`).
   */
  async read(key: PushKey): Promise<{ entry?: PushEntry; problem?: string }> {
    const file = this.fileFor(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      return { problem: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { problem: `${file} is damaged (not JSON)` };
    }
    const r = entrySchema.safeParse(parsed);
    if (!r.success) return { problem: `${file} is damaged (${r.error.issues[0]?.message ?? 'wrong shape'})` };
    return { entry: r.data };
  }

  /** The upload is under way (or its outcome unknown): keep the state a rerun resumes from. */
  saveState(key: PushKey, state: UploadState): Promise<void> {
    return this.write(key, { version: 1, key, state, updatedAt: Date.now() });
  }

  /** The cloud confirmed the upload: a rerun of the same file says so instead of uploading again. */
  saveResult(key: PushKey, result: PushResult): Promise<void> {
    return this.write(key, { version: 1, key, result, updatedAt: Date.now() });
  }

  private async write(key: PushKey, entry: PushEntry): Promise<void> {
    // Upload links in the state are short-lived credentials for one object: readable by this user only.
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileFor(key);
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(entry) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
    await syncDir(this.dir);
  }
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // a directory cannot be opened for fsync there; NTFS journals renames
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
