// The types that cross between parts of the engine are declared once, in main/sync/types.ts, and the parts that
// cannot import each other (the ledger and the uploader) both take them from there. A second declaration would let
// the two drift apart silently, since TypeScript compares shapes, not names.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { partSchema } from '../../main/sync/ledger/types.js';
import type { UploadedPart } from '../../main/sync/types.js';
import type { UploadState } from '../../main/sync/upload/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../main/sync');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('shared engine types', () => {
  it('each is declared in exactly one file, main/sync/types.ts', () => {
    const files = sources(ROOT);
    for (const name of ['UploadedPart', 'SnType', 'UploadFormat', 'DeviceInfo', 'Recording']) {
      const declaring = files.filter((f) =>
        new RegExp(`^export (?:interface|type) ${name}\\b`, 'm').test(fs.readFileSync(f, 'utf8')),
      );
      expect(
        declaring.map((f) => path.relative(ROOT, f)),
        name,
      ).toEqual(['types.ts']);
    }
  });

  it("the ledger's schema accepts the parts the uploader reports, and refuses what cannot be a part", () => {
    const parts: UploadState['parts'] = [{ partNumber: 1, etag: '"abc"' }];
    const one: UploadedPart = parts[0]!;
    expect(partSchema.parse(one)).toEqual(one);
    expect(partSchema.safeParse({ partNumber: 0, etag: 'x' }).success).toBe(false);
    expect(partSchema.safeParse({ partNumber: 2, etag: '' }).success).toBe(false);
  });
});
