// Writes the tray icons (assets/tray) as PNGs with node:zlib only: one glyph per tray state,
// a coloured variant for Windows/Linux and a black-with-alpha "Template" variant for the macOS
// menu bar, each at 16 px and @2x (32 px). Run: npx tsx scripts/make-tray-icons.ts
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

type Inside = (x: number, y: number) => boolean; // unit square, origin top-left

const STATES = ['idle', 'syncing', 'attention', 'offline', 'paused'] as const;
type State = (typeof STATES)[number];

const COLORS: Record<State, [number, number, number]> = {
  idle: [0x25, 0x63, 0xeb], // blue
  syncing: [0x25, 0x63, 0xeb],
  attention: [0xd9, 0x77, 0x06], // amber
  offline: [0x6b, 0x72, 0x80], // grey
  paused: [0x6b, 0x72, 0x80],
};

const C = 0.5;
const dist = (x: number, y: number) => Math.hypot(x - C, y - C);
const ring: Inside = (x, y) => Math.abs(dist(x, y) - 0.38) <= 0.07;
const disc =
  (r: number): Inside =>
  (x, y) =>
    dist(x, y) <= r;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Inside =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union =
  (...s: Inside[]): Inside =>
  (x, y) =>
    s.some((f) => f(x, y));
const minus =
  (a: Inside, b: Inside): Inside =>
  (x, y) =>
    a(x, y) && !b(x, y);

function triangle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): Inside {
  const sign = (px: number, py: number, qx: number, qy: number, rx: number, ry: number) =>
    (px - rx) * (qy - ry) - (qx - rx) * (py - ry);
  return (x, y) => {
    const d1 = sign(x, y, ax, ay, bx, by);
    const d2 = sign(x, y, bx, by, cx, cy);
    const d3 = sign(x, y, cx, cy, ax, ay);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
}

// A 270-degree arc with an arrowhead: "work in progress".
const arc: Inside = (x, y) => {
  const a = Math.atan2(y - C, x - C); // -pi..pi, 0 = right, pi/2 = down
  return Math.abs(dist(x, y) - 0.36) <= 0.07 && !(a > -Math.PI / 2 && a < 0);
};
const slash: Inside = (x, y) => Math.abs(x - y) <= 0.07 && x > 0.12 && x < 0.88;

const GLYPHS: Record<State, Inside> = {
  idle: union(ring, disc(0.17)),
  syncing: union(arc, triangle(0.5, 0.0, 0.5, 0.3, 0.72, 0.14)),
  // A disc with the exclamation mark cut out of it.
  attention: minus(
    disc(0.46),
    union(rect(0.44, 0.18, 0.56, 0.6), (x, y) => Math.hypot(x - 0.5, y - 0.74) <= 0.07),
  ),
  offline: union(
    minus(ring, (x, y) => Math.abs(x - y) <= 0.14),
    slash,
  ),
  paused: union(ring, rect(0.36, 0.32, 0.45, 0.68), rect(0.55, 0.32, 0.64, 0.68)),
};

function rasterize(shape: Inside, size: number, rgb: [number, number, number]): Buffer {
  const ss = 4; // 4x4 supersampling for smooth edges
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0 (None) + RGBA
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < ss; sy++)
        for (let sx = 0; sx < ss; sx++) if (shape((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)) hits++;
      const o = 1 + px * 4;
      row[o] = rgb[0];
      row[o + 1] = rgb[1];
      row[o + 2] = rgb[2];
      row[o + 3] = Math.round((hits / (ss * ss)) * 255);
    }
    rows.push(row);
  }
  return Buffer.concat(rows);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export function png(size: number, rgbaRows: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rgbaRows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function writeTrayIcons(outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const state of STATES) {
    for (const [suffix, scale] of [
      ['', 1],
      ['@2x', 2],
    ] as const) {
      const size = 16 * scale;
      for (const [variant, rgb] of [
        ['', COLORS[state]],
        ['Template', [0, 0, 0] as [number, number, number]],
      ] as const) {
        const file = path.join(outDir, `${state}${variant}${suffix}.png`);
        fs.writeFileSync(file, png(size, rasterize(GLYPHS[state], size, rgb)));
        written.push(file);
      }
    }
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = fileURLToPath(new URL('../assets/tray', import.meta.url));
  for (const f of writeTrayIcons(out)) console.log(path.relative(process.cwd(), f));
}
