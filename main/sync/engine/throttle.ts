// Coalesces bursts of state changes: at most one delivery per interval, and the latest value is
// always delivered (a trailing call), so a UI never ends on a stale snapshot.
export interface Throttled<T> {
  push(value: T): void;
  /** Deliver a pending value now (used before shutdown and in tests). */
  flush(): void;
  cancel(): void;
}

export function throttleLatest<T>(
  deliver: (value: T) => void,
  intervalMs: number,
  now: () => number = Date.now,
): Throttled<T> {
  let last = -Infinity;
  let pending: { value: T } | null = null;
  let timer: NodeJS.Timeout | null = null;

  const fire = () => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    last = now();
    deliver(value);
  };

  return {
    push(value) {
      pending = { value };
      if (timer) return;
      const wait = last + intervalMs - now();
      if (wait <= 0) fire();
      else {
        timer = setTimeout(fire, wait);
        timer.unref?.();
      }
    },
    flush() {
      if (timer) clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = null;
    },
  };
}
