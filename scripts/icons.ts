// `npm run icons`: renders assets/icon.svg (the one source image) into every icon the installers and the
// app need, offline. Chromium (headless, via playwright-core) rasterises the SVG on a canvas at each size;
// the .icns and .ico containers are written here. The outputs are committed, so packaging never runs this.
//
// Outputs:
//   build/icon.icns          macOS (PNG payloads, 16..1024 incl. @2x)
//   build/icon.ico           Windows (16..128 as 32-bit BMP for old shells, 256 as PNG)
//   build/icons/NxN.png      Linux (electron-builder copies them into hicolor/NxN/apps)
//   assets/icon.png          512 px, for the window icon at run time (Linux/Windows)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

/** A rendered square icon: PNG bytes and raw top-down RGBA pixels. */
export interface RenderedIcon {
  size: number;
  png: Buffer;
  rgba: Buffer;
}

/** ICNS element types with PNG payloads and the pixel size each holds (Apple's icns format). */
export const ICNS_TYPES: readonly { type: string; size: number }[] = [
  { type: 'icp4', size: 16 },
  { type: 'icp5', size: 32 },
  { type: 'icp6', size: 64 },
  { type: 'ic07', size: 128 },
  { type: 'ic08', size: 256 },
  { type: 'ic09', size: 512 },
  { type: 'ic10', size: 1024 }, // 512@2x
  { type: 'ic11', size: 32 }, // 16@2x
  { type: 'ic12', size: 64 }, // 32@2x
  { type: 'ic13', size: 256 }, // 128@2x
  { type: 'ic14', size: 512 }, // 256@2x
];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export const RUNTIME_ICON_SIZE = 512;

/** Width and height from a PNG's IHDR chunk; throws on anything that is not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(sig) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG (bad signature or missing IHDR)');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** An .icns file: 'icns' + total length, then (type, length incl. 8-byte header, payload) elements. */
export function encodeIcns(elements: { type: string; png: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of elements) {
    if (e.type.length !== 4) throw new Error(`icns type must be 4 characters: ${e.type}`);
    const head = Buffer.alloc(8);
    head.write(e.type, 0, 'latin1');
    head.writeUInt32BE(8 + e.png.length, 4);
    parts.push(head, e.png);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

/** The elements of an .icns file (validates the container lengths). */
export function decodeIcns(buf: Buffer): { type: string; data: Buffer }[] {
  if (buf.toString('latin1', 0, 4) !== 'icns') throw new Error('not an icns file');
  if (buf.readUInt32BE(4) !== buf.length)
    throw new Error(`icns length field ${buf.readUInt32BE(4)} != file size ${buf.length}`);
  const out: { type: string; data: Buffer }[] = [];
  let off = 8;
  while (off < buf.length) {
    if (off + 8 > buf.length) throw new Error(`truncated icns element header at ${off}`);
    const len = buf.readUInt32BE(off + 4);
    if (len < 8 || off + len > buf.length) throw new Error(`bad icns element length ${len} at ${off}`);
    out.push({ type: buf.toString('latin1', off, off + 4), data: buf.subarray(off + 8, off + len) });
    off += len;
  }
  return out;
}

/**
 * A 32-bit BMP (DIB) icon image: BITMAPINFOHEADER with doubled height, bottom-up BGRA rows, then the
 * 1-bit AND mask (all zero: transparency comes from alpha). Used for small sizes, which some Windows
 * shells and resource tools do not read as PNG.
 */
export function encodeIcoBmp(size: number, rgba: Buffer): Buffer {
  if (rgba.length !== size * size * 4) throw new Error(`expected ${size * size * 4} RGBA bytes, got ${rgba.length}`);
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR image + AND mask
  header.writeUInt16LE(1, 12); // planes
  header.writeUInt16LE(32, 14); // bits per pixel
  header.writeUInt32LE(0, 16); // BI_RGB
  const xor = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    const src = (size - 1 - y) * size * 4; // bottom-up
    for (let x = 0; x < size; x++) {
      const s = src + x * 4;
      const d = (y * size + x) * 4;
      xor[d] = rgba[s + 2]!;
      xor[d + 1] = rgba[s + 1]!;
      xor[d + 2] = rgba[s]!;
      xor[d + 3] = rgba[s + 3]!;
    }
  }
  const maskRow = Math.ceil(size / 32) * 4;
  header.writeUInt32LE(xor.length + maskRow * size, 20);
  return Buffer.concat([header, xor, Buffer.alloc(maskRow * size)]);
}

/** An .ico file: ICONDIR, one 16-byte ICONDIRENTRY per image, then the images (PNG or BMP). */
export function encodeIco(images: { size: number; data: Buffer }[]): Buffer {
  const dir = Buffer.alloc(6);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // 1 = icon
  dir.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const img of images) {
    if (img.size < 1 || img.size > 256) throw new Error(`ico images are 1..256 px, not ${img.size}`);
    const e = Buffer.alloc(16);
    e.writeUInt8(img.size === 256 ? 0 : img.size, 0); // 0 means 256
    e.writeUInt8(img.size === 256 ? 0 : img.size, 1);
    e.writeUInt8(0, 2); // no palette
    e.writeUInt8(0, 3);
    e.writeUInt16LE(1, 4); // planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(img.data.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += img.data.length;
    entries.push(e);
  }
  return Buffer.concat([dir, ...entries, ...images.map((i) => i.data)]);
}

