// The multipart uploader against the Plaud cloud emulator backed by a real S3 server (s3rver).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlaudCloudClient } from '../../../main/sync/cloud/client.js';
import {
  MultipartUploader,
  UploadError,
  type UploadHooks,
  type UploadJob,
  type UploadState,
} from '../../../main/sync/upload/uploader.js';
import { fileMd5 } from '../../../main/sync/upload/md5.js';
import { startEmulator } from '../../support/emulator/index.js';
import { MiB, makeOpusLike, useEmulatorAndDir } from './helpers.js';

const PART = 5 * MiB;
const ctx = useEmulatorAndDir();
let small: string; // one part
let three: string; // 3 parts, last one short

const fastRetry = { baseMs: 10, maxMs: 100 };

function job(file: string, extra: Partial<UploadJob> = {}): UploadJob {
  return {
    path: file,
    filetype: 'opus',
    snType: 'note',
    sn: '880123456789012345',
    startTime: 1_709_280_000_000,
    durationMs: 60_000,
    ...extra,
  };
}
function tokenClient(): PlaudCloudClient {
  return new PlaudCloudClient({ apiBase: ctx.emu.baseUrl, credentials: { kind: 'token', token: ctx.emu.token } });
}
function uploader(
  opts: ConstructorParameters<typeof MultipartUploader>[1] = {},
  client = tokenClient(),
): MultipartUploader {
  return new MultipartUploader(client, { backoff: fastRetry, ...opts });
}
function storedFor(fileId: string) {
  return ctx.emu.files().filter((f) => f.fileId === fileId);
}
async function expectIdentical(fileId: string, source: string) {
  const [obj, src] = await Promise.all([ctx.emu.getObject(fileId), fs.readFile(source)]);
  expect(obj.length).toBe(src.length);
  expect(obj.equals(src)).toBe(true);
}
function apiCalls(suffix: string) {
  return ctx.emu.requests().filter((r) => r.kind === 'api' && r.path.endsWith(suffix));
}

beforeAll(async () => {
  small = await makeOpusLike(ctx.dir, 'small.opus', 300 * 1024 + 7);
  three = await makeOpusLike(ctx.dir, 'three.opus', 2 * PART + 12345);
});
afterEach(() => ctx.emu.faults.clear());

describe('happy paths', () => {
  it('uploads a one-part file byte-identical, with the full contract body and the hooks in order', async () => {
    const events: string[] = [];
    let lastProgress = 0;
    const hooks: UploadHooks = {
      onSessionStarted: (s) => void events.push(`session:${s.parts.length}`),
      onPartDone: (s, p) => void events.push(`part:${p.partNumber}:${s.parts.length}`),
      onCompleting: (s) => void events.push(`completing:${s.completing}`),
      onState: (_s, c) => void events.push(`state:${c}`),
      onProgress: (p) => {
        expect(p.bytesSent).toBeGreaterThanOrEqual(lastProgress);
        lastProgress = p.bytesSent;
      },
    };
    const r = await uploader().upload(job(small, { filename: 'Meeting 1.opus' }), hooks);
    expect(events).toEqual([
      'session:0',
      'state:session-started',
      'part:1:1',
      'state:part-done',
      'completing:true',
      'state:completing',
      'state:completed',
    ]);
    expect(lastProgress).toBe(300 * 1024 + 7);
    expect(r.fileId).toBe(r.file.id);
    expect(r.possibleDuplicate).toBe(false);
    expect(r.md5).toBe(await fileMd5(small));
    const [stored] = storedFor(r.fileId);
    expect(stored).toBeDefined();
    expect(stored!.body).toMatchObject({
      file_id: r.fileId,
      upload_id: r.uploadId,
      filetype: 'opus',
      sn_type: 'note',
      sn: '880123456789012345',
      filename: 'Meeting 1.opus',
      file_md5: r.md5,
      start_time: 1_709_280_000_000,
      end_time: 1_709_280_060_000,
      duration: 60_000,
    });
    expect(stored!.body.part_list).toHaveLength(1);
    await expectIdentical(r.fileId, small);
  });

  it('uploads an exact multiple of the part size (2 full parts) from a snake_case server', async () => {
    const snake = await startEmulator({ casing: 'snake' });
    try {
      const file = await makeOpusLike(ctx.dir, 'exact.opus', 2 * PART);
      const client = new PlaudCloudClient({
        apiBase: snake.baseUrl,
        credentials: { kind: 'token', token: snake.token },
      });
      const r = await new MultipartUploader(client).upload(job(file, { ownerId: 'owner-1', sn: undefined }));
      const stored = snake.files().filter((f) => f.fileId === r.fileId);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.body.part_list.map((p: { PartNumber: number }) => p.PartNumber)).toEqual([1, 2]);
      expect(stored[0]!.body.owner_id).toBe('owner-1');
      expect((await snake.getObject(r.fileId)).equals(await fs.readFile(file))).toBe(true);
    } finally {
      await snake.stop();
    }
  });

  it('refuses a 0-byte file clearly, before talking to the server', async () => {
    const empty = path.join(ctx.dir, 'empty.opus');
    await fs.writeFile(empty, '');
    const before = apiCalls('generate-presigned-urls').length;
    const err = await uploader()
      .upload(job(empty))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect((err as UploadError).reason).toBe('empty-file');
    expect((err as UploadError).message).toMatch(/empty.opus is empty \(0 bytes\)/);
    expect(apiCalls('generate-presigned-urls').length).toBe(before);
  });
});

