// DeviceMonitor: notices recorders appearing and going away.
//
// Sources of a rescan, cheapest first:
//  - fs.watch (inotify / FSEvents / ReadDirectoryChangesW) on each mount root folder: a volume folder appearing or
//    vanishing. A mount over an existing folder makes no event, so every event also schedules follow-up rescans a
//    moment later (the OS creates the folder, then mounts on it). A follow-up reuses the answers given since the
//    event by an attached recorder and by the root holding it: each probe is a child process, and spawning one costs
//    the main process tens of milliseconds of CPU, while the recorder just found is being copied. Not chokidar: it
//    stats every entry of the root, and a stat of a hung volume's mount point never returns (nor lets our process
//    exit). A root is watched only once it has answered a probe, and bare drive letters are not watched (each is a
//    volume itself).
//  - a USB attach of a recorder (usb.ts): rescan now and again while the volume is being mounted; supplies the USB
// serial.
//  - a slow fallback timer (>= 10 s) for whatever the two above miss (network shares, exotic automounters).
// Nothing polls fast: idle costs one readdir per root and one probe child per entry per fallback period.
//
// A pass never waits on a volume that does not answer: every entry is probed at once through probe.ts (a child
// process, bounded by a timeout, one outstanding per entry), and only an entry with a Plaud MODEL.txt is identified
// in-process, itself bounded by IDENTIFY_TIMEOUT_MS with at most one identification outstanding per entry.
//
// Debounce: a device is attached once; it is reported detached only when it has been absent for detachGraceMs,
// so a flapping mount (gone and back within the grace) fires neither a second attach nor a detach.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { DeviceInfo } from '../types.js';
import { nullLogger, type Logger } from '../log.js';
import { identifyVolume, type IdentifyOptions } from './identify.js';
import { looksLikeRecorder, probeMountRoots } from './find.js';
import { sharedProber, type ProbeResult, type VolumeProber } from './probe.js';
import { UsbWatcher, type UsbAttach } from './usb.js';
import { driveLetterOf, listWindowsDrives, type DriveInfo } from './windows-drives.js';

export interface DeviceMonitorOptions {
  mountRoots: string[];
  /** Fallback rescan period (default 15 s, at least 10 s unless allowFastRescan, for tests). */
  rescanIntervalMs?: number;
  /** Follow-up rescans after a watcher or USB event (default [250, 500, 1000, 3000] ms: an automounter often mounts
   * a few hundred ms after it makes the folder, and the first byte should not wait a whole second for that). */
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
  /** Probes entries of the mount roots (default: the process-wide one). */
  prober?: VolumeProber;
  /** How long one entry's probe may take before it is skipped for this pass (default probe.ts's 2 s). */
  probeTimeoutMs?: number;
  /** Tests: pretend to be on this platform, with this drive list (Windows drive-letter filtering). */
  platform?: NodeJS.Platform;
  listDrives?: () => Promise<DriveInfo[]>;
}

