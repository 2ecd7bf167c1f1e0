// What the orchestrator needs from the device side: attach/detach events for identified recorders.
// The real one is the volume + USB monitor (main/sync/devices); keeping the orchestrator on this narrow
// shape lets the CLI's one-shot pass and tests drive it with a plain list of volumes.
import type { DeviceInfo } from '../types.js';

export interface DeviceWatcherPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Look at the mount roots now (a manual "sync now" or a USB attach). */
  rescan(): Promise<void>;
  onAttached(listener: (d: DeviceInfo) => void): void;
  onDetached(listener: (d: { id: string; mountPath: string }) => void): void;
}