describe('part faults', () => {
  it('retries a part answered with 500 and keeps going', async () => {
    ctx.emu.faults.failPart(2, { times: 2 });
    const retries: string[] = [];
    const r = await uploader().upload(job(three), {
      onRetry: (i) => void retries.push(`${i.what}#${i.attempt}:${i.error.kind}`),
    });
    // Other parts may see a stray keep-alive reset; part 2 must be retried exactly for its two 500s.
    expect(retries.filter((x) => x.startsWith('Uploading part 2#'))).toEqual([
      'Uploading part 2#1:server',
      'Uploading part 2#2:server',
    ]);
    expect(storedFor(r.fileId)).toHaveLength(1);
    await expectIdentical(r.fileId, three);
  });

  it('recovers from connections reset before and after the part was stored', async () => {
    ctx.emu.faults.resetPart(1, { when: 'before' });
    ctx.emu.faults.resetPart(3, { when: 'after' });
    const kinds: string[] = [];
    const r = await uploader().upload(job(three), { onRetry: (i) => void kinds.push(i.error.kind) });
    expect(kinds.sort()).toEqual(['network', 'network']);
    await expectIdentical(r.fileId, three);
  });

  it('honours Retry-After on 429 for parts and 503 on the API', async () => {
    ctx.emu.faults.rateLimit({ target: 'parts', times: 1, retryAfterSeconds: 1 });
    ctx.emu.faults.rateLimit({ target: 'presign', times: 1, retryAfterSeconds: 1, status: 503 });
    const waits: number[] = [];
    const t0 = Date.now();
    const r = await uploader().upload(job(small), { onRetry: (i) => void waits.push(i.delayMs) });
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(storedFor(r.fileId)).toHaveLength(1);
  });

  it('gives up on a part that always fails, with the part, the tries and the cause in the message', async () => {
    ctx.emu.faults.failPart(1, { times: Infinity, status: 500 });
    const before = ctx.emu.files().length;
    const err = (await uploader({ maxPartTries: 3 })
      .upload(job(small))
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.reason).toBe('part-failed');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/part 1 failed after 3 tries: .*HTTP 500/);
    expect(ctx.emu.files().length).toBe(before);
  });

  it('turns a stalled part into a timeout and retries it', async () => {
    ctx.emu.faults.slow({ target: 'parts', delayMs: 1500, times: 1 });
    const kinds: string[] = [];
    const r = await uploader({ partIdleTimeoutMs: 400 }).upload(job(small), {
      onRetry: (i) => void kinds.push(i.error.kind),
    });
    expect(kinds).toEqual(['timeout']);
    await expectIdentical(r.fileId, small);
  });

  it('starts a fresh session when presigned URLs expire (403) and abandons the old one', async () => {
    let expired = false;
    const sessions: UploadState[] = [];
    const r = await uploader({ concurrency: 1 }).upload(job(three), {
      onSessionStarted: (s) => void sessions.push(s),
      onPartDone: () => {
        if (!expired) {
          expired = true;
          ctx.emu.faults.expireIssuedUrls();
        }
      },
    });
    expect(sessions).toHaveLength(2);
    expect(r.sessionsStarted).toBe(2);
    expect(r.uploadId).toBe(sessions[1]!.uploadId);
    expect(
      ctx.emu.requests().some((q) => q.kind === 's3' && q.status === 403 && q.uploadId === sessions[0]!.uploadId),
    ).toBe(true);
    expect(storedFor(r.fileId)).toHaveLength(1);
    expect(ctx.emu.files().filter((f) => f.uploadId === sessions[0]!.uploadId)).toHaveLength(0);
    await expectIdentical(r.fileId, three);
  });

  it('does not start a session with URLs it knows are expired when resuming', async () => {
    ctx.emu.faults.expireUrlsAfter(1);
    const ac = new AbortController();
    let saved: UploadState | undefined;
    const err = await uploader({ concurrency: 1 })
      .upload(
        job(three),
        {
          onPartDone: (s) => {
            saved = s;
            ac.abort();
          },
        },
        ac.signal,
      )
      .catch((e: unknown) => e);
    expect((err as UploadError).reason).toBe('aborted');
    expect(saved!.urlsExpireAt).toBeLessThan(Date.now() + 2000);
    ctx.emu.faults.expireUrlsAfter(null);
    const sessions: string[] = [];
    const r = await uploader().upload(job(three, { resume: saved }), {
      onSessionStarted: (s) => void sessions.push(s.uploadId),
    });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).not.toBe(saved!.uploadId);
    await expectIdentical(r.fileId, three);
  });
});

