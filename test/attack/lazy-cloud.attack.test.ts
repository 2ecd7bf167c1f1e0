// ATTACK (attack5): the engine's cloud port checks the account at once but loads the HTTP client (axios) and the
// uploader with import() at the first call. Attacked here against the real emulator: a bad API address is still
// refused when the port is made, with the words the client itself uses; the secrets are redacted before anything is
// loaded; a connection test works before any upload; and errors thrown by the lazily loaded modules are still the
// CloudError / UploadError classes the engine tests with instanceof through its own static imports (a second copy of
// a module would make a refused upload look like an unknown, retryable one).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareUploadFile } from '../../main/sync/audio/prepare.js';
import { PlaudCloudClient } from '../../main/sync/cloud/client.js';
import { CloudError, isCloudError } from '../../main/sync/cloud/errors.js';
import { createCloudPort } from '../../main/sync/engine/cloud-port.js';
import { nullLogger, redactString } from '../../main/sync/log.js';
import { UploadError, type UploadJob } from '../../main/sync/upload/uploader.js';
import { startEmulator, type Emulator } from '../support/emulator/index.js';
import { TEST_SERIAL } from '../support/recorder.js';
import { scratchLibrary, type ScratchLibrary } from '../support/scratch-library.js';

const port = (apiBase: string, token: string) =>
  createCloudPort({ apiBase, credentials: { kind: 'token', token }, concurrency: 2, logger: nullLogger });

/** What the client's own constructor says about an address, or undefined when it takes it. */
function clientRefusal(apiBase: string, token: string): string | undefined {
  try {
    new PlaudCloudClient({ apiBase, credentials: { kind: 'token', token } });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('the cloud port refuses a bad address or account when it is made, before anything is loaded', () => {
  for (const apiBase of ['http://example.com', 'not a url', 'ftp://api.plaud.ai', 'https://', 'http://10.0.0.5:80']) {
    it(`refuses ${JSON.stringify(apiBase)} with the client's own words`, () => {
      let thrown: unknown;
      try {
        port(apiBase, 'tok_attack5_address_check');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CloudError);
      expect(isCloudError(thrown)).toBe(true);
      expect((thrown as Error).message).toBe(clientRefusal(apiBase, 'tok_attack5_address_check'));
      expect((thrown as Error).message).not.toMatch(/undefined|\[object/);
    });
  }

  it('refuses an empty token and an incomplete client account', () => {
    expect(() => port('https://api.plaud.ai', '   ')).toThrow(/No API token is set/);
    expect(() =>
      createCloudPort({
        apiBase: 'https://api.plaud.ai',
        credentials: { kind: 'client', clientId: 'someone', clientSecret: '' },
        concurrency: 1,
        logger: nullLogger,
      }),
    ).toThrow(/client ID and a client secret/);
  });

  it('redacts the secrets from the moment the port is made, before any call loads the client', () => {
    const token = `tok_attack5_${Date.now()}_secret`;
    const clientSecret = `cs_attack5_${Date.now()}_secret`;
    port('https://api.plaud.ai', token);
    createCloudPort({
      apiBase: 'https://api.plaud.ai',
      credentials: { kind: 'client', clientId: 'attack5-client', clientSecret },
      concurrency: 1,
      logger: nullLogger,
    });
    const basic = Buffer.from(`attack5-client:${clientSecret}`).toString('base64');
    const line = redactString(`sent ${token} and ${clientSecret} as Basic ${basic}`);
    expect(line).not.toContain(token);
    expect(line).not.toContain(clientSecret);
    expect(line).not.toContain(basic);
  });
});

describe('the lazily loaded client against the emulator', () => {
  let emu: Emulator;
  let s: ScratchLibrary;
  let job: UploadJob;

  beforeAll(async () => {
    emu = await startEmulator();
    s = await scratchLibrary([{ startSec: 1_723_000_000, seconds: 2 }], 'attack5-lazy-');
    const rec = s.recs[0]!;
    const prepared = await prepareUploadFile({
      asrPath: path.join(s.vol, rec.asr!.relPath),
      format: 'opus',
      destPath: path.join(s.lib, 'talk.opus'),
    });
    job = {
      path: prepared.path,
      filetype: 'opus',
      snType: 'note',
      sn: TEST_SERIAL,
      startTime: rec.startMs,
      durationMs: prepared.durationMs,
      md5: prepared.md5,
    };
  }, 60_000);

  afterAll(async () => {
    await emu?.stop();
    if (s) await fs.rm(s.work, { recursive: true, force: true });
  });

  /** What one upload of the job through a fresh port rejects with (undefined when it succeeds). */
  const uploadError = () =>
    port(emu.baseUrl, emu.token)
      .upload(job, {}, new AbortController().signal)
      .then(
        () => undefined,
        (e: unknown) => e,
      );

  it('tests the connection before any upload, and says plainly when the token is refused', async () => {
    const good = await port(emu.baseUrl, emu.token).testConnection();
    expect(good).toEqual({ ok: true, message: expect.stringContaining('the API token was accepted') });
    const wrong = `tok_attack5_wrong_${Date.now()}`;
    const bad = await port(emu.baseUrl, wrong).testConnection();
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/refused/);
    expect(bad.message).not.toContain(wrong);
  }, 60_000);

  it('a first upload the server refuses (400 echoing the token) is an UploadError, not retryable, and redacted', async () => {
    emu.faults.customAnswer('presign', {
      times: Infinity,
      status: 400,
      contentType: 'application/json',
      body: (req) => JSON.stringify({ message: `bad request from ${String(req.headers.authorization)}` }),
    });
    try {
      const err = await uploadError();
      expect(err).toBeInstanceOf(UploadError);
      expect((err as UploadError).retryable).toBe(false);
      expect(isCloudError((err as UploadError).cause)).toBe(true);
      expect((err as UploadError).message).toMatch(/HTTP 400/);
      expect((err as UploadError).message).not.toContain(emu.token);
    } finally {
      emu.faults.clear();
    }
  }, 60_000);

  it('a server answering 500 to every try is a retryable UploadError from a server CloudError', async () => {
    emu.faults.customAnswer('presign', {
      times: Infinity,
      status: 500,
      contentType: 'text/html',
      body: '<html>oops</html>',
    });
    try {
      const err = await uploadError();
      expect(err).toBeInstanceOf(UploadError);
      expect((err as UploadError).retryable).toBe(true);
      const cause = (err as UploadError).cause;
      expect(cause).toBeInstanceOf(CloudError);
      expect((cause as CloudError).kind).toBe('server');
    } finally {
      emu.faults.clear();
    }
  }, 90_000);

  it('after the faults, the same kind of port uploads the recording once', async () => {
    const res = await port(emu.baseUrl, emu.token).upload(job, {}, new AbortController().signal);
    expect(res.fileId).toBeTruthy();
    expect(emu.files().length).toBe(1);
    expect(emu.duplicates()).toEqual([]);
  }, 60_000);
});
