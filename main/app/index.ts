// Electron entry point (bundled to out/main/index.js, package.json "main"). Wires the real sync
// engine, the real device monitor (recorder volumes and USB) and the updater into the app shell;
// everything else lives in app.ts.
import { app, dialog } from 'electron';
import { createEngine } from '../sync/engine/engine.js';
import { createDeviceWatcher } from '../sync/engine/monitor-port.js';
import { defaultMountRoots } from '../sync/paths.js';
import { startApp } from './app.js';
import { startUpdater } from './updater.js';

async function main(): Promise<void> {
  const running = await startApp({
    createEngine: ({ stateDir, settings, secrets, log }) =>
      createEngine({
        stateDir,
        settings,
        secrets,
        logger: log,
        watcher: createDeviceWatcher({ mountRoots: settings.mountRoots ?? defaultMountRoots(), logger: log }),
      }),
  });
  if (!running) return; // another copy runs; this one quits
  // Off in development and when no update feed is configured; never blocks start-up.
  const updater = await startUpdater({ log: running.log });
  app.on('will-quit', () => updater.stop());
  // A downloaded update installs on quit by itself; the window and the tray also offer to restart into it now.
  running.setUpdater(updater);
}

main().catch((err: unknown) => {
  // Nothing else can report this: there may be no window or tray yet.
  dialog.showErrorBox('Plaud Sync could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
