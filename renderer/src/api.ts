// The window talks to main only through the preload's `window.plaudSync` (or the test bridge's copy).
import type { PlaudSyncApi } from '../../main/app/ipc/contract.js';

export type { PlaudSyncApi };

declare global {
  interface Window {
    plaudSync?: PlaudSyncApi;
  }
}

export function getApi(): PlaudSyncApi | undefined {
  return typeof window === 'undefined' ? undefined : window.plaudSync;
}
