// Component-test harness: the real App rendered (happy-dom) against a PlaudSyncApi that goes
// through the bridge's dispatch table to the scripted engine and the conf-backed settings store.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configure, render } from '@testing-library/preact';
import { App, type TabKey } from '../../../renderer/src/app.js';
import { openSettingsStore } from '../../../main/sync/settings-store.js';
import { createDispatch } from '../../support/bridge/handlers.js';
import { createInProcessApi, IN_PROCESS_PAGE } from '../../support/bridge/in-process-api.js';
import { createScriptedEngine, type ScriptedEngineOptions } from '../../support/bridge/scripted-engine.js';
import { BridgeSecretStore } from '../../support/bridge/secrets.js';

// The machine is shared by many test files at once: give slow frames room.
configure({ asyncUtilTimeout: 5000 });

export const NOTE = {
  sn: '880123456789012345',
  sn_type: 'note' as const,
  model: 'PLAUD NOTE',
  firmware: 'V0095',
  totalBytes: 64_000_000_000,
  freeBytes: 50_000_000_000,
};

export function recordings(n: number, from = Date.UTC(2026, 10, 25, 9, 0), durationMs = 60_000) {
  return Array.from({ length: n }, (_, i) => ({
    kind: i % 3 === 2 ? ('call' as const) : ('note' as const),
    startMs: from + i * 600_000,
    durationMs,
  }));
}

export async function setup(
  o: {
    signedIn?: boolean;
    secretsAvailable?: boolean;
    engine?: ScriptedEngineOptions;
    tab?: TabKey;
    mount?: boolean;
  } = {},
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plaud-renderer-'));
  const libraryDir = path.join(dir, 'library');
  const engine = createScriptedEngine({
    tickMs: 10,
    throttleMs: 0,
    pullBps: 2_000_000,
    uploadBps: 1_000_000,
    libraryDir,
    ...o.engine,
  });
  const store = openSettingsStore(path.join(dir, 'state'), libraryDir);
  const secrets = new BridgeSecretStore(o.secretsAvailable ?? true);
  const opened: string[] = [];
  const shown: string[] = [];
  let nextFolder: string | null = path.join(dir, 'chosen-library');
  const dispatch = createDispatch(
    {
      engine,
      settings: store,
      secrets,
      host: {
        chooseLibraryFolder: async () => nextFolder,
        openPath: async (p) => {
          opened.push(p);
          return '';
        },
        showItemInFolder: (p) => void shown.push(p),
      },
    },
    new URL(IN_PROCESS_PAGE).origin,
  );
  const api = createInProcessApi(engine, dispatch);
  await engine.applySettings(store.get());
  if (o.signedIn ?? true) await api.setSettings({ credentials: { kind: 'token' }, apiToken: 'test-token' });
  api.calls.length = 0;
  const view = o.mount === false ? undefined : render(<App api={api} initialTab={o.tab} />);
  return {
    dir,
    libraryDir,
    engine,
    api,
    store,
    secrets,
    opened,
    shown,
    view,
    setNextFolder: (f: string | null) => {
      nextFolder = f;
    },
    async cleanup() {
      view?.unmount();
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
