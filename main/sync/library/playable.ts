// Choosing the readable name of a take's playable file (library/names.ts makes the name from the template). Once
// chosen, a take keeps its name: it is noted in the manifest before the file is made, and every later upload file
// of the take (a longer version, another format) goes under it. Two takes never get the same name: one already on the
// disk, or handed to another pull of this process a moment ago, moves the newcomer to " (2)", " (3)" ...
import fs from 'node:fs/promises';
import path from 'node:path';
import { classifyDevice } from '../devices/identify.js';
import type { SnType, UploadFormat } from '../types.js';
import { md5File } from './copy.js';
import { LibraryError } from './errors.js';
import { ensurePlace, folderPlace } from './layout.js';
import type { Manifest } from './manifest.js';
import { DEFAULT_NAME_TEMPLATE, renderName } from './names.js';

export interface PlayableName {
  /** Library-relative POSIX path without extension. */
  stem: string;
  /** Library-relative POSIX path of the file of the format asked for. */
  relPath: string;
  absPath: string;
}

const PLAYABLE_EXTS: UploadFormat[] = ['opus', 'mp3'];
/** Names handed out by this process, by library and lower-cased name (macOS and Windows ignore case): take's key. */
const handedOut = new Map<string, string>();
const MAX_COPIES = 999;

/** The device type for a name when the recorder is not at hand (a migration): its serial prefix, else a Note. */
export function snTypeForName(sn: string, known?: SnType): SnType {
  if (known) return known;
  const t = classifyDevice({ serial: sn }).sn_type;
  return t === 'other' ? 'note' : t;
}

/** True when something (of any kind, links included) is at p. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The take moves away from its earlier name: a `.part` a killed pull left beside that name is removed, but only when
 * it is a plain file holding exactly the bytes the manifest noted for it (another take of this process could be
 * writing a `.part` of its own there, and a link or a file of the user's is never touched). Without this the
 * complete copy would stay in the visible library for good: nothing else looks for it there.
 */
async function dropOwnPart(file: string, up: { size: number; md5: string } | undefined): Promise<void> {
  if (!up) return;
  const part = `${file}.part`;
  const st = await fs.lstat(part).catch(() => undefined);
  if (!st?.isFile() || st.size !== up.size) return;
  const got = await md5File(part).catch(() => undefined);
  if (got?.md5 === up.md5) await fs.rm(part, { force: true });
}

export async function choosePlayableName(
  libraryDir: string,
  manifest: Pick<Manifest, 'key' | 'name' | 'upload' | 'take'>,
  want: {
    template?: string | undefined;
    sn: string;
    snType?: SnType | undefined;
    kind: 'note' | 'call';
    startMs: number;
    take: number;
    format: UploadFormat;
  },
): Promise<PlayableName> {
  const root = path.resolve(libraryDir);
  const owner = `${manifest.key}~${want.take}`;
  const fileOf = (stem: string) => path.resolve(root, ...`${stem}.${want.format}`.split('/'));
  const place = async (stem: string): Promise<PlayableName> => {
    const relPath = `${stem}.${want.format}`;
    const slash = stem.lastIndexOf('/');
    const folder = folderPlace(root, slash < 0 ? '' : stem.slice(0, slash));
    if (folder.dir !== root) await ensurePlace(root, folder);
    const absPath = fileOf(stem);
    if (path.dirname(absPath) !== folder.dir)
      throw new LibraryError('OUTSIDE_LIBRARY', `Refusing the file name ${relPath}: it is not inside the library.`);
    return { stem, relPath, absPath };
  };
  // Claimed before anything is awaited, so two pulls of this process never both take a name (the library lock keeps
  // other processes out). Returns false when another take of this process holds it.
  const claim = (stem: string): boolean => {
    const key = `${root}\0${stem.toLowerCase()}`;
    const holder = handedOut.get(key);
    if (holder !== undefined && holder !== owner) return false;
    handedOut.set(key, owner);
    return true;
  };
  const release = (stem: string) => {
    const key = `${root}\0${stem.toLowerCase()}`;
    if (handedOut.get(key) === owner) handedOut.delete(key);
  };

  // The name this take had keeps serving it, but only where the file there is absent or still its own (the size and
  // MD5 its manifest recorded): a file the user edited in place, or one another recording was given after the user
  // renamed ours away, is never overwritten. Then the take gets a fresh name instead.
  const earlier =
    PLAYABLE_EXTS.map((f) => manifest.upload?.[f]?.path)
      .find((p) => p !== undefined)
      ?.replace(/\.(opus|mp3)$/, '') ?? manifest.name;
  if (earlier && claim(earlier)) {
    const file = fileOf(earlier);
    const st = await fs.lstat(file).catch(() => undefined);
    const up = manifest.upload?.[want.format];
    // A file of another format under that name must be this take's too (its manifest entry names it), or the
    // name now belongs to someone else and this format must not join it there.
    let othersOwn = true;
    for (const ext of PLAYABLE_EXTS.filter((f) => f !== want.format)) {
      const there = await fs.lstat(path.resolve(root, ...`${earlier}.${ext}`.split('/'))).catch(() => undefined);
      const entry = manifest.upload?.[ext];
      if (there && (!entry || entry.path !== `${earlier}.${ext}` || there.size !== entry.size)) othersOwn = false;
    }
    // While a new version is noted and not yet confirmed (`replaces`), the earlier file is the take's own as well.
    const versions = up ? [up, ...(up.replaces ? [up.replaces] : [])] : [];
    const own =
      othersOwn &&
      (!st ||
        (st.isFile() &&
          up !== undefined &&
          up.path === `${earlier}.${want.format}` &&
          versions.some((v) => v.size === st.size) &&
          (await md5File(file).then(
            (r) => versions.some((v) => v.size === st.size && v.md5 === r.md5),
            () => false,
          ))));
    if (own) return place(earlier);
    await dropOwnPart(file, up);
  }

  const fields = {
    sn: want.sn,
    snType: snTypeForName(want.sn, want.snType),
    kind: want.kind,
    startMs: want.startMs,
  };
  for (let copy = want.take; copy < want.take + MAX_COPIES; copy++) {
    const stem = renderName(want.template ?? DEFAULT_NAME_TEMPLATE, fields, copy);
    if (stem === earlier || !claim(stem)) continue;
    let taken = false;
    for (const ext of PLAYABLE_EXTS) {
      if (await exists(path.resolve(root, ...`${stem}.${ext}`.split('/')))) taken = true;
    }
    if (!taken) return place(stem);
    release(stem);
  }
  throw new LibraryError(
    'CONFLICT',
    `Every name the file-name pattern gives this recording is taken in the library (${MAX_COPIES} tried).`,
  );
}
