import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseModelFile } from '../../../main/sync/devices/model-file.js';
import { classifyDevice, identifyVolume } from '../../../main/sync/devices/identify.js';
import { knownUsbIds } from '../../../main/sync/devices/traits.js';
import { deviceWavHeader } from '../../support/fixtures/audio.js';

describe('parseModelFile', () => {
  it('reads the observed Note file with CRLF', () => {
    const m = parseModelFile('PLAUD NOTE V0095@00:47:14 Feb 28 2024\r\nSerial No.:888317426694681884\r\n');
    expect(m).toEqual({
      model: 'PLAUD NOTE',
      firmware: 'V0095',
      build: '00:47:14 Feb 28 2024',
      serial: '888317426694681884',
      warnings: [],
    });
  });
  it('reads LF, lower case, extra spaces, BOM and trailing NULs', () => {
    const m = parseModelFile(
      '\uFEFFplaud  notepin   V0123@12:00:00 Jan 1 2025\nserial no.: 882123456789012345\n\0\0\0',
    );
    expect(m?.model).toBe('PLAUD NOTEPIN');
    expect(m?.firmware).toBe('V0123');
    expect(m?.serial).toBe('882123456789012345');
  });
  it('a missing serial is a warning, not a failure', () => {
    const m = parseModelFile('PLAUD NOTE V0095@00:47:14 Feb 28 2024\n');
    expect(m?.serial).toBeUndefined();
    expect(m?.warnings.join(' ')).toMatch(/does not state a serial/);
  });
  it('a malformed serial value is rejected (it would become a folder name)', () => {
    const m = parseModelFile('PLAUD NOTE V0095\nSerial No.:../../etc\n');
    expect(m?.serial).toBeUndefined();
    expect(m?.warnings.join(' ')).toMatch(/not a valid serial/);
  });
  it("garbage or someone else's MODEL.txt is not a recorder", () => {
    expect(parseModelFile('\x00\x01\x02\xff garbage \x7f\n\n')).toBeNull();
    expect(parseModelFile('SanDisk Cruzer 3.0\n')).toBeNull();
    expect(parseModelFile('')).toBeNull();
  });
  it('no firmware token still gives the model, with a warning', () => {
    const m = parseModelFile('PLAUD NOTE\nSerial No.:888317426694681884');
    expect(m?.model).toBe('PLAUD NOTE');
    expect(m?.firmware).toBe('');
    expect(m?.warnings.join(' ')).toMatch(/firmware/);
  });
});

describe('classifyDevice', () => {
  it('model line decides; a consistent serial prefix confirms silently', () => {
    expect(classifyDevice({ model: 'PLAUD NOTE', serial: '888317426694681884' })).toMatchObject({
      sn_type: 'note',
      decidedBy: 'model',
      warnings: [],
    });
    expect(classifyDevice({ model: 'PLAUD NOTEPIN', serial: '882000000000000001' })).toMatchObject({
      sn_type: 'notepin',
      warnings: [],
    });
    expect(classifyDevice({ model: 'PLAUD NOTEPIN S', serial: '883000000000000001' })).toMatchObject({
      sn_type: 'notepin',
      warnings: [],
    });
    expect(classifyDevice({ model: 'PLAUD NOTEPRO', serial: '881000000000000001' })).toMatchObject({
      sn_type: 'notepro',
      warnings: [],
    });
  });
  it('model line wins over a disagreeing prefix, and says so', () => {
    const c = classifyDevice({ model: 'PLAUD NOTE', serial: '881000000000000001' });
    expect(c.sn_type).toBe('note');
    expect(c.warnings[0]).toMatch(/notepro/);
  });
  it('unknown model: prefix decides, then USB product, else other', () => {
    expect(classifyDevice({ model: 'PLAUD GIZMO', serial: '881000000000000001' })).toMatchObject({
      sn_type: 'notepro',
      decidedBy: 'serial-prefix',
    });
    expect(classifyDevice({ model: 'PLAUD GIZMO', serial: '999000000000000001', usbProduct: 'NOTEPIN' })).toMatchObject(
      { sn_type: 'notepin', decidedBy: 'usb-product' },
    );
    const other = classifyDevice({ model: 'PLAUD GIZMO', serial: '999000000000000001' });
    expect(other.sn_type).toBe('other');
    expect(other.warnings[0]).toMatch(/Unknown recorder model "PLAUD GIZMO"/);
    expect(classifyDevice({ model: 'PLAUD NOTE 2', serial: '999000000000000001' }).sn_type).toBe('note');
  });
  it('the trait table yields the Note USB ids once', () => {
    expect(knownUsbIds()).toEqual([{ vendorId: 0x0bda, productId: 0x4042 }]);
  });
});

describe('identifyVolume', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-identify-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('an ordinary USB stick is ignored quietly', async () => {
    await fs.writeFile(path.join(dir, 'photo.jpg'), 'x');
    expect(await identifyVolume(dir)).toBeNull();
  });

  it('identifies a Note and reports WAV and USB serial disagreements', async () => {
    await fs.writeFile(
      path.join(dir, 'MODEL.txt'),
      'PLAUD NOTE V0095@00:47:14 Feb 28 2024\r\nSerial No.:888317426694681884\r\n',
    );
    await fs.mkdir(path.join(dir, 'NOTES', '20240301'), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'NOTES', '20240301', '1709280000.WAV'),
      Buffer.concat([deviceWavHeader(6400, '888300000000000000'), Buffer.alloc(6400)]),
    );
    const info = await identifyVolume(dir, { usbSerial: '888399999999999999' });
    expect(info).toMatchObject({
      id: 'note:888317426694681884',
      sn: '888317426694681884',
      sn_type: 'note',
      model: 'PLAUD NOTE',
      firmware: 'V0095',
      build: '00:47:14 Feb 28 2024',
      mountPath: dir,
    });
    expect(info!.totalBytes).toBeGreaterThan(0);
    expect(info!.warnings).toHaveLength(2);
    expect(info!.warnings.join('\n')).toMatch(/USB says 888399999999999999/);
    expect(info!.warnings.join('\n')).toMatch(/WAV header says 888300000000000000/);
  });

  it('a MODEL.txt with two serial lines gives a warning naming both, and the first one is used', async () => {
    await fs.writeFile(
      path.join(dir, 'MODEL.txt'),
      'PLAUD NOTE V0095\nSerial No.:888317426694681884\nSerial No.:888300000000000042\n',
    );
    const info = await identifyVolume(dir, { checkWavSerial: false });
    expect(info?.sn).toBe('888317426694681884');
    expect(info?.warnings.join('\n')).toMatch(
      /MODEL\.txt states two serial numbers, 888317426694681884 and 888300000000000042; using 888317426694681884/,
    );
  });

  it('falls back to the USB serial when MODEL.txt has none', async () => {
    await fs.writeFile(path.join(dir, 'MODEL.txt'), 'PLAUD NOTE V0095\n');
    const info = await identifyVolume(dir, { usbSerial: '888317426694681884' });
    expect(info?.sn).toBe('888317426694681884');
    expect(info?.warnings.join(' ')).toMatch(/from the USB connection/);
  });

  it('a MODEL.txt that is a symlink is not followed', async () => {
    const target = path.join(dir, 'elsewhere.txt');
    await fs.writeFile(target, 'PLAUD NOTE V0095\nSerial No.:888317426694681884\n');
    await fs.symlink(target, path.join(dir, 'MODEL.txt'));
    expect(await identifyVolume(dir)).toBeNull();
  });
});
