// A realistic uplink for the emulator: one bandwidth cap shared by every part PUT under way, like a home connection
// whose upload speed all parallel parts share. Each chunk of a part body waits for its turn on the shared link
// before s3rver's store sees it; holding the chunk back pauses the request stream, so TCP backpressure slows the
// client down as a slow link would (its sends block; nothing is buffered without bound).
import { Transform, type Readable } from 'node:stream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class UploadThrottle {
  /** When the shared link is free again (performance.now() ms). */
  private freeAt = 0;

  /** bytesPerSec 0 or undefined: no cap. */
  constructor(private bytesPerSec = 0) {}

  get rate(): number {
    return this.bytesPerSec;
  }

  /** Change the cap (0: none); parts under way follow from their next chunk. */
  setRate(bytesPerSec: number): void {
    this.bytesPerSec = Math.max(0, bytesPerSec);
    this.freeAt = 0;
  }

  /** Reserve the link for n bytes; resolves when they would have gone through it. */
  private async take(n: number): Promise<void> {
    if (!this.bytesPerSec) return;
    const now = performance.now();
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + (n * 1000) / this.bytesPerSec;
    const wait = this.freeAt - now;
    if (wait > 1) await sleep(wait);
  }

  /** The body as it arrives through the capped link. Without a cap, the body itself. */
  wrap(body: Readable): Readable {
    if (!this.bytesPerSec) return body;
    const gate = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.take(chunk.length).then(() => done(null, chunk), done);
      },
    });
    body.on('error', (err) => gate.destroy(err));
    // A client that goes away mid-part must look the same to the store as without the throttle.
    body.on('aborted', () => gate.destroy(new Error('aborted')));
    body.on('close', () => {
      if (!body.readableEnded) gate.destroy(new Error('the client went away'));
    });
    return body.pipe(gate);
  }
}