/** An identification (MODEL.txt, one WAV header, statfs) that takes longer than this is given up for this pass. */
const IDENTIFY_TIMEOUT_MS = 10_000;

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
  private readonly opts: Required<
    Pick<DeviceMonitorOptions, 'rescanIntervalMs' | 'followUpMs' | 'detachGraceMs' | 'debounceMs'>
  >;
  private readonly log: Logger;
  private readonly identify: (mountPath: string, opts: IdentifyOptions) => Promise<DeviceInfo | null>;
  private readonly usb: UsbWatcher | undefined;
  /** root -> its folder watcher, for the roots that answered a probe. */
  private readonly rootWatchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  /** A full pass (probe everything) was asked for and has not started yet; otherwise a pass is a follow-up. */
  private wantFull = false;
  /** When the last folder or USB event came (follow-up passes trust answers newer than this). */
  private lastEventAt = 0;
  /** mountPath -> its latest probe that answered, and when (a root, or an entry with a recorder's MODEL.txt). */
  private readonly answered = new Map<string, { at: number; result: ProbeResult }>();
  private stopped = true;
  /** mountPath -> device currently reported attached. */
  private readonly attached = new Map<string, DeviceInfo>();
  /** mountPath -> first time it was seen missing. */
  private readonly missingSince = new Map<string, number>();
  private usbAttaches: UsbAttach[] = [];
  private readonly prober: VolumeProber;
  private readonly probeTimeoutMs: number | undefined;
  private readonly platform: NodeJS.Platform;
  private readonly listDrives: () => Promise<DriveInfo[]>;
  /** Windows: drive letters present before the latest recorder USB attach. */
  private knownDrives = new Set<string>();
  private readonly onAnswersAgain = () => this.schedule(false);
  /** mountPath -> identification under way (at most one per entry, even when it outlives its pass). */
  private readonly identifying = new Map<string, Promise<DeviceInfo | null>>();

  constructor(opts: DeviceMonitorOptions) {
    super();
    this.roots = [...new Set(opts.mountRoots.map((r) => path.resolve(r)))];
    const period = opts.rescanIntervalMs ?? 15_000;
    this.opts = {
      rescanIntervalMs: opts.allowFastRescan ? period : Math.max(10_000, period),
      followUpMs: opts.followUpMs ?? [250, 500, 1000, 3000],
      detachGraceMs: opts.detachGraceMs ?? 1500,
      debounceMs: opts.debounceMs ?? 100,
    };
    this.log = opts.logger ?? nullLogger;
    this.identify = opts.identify ?? ((p, o) => identifyVolume(p, o));
    this.usb = opts.usb === false ? undefined : (opts.usb ?? new UsbWatcher({ logger: this.log }));
    this.prober = opts.prober ?? sharedProber();
    this.probeTimeoutMs = opts.probeTimeoutMs;
    this.platform = opts.platform ?? process.platform;
    this.listDrives = opts.listDrives ?? listWindowsDrives;
  }

  /** Devices currently attached. */
  devices(): DeviceInfo[] {
    return [...this.attached.values()];
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
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
    this.prober.on('answers-again', this.onAnswersAgain);
    this.timer = setInterval(() => this.schedule(false), this.opts.rescanIntervalMs);
    this.timer.unref?.();
    await this.rescan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.prober.off('answers-again', this.onAnswersAgain);
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.usb?.stop();
    this.usb?.removeAllListeners();
    for (const w of this.rootWatchers.values()) w.close();
    this.rootWatchers.clear();
    await this.running;
  }

  /** Rescan soon (coalesced); with followUps, again a little later to catch a mount that lands after its folder. */
  private schedule(followUps: boolean): void {
    if (this.stopped) return;
    if (followUps) this.lastEventAt = Date.now();
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.rescan();
    }, this.opts.debounceMs);
    if (followUps) {
      for (const ms of this.opts.followUpMs) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          void this.rescan('follow-up');
        }, ms);
        this.timers.add(t);
      }
    }
  }

  /**
   * Look at every mount root now. Concurrent calls share one pass (and trigger one more if asked meanwhile). A
   * follow-up pass (after an event) skips the probes of the roots and recorders that answered since that event.
   */
  rescan(kind: 'full' | 'follow-up' = 'full'): Promise<void> {
    if (kind === 'full') this.wantFull = true;
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.dirty = false;
          const full = this.wantFull;
          this.wantFull = false;
          await this.pass(full);
        } while (this.dirty && !this.stopped);
      } catch (err) {
        this.log.warn('device rescan failed', { err });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private usbHintFor(): IdentifyOptions {
    const recent = this.usbAttaches.filter((a) => Date.now() - a.at < USB_MEMORY_MS);
    this.usbAttaches = recent;
    if (recent.length !== 1) return {};
    const a = recent[0]!;
    return { ...(a.serial ? { usbSerial: a.serial } : {}), ...(a.product ? { usbProduct: a.product } : {}) };
  }

  /** Identify with a time limit; a slow one keeps running (and is the entry's only one) but this pass moves on. */
  private identifyBounded(mountPath: string): Promise<DeviceInfo | null | 'timeout'> {
    let p = this.identifying.get(mountPath);
    if (!p) {
      p = this.identify(mountPath, { ...this.usbHintFor(), logger: this.log })
        .catch((err: unknown) => {
          this.log.debug('could not identify volume', { mountPath, err });
          return null;
        })
        .finally(() => this.identifying.delete(mountPath));
      this.identifying.set(mountPath, p);
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), IDENTIFY_TIMEOUT_MS);
        timer.unref?.();
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Watch each root folder that just answered its probe and is not watched yet (a root may appear later). */
  private watchRoots(answered: string[]): void {
    for (const root of this.roots) {
      if (this.rootWatchers.has(root) || driveLetterOf(root) || !answered.includes(root)) continue;
      try {
        const w = watch(root, { persistent: true }, () => this.schedule(true));
        w.on('error', (err) => {
          this.log.debug('mount-root watcher error; watching again after the next scan', { root, err });
          w.close();
          this.rootWatchers.delete(root);
        });
        this.rootWatchers.set(root, w);
      } catch (err) {
        this.log.debug('cannot watch a mount root; the fallback scan covers it', { root, err });
      }
    }
  }

  /** The Windows drive list, remembering which letters were there before a recorder's USB attach. */
  private async drivesForPass(): Promise<DriveInfo[]> {
    const drives = await this.listDrives();
    if (!this.usbAttaches.some((a) => Date.now() - a.at < USB_MEMORY_MS))
      this.knownDrives = new Set(drives.map((d) => d.letter));
    return drives;
  }

  /**
   * An answer a follow-up pass may reuse instead of probing again, when newer than the last event: an attached
   * recorder's, or a root's that holds an attached recorder (a folder of mount points, so nothing will be mounted
   * over the root itself). Anything else is probed again, a root too: a mount point given as a root (or a drive
   * letter) is itself the volume, and its mount may be the very thing the follow-up is for.
   */
  private reusable(mountPath: string): ProbeResult | undefined {
    const a = this.answered.get(mountPath);
    if (!a || a.at <= this.lastEventAt) return undefined;
    if (this.attached.has(mountPath)) return a.result;
    const holdsRecorder = [...this.attached.keys()].some((p) => p !== mountPath && path.dirname(p) === mountPath);
    return this.roots.includes(mountPath) && holdsRecorder ? a.result : undefined;
  }

  private async pass(full: boolean): Promise<void> {
    const seen = new Set<string>();
    const startedAt = Date.now();
    const entries = await probeMountRoots(this.roots, {
      ...(full ? {} : { reuse: (mountPath: string) => this.reusable(mountPath) }),
      prober: this.prober,
      logger: this.log,
      platform: this.platform,
      listDrives: () => this.drivesForPass(),
      usbAttachSeen: this.usbAttaches.some((a) => Date.now() - a.at < USB_MEMORY_MS),
      knownDrives: this.knownDrives,
      ...(this.probeTimeoutMs !== undefined ? { timeoutMs: this.probeTimeoutMs } : {}),
    });
    if (this.stopped) return;
    for (const e of entries) {
      if (e.reused) continue; // its answer stays as it was, with its time
      if (e.result.state === 'answered' && (this.roots.includes(e.mountPath) || looksLikeRecorder(e.result)))
        this.answered.set(e.mountPath, { at: startedAt, result: e.result });
      else this.answered.delete(e.mountPath);
    }
    this.watchRoots(entries.filter((e) => e.result.state === 'answered').map((e) => e.mountPath));
    await Promise.all(
      entries.map(async ({ mountPath, result }) => {
        if (this.attached.has(mountPath)) {
          // Known device: the probe is its presence check, no re-identification. A recorder that stops answering
          // stays attached (its pull reports the trouble) rather than flapping.
          if (result.state === 'hung' || looksLikeRecorder(result)) seen.add(mountPath);
          return;
        }
        if (!looksLikeRecorder(result)) return;
        const info = await this.identifyBounded(mountPath);
        if (info === 'timeout') {
          this.log.warn('a recorder is slow to answer; looking again on the next scan', { mountPath });
          return;
        }
        if (!info || this.stopped || this.attached.has(mountPath)) return;
        seen.add(mountPath);
        this.attached.set(mountPath, info);
        this.missingSince.delete(mountPath);
        if (info.usbSerial) this.usbAttaches = this.usbAttaches.filter((a) => a.serial !== info.usbSerial);
        this.log.info('recorder attached', { id: info.id, mountPath });
        this.emit('device-attached', info);
      }),
    );
    if (this.stopped) return;
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
