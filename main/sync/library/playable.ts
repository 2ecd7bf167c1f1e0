// Choosing the readable name of a take's playable file (library/names.ts makes the name from the template). Once
// chosen, a take keeps its name: it is noted in the manifest before the file is made, and every later upload file
// of the take (a longer version, another format) goes under it. Two takes never get the same name: one already on the
// disk, or handed to another pull of this process a moment ago, moves the newcomer to " (2)", " (3)" ...
import fs from 'node:fs/promises';
import path from 'node:path';
import { classifyDevice } from '../devices/identify.js';
import type { SnType, UploadFormat } from '../types.js';
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

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
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
  const place = async (stem: string): Promise<PlayableName> => {
    const relPath = `${stem}.${want.format}`;
    const slash = stem.lastIndexOf('/');
    const folder = folderPlace(root, slash < 0 ? '' : stem.slice(0, slash));
    if (folder.dir !== root) await ensurePlace(root, folder);
    const absPath = path.resolve(root, ...relPath.split('/'));
    if (path.dirname(absPath) !== folder.dir)
      throw new LibraryError('OUTSIDE_LIBRARY', `Refusing the file name ${relPath}: it is not inside the library.`);
    return { stem, relPath, absPath };
  };

  const earlier =
    PLAYABLE_EXTS.map((f) => manifest.upload?.[f]?.path)
      .find((p) => p !== undefined)
      ?.replace(/\.(opus|mp3)$/, '') ?? manifest.name;
  if (earlier) {
    handedOut.set(`${root}\0${earlier.toLowerCase()}`, owner);
    return place(earlier);
  }

  const fields = {
    sn: want.sn,
    snType: snTypeForName(want.sn, want.snType),
    kind: want.kind,
    startMs: want.startMs,
  };
  for (let copy = want.take; copy < want.take + MAX_COPIES; copy++) {
    const stem = renderName(want.template ?? DEFAULT_NAME_TEMPLATE, fields, copy);
    const key = `${root}\0${stem.toLowerCase()}`;
    const holder = handedOut.get(key);
    if (holder !== undefined && holder !== owner) continue;
    let taken = false;
    for (const ext of PLAYABLE_EXTS) {
      if (await exists(path.resolve(root, ...`${stem}.${ext}`.split('/')))) taken = true;
    }
    if (taken && holder !== owner) continue;
    handedOut.set(key, owner);
    return place(stem);
  }
  throw new LibraryError(
    'CONFLICT',
    `Every name the file-name pattern gives this recording is taken in the library (${MAX_COPIES} tried).`,
  );
}
