// The real device monitor (volumes + USB) as the orchestrator's DeviceWatcherPort.
import { DeviceMonitor, type DeviceMonitorOptions } from '../devices/watcher.js';
import type { DeviceWatcherPort } from './ports.js';

export function monitorPort(monitor: DeviceMonitor): DeviceWatcherPort {
  return {
    start: () => monitor.start(),
    stop: () => monitor.stop(),
    rescan: () => monitor.rescan(),
    onAttached: (l) => void monitor.on('device-attached', l),
    onDetached: (l) => void monitor.on('device-detached', l),
  };
}

export function createDeviceWatcher(opts: DeviceMonitorOptions): DeviceWatcherPort {
  return monitorPort(new DeviceMonitor(opts));
}
