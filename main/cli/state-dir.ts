// The --state-dir option and where it points, on their own: commands that only need the folder (pull, status,
// devices, ...) import this instead of engine-context.ts, which brings the log file and more at start-up.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultLibraryDir, defaultStateDir } from '../sync/paths.js';
import { readSettings } from '../sync/settings-file.js';

export function addStateDirOption(cmd: Command): Command {
  return cmd.option(
    '--state-dir <dir>',
    'settings, ledger and logs (default: PLAUD_SYNC_STATE or the per-user state folder)',
  );
}

/**
 * The state folder this run uses. A file where the folder (or one of its parents) should be is named here, in one
 * sentence, rather than surfacing later as a raw ENOTDIR from whichever file the command opens first. A folder that
 * does not exist yet is fine: it is made when something is first written.
 */
export function resolveStateDir(flags: { stateDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flags.stateDir ? path.resolve(flags.stateDir) : defaultStateDir(env);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw stateDirIsFile(dir, 'a file is in the way of it');
  }
  if (st && !st.isDirectory()) throw stateDirIsFile(dir, 'it is a file, not a folder');
  return dir;
}

function stateDirIsFile(dir: string, why: string): Error {
  return new Error(
    `The state folder ${dir} cannot be used: ${why}. Choose another state folder (--state-dir or PLAUD_SYNC_STATE).`,
  );
}

/** The file-name pattern of the library (the libraryNames setting); undefined (the default) when unreadable. */
export function libraryNamesSetting(stateDir: string): string | undefined {
  try {
    return readSettings(stateDir, defaultLibraryDir()).libraryNames;
  } catch {
    return undefined;
  }
}
