// Secrets never leave in any string. The emulator plants every secret the client knows in every kind of answer (a
// JSON error that echoes the Authorization header, an HTML page where a secret straddles the point where messages are
// cut, a body of several MiB) and afterwards every file in the state folder and every line the CLI printed is
// searched for any 8-character piece of each secret: the token, the client secret, their base64 credentials, the
// token the client-credentials exchange issued, and presigned signatures and credentials.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../support/fuse.js';
import { jsonLines, runCli, type CliResult } from '../support/cli.js';
import { layOutRecorder } from '../support/recorder.js';

const noFuse = fuseUnavailableReason();
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
if (noFuse) console.warn(`redaction test skipped: ${noFuse}`);
if (!hasFfmpeg) console.warn('redaction test skipped: ffmpeg is not installed (Debian package ffmpeg)');
const SERIAL = '888777000000000042';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Every 8-character window of a secret: finding any of them means (part of) the secret got out. */
function pieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

describe.skipIf(!!noFuse || !hasFfmpeg)('redaction of every secret in everything that leaves the process', () => {
  let emu: Emulator;
  let mount: FatMount;
  let tmp: string;
  let state: string;
  let root: string;
  let opus: string;
  const outputs: { what: string; res: CliResult }[] = [];
  // Presigned-URL secrets, planted as a careless server would echo them.
  const signature = randomBytes(32).toString('hex');
  const credential = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const signedUrl = () =>
    `https://bucket.s3.example.com/rec/key.opus?partNumber=1&X-Amz-Credential=${credential}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${signature}`;
  const basic = () => Buffer.from(`${emu.clientId}:${emu.clientSecret}`).toString('base64');

  beforeAll(async () => {
    emu = await startEmulator();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-redaction-'));
    state = path.join(tmp, 'state');
    root = path.join(tmp, 'media');
    const img = path.join(tmp, 'rec.img');
    await makeFatImage(img, 40);
    mount = await mountFat(img, path.join(root, 'PLAUD_NOTE'));
    await layOutRecorder(mount.dir, { serial: SERIAL, recordings: [{ startSec: 1_723_000_000, seconds: 2 }] });
    opus = path.join(tmp, 'talk.opus');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=1.5',
      '-c:a',
      'libopus',
      opus,
    ]);
  }, 60_000);

  afterAll(async () => {
    await mount?.unmount();
    await emu?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  const clean = {
    PLAUD_API_TOKEN: '',
    PLAUD_CLIENT_ID: '',
    PLAUD_CLIENT_SECRET: '',
    PLAUD_API_TOKEN_FILE: '',
    PLAUD_CLIENT_SECRET_FILE: '',
    PLAUD_SYNC_STATE: '',
  };

  it('sync: a JSON error echoing the Authorization header and every client secret', async () => {
    emu.faults.customAnswer('presign', {
      times: Infinity,
      status: 400,
      contentType: 'application/json',
      body: (req) => {
        const auth = String(req.headers.authorization ?? '');
        return JSON.stringify({
          message: `bad request from ${auth} (token ${auth.replace(/^Bearer\s+/i, '')}), client ${emu.clientId}:${emu.clientSecret} = ${basic()}; see ${signedUrl()} or X-Amz-Signature=${signature}`,
        });
      },
    });
    try {
      const res = await runCli(
        [
          'sync',
          '--mount-root',
          root,
          '--state-dir',
          state,
          '--library',
          path.join(tmp, 'lib'),
          '--api-base',
          emu.baseUrl,
          '--json',
          '--verbose',
        ],
        { env: { ...clean, PLAUD_CLIENT_ID: emu.clientId, PLAUD_CLIENT_SECRET: emu.clientSecret } },
      );
      outputs.push({ what: 'sync', res });
      expect(res.code, res.stderr).toBe(1);
      const summary = jsonLines(res.stdout).at(-1)!;
      expect(summary).toMatchObject({ type: 'summary', failed: 1 });
      // The reason is still there for a person, with the secrets cut out.
      expect(JSON.stringify(summary.problems)).toMatch(/the server rejected the request \(HTTP 400\).*\[redacted\]/);
    } finally {
      emu.faults.clear();
    }
    const status = await runCli(['status', '--json', '--state-dir', state], { env: clean });
    outputs.push({ what: 'status', res: status });
    expect(JSON.stringify(JSON.parse(status.stdout).recordings)).toMatch(/HTTP 400/);
  }, 120_000);

  it('push with client credentials from a file: the token exchange answers an HTML page with the secrets in it', async () => {
    const secretFile = path.join(tmp, 'client-secret');
    await fs.writeFile(secretFile, emu.clientSecret, { mode: 0o600 });
    // The client secret starts at character 30, so a message cut at 40 characters would hold part of it.
    const page = `<html><body><p>Hello, client: ${emu.clientSecret} / Basic ${basic()} / ${signedUrl()}</p></body></html>`;
    expect(page.indexOf(emu.clientSecret)).toBe(30);
    emu.faults.customAnswer('token', { times: 6, status: 200, contentType: 'text/html', body: page });
    try {
      const res = await runCli(
        [
          'push',
          opus,
          '--api-base',
          emu.baseUrl,
          '--client-id',
          emu.clientId,
          '--client-secret-file',
          secretFile,
          '--sn',
          SERIAL,
          '--state-dir',
          state,
          '--json',
          '--verbose',
        ],
        { env: clean },
      );
      outputs.push({ what: 'push (html token answer)', res });
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toMatch(
        /not valid JSON \(HTTP 200, \d+ bytes, starting "<html><body><p>Hello, client: \[redac/,
      );
    } finally {
      emu.faults.clear();
    }
  }, 120_000);

  it('push with a token from PLAUD_API_TOKEN_FILE: an HTML page, then answers of several MiB holding the token', async () => {
    const tokenFile = path.join(tmp, 'token');
    await fs.writeFile(tokenFile, emu.token + '\n', { mode: 0o600 });
    emu.faults.customAnswer('presign', {
      times: 1,
      status: 200,
      contentType: 'text/html',
      body: `<html><p>Your token: ${emu.token} ${signedUrl()}</p></html>`,
    });
    emu.faults.customAnswer('presign', {
      times: 5,
      status: 502,
      contentType: 'application/json',
      body: JSON.stringify({ message: `token ${emu.token} `.repeat(1000) }),
      repeat: 100, // ~5 MiB
      chunked: true,
    });
    try {
      const res = await runCli(
        ['push', opus, '--api-base', emu.baseUrl, '--sn', SERIAL, '--state-dir', state, '--json', '--verbose'],
        {
          env: { ...clean, PLAUD_API_TOKEN_FILE: tokenFile },
        },
      );
      outputs.push({ what: 'push (html and huge presign answers)', res });
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toMatch(/The Plaud server sent an answer of more than 1 MiB/);
    } finally {
      emu.faults.clear();
    }
  }, 120_000);

  it('no 8-character piece of any secret is in the state folder or in anything printed', async () => {
    expect(outputs).toHaveLength(4);
    const exchanged = emu.validTokens().filter((t) => t !== emu.token);
    expect(exchanged.length).toBeGreaterThan(0);
    const secrets: Record<string, string> = {
      'static token': emu.token,
      'client secret': emu.clientSecret,
      'base64 client credentials': basic(),
      'presigned signature': signature,
      'presigned credential': credential,
    };
    exchanged.forEach((t, i) => (secrets[`exchanged token ${i + 1}`] = t));

    const texts: { where: string; text: string }[] = outputs.flatMap(({ what, res }) => [
      { where: `${what} stdout`, text: res.stdout },
      { where: `${what} stderr`, text: res.stderr },
    ]);
    const stateFiles = await filesUnder(state);
    // The logs, the ledger, the push journal and the settings must all be there to be searched.
    expect(stateFiles.some((f) => f.includes(`${path.sep}logs${path.sep}`))).toBe(true);
    expect(stateFiles.some((f) => f.includes(`${path.sep}ledger${path.sep}`))).toBe(true);
    for (const f of stateFiles) texts.push({ where: f, text: (await fs.readFile(f)).toString('latin1') });
    // The outputs do carry the errors (so the search below is searching something).
    expect(texts.map((t) => t.text).join('\n')).toMatch(/\[redacted\]/);

    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(secrets)) {
      for (const piece of pieces(secret)) {
        for (const { where, text } of texts) if (text.includes(piece)) leaks.push(`${name} ("${piece}") in ${where}`);
      }
    }
    expect([...new Set(leaks)]).toEqual([]);
  });
});
