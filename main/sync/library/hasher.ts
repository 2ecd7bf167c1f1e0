// MD5 + CRC-32 of a stream of chunks, computed on a worker thread so hashing runs beside the copy's I/O instead of
// between its reads and writes (MD5 runs at a few hundred MB/s on one core: on the JS thread it made a pull CPU-bound).
// Chunks are copied to the worker (about 0.1 ms per MiB) with a bounded number in flight, so memory stays at a few MiB
// whatever the file size. Two workers are kept for the process (unref'd: they never hold it open); if a worker cannot
// start, hashing falls back to the calling thread. A worker is ref'd only while it has a job.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { crc32 } = require('node:zlib');
let h = createHash('md5');
let c = 0;
parentPort.on('message', (m) => {
  if (m.type === 'data') {
    const b = Buffer.from(m.buf, 0, m.len);
    h.update(b);
    c = crc32(b, c);
    parentPort.postMessage({ type: 'ack' });
  } else if (m.type === 'end') {
    parentPort.postMessage({ type: 'digest', md5: h.digest('hex'), crc: c });
    h = createHash('md5');
    c = 0;
  }
});
`;

/** Chunks a job may have queued at the worker before update() waits. */
const MAX_IN_FLIGHT = 8;
const POOL_SIZE = 2;

export interface StreamHasher {
  /** Hash a chunk; the caller may reuse `chunk` as soon as this returns (the data is copied). */
  update(chunk: Buffer): Promise<void>;
  digest(): Promise<{ md5: string; crc: number }>;
  /** Give the worker back without a digest (on failure). */
  abandon(): void;
}

class InlineHasher implements StreamHasher {
  private h = createHash('md5');
  private c = 0;
  async update(chunk: Buffer) {
    this.h.update(chunk);
    this.c = crc32(chunk, this.c);
  }
  async digest() {
    return { md5: this.h.digest('hex'), crc: this.c };
  }
  abandon() {}
}

interface PooledWorker {
  worker: Worker;
  busy: boolean;
  broken: boolean;
}

const pool: PooledWorker[] = [];
let workersUnavailable = false;

function startWorker(): PooledWorker | undefined {
  try {
    const worker = new Worker(WORKER_CODE, { eval: true });
    worker.unref();
    const pw: PooledWorker = { worker, busy: false, broken: false };
    worker.on('error', () => (pw.broken = true));
    worker.on('exit', () => (pw.broken = true));
    return pw;
  } catch {
    workersUnavailable = true;
    return undefined;
  }
}

class WorkerHasher implements StreamHasher {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private digestWaiter: ((d: { md5: string; crc: number }) => void) | undefined;
  private failure: ((e: Error) => void) | undefined;
  private done = false;
  private readonly onMessage = (m: { type: string; md5?: string; crc?: number }) => {
    if (m.type === 'ack') {
      this.inFlight--;
      this.waiters.shift()?.();
    } else if (m.type === 'digest') {
      this.digestWaiter?.({ md5: m.md5!, crc: m.crc! });
    }
  };
  private readonly onError = (err: Error) => {
    this.failure?.(err);
    for (const w of this.waiters.splice(0)) w();
  };

  constructor(private readonly pw: PooledWorker) {
    pw.worker.on('message', this.onMessage);
    pw.worker.on('error', this.onError);
  }

  async update(chunk: Buffer) {
    if (this.pw.broken) throw new Error('hash worker stopped');
    while (this.inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => this.waiters.push(r));
    if (this.pw.broken) throw new Error('hash worker stopped');
    const copy = new Uint8Array(chunk.length);
    copy.set(chunk);
    this.inFlight++;
    this.pw.worker.postMessage({ type: 'data', buf: copy.buffer, len: chunk.length }, [copy.buffer]);
  }

  digest(): Promise<{ md5: string; crc: number }> {
    return new Promise((resolve, reject) => {
      this.failure = reject;
      this.digestWaiter = (d) => {
        this.release();
        resolve(d);
      };
      this.pw.worker.postMessage({ type: 'end' });
    });
  }

  abandon() {
    if (this.done) return;
    // Reset the worker's state for the next job; it answers with a digest nobody listens to.
    this.pw.worker.postMessage({ type: 'end' });
    this.digestWaiter = () => this.release();
    if (this.pw.broken) this.release();
  }

  private release() {
    if (this.done) return;
    this.done = true;
    this.pw.worker.off('message', this.onMessage);
    this.pw.worker.off('error', this.onError);
    this.pw.busy = false;
    // Idle workers never keep the process alive; a busy one must (something awaits its answer).
    this.pw.worker.unref();
  }
}

/** A hasher for one file: on a pooled worker when one is free, else on this thread. */
export function createStreamHasher(opts: { inline?: boolean } = {}): StreamHasher {
  if (opts.inline || workersUnavailable) return new InlineHasher();
  for (let i = pool.length - 1; i >= 0; i--) if (pool[i]!.broken) pool.splice(i, 1);
  let pw = pool.find((p) => !p.busy);
  if (!pw && pool.length < POOL_SIZE) {
    pw = startWorker();
    if (pw) pool.push(pw);
  }
  if (!pw) return new InlineHasher();
  pw.busy = true;
  pw.worker.ref();
  return new WorkerHasher(pw);
}
