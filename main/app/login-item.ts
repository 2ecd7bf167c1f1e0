// "Start at login": the OS login item on macOS and Windows (app.setLoginItemSettings); on Linux,
// where Electron has no login items, an XDG autostart entry (~/.config/autostart). Either way the
// app starts with --hidden: it goes to the tray without opening its window.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { app } from 'electron';

export const HIDDEN_FLAG = '--hidden';

export interface LoginItemEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  execPath: string;
  /** The app folder when run unpackaged (`electron .`); the executable needs it as its argument. */
  appArgs: string[];
}

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'autostart', 'plaud-sync.desktop');
}

function desktopQuote(arg: string): string {
  return /[\s"'\\$`]/.test(arg) ? `"${arg.replace(/(["\\$`])/g, '\\$1')}"` : arg;
}

export function setStartAtLogin(enabled: boolean, e: LoginItemEnv): void {
  if (e.platform === 'linux') {
    const file = autostartFile(e.env);
    if (!enabled) {
      fs.rmSync(file, { force: true });
      return;
    }
    // An AppImage moves nothing but its own file; start that, not the temporary mount.
    const exe = e.env.APPIMAGE ?? e.execPath;
    const cmd = [exe, ...e.appArgs, HIDDEN_FLAG].map(desktopQuote).join(' ');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      [
        '[Desktop Entry]',
        'Type=Application',
        'Name=Plaud Sync',
        `Exec=${cmd}`,
        'X-GNOME-Autostart-enabled=true',
        'NoDisplay=true',
        '',
      ].join('\n'),
    );
    return;
  }
  app.setLoginItemSettings({ openAtLogin: enabled, openAsHidden: true, args: [...e.appArgs, HIDDEN_FLAG] });
}

export function isStartAtLogin(e: LoginItemEnv): boolean {
  if (e.platform === 'linux') return fs.existsSync(autostartFile(e.env));
  return app.getLoginItemSettings().openAtLogin;
}

/** True when this launch came from the login item: start quietly in the tray. */
export function launchedHidden(argv: string[], platform: NodeJS.Platform): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
