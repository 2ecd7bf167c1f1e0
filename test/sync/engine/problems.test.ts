import { describe, expect, it } from 'vitest';
import { ProblemBoard } from '../../../main/sync/engine/problems.js';
import { retryDelayMs, probeDelayMs } from '../../../main/sync/engine/backoff.js';

describe('ProblemBoard', () => {
  it('reports a repeated failure once and clears by subject', () => {
    const news: string[] = [];
    const cleared: string[] = [];
    const b = new ProblemBoard(
      (p) => news.push(p.id),
      (id) => cleared.push(id),
      () => 1,
    );
    expect(b.raise({ code: 'offline', message: 'x' })).toBe(true);
    expect(b.raise({ code: 'offline', message: 'y' })).toBe(false);
    b.raise({ code: 'upload-failed', message: 'r1', recordingId: 'r1' });
    b.raise({ code: 'upload-failed', message: 'r2', recordingId: 'r2' });
    expect(news).toHaveLength(3);
    expect(b.list().find((p) => p.code === 'offline')?.message).toBe('y');
    b.clear({ code: 'upload-failed', recordingId: 'r1' });
    expect(b.list().map((p) => p.recordingId ?? p.code)).toEqual(['offline', 'r2']);
    b.clear({ code: 'offline' });
    expect(cleared).toHaveLength(2);
  });
});

describe('backoff', () => {
  it('grows exponentially, is capped, and jitters down by at most 20%', () => {
    const p = { baseMs: 1000, maxMs: 10_000, maxAttempts: 5 };
    expect(retryDelayMs(1, p, () => 1)).toBe(1000);
    expect(retryDelayMs(3, p, () => 1)).toBe(4000);
    expect(retryDelayMs(20, p, () => 1)).toBe(10_000);
    expect(retryDelayMs(3, p, () => 0)).toBe(3200);
    expect(probeDelayMs(0)).toBe(5000);
    expect(probeDelayMs(10)).toBe(60_000);
  });
});
