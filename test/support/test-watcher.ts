// A DeviceWatcherPort the test drives: attach/detach like the volume monitor would, with the real
// identification of the volume (the monitor itself has its own tests).
import { identifyVolume } from '../../main/sync/devices/identify.js';
import type { DeviceWatcherPort } from '../../main/sync/engine/ports.js';
import type { DeviceInfo } from '../../main/sync/types.js';

export class TestWatcher implements DeviceWatcherPort {
  private attached: ((d: DeviceInfo) => void)[] = [];
  private detached: ((d: { id: string; mountPath: string }) => void)[] = [];
  private mounted = new Map<string, DeviceInfo>();
  async start() {}
  async stop() {}
  async rescan() {}
  onAttached(l: (d: DeviceInfo) => void) {
    this.attached.push(l);
  }
  onDetached(l: (d: { id: string; mountPath: string }) => void) {
    this.detached.push(l);
  }
  async plug(mountPath: string): Promise<DeviceInfo> {
    const info = await identifyVolume(mountPath);
    if (!info) throw new Error(`not a recorder: ${mountPath}`);
    this.mounted.set(mountPath, info);
    for (const l of this.attached) l(info);
    return info;
  }
  unplug(mountPath: string) {
    const info = this.mounted.get(mountPath);
    if (!info) return;
    this.mounted.delete(mountPath);
    for (const l of this.detached) l({ id: info.id, mountPath });
  }
}