describe('resume and cancel', () => {
  it('cancels cleanly on abort and resumes uploading only the missing parts', async () => {
    const ac = new AbortController();
    let saved: UploadState | undefined;
    const md5 = await fileMd5(three); // the library knows it, as the sync engine does
    const err = (await uploader({ concurrency: 1 })
      .upload(
        job(three, { md5 }),
        {
          onPartDone: (s) => {
            saved = s;
            if (s.parts.length === 2) ac.abort();
          },
        },
        ac.signal,
      )
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.reason).toBe('aborted');
    expect(saved!.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    const stateJson = JSON.parse(JSON.stringify(saved)) as UploadState; // what a ledger would store
    const putsBefore = ctx.emu.requests().filter((q) => q.kind === 's3' && q.uploadId === saved!.uploadId).length;
    const r = await uploader().upload(job(three, { md5, resume: stateJson }));
    expect(r.uploadId).toBe(saved!.uploadId);
    expect(r.sessionsStarted).toBe(0);
    const puts = ctx.emu
      .requests()
      .filter((q) => q.kind === 's3' && q.uploadId === saved!.uploadId)
      .slice(putsBefore);
    expect(puts.map((q) => q.partNumber)).toEqual([3]);
    await expectIdentical(r.fileId, three);
  });

  it('starts over rather than trust a stored state whose MD5 was not known yet', async () => {
    const ac = new AbortController();
    let saved: UploadState | undefined;
    await uploader({ concurrency: 1 })
      .upload(
        job(three),
        {
          onSessionStarted: (s) => {
            saved = s;
            ac.abort();
          },
        },
        ac.signal,
      )
      .catch(() => undefined);
    // The hash runs alongside the first parts, so a state saved early may not carry the MD5 yet.
    const early: UploadState = { ...saved!, md5: undefined };
    const r = await uploader().upload(job(three, { resume: early }));
    expect(r.uploadId).not.toBe(saved!.uploadId);
    await expectIdentical(r.fileId, three);
  });

  it('ignores a stored state that belongs to different file content', async () => {
    const other = await makeOpusLike(ctx.dir, 'other.opus', 300 * 1024 + 7);
    const first = await uploader().upload(job(small));
    const fake: UploadState = {
      fileId: first.fileId,
      uploadId: first.uploadId,
      partSize: PART,
      fileSize: 300 * 1024 + 7,
      md5: first.md5,
      parts: [{ partNumber: 1, etag: '"x"' }],
      completing: true,
      possibleDuplicate: false,
    };
    const r = await uploader().upload(job(other, { resume: fake }));
    expect(r.fileId).not.toBe(first.fileId);
    await expectIdentical(r.fileId, other);
  });
});

describe('complete-upload outcomes', () => {
  it('retries a completion that failed before taking effect', async () => {
    ctx.emu.faults.failCompleteBefore({ times: 1 });
    const r = await uploader().upload(job(small));
    expect(storedFor(r.fileId)).toHaveLength(1);
    expect(r.possibleDuplicate).toBe(false);
  });

  it('never duplicates when the completion took effect but the answer was lost (reset and 500)', async () => {
    for (const mode of ['reset', 500] as const) {
      ctx.emu.faults.failCompleteAfter({ times: 1, mode });
      const before = ctx.emu.files().length;
      const r = await uploader().upload(job(small));
      expect(ctx.emu.files().length).toBe(before + 1);
      const completes = apiCalls('complete-upload')
        .filter((q) => q.uploadId === undefined || q.uploadId === r.uploadId)
        .slice(-2);
      expect(completes.map((q) => q.status)).toEqual([mode === 'reset' ? 0 : 500, 200]);
      expect(r.possibleDuplicate).toBe(false);
    }
  });

  it('retries the same completion when its answer is garbage, and does not duplicate', async () => {
    ctx.emu.faults.malformedJson('complete', { times: 1, tookEffect: true });
    const before = ctx.emu.files().length;
    const r = await uploader().upload(job(small));
    expect(ctx.emu.files().length).toBe(before + 1);
    expect(r.file.id).toBe(r.fileId);
  });

  it('keeps `completing` and the upload id when completion answers never arrive, then finishes on resume without a duplicate', async () => {
    ctx.emu.faults.failCompleteAfter({ times: 3, mode: 'reset' });
    const states: UploadState[] = [];
    const err = (await uploader({ maxApiTries: 2 })
      .upload(job(small), { onState: (s) => void states.push(s) })
      .catch((e: unknown) => e)) as UploadError;
    expect(err.reason).toBe('complete-unknown');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/same upload, so no duplicate/);
    expect(err.state!.completing).toBe(true);
    const before = ctx.emu.files().length; // the server did store it
    const r = await uploader({ maxApiTries: 3 }).upload(job(small, { resume: err.state }));
    expect(r.uploadId).toBe(err.state!.uploadId);
    expect(r.sessionsStarted).toBe(0);
    expect(ctx.emu.files().length).toBe(before);
  });

  it('starts a new upload when the server forgot the upload after an unknown outcome, flagged possibleDuplicate', async () => {
    ctx.emu.faults.failCompleteBefore({ times: 1 });
    let aborted = false;
    const r = await uploader().upload(job(small), {
      onRetry: async (i) => {
        if (i.what === 'Finishing the upload' && !aborted) {
          aborted = true;
          await ctx.emu.abortUpload(ctx.emu.pendingUploads().at(-1)!);
        }
      },
    });
    expect(aborted).toBe(true);
    expect(r.sessionsStarted).toBe(2);
    expect(r.possibleDuplicate).toBe(true);
    await expectIdentical(r.fileId, small);
  });

  it('restarts cleanly (no duplicate flag) when a resumed, not-yet-completing upload is gone', async () => {
    const ac = new AbortController();
    let saved: UploadState | undefined;
    await uploader({ concurrency: 1 })
      .upload(
        job(three),
        {
          onPartDone: (s) => {
            saved = s;
            ac.abort();
          },
        },
        ac.signal,
      )
      .catch(() => undefined);
    await ctx.emu.abortUpload(saved!.uploadId);
    const r = await uploader().upload(job(three, { resume: saved }));
    expect(r.uploadId).not.toBe(saved!.uploadId);
    expect(r.possibleDuplicate).toBe(false);
    await expectIdentical(r.fileId, three);
  });

  it('retries a completion that timed out for the same upload id, without a duplicate', async () => {
    ctx.emu.faults.slow({ target: 'complete', delayMs: 1500, times: 1 });
    const client = new PlaudCloudClient({
      apiBase: ctx.emu.baseUrl,
      credentials: { kind: 'token', token: ctx.emu.token },
      timeoutMs: 500,
    });
    const kinds: string[] = [];
    const before = ctx.emu.files().length;
    const r = await uploader({}, client).upload(job(small), { onRetry: (i) => void kinds.push(i.error.kind) });
    expect(kinds[0]).toBe('timeout');
    await new Promise((res) => setTimeout(res, 1500)); // let the slow first completion finish on the server too
    expect(ctx.emu.files().length).toBe(before + 1);
    expect(
      new Set(
        apiCalls('complete-upload')
          .slice(-2)
          .map((q) => q.uploadId ?? r.uploadId),
      ),
    ).toEqual(new Set([r.uploadId]));
  });

  it('reports a definite rejection of the completion plainly', async () => {
    const err = (await uploader()
      .upload(job(small, { md5: '0'.repeat(32) }))
      .catch((e: unknown) => e)) as UploadError;
    expect(err.reason).toBe('complete-rejected');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/HTTP 4\d\d/);
    expect(err.message).toMatch(/md5/i);
  });
});

