// Where things live by default, per OS. Everything can be overridden (flags, env, settings).
import os from 'node:os';
import path from 'node:path';

export const APP_DIR_NAME = 'Plaud Sync';

/** Settings, ledger and logs. `PLAUD_SYNC_STATE` overrides. */
export function defaultStateDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home = os.homedir(),
): string {
  if (env.PLAUD_SYNC_STATE) return path.resolve(env.PLAUD_SYNC_STATE);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  return path.join(env.XDG_STATE_HOME ?? path.join(home, '.local', 'state'), 'plaud-sync');
}

/** The recordings library (user-visible files). */
export function defaultLibraryDir(platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (platform === 'darwin' || platform === 'win32') return path.join(home, 'Music', 'Plaud Recordings');
  return path.join(home, 'Plaud Recordings');
}

/** Folders under which the OS mounts removable volumes (watched at depth 0). */
export function defaultMountRoots(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  if (platform === 'darwin') return ['/Volumes'];
  if (platform === 'win32') {
    // Drive letters are roots of their own; D: to Z: (A-C are floppies and the system disk).
    return 'DEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((l) => `${l}:\\`);
  }
  const user = env.USER ?? env.LOGNAME ?? os.userInfo().username;
  return [`/media/${user}`, `/run/media/${user}`, '/media'];
}
