// USB side of detection: the recorder in mass-storage mode enumerates with the ids of the trait table. A USB attach
// is only a hint ("a recorder is coming, its serial is X"): the volume scan decides what is actually there.
// Where USB cannot be watched (no bus, no permission, no native driver) we say so once and carry on with volumes.
import { EventEmitter } from 'node:events';
import { nullLogger, type Logger } from '../log.js';
import { knownUsbIds } from './traits.js';

/** The part of a WebUSB device we read. */
export interface UsbDeviceLike {
  vendorId: number;
  productId: number;
  serialNumber?: string | null | undefined;
  productName?: string | null | undefined;
  manufacturerName?: string | null | undefined;
}

/** The part of the `usb` package's WebUSB object we use (same shape as navigator.usb). */
export interface WebUsbLike {
  getDevices(): Promise<UsbDeviceLike[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (ev: { device: UsbDeviceLike }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (ev: { device: UsbDeviceLike }) => void): void;
}

export interface UsbAttach {
  vendorId: number;
  productId: number;
  serial?: string;
  product?: string;
  at: number;
}

async function loadRealUsb(): Promise<WebUsbLike> {
  const mod = (await import('usb')) as unknown as { WebUSB: new (o: { allowAllDevices: boolean }) => WebUsbLike };
  return new mod.WebUSB({ allowAllDevices: true });
}

export interface UsbWatcherOptions {
  logger?: Logger;
  /** Supplies the WebUSB object; default loads the `usb` package. Tests pass a fake of the same shape. */
  loadUsb?: () => Promise<WebUsbLike>;
}

/** Emits 'attach' and 'detach' (UsbAttach) for recorders only. */
export class UsbWatcher extends EventEmitter {
  private usb: WebUsbLike | undefined;
  private available = false;
  /** Why USB is not watched, once known. */
  unavailableReason: string | undefined;
  private readonly log: Logger;
  private readonly load: () => Promise<WebUsbLike>;
  private readonly onConnect = (ev: { device: UsbDeviceLike }) => this.handle('attach', ev.device);
  private readonly onDisconnect = (ev: { device: UsbDeviceLike }) => this.handle('detach', ev.device);

  constructor(opts: UsbWatcherOptions = {}) {
    super();
    this.log = opts.logger ?? nullLogger;
    this.load = opts.loadUsb ?? loadRealUsb;
  }

  static isRecorder(d: Pick<UsbDeviceLike, 'vendorId' | 'productId'>): boolean {
    return knownUsbIds().some((k) => k.vendorId === d.vendorId && k.productId === d.productId);
  }

  private handle(kind: 'attach' | 'detach', d: UsbDeviceLike): void {
    if (!UsbWatcher.isRecorder(d)) return;
    const a: UsbAttach = { vendorId: d.vendorId, productId: d.productId, at: Date.now() };
    if (d.serialNumber) a.serial = d.serialNumber;
    if (d.productName) a.product = d.productName;
    this.emit(kind, a);
  }

  /**
   * Start watching. Resolves true when USB events will arrive, false when USB is unavailable (logged once).
   * The probe (getDevices) runs before any listener is added: on a machine without a USB bus the `usb` package
   * rejects inside addEventListener where nobody can catch it, so we must not get that far.
   */
  async start(): Promise<boolean> {
    if (this.available || this.unavailableReason) return this.available;
    let existing: UsbDeviceLike[];
    try {
      this.usb = await this.load();
      existing = await this.usb.getDevices();
      this.usb.addEventListener('connect', this.onConnect);
      this.usb.addEventListener('disconnect', this.onDisconnect);
    } catch (err) {
      this.unavailableReason = (err as Error)?.message ?? String(err);
      this.usb = undefined;
      this.log.info('USB watching is unavailable; recorders are still found by their mounted volume', {
        reason: this.unavailableReason,
      });
      return false;
    }
    this.available = true;
    for (const d of existing) this.handle('attach', d);
    return true;
  }

  stop(): void {
    if (this.usb && this.available) {
      this.usb.removeEventListener('connect', this.onConnect);
      this.usb.removeEventListener('disconnect', this.onDisconnect);
    }
    this.available = false;
    this.usb = undefined;
  }
}
