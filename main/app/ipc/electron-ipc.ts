// Main's handlers on Electron's own ipcMain. Apart from handlers.ts, which loads outside Electron
// (the test bridges run it against a plain table); the rest of main/app never touches ipcMain.
import { ipcMain } from 'electron';
import { registerIpcHandlers, type IpcDeps } from './handlers.js';

export function registerWindowIpc(deps: IpcDeps): () => void {
  return registerIpcHandlers(ipcMain, deps);
}
