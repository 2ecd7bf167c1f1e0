// timezone / zonemins: the machine's UTC offset at the recording's start, DST included, sign on both parts.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import { splitOffset, zoneOffsetAt } from '../../../main/sync/upload/timezone.js';
import { MultipartUploader } from '../../../main/sync/upload/uploader.js';
import { makeOpusLike, useEmulatorAndDir } from './helpers.js';

const JAN = Date.UTC(2024, 0, 15, 12); // southern summer, northern winter
const JUL = Date.UTC(2024, 6, 15, 12);

const CASES: [zone: string, at: number, label: string, tz: number, mins: number][] = [
  ['Asia/Kolkata', JUL, '+05:30', 5, 30],
  ['America/St_Johns', JAN, '-03:30 (winter)', -3, -30],
  ['America/St_Johns', JUL, '-02:30 (DST)', -2, -30],
  ['Europe/Berlin', JAN, '+01:00 (winter)', 1, 0],
  ['Europe/Berlin', JUL, '+02:00 (summer)', 2, 0],
  ['Pacific/Chatham', JAN, '+13:45 (summer)', 13, 45],
  ['Pacific/Chatham', JUL, '+12:45 (winter)', 12, 45],
  ['Pacific/Marquesas', JUL, '-09:30', -9, -30],
  ['UTC', JUL, '+00:00', 0, 0],
];

describe('splitOffset', () => {
  it('keeps the sign on both parts and never yields -0', () => {
    expect(splitOffset(330)).toMatchObject({ timezone: 5, zonemins: 30 });
    expect(splitOffset(-210)).toMatchObject({ timezone: -3, zonemins: -30 });
    expect(splitOffset(-30)).toMatchObject({ timezone: 0, zonemins: -30 });
    expect(Object.is(splitOffset(0).timezone, 0) && Object.is(splitOffset(0).zonemins, 0)).toBe(true);
    expect(Object.is(splitOffset(-60).zonemins, 0)).toBe(true);
  });
});

describe('zoneOffsetAt with an explicit zone', () => {
  it.each(CASES)('%s at %s is %s', (zone, at, _label, tz, mins) => {
    expect(zoneOffsetAt(at, zone)).toMatchObject({ timezone: tz, zonemins: mins });
  });

  it('uses the offset at the recording start across a DST switch (Berlin, 2024-03-31 01:00 UTC)', () => {
    const switchAt = Date.UTC(2024, 2, 31, 1);
    expect(zoneOffsetAt(switchAt - 1, 'Europe/Berlin').timezone).toBe(1);
    expect(zoneOffsetAt(switchAt, 'Europe/Berlin').timezone).toBe(2);
  });
});

describe("the machine's zone (TZ)", () => {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it.each(CASES)('TZ=%s at %s gives %s (in this process)', (zone, at, _label, tz, mins) => {
    process.env.TZ = zone;
    expect(zoneOffsetAt(at)).toMatchObject({ timezone: tz, zonemins: mins });
  });

  it('gives the same answers in a fresh process started with TZ set', () => {
    const script = `
      const { zoneOffsetAt } = await import(${JSON.stringify(new URL('../../../main/sync/upload/timezone.ts', import.meta.url).href)});
      process.stdout.write(JSON.stringify([${JAN}, ${JUL}].map((t) => zoneOffsetAt(t))));`;
    const run = (tzName: string) =>
      JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
          env: { ...process.env, TZ: tzName },
          encoding: 'utf8',
        }),
      ) as { timezone: number; zonemins: number }[];
    expect(run('Pacific/Chatham').map((o) => [o.timezone, o.zonemins])).toEqual([
      [13, 45],
      [12, 45],
    ]);
    expect(run('America/St_Johns').map((o) => [o.timezone, o.zonemins])).toEqual([
      [-3, -30],
      [-2, -30],
    ]);
  });

  describe('end to end: what complete-upload carries', () => {
    const ctx = useEmulatorAndDir();

    it.each([
      ['Asia/Kolkata', JUL, 5, 30],
      ['America/St_Johns', JAN, -3, -30],
      ['Pacific/Chatham', JAN, 13, 45],
    ])('TZ=%s', async (zone, at, tz, mins) => {
      process.env.TZ = zone;
      const file = await makeOpusLike(ctx.dir, `${zone.replace('/', '_')}.opus`, 1000);
      const client = new PlaudCloudClient({
        apiBase: ctx.emu.baseUrl,
        credentials: { kind: 'token', token: ctx.emu.token },
      });
      const r = await new MultipartUploader(client).upload({
        path: file,
        filetype: 'opus',
        snType: 'notepin',
        sn: '882000000000000001',
        startTime: at,
        durationMs: 1000,
      });
      const stored = ctx.emu.files().find((f) => f.fileId === r.fileId)!;
      expect([stored.body.timezone, stored.body.zonemins]).toEqual([tz, mins]);
      expect([r.file.timezone, r.file.zonemins]).toEqual([tz, mins]);
    });
  });
});
