// What a person sees in the library: every file and folder name outside hidden folders (a leading dot), the way a
// file manager shows them by default. The promise "no name a person sees is a bare epoch or serial" is checked here.
import fs from 'node:fs';
import path from 'node:path';

export function visibleLibraryNames(libraryDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      if (d.name.startsWith('.')) continue;
      const rel = path.relative(libraryDir, path.join(dir, d.name));
      out.push(rel);
      if (d.isDirectory()) walk(path.join(dir, d.name));
    }
  };
  walk(libraryDir);
  return out.sort();
}

/** A name part that is a run of 9 or more digits: an epoch time (10 digits) or a serial number (18). */
export const BARE_NUMBER = /(^|[^0-9])[0-9]{9,}([^0-9]|$)/;

/** The names a person sees that are, or contain, a bare epoch or serial. */
export function unreadableNames(libraryDir: string): string[] {
  return visibleLibraryNames(libraryDir).filter((rel) => rel.split(path.sep).some((seg) => BARE_NUMBER.test(seg)));
}
