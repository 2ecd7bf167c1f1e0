import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferPool } from '../../main/sync/buffer-pool.js';

describe('BufferPool', () => {
  afterEach(() => vi.useRealTimers());

  it('hands a returned buffer out again, sized at least to the unit, and keeps at most maxFree', () => {
    const pool = new BufferPool(2);
    const a = pool.take(100, 1024);
    expect(a.length).toBe(1024);
    pool.give(a);
    expect(pool.take(1000, 1024)).toBe(a);
    // Too small for the request: a new one.
    pool.give(a);
    const big = pool.take(4096, 1024);
    expect(big).not.toBe(a);
    expect(big.length).toBe(4096);
    pool.give(big);
    pool.give(Buffer.alloc(1024));
    expect(pool.held).toBe(2);
  });

  it('drops its free buffers a while after the last one came back', () => {
    vi.useFakeTimers();
    const pool = new BufferPool(4, 10_000);
    pool.give(pool.take(10, 10));
    vi.advanceTimersByTime(9_000);
    pool.give(pool.take(10, 10));
    vi.advanceTimersByTime(9_000);
    expect(pool.held).toBe(1);
    vi.advanceTimersByTime(1_001);
    expect(pool.held).toBe(0);
  });
});
