// DeviceMonitor: notices recorders appearing and going away.
//
// Sources of a rescan, cheapest first:
//  - chokidar (inotify / FSEvents / ReadDirectoryChangesW) on each mount root at depth 0: a volume folder appearing
//    or vanishing. A mount over an existing folder makes no event, so every event also schedules two follow-up
//    rescans a moment later (the OS creates the folder, then mounts on it).
//  - a USB attach of a recorder (usb.ts): rescan now and again while the volume is being mounted; supplies the USB serial.
//  - a slow fallback timer (>= 10 s) for whatever the two above miss (network shares, exotic automounters).
// Nothing polls fast: idle costs one readdir per root per fallback period.
//
// Debounce: a device is attached once; it is reported detached only when it has been absent for detachGraceMs,
// so a flapping mount (gone and back within the grace) fires neither a second attach nor a detach.
import { EventEmitter } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { DeviceInfo } from '../types.js';
import { nullLogger, type Logger } from '../log.js';
import { identifyVolume, type IdentifyOptions } from './identify.js';
import { volumeCandidates } from './find.js';
import { MODEL_FILE_NAME } from './model-file.js';
import { UsbWatcher, type UsbAttach } from './usb.js';

export interface DeviceMonitorOptions {
  mountRoots: string[];
  /** Fallback rescan period (default 15 s, at least 10 s unless allowFastRescan, for tests). */
  rescanIntervalMs?: number;
  /** Follow-up rescans after a watcher or USB event (default [1000, 3000] ms). */
  followUpMs?: number[];
  /** How long a device must be absent before 'device-detached' (default 1500 ms). */
  detachGraceMs?: number;
  /** Coalesce bursts of events (default 100 ms). */
  debounceMs?: number;
  /** A UsbWatcher, or false to not watch USB. Default: a UsbWatcher on the real `usb` package. */
  usb?: UsbWatcher | false;
  identify?: (mountPath: string, opts: IdentifyOptions) => Promise<DeviceInfo | null>;
  logger?: Logger;
  /** Tests only: allow a fallback period under 10 s. */
  allowFastRescan?: boolean;
}

export interface DeviceDetached {
  id: string;
  mountPath: string;
}

/** USB attaches are remembered this long to pair them with a volume that mounts later. */
const USB_MEMORY_MS = 60_000;

export interface DeviceMonitorEvents {
  'device-attached': [DeviceInfo];
  'device-detached': [DeviceDetached];
}

export class DeviceMonitor extends EventEmitter<DeviceMonitorEvents> {
  private readonly roots: string[];
  private readonly opts: Required<Pick<DeviceMonitorOptions, 'rescanIntervalMs' | 'followUpMs' | 'detachGraceMs' | 'debounceMs'>>;
  private readonly log: Logger;
  private readonly identify: (mountPath: string, opts: IdentifyOptions) => Promise<DeviceInfo | null>;
  private readonly usb: UsbWatcher | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = true;
  /** mountPath -> device currently reported attached. */
  private readonly attached = new Map<string, DeviceInfo>();
  /** mountPath -> first time it was seen missing. */
  private readonly missingSince = new Map<string, number>();
  private usbAttaches: UsbAttach[] = [];

  constructor(opts: DeviceMonitorOptions) {
    super();
    this.roots = [...new Set(opts.mountRoots.map((r) => path.resolve(r)))];
    const period = opts.rescanIntervalMs ?? 15_000;
    this.opts = {
      rescanIntervalMs: opts.allowFastRescan ? period : Math.max(10_000, period),
      followUpMs: opts.followUpMs ?? [1000, 3000],
      detachGraceMs: opts.detachGraceMs ?? 1500,
      debounceMs: opts.debounceMs ?? 100,
    };
    this.log = opts.logger ?? nullLogger;
    this.identify = opts.identify ?? ((p, o) => identifyVolume(p, o));
    this.usb = opts.usb === false ? undefined : (opts.usb ?? new UsbWatcher({ logger: this.log }));
  }

