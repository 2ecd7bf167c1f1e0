// A small JSON file per recording, `.<base>.manifest.json` next to its files, is the library's own proof that a
// copy is verified: the sizes and MD5s of each file as read from the recorder and as read back from the library.
// It is rewritten atomically (temp, fsync, rename) after each verified file, and `complete` is set only when every
// file of the recording is in place, so a pull interrupted between two files resumes with the missing one.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { fsyncDir, tempNameFor } from './copy.js';

export const MANIFEST_VERSION = 1;

const md5 = z.string().regex(/^[0-9a-f]{32}$/);
const safeName = z.string().regex(/^[0-9]{1,12}(-[0-9]{1,4})?\.[A-Za-z0-9]{1,5}$/);
/**
 * A library-relative POSIX path (a readable name). The manifest sits in the library, where anyone can edit it, so the
 * path must not climb out, be absolute or reach into the hidden originals; layout.ts checks it again on the disk.
 */
const libraryPath = z
  .string()
  .min(1)
  .max(600)
  .refine(
    (p) =>
      !p.startsWith('/') &&
      !p.includes('\\') &&
      !/^[A-Za-z]:/.test(p) &&
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..') &&
      !p.startsWith('.originals/'),
    { message: 'not a path inside the library' },
  );

const CopiedFile = z.object({
  name: safeName,
  size: z.number().int().nonnegative(),
  md5,
  /** Size and mtime of the source on the recorder when it was copied. */
  sourceSize: z.number().int().nonnegative(),
  sourceMtimeMs: z.number(),
  /** MD5 of the first bytes (recording/fingerprint.ts): tells this take from another one under the same name. */
  headLen: z.number().int().nonnegative().optional(),
  headMd5: md5.optional(),
  quickMd5: md5.optional(),
});
export type CopiedFile = z.infer<typeof CopiedFile>;

const UploadFile = z.object({
  /** The recorder-style name (`<base>.<ext>`): the name the cloud gets. */
  name: safeName,
  /**
   * Where the playable file is, relative to the library: its readable name. Absent in a library made before readable
   * names, where the file is `name` beside the manifest (library/migrate-layout.ts moves it).
   */
  path: libraryPath.optional(),
  size: z.number().int().nonnegative(),
  md5,
  filetype: z.enum(['opus', 'mp3']),
  durationMs: z.number().nonnegative(),
  source: z.string(),
  /**
   * Present only between noting a new version of the file and its rename over the old one (pull.ts): the old file's
   * size and MD5, so whichever of the two a crash leaves under the name is known as the take's own.
   */
  replaces: z.object({ size: z.number().int().nonnegative(), md5 }).optional(),
});
export type UploadFileEntry = z.infer<typeof UploadFile>;

export const Manifest = z.object({
  version: z.literal(MANIFEST_VERSION),
  key: z.string(),
  sn: z.string(),
  kind: z.enum(['note', 'call']),
  relBase: z.string(),
  take: z.number().int().min(1).optional(),
  /**
   * The readable name chosen for this take (library-relative, no extension), kept from the moment it is chosen so a
   * file found under it later is known to be this take's own.
   */
  name: libraryPath.optional(),
  startMs: z.number(),
  durationMs: z.number(),
  endMs: z.number(),
  wav: CopiedFile.optional(),
  asr: CopiedFile.optional(),
  /** Upload-ready files by format (a later pull with another format adds one, nothing is recopied). */
  upload: z.object({ opus: UploadFile.optional(), mp3: UploadFile.optional() }).optional(),
  complete: z.boolean(),
  /**
   * The library is the second source of truth about the cloud: once the cloud confirmed the upload of this take, its
   * file id is here (written atomically), so a fresh state folder, a reinstall or a ledger record lost to damage does
   * not upload it again. `uploading` holds the open upload's ids while it runs.
   */
  cloud: z
    .object({ fileId: z.string().min(1), syncedAt: z.number(), filetype: z.enum(['opus', 'mp3']).optional() })
    .optional(),
  uploading: z.object({ fileId: z.string().min(1), uploadId: z.string().min(1), startedAt: z.number() }).optional(),
  updatedAt: z.string(),
});
export type Manifest = z.infer<typeof Manifest>;

export function manifestPath(dir: string, base: string): string {
  return path.join(dir, `.${base}.manifest.json`);
}

/** The manifest, or undefined when absent or unreadable (an unreadable one is treated as "not pulled"). */
export async function readManifest(dir: string, base: string): Promise<Manifest | undefined> {
  try {
    const text = await fs.readFile(manifestPath(dir, base), 'utf8');
    const parsed = Manifest.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A manifest that is there but cannot be read (damaged, edited by hand) is moved aside, never overwritten silently:
 * what it said about the cloud is lost, so the caller warns that the recording may be uploaded again. Returns the name
 * it was kept under, or undefined when there was nothing unreadable.
 */
export async function setAsideUnreadableManifest(dir: string, base: string): Promise<string | undefined> {
  const file = manifestPath(dir, base);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined; // absent
  }
  try {
    if (Manifest.safeParse(JSON.parse(text)).success) return undefined;
  } catch {
    /* not JSON */
  }
  const kept = `${file}.unreadable-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await fs.rename(file, kept);
  return kept;
}

/**
 * Change a recording's manifest in place (read, change, write atomically). Does nothing when there is no readable
 * manifest: the ledger stays the first source of truth, the manifest only mirrors what it can.
 */
export async function updateManifest(
  dir: string,
  base: string,
  change: (m: Manifest) => Manifest,
  opts: { durable?: boolean } = {},
): Promise<boolean> {
  const m = await readManifest(dir, base);
  if (!m) return false;
  // A write of this manifest cut short by a crash left its temp file; this write replaces what it meant to say.
  const stale = `.${path.basename(manifestPath(dir, base))}.`;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(stale) && name.endsWith('.part'))
      await fs.rm(path.join(dir, name), { force: true }).catch(() => {});
  }
  await writeManifest(dir, base, { ...change(m), updatedAt: new Date().toISOString() }, opts);
  return true;
}

/** The take's verified originals as the ledger lists them (relPath on the recorder, path in the library, size, MD5). */
export function originalFilesOf(
  dir: string,
  m: Manifest,
): { relPath: string; libraryPath: string; size: number; md5: string }[] {
  return (['wav', 'asr'] as const)
    .filter((role) => m[role])
    .map((role) => ({
      relPath: `${m.relBase}.${role.toUpperCase()}`,
      libraryPath: path.join(dir, m[role]!.name),
      size: m[role]!.size,
      md5: m[role]!.md5,
    }));
}

/** Absolute path of an upload-ready file: its readable path, or (an unmigrated library) beside the manifest. */
export function uploadFilePath(libraryDir: string, dir: string, up: UploadFileEntry): string {
  return up.path ? path.resolve(libraryDir, ...up.path.split('/')) : path.join(dir, up.name);
}

/**
 * Replace the manifest atomically (temp file, rename). Durable by default (fsync of the file and of its folder); a
 * note that may be lost in a crash without harm (the open upload's ids) skips the fsyncs, which cost the pull's reads.
 */
export async function writeManifest(
  dir: string,
  base: string,
  m: Manifest,
  opts: { durable?: boolean } = {},
): Promise<void> {
  const durable = opts.durable ?? true;
  const dest = manifestPath(dir, base);
  const tmp = tempNameFor(dest);
  try {
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(JSON.stringify(m, null, 2) + '\n');
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
    if (durable) await fsyncDir(dir);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}
