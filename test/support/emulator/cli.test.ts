// `npm run emulator` as a person uses it: it prints what to point the app at, serves the snake_case casing when asked,
// and stops cleanly on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  complete,
  completeBody,
  exchangeToken,
  oggOpusBytes,
  postJson,
  putAllParts,
  normalisePresigned,
} from './fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/**
 * A port that is free now, below Linux's ephemeral range (32768+): a port the kernel handed out as ephemeral can be
 * handed to another test's listener in the second the emulator takes to start, which CI once hit (EADDRINUSE).
 */
function freePort(): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(freePort()));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(port)));
  });
}

describe('npm run emulator', () => {
  it('prints base URL, token and client credentials, answers snake_case when asked, and exits 0 on SIGINT', async () => {
    const port = await freePort();
    child = spawn(
      path.join(root, 'node_modules/.bin/tsx'),
      [
        'test/support/emulator/cli.ts',
        '--port',
        String(port),
        '--casing',
        'snake',
        '--client-id',
        'cli-id',
        '--client-secret',
        'cli-secret',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl-C')) resolve();
      });
      child!.on('exit', (code) => reject(new Error(`emulator exited early (${code}): ${err}`)));
      setTimeout(() => reject(new Error(`no banner within 30 s: ${out} ${err}`)), 30_000);
    });
    const baseUrl = /API base URL:\s+(\S+)/.exec(out)![1]!;
    const token = /API token:\s+(\S+)/.exec(out)![1]!;
    expect(baseUrl).toBe(`http://127.0.0.1:${port}`);
    expect(out).toMatch(/client id:\s+cli-id/);
    expect(out).toMatch(/client secret:\s+cli-secret/);

    const exchanged = await exchangeToken(baseUrl, 'cli-id', 'cli-secret');
    expect(exchanged.status).toBe(200);

    const data = oggOpusBytes(2000);
    const res = await postJson(baseUrl, '/api/files/upload-s3/generate-presigned-urls', token, {
      filesize: data.length,
      filetype: 'opus',
    });
    const raw = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(['chunk_size', 'file_id', 'parts', 'upload_id']);
    expect(raw.chunk_size).toBe(5 * 1024 * 1024);
    expect(raw.parts).toEqual([
      { part_number: 1, presigned_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//) },
    ]);
    const p = normalisePresigned(raw);
    const list = await putAllParts(data, p);
    expect((await complete(baseUrl, token, completeBody(data, p, list))).status).toBe(200);
    const listing = (await (await fetch(`${baseUrl}/__emulator/files`)).json()) as { fileId: string }[];
    expect(listing.map((f) => f.fileId)).toEqual([p.fileId]);

    const exit = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    await expect(fetch(`${baseUrl}/__emulator/health`)).rejects.toThrow();
  });

  it('refuses a bad --casing with a clear message', async () => {
    const p = spawn(path.join(root, 'node_modules/.bin/tsx'), ['test/support/emulator/cli.ts', '--casing', 'camel'], {
      cwd: root,
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('--casing must be pascal or snake');
  });
});
