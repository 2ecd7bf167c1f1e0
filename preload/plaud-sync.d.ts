// The renderer's view of the preload: `window.plaudSync`. Include this file (or import it for its
// side effect) from renderer code; it pulls in types only.
import type { PlaudSyncApi } from '../main/app/ipc/contract.js';

declare global {
  interface Window {
    plaudSync: PlaudSyncApi;
  }
}

export {};
