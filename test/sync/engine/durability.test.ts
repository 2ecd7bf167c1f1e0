// The engine's ledger runs with group durability (fsyncs in the background). Where a change must be on disk before
// the engine acts on it, the engine waits: here, 'completing' before the cloud is asked to complete the upload.
// The journal's fsyncs are held back by the test; the completion must wait for them.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncEngine } from '../../../main/sync/engine/engine.js';
import type { CloudPort } from '../../../main/sync/engine/cloud-port.js';
import { MemorySecretStore } from '../../../main/sync/secrets-memory.js';
import { defaultSettings } from '../../../main/sync/settings.js';
import type { UploadResult, UploadState } from '../../../main/sync/upload/index.js';
import { layOutRecorder } from '../../support/recorder.js';
import { TestWatcher } from '../../support/test-watcher.js';

describe('engine durability points', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const c of cleanup.splice(0)) await c();
  });

  it("the cloud is asked to complete an upload only once its 'completing' state is on disk", async () => {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'plaud-durability-'));
    cleanup.push(() => fsp.rm(work, { recursive: true, force: true }));
    const vol = path.join(work, 'PLAUD_NOTE');
    await fsp.mkdir(vol);
    await layOutRecorder(vol, { recordings: [{ startSec: 1_718_000_000, seconds: 2 }] });

    // Hold every background fsync of the journal until the test lets it go.
    const held: (() => void)[] = [];
    const realFdatasync = fs.fdatasync;
    const fdatasyncSpy = vi.spyOn(fs, 'fdatasync').mockImplementation(((
      fd: number,
      cb: (err: NodeJS.ErrnoException | null) => void,
    ) => {
      held.push(() => realFdatasync(fd, cb));
    }) as unknown as typeof fs.fdatasync);
    const release = () => held.splice(0).forEach((go) => go());
    let checking = false; // while the upload watches its completion wait, only it lets fsyncs go

    const seen: { completingResolvedWhileHeld?: boolean; completeCalled: number } = { completeCalled: 0 };
    const cloud: CloudPort = {
      apiBase: 'http://127.0.0.1:9',
      reachable: async () => true,
      testConnection: async () => ({ ok: true, message: 'ok' }),
      async upload(job, hooks): Promise<UploadResult> {
        const state: UploadState = {
          fileId: 'file-1',
          uploadId: 'upload-1',
          partSize: 5 * 1024 * 1024,
          fileSize: 1,
          md5: job.md5!,
          parts: [],
          completing: false,
          possibleDuplicate: false,
        };
        await hooks.onSessionStarted?.(state);
        let resolved = false;
        checking = true;
        const completing = Promise.resolve(hooks.onCompleting?.({ ...state, completing: true })).then(
          () => (resolved = true),
        );
        await new Promise((r) => setTimeout(r, 150));
        seen.completingResolvedWhileHeld = resolved;
        checking = false;
        release();
        await completing;
        seen.completeCalled++;
        return {
          file: { id: 'cloud-1' } as UploadResult['file'],
          fileId: 'cloud-1',
          uploadId: 'upload-1',
          md5: job.md5!,
          bytes: 1,
          sessionsStarted: 1,
          possibleDuplicate: false,
        };
      },
    };
    const watcher = new TestWatcher();
    const engine = new SyncEngine({
      stateDir: path.join(work, 'state'),
      settings: {
        ...defaultSettings(path.join(work, 'library')),
        apiBase: 'http://127.0.0.1:9',
        credentials: { kind: 'token' },
      },
      secrets: new MemorySecretStore({ apiToken: 't' }),
      watcher,
      cloudFactory: () => cloud,
    });
    // Whatever fails below, the held fsyncs are let go and no longer held, or the engine's stop in the cleanup
    // would wait on them for a minute.
    cleanup.unshift(async () => {
      fdatasyncSpy.mockRestore();
      release();
    });
    await engine.start();
    cleanup.push(() => engine.stop());
    try {
      await watcher.plug(vol);
      const until = Date.now() + 20_000;
      while (!engine.records().every((r) => r.state === 'synced') || engine.records().length === 0) {
        if (Date.now() > until) throw new Error(`not synced: ${JSON.stringify(engine.records().map((r) => r.state))}`);
        if (!checking) release(); // the pull's own flush points wait too
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(seen.completeCalled).toBe(1);
      expect(seen.completingResolvedWhileHeld).toBe(false);
    } finally {
      fdatasyncSpy.mockRestore();
      release();
    }
  });
});