  /** Devices currently attached. */
  devices(): DeviceInfo[] {
    return [...this.attached.values()];
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.watcher = watch(this.roots, { depth: 0, ignoreInitial: true, persistent: true, followSymlinks: false });
    const poke = () => this.schedule(true);
    this.watcher.on('addDir', poke).on('unlinkDir', poke).on('add', poke).on('unlink', poke);
    this.watcher.on('error', (err) => this.log.debug('mount-root watcher error', { err }));
    if (this.usb) {
      this.usb.on('attach', (a: UsbAttach) => {
        this.log.info('recorder seen on USB', { product: a.product });
        this.usbAttaches = [...this.usbAttaches.filter((x) => Date.now() - x.at < USB_MEMORY_MS), a];
        this.schedule(true);
      });
      this.usb.on('detach', () => this.schedule(true));
      // Never let USB trouble stop volume detection.
      await this.usb.start().catch((err: unknown) => this.log.info('USB watching is unavailable', { err }));
    }
    this.timer = setInterval(() => this.schedule(false), this.opts.rescanIntervalMs);
    this.timer.unref?.();
    await this.rescan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.usb?.stop();
    this.usb?.removeAllListeners();
    await this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  /** Rescan soon (coalesced); with followUps, again a little later to catch a mount that lands after its folder. */
  private schedule(followUps: boolean): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.rescan();
    }, this.opts.debounceMs);
    if (followUps) {
      for (const ms of this.opts.followUpMs) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.rescan();
        }, ms);
        this.timers.add(t);
      }
    }
  }

  /** Look at every mount root now. Concurrent calls share one pass (and trigger one more if asked meanwhile). */
  rescan(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.dirty = false;
          await this.pass();
        } while (this.dirty && !this.stopped);
      } catch (err) {
        this.log.warn('device rescan failed', { err });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async stillThere(mountPath: string): Promise<boolean> {
    try {
      return (await fs.lstat(path.join(mountPath, MODEL_FILE_NAME))).isFile();
    } catch {
      return false;
    }
  }

  private usbHintFor(): IdentifyOptions {
    const recent = this.usbAttaches.filter((a) => Date.now() - a.at < USB_MEMORY_MS);
    this.usbAttaches = recent;
    if (recent.length !== 1) return {};
    const a = recent[0]!;
    return { ...(a.serial ? { usbSerial: a.serial } : {}), ...(a.product ? { usbProduct: a.product } : {}) };
  }

  private async pass(): Promise<void> {
    const seen = new Set<string>();
    for (const mountPath of await volumeCandidates(this.roots)) {
      if (this.stopped) return;
      if (this.attached.has(mountPath)) {
        // Known device: a cheap presence check, no re-identification.
        if (await this.stillThere(mountPath)) seen.add(mountPath);
        continue;
      }
      let info: DeviceInfo | null = null;
      try {
        info = await this.identify(mountPath, { ...this.usbHintFor(), logger: this.log });
      } catch (err) {
        this.log.debug('could not identify volume', { mountPath, err });
      }
      if (!info) continue;
      seen.add(mountPath);
      this.attached.set(mountPath, info);
      this.missingSince.delete(mountPath);
      if (info.usbSerial) this.usbAttaches = this.usbAttaches.filter((a) => a.serial !== info.usbSerial);
      this.log.info('recorder attached', { id: info.id, mountPath });
      this.emit('device-attached', info);
    }
    const now = Date.now();
    for (const [mountPath, info] of this.attached) {
      if (seen.has(mountPath)) {
        this.missingSince.delete(mountPath);
        continue;
      }
      const since = this.missingSince.get(mountPath);
      if (since === undefined) {
        this.missingSince.set(mountPath, now);
        // Confirm after the grace period.
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.rescan();
        }, this.opts.detachGraceMs + 10);
        this.timers.add(t);
      } else if (now - since >= this.opts.detachGraceMs) {
        this.attached.delete(mountPath);
        this.missingSince.delete(mountPath);
        this.log.info('recorder detached', { id: info.id, mountPath });
        this.emit('device-detached', { id: info.id, mountPath });
      }
    }
  }
}
