// Takes turns reading from one recorder. Several recordings are pulled at once so that one's fsyncs, read-back
// check, Opus packaging and ledger writes overlap another's copy, but the reads themselves go one file at a time:
// a USB mass-storage device (and fusefat in the tests) serves one request at a time, so two interleaved readers
// only make each other wait and seek. Turns are granted first come, first served, which keeps oldest-first order.

export type ReleaseTurn = () => void;

export class ReadTurns {
  private busy = false;
  private readonly waiting: { grant: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  /** Resolves with a release function once it is this caller's turn; rejects if `signal` aborts while waiting. */
  take(signal?: AbortSignal): Promise<ReleaseTurn> {
    signal?.throwIfAborted();
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseTurn>((resolve, reject) => {
      const entry = {
        grant: () => resolve(this.releaser()),
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): ReleaseTurn {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (!next) {
        this.busy = false;
        return;
      }
      next.signal?.removeEventListener('abort', next.onAbort);
      next.grant();
    };
  }
}
