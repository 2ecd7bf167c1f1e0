// The engine as a one-pass command runs it (`sync`, `upload-newer-version`): the volumes under the mount roots only,
// since a USB attach cannot usefully happen during one pass. Kept apart from engine-context.ts so commands that do
// not run the engine (status, retry, pull) do not load it.
import { SyncEngine } from '../sync/engine/engine.js';
import type { RetryPolicy } from '../sync/engine/backoff.js';
import { createDeviceWatcher } from '../sync/engine/monitor-port.js';
import type { EngineContext } from './engine-context.js';

export function onePassEngine(ctx: EngineContext, opts: { retry?: RetryPolicy } = {}): SyncEngine {
  const watcher = createDeviceWatcher({
    mountRoots: ctx.mountRoots,
    logger: ctx.logger,
    usb: false,
    rescanIntervalMs: 60_000,
  });
  return new SyncEngine({
    stateDir: ctx.stateDir,
    settings: ctx.settings,
    secrets: ctx.secrets,
    logger: ctx.logger,
    watcher,
    ...(opts.retry ? { retry: opts.retry } : {}),
  });
}
