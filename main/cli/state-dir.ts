// The --state-dir option and where it points, on their own: commands that only need the folder (pull, status,
// devices, ...) import this instead of engine-context.ts, which pulls in the settings store (conf, and with it ajv)
// and the log file at start-up.
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

export function resolveStateDir(flags: { stateDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.stateDir ? path.resolve(flags.stateDir) : defaultStateDir(env);
}

/** The file-name pattern of the library (the libraryNames setting); undefined (the default) when unreadable. */
export function libraryNamesSetting(stateDir: string): string | undefined {
  try {
    return readSettings(stateDir, defaultLibraryDir()).libraryNames;
  } catch {
    return undefined;
  }
}