describe('API faults', () => {
  it('recovers from a garbled generate-presigned-urls answer and reports a persistent one clearly', async () => {
    ctx.emu.faults.malformedJson('presign', { times: 1, kind: 'html' });
    const r = await uploader().upload(job(small));
    expect(storedFor(r.fileId)).toHaveLength(1);

    ctx.emu.faults.malformedJson('presign', { times: Infinity, kind: 'wrong-shape' });
    const err = (await uploader({ maxApiTries: 2 })
      .upload(job(small))
      .catch((e: unknown) => e)) as UploadError;
    expect(err.reason).toBe('start-failed');
    expect(err.message).toMatch(/answer we do not understand/);
  });

  it('gets a new token once on 401 with client credentials (revokeTokens)', async () => {
    const client = new PlaudCloudClient({
      apiBase: ctx.emu.baseUrl,
      credentials: { kind: 'client', clientId: ctx.emu.clientId, clientSecret: ctx.emu.clientSecret },
    });
    await uploader({}, client).upload(job(small));
    const tokensBefore = apiCalls('/apis/oauth/api-token').length;
    ctx.emu.faults.revokeTokens();
    const r = await uploader({}, client).upload(job(small));
    expect(apiCalls('/apis/oauth/api-token').length).toBe(tokensBefore + 1);
    expect(storedFor(r.fileId)).toHaveLength(1);
  });

  it('says the static token was refused, in words a user can act on', async () => {
    const client = new PlaudCloudClient({
      apiBase: ctx.emu.baseUrl,
      credentials: { kind: 'token', token: 'not-a-valid-token' },
    });
    const err = (await uploader({}, client)
      .upload(job(small))
      .catch((e: unknown) => e)) as UploadError;
    expect(err.reason).toBe('auth');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe('The API token was refused: enter a new one in Settings.');
    expect(err.message).not.toContain('not-a-valid-token');
  });

  it('rides out the storage endpoint going offline and coming back', async () => {
    let back = false;
    const r = await uploader().upload(job(small), {
      onSessionStarted: async () => ctx.emu.goOffline('parts'),
      onRetry: async (i) => {
        expect(i.error.kind).toBe('network');
        if (i.attempt >= 2 && !back) {
          back = true;
          await ctx.emu.goOnline();
        }
      },
    });
    expect(back).toBe(true);
    await expectIdentical(r.fileId, small);
  });

  it('reports an unreachable server as a network problem', async () => {
    await ctx.emu.goOffline('api');
    try {
      const err = (await uploader({ maxApiTries: 2 })
        .upload(job(small))
        .catch((e: unknown) => e)) as UploadError;
      expect(err.reason).toBe('start-failed');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/refused the connection|connection was reset/);
    } finally {
      await ctx.emu.goOnline();
    }
  });
});
