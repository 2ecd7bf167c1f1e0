// Finding a recording's playable library file from its id, for "Open", "Show in folder" and the window's player.
// The id is looked up in the engine's history: a page can name a recording, never a path.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SyncEngineApi } from '../sync/engine/api.js';
import type { HistoryEntry } from '../sync/engine/state.js';

/** The synced recording with exactly this id, or undefined. */
export async function findRecording(
  engine: Pick<SyncEngineApi, 'getHistory'>,
  id: string,
): Promise<HistoryEntry | undefined> {
  // The history search matches ids; the exact match is picked among what it finds.
  const found = await engine.getHistory({ text: id, limit: 1000 });
  return found.entries.find((e) => e.id === id);
}

/** The audio types of the playable files the library holds (Ogg Opus, MP3). */
export const AUDIO_TYPES: Readonly<Record<string, string>> = {
  '.opus': 'audio/ogg; codecs=opus',
  '.ogg': 'audio/ogg',
  '.mp3': 'audio/mpeg',
};

const notFound = () =>
  new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * The one byte range of a "Range: bytes=a-b" header within a file of `size` bytes; null for none, 'bad' for one we
 * cannot serve.
 */
export function byteRange(header: string | null, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    // "bytes=-N": the last N bytes.
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

/**
 * Serves a synced recording's playable file by its id (the window's player). Only files the history names, only the
 * audio types the library makes; anything else is "not found". One byte range is honoured, so the player can seek.
 */
export async function serveRecording(
  engine: Pick<SyncEngineApi, 'getHistory'>,
  id: string,
  request: Pick<Request, 'method' | 'headers'>,
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
  const entry = id ? await findRecording(engine, id) : undefined;
  const type = entry ? AUDIO_TYPES[path.extname(entry.localPath).toLowerCase()] : undefined;
  if (!entry || !type) return notFound();
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(entry.localPath, 'r');
  } catch {
    return notFound();
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return notFound();
    const range = byteRange(request.headers.get('range'), st.size);
    const headers: Record<string, string> = {
      'content-type': type,
      'accept-ranges': 'bytes',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (range === 'bad')
      return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${st.size}` } });
    const start = range?.start ?? 0;
    const end = range?.end ?? st.size - 1;
    const length = Math.max(0, end - start + 1);
    headers['content-length'] = String(length);
    if (range) headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
    let body: Uint8Array<ArrayBuffer> | null = null;
    if (request.method === 'GET') {
      body = new Uint8Array(length);
      let off = 0;
      while (off < length) {
        const { bytesRead } = await fh.read(body, off, length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      body = body.subarray(0, off);
    }
    return new Response(body, { status: range ? 206 : 200, headers });
  } finally {
    await fh.close();
  }
}
