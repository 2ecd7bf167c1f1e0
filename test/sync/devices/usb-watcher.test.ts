// USB side: the real `usb` package on a machine without a USB bus must not take the process down, and volume
// detection must go on; recorder attaches (fake WebUSB object of the same shape, as no bus exists here) are
// filtered by the trait table and make the monitor look at once, with the USB serial.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsbWatcher, type UsbDeviceLike, type WebUsbLike } from '../../../main/sync/devices/usb.js';
import { DeviceMonitor } from '../../../main/sync/devices/watcher.js';
import type { DeviceInfo } from '../../../main/sync/types.js';
import { writeModelTxt, TEST_SERIAL } from '../../support/recorder.js';

class FakeWebUsb implements WebUsbLike {
  listeners = new Map<string, Set<(ev: { device: UsbDeviceLike }) => void>>();
  constructor(private readonly present: UsbDeviceLike[] = []) {}
  async getDevices() {
    return this.present;
  }
  addEventListener(type: 'connect' | 'disconnect', l: (ev: { device: UsbDeviceLike }) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(l);
  }
  removeEventListener(type: 'connect' | 'disconnect', l: (ev: { device: UsbDeviceLike }) => void) {
    this.listeners.get(type)?.delete(l);
  }
  fire(type: 'connect' | 'disconnect', device: UsbDeviceLike) {
    for (const l of this.listeners.get(type) ?? []) l({ device });
  }
}

const PLAUD = {
  vendorId: 0x0bda,
  productId: 0x4042,
  serialNumber: TEST_SERIAL,
  productName: 'NOTE',
  manufacturerName: 'PLAUD',
};

describe('UsbWatcher', () => {
  it('with the real usb package and no USB bus: start() says unavailable, the process survives', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const w = new UsbWatcher();
      const ok = await w.start();
      await new Promise((r) => setTimeout(r, 300));
      if (!ok) expect(w.unavailableReason).toBeTruthy();
      expect(unhandled).toEqual([]);
      w.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('reports only recorders, including ones already plugged in, and stops listening on stop()', async () => {
    const usb = new FakeWebUsb([PLAUD, { vendorId: 0x046d, productId: 0xc52b }]);
    const w = new UsbWatcher({ loadUsb: async () => usb });
    const seen: unknown[] = [];
    w.on('attach', (a) => seen.push(['attach', a.serial, a.product]));
    w.on('detach', (a) => seen.push(['detach', a.serial]));
    expect(await w.start()).toBe(true);
    usb.fire('connect', { vendorId: 0x1234, productId: 1, serialNumber: 'X' });
    usb.fire('disconnect', PLAUD);
    expect(seen).toEqual([
      ['attach', TEST_SERIAL, 'NOTE'],
      ['detach', TEST_SERIAL],
    ]);
    w.stop();
    expect(usb.listeners.get('connect')?.size).toBe(0);
  });

  it('a loader that throws (no native driver) is logged once, not thrown', async () => {
    const logs: string[] = [];
    const logger = { debug() {}, info: (m: string) => logs.push(m), warn() {}, error() {} };
    const w = new UsbWatcher({ logger, loadUsb: async () => Promise.reject(new Error('No native build was found')) });
    expect(await w.start()).toBe(false);
    expect(await w.start()).toBe(false);
    expect(logs).toHaveLength(1);
    expect(w.unavailableReason).toMatch(/No native build/);
  });
});

describe('DeviceMonitor with USB hints', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-usbmon-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('a USB attach makes it look at once and supplies the USB serial; a mismatch becomes a warning', async () => {
    const usb = new FakeWebUsb();
    // Slow fallback and no follow-ups: only the USB event can make it look.
    const monitor = new DeviceMonitor({
      mountRoots: [root],
      usb: new UsbWatcher({ loadUsb: async () => usb }),
      followUpMs: [],
      rescanIntervalMs: 60_000,
    });
    await monitor.start();
    try {
      // The volume appears without a filesystem event the watcher sees (a mount over an existing folder).
      const vol = path.join(root, 'PLAUD_NOTE');
      await fs.mkdir(vol);
      await new Promise((r) => setTimeout(r, 400));
      await writeModelTxt(vol, {});
      const attached = new Promise<DeviceInfo>((resolve) => monitor.once('device-attached', resolve));
      usb.fire('connect', { ...PLAUD, serialNumber: '888300000000000001' });
      const info = await attached;
      expect(info).toMatchObject({ sn: TEST_SERIAL, usbSerial: '888300000000000001', mountPath: vol });
      expect(info.warnings.join(' ')).toMatch(
        /Serial numbers disagree: MODEL.txt says 888317426694681884, USB says 888300000000000001/,
      );
      expect(monitor.devices()).toHaveLength(1);
    } finally {
      await monitor.stop();
    }
  });
});