/** The images of an .ico file with the size each entry declares (validates offsets). */
export function decodeIco(buf: Buffer): { width: number; height: number; data: Buffer }[] {
  if (buf.length < 6 || buf.readUInt16LE(0) !== 0 || buf.readUInt16LE(2) !== 1) throw new Error('not an ico file');
  const n = buf.readUInt16LE(4);
  const out: { width: number; height: number; data: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const e = 6 + 16 * i;
    if (e + 16 > buf.length) throw new Error('truncated ico directory');
    const len = buf.readUInt32LE(e + 8);
    const off = buf.readUInt32LE(e + 12);
    if (off + len > buf.length) throw new Error(`ico image ${i} runs past the end of the file`);
    out.push({
      width: buf.readUInt8(e) || 256,
      height: buf.readUInt8(e + 1) || 256,
      data: buf.subarray(off, off + len),
    });
  }
  return out;
}

/** Renders the SVG at each size in one headless Chromium session. */
export async function renderSvg(svg: string, sizes: readonly number[]): Promise<Map<number, RenderedIcon>> {
  const { existsSync } = await import('node:fs');
  const executablePath = CHROMIUM_CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!executablePath) {
    throw new Error(
      'No Chromium found (tried CHROMIUM_PATH, /usr/bin/chromium, ...). Install chromium or set CHROMIUM_PATH; the committed icons are still usable.',
    );
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const dataUrl = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    // Browser-side code as text: this file is typechecked without DOM types.
    const script = `(async () => {
      const img = new Image();
      img.src = ${JSON.stringify(dataUrl)};
      await img.decode();
      const toB64 = (bytes) => {
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
      return ${JSON.stringify([...sizes])}.map((size) => {
        const canvas = document.createElement('canvas');
        canvas.width = size;
        canvas.height = size;
        const ctx = canvas.getContext('2d');
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(img, 0, 0, size, size);
        return { size, png: canvas.toDataURL('image/png').split(',')[1], rgba: toB64(ctx.getImageData(0, 0, size, size).data) };
      });
    })()`;
    const results = (await page.evaluate(script)) as { size: number; png: string; rgba: string }[];
    return new Map(
      results.map((r) => [
        r.size,
        { size: r.size, png: Buffer.from(r.png, 'base64'), rgba: Buffer.from(r.rgba, 'base64') },
      ]),
    );
  } finally {
    await browser.close();
  }
}

export async function generateIcons(root = ROOT): Promise<string[]> {
  const svg = await readFile(path.join(root, 'assets', 'icon.svg'), 'utf8');
  const sizes = [...new Set([...ICNS_TYPES.map((t) => t.size), ...ICO_SIZES, ...LINUX_SIZES, RUNTIME_ICON_SIZE])].sort(
    (a, b) => a - b,
  );
  const r = await renderSvg(svg, sizes);
  const get = (size: number): RenderedIcon => {
    const icon = r.get(size);
    if (!icon) throw new Error(`size ${size} was not rendered`);
    return icon;
  };
  const written: string[] = [];
  const out = async (rel: string, data: Buffer): Promise<void> => {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    written.push(rel);
  };
  await out('build/icon.icns', encodeIcns(ICNS_TYPES.map((t) => ({ type: t.type, png: get(t.size).png }))));
  await out(
    'build/icon.ico',
    encodeIco(ICO_SIZES.map((s) => ({ size: s, data: s === 256 ? get(s).png : encodeIcoBmp(s, get(s).rgba) }))),
  );
  for (const s of LINUX_SIZES) await out(`build/icons/${s}x${s}.png`, get(s).png);
  await out('assets/icon.png', get(RUNTIME_ICON_SIZE).png);
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  generateIcons().then(
    (files) => console.log(`icons: wrote ${files.length} files:\n  ${files.join('\n  ')}`),
    (err: unknown) => {
      console.error(`icons: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
