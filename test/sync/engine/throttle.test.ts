import { describe, expect, it, vi } from 'vitest';
import { throttleLatest } from '../../../main/sync/engine/throttle.js';

describe('throttleLatest', () => {
  it('delivers at most once per interval and always ends on the latest value', () => {
    vi.useFakeTimers();
    try {
      const got: number[] = [];
      const t = throttleLatest(
        (v: number) => got.push(v),
        100,
        () => Date.now(),
      );
      for (let i = 1; i <= 1000; i++) {
        t.push(i);
        vi.advanceTimersByTime(1); // 1000 pushes over 1 s
      }
      vi.advanceTimersByTime(200);
      expect(got.length).toBeLessThanOrEqual(11);
      expect(got.length).toBeGreaterThanOrEqual(9);
      expect(got.at(-1)).toBe(1000);
      // strictly increasing: no stale value after a newer one
      expect([...got].sort((a, b) => a - b)).toEqual(got);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flush delivers the pending value at once; cancel drops it', () => {
    vi.useFakeTimers();
    try {
      const got: string[] = [];
      const t = throttleLatest(
        (v: string) => got.push(v),
        1000,
        () => Date.now(),
      );
      t.push('a');
      t.push('b');
      expect(got).toEqual(['a']);
      t.flush();
      expect(got).toEqual(['a', 'b']);
      t.push('c');
      t.cancel();
      vi.advanceTimersByTime(5000);
      expect(got).toEqual(['a', 'b']);
    } finally {
      vi.useRealTimers();
    }
  });
});
