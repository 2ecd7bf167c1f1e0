// The committed icons: what electron-builder reads for each platform, in valid containers, at the sizes
// they claim, rendered from assets/icon.svg (not blank).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ICNS_TYPES,
  ICO_SIZES,
  LINUX_SIZES,
  decodeIcns,
  decodeIco,
  encodeIcns,
  encodeIco,
  encodeIcoBmp,
  pngSize,
} from '../../scripts/icons.js';
import { ROOT, loadConfig } from './builder.js';

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel));

describe('icon containers', () => {
  it('round-trips icns and ico and refuses broken files', () => {
    const png = read('build/icons/16x16.png');
    const icns = encodeIcns([{ type: 'icp4', png }]);
    expect(decodeIcns(icns)).toEqual([{ type: 'icp4', data: png }]);
    expect(() => decodeIcns(icns.subarray(0, icns.length - 1))).toThrow(/length/);
    const ico = encodeIco([{ size: 16, data: png }]);
    expect(decodeIco(ico)).toEqual([{ width: 16, height: 16, data: png }]);
    expect(() => decodeIco(ico.subarray(0, ico.length - 4))).toThrow(/past the end/);
    expect(() => pngSize(Buffer.from('not a png at all, not at all'))).toThrow(/not a PNG/);
  });

  it('writes 32-bit BMP icon images bottom-up with an AND mask', () => {
    // 2x2: top-left red, top-right green, bottom-left blue, bottom-right transparent.
    const rgba = Buffer.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0]);
    const bmp = encodeIcoBmp(2, rgba);
    expect(bmp.readUInt32LE(0)).toBe(40);
    expect(bmp.readInt32LE(8)).toBe(4); // doubled height
    // First stored row is the bottom one, BGRA: blue then transparent.
    expect([...bmp.subarray(40, 48)]).toEqual([255, 0, 0, 255, 0, 0, 0, 0]);
    expect([...bmp.subarray(48, 56)]).toEqual([0, 0, 255, 255, 0, 255, 0, 255]);
    expect(bmp.length).toBe(40 + 16 + 2 * 4);
  });
});

describe('committed icons', () => {
  it('macOS .icns holds every PNG size it declares', async () => {
    const c = await loadConfig();
    const elements = decodeIcns(read(c.mac!.icon!));
    expect(elements.map((e) => e.type).sort()).toEqual(ICNS_TYPES.map((t) => t.type).sort());
    for (const e of elements) {
      const want = ICNS_TYPES.find((t) => t.type === e.type)!.size;
      expect(pngSize(e.data), e.type).toEqual({ width: want, height: want });
    }
  });

  it('Windows .ico holds 16..256, with 256 as PNG (what NSIS and the exe need)', async () => {
    const c = await loadConfig();
    const images = decodeIco(read(c.win!.icon!));
    expect(images.map((i) => i.width)).toEqual([...ICO_SIZES]);
    for (const img of images) {
      if (img.width === 256) {
        expect(pngSize(img.data)).toEqual({ width: 256, height: 256 });
      } else {
        expect(img.data.readInt32LE(4)).toBe(img.width);
        expect(img.data.readInt32LE(8)).toBe(img.width * 2);
        // Not blank: the rounded square covers the middle of the icon opaquely.
        const size = img.width;
        const mid = 40 + ((size >> 1) * size + (size >> 1)) * 4;
        expect(img.data[mid + 3], `${size}px centre alpha`).toBeGreaterThan(200);
        // ...and the corner is transparent (it is a rounded square on a clear background).
        expect(img.data[40 + 3], `${size}px corner alpha`).toBeLessThan(20);
      }
    }
  });

  it('Linux icon folder has NxN.png files of their named size', async () => {
    const c = await loadConfig();
    const dir = c.linux!.icon!;
    const files = fs.readdirSync(path.join(ROOT, dir)).sort();
    expect(files).toEqual(LINUX_SIZES.map((s) => `${s}x${s}.png`).sort());
    for (const f of files) {
      const n = Number(f.split('x')[0]);
      expect(pngSize(read(`${dir}/${f}`))).toEqual({ width: n, height: n });
    }
  });

  it('the window icon is a 512 px PNG; the source is a 1024 px SVG', () => {
    const svg = read('assets/icon.svg').toString('utf8');
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
    expect(pngSize(read('assets/icon.png'))).toEqual({ width: 512, height: 512 });
  });
});
