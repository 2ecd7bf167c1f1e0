// Big I/O buffers reused from one file to the next (the pull's copy chunks, the uploader's parts). A sync moves
// hundreds of files; a fresh megabyte-sized buffer for each kept the garbage collector busy on the one thread that
// drives the pull, the uploads and the ledger. Free buffers are dropped soon after the last one came back, so an
// idle app holds none. Give a buffer back only when no I/O can still be writing into it.

export class BufferPool {
  private free: Buffer[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    /** At most this many free buffers are kept (one per buffer in flight is enough). */
    private readonly maxFree: number,
    /** Free buffers are dropped this long after the last one came back. */
    private readonly keepMs = 10_000,
  ) {}

  /** A buffer of at least `size` bytes (at least `unit`, so a pooled buffer fits any later request of that size). */
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
