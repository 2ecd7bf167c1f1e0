// Electron entry point (bundled to out/main/index.js, package.json "main"). Wires the real sync
// engine into the app shell; everything else lives in app.ts.
import { app, dialog } from 'electron';
import { createEngine } from '../sync/engine/engine.js';
import { startApp } from './app.js';

startApp({
  createEngine: ({ stateDir, settings, secrets, log }) => createEngine({ stateDir, settings, secrets, logger: log }),
}).catch((err: unknown) => {
  // Nothing else can report this: there may be no window or tray yet.
  dialog.showErrorBox('Plaud Sync could not start', err instanceof Error ? err.message : String(err));
  app.exit(1);
});
