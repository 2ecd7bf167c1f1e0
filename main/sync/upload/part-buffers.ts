// Part buffers reused across parts and uploads. A sync uploads hundreds of files, mostly one part each; a fresh
// multi-megabyte buffer per upload kept the garbage collector busy on the same thread that drives the pull and the
// ledger. Free buffers are kept only briefly after the last upload, so an idle app does not hold part-sized memory.

export class PartBuffers {
  private free: Buffer[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    /** At most this many free buffers are kept (one per part in flight is enough). */
    private readonly maxFree: number,
    /** Free buffers are dropped this long after the last one came back. */
    private readonly keepMs = 10_000,
  ) {}

  /** A buffer of at least `size` bytes (at least `unit`, so a pooled buffer fits any part of that size). */
  take(size: number, unit: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafe(Math.max(size, unit));
  }

  give(buf: Buffer): void {
    if (this.free.length < this.maxFree) this.free.push(buf);
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => (this.free = []), this.keepMs);
    this.idleTimer.unref();
  }

  /** Free buffers held right now (for tests). */
  get held(): number {
    return this.free.length;
  }
}
