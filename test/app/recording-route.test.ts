// The window's player: app://plaud-sync/recording/<id> serves a synced recording's playable file, found through the
// engine's own history query over a real ledger. Only ids the history holds, only the playable audio file, never a
// path the page names. Real files, real Request/Response objects.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../main/app/csp.js';
import { rendererFiles } from '../../main/app/protocol.js';
import { byteRange } from '../../main/app/recordings.js';
import { openLedger, type Ledger } from '../../main/sync/ledger/index.js';
import { queryHistory } from '../../main/sync/engine/views.js';
import { DEVICE, pulledPatch, recording, uploadPatch } from '../sync/ledger/fixtures.js';

let tmp: string;
let ledger: Ledger;
let serve: (r: Request) => Promise<Response>;
let id: string;
let asrOnlyId: string;
const audio = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
const get = (url: string, init?: RequestInit) => serve(new Request(url, init));
const url = (recId: string) => `app://plaud-sync/recording/${encodeURIComponent(recId)}`;

/** A synced recording whose playable file is `file` (written with `body`). */
function synced(i: number, file: string, body: Buffer): string {
  const rec = recording(i);
  fs.writeFileSync(file, body);
  const p = pulledPatch(rec, i);
  p.pulled!.upload = { ...p.pulled!.upload, path: file, size: body.length };
  const { id: rid } = ledger.discover(rec, DEVICE);
  ledger.transition(rid, 'pulling');
  ledger.transition(rid, 'pulled', p);
  ledger.transition(rid, 'uploading', uploadPatch(i));
  ledger.transition(rid, 'completing');
  ledger.transition(rid, 'synced', { cloudFileId: `cloud-${i}` });
  return rid;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recording-route-'));
  const dir = path.join(tmp, 'out', 'renderer');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Plaud Sync</title>');
  fs.writeFileSync(path.join(tmp, 'secrets.json'), '{"apiToken":"x"}');
  const lib = path.join(tmp, 'library');
  fs.mkdirSync(lib);
  ledger = await openLedger(path.join(tmp, 'ledger'));
  id = synced(1, path.join(lib, '2024-03-01 09.00 Note.opus'), audio);
  // A record whose "playable" file is not audio the library makes: never served.
  asrOnlyId = synced(2, path.join(lib, 'raw.ASR'), Buffer.from('asr'));
  const engine = { getHistory: async (q: Parameters<typeof queryHistory>[1]) => queryHistory(ledger.all(), q) };
  serve = rendererFiles(dir, contentSecurityPolicy(), () => engine);
});
afterAll(() => {
  ledger.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('app://plaud-sync/recording/<id>', () => {
  it('serves the playable file by its id, with its audio type, and one byte range for seeking', async () => {
    const r = await get(url(id));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/ogg; codecs=opus');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await r.arrayBuffer()).equals(audio)).toBe(true);

    const part = await get(url(id), { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${audio.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(audio.subarray(100, 200))).toBe(true);
    const tail = await get(url(id), { headers: { range: 'bytes=9000-' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(audio.subarray(9000))).toBe(true);
    expect((await get(url(id), { headers: { range: 'bytes=20000-' } })).status).toBe(416);
    const head = await get(url(id), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(audio.length));
    expect(await head.text()).toBe('');
    expect((await get(url(id), { method: 'POST' })).status).toBe(405);
  });

  it('refuses unknown ids, paths, traversal and files that are not the playable audio', async () => {
    const refused = [
      url('888000000000000000/NOTES/20240301/1709280000'),
      url(path.join(tmp, 'secrets.json')),
      url('../../secrets.json'),
      'app://plaud-sync/recording/..%2F..%2Fsecrets.json',
      'app://plaud-sync/recording/',
      'app://plaud-sync/recording/a/b',
      `app://plaud-sync/recording/${id}`, // the id's own "/" not encoded: some other path
      url(asrOnlyId),
      `app://other-host/recording/${encodeURIComponent(id)}`,
    ];
    for (const u of refused) {
      const r = await get(u);
      expect(r.status, u).toBe(404);
      expect(await r.text(), u).not.toContain('apiToken');
    }
    expect((await get('app://plaud-sync/recording/%E0%A4%A')).status).toBe(400); // a malformed address
    // A page file named like the route is not a way around it: the route never reads the renderer folder.
    expect((await get('app://plaud-sync/index.html')).status).toBe(200);
  });

  it('without an engine (the app still starting) nothing is served', async () => {
    const early = rendererFiles(path.join(tmp, 'out', 'renderer'), '', () => undefined);
    expect((await early(new Request(url(id)))).status).toBe(404);
  });

  it('reads a Range header the way browsers send it', () => {
    expect(byteRange(null, 100)).toBeNull();
    expect(byteRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 });
    expect(byteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(byteRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(byteRange('bytes=100-', 100)).toBe('bad');
    expect(byteRange('bytes=0-1,5-6', 100)).toBe('bad');
    expect(byteRange('items=0-1', 100)).toBe('bad');
  });
});
