// Reads from one recorder take turns: one holder at a time, first come first served, abort while waiting.
import { describe, expect, it } from 'vitest';
import { ReadTurns } from '../../../main/sync/library/read-turns.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ReadTurns', () => {
  it('grants one turn at a time, in the order asked', async () => {
    const turns = new ReadTurns();
    const order: string[] = [];
    const first = await turns.take();
    const waiting = ['b', 'c', 'd'].map((name) =>
      turns.take().then((release) => {
        order.push(name);
        return release;
      }),
    );
    await tick();
    expect(order).toEqual([]);
    first();
    const b = await waiting[0]!;
    await tick();
    expect(order).toEqual(['b']);
    b();
    (await waiting[1]!)();
    (await waiting[2]!)();
    expect(order).toEqual(['b', 'c', 'd']);
    // Free again: the next take is granted at once.
    (await turns.take())();
  });

  it('a second release of the same turn does not hand out an extra turn', async () => {
    const turns = new ReadTurns();
    const a = await turns.take();
    let bGot = false;
    let cGot = false;
    const b = turns.take().then((r) => ((bGot = true), r));
    void turns.take().then(() => (cGot = true));
    a();
    a();
    await tick();
    expect(bGot).toBe(true);
    expect(cGot).toBe(false);
    (await b)();
    await tick();
    expect(cGot).toBe(true);
  });

  it('a waiter whose signal aborts leaves the queue with the abort reason; the others keep their place', async () => {
    const turns = new ReadTurns();
    const a = await turns.take();
    const ac = new AbortController();
    const aborted = turns.take(ac.signal);
    const c = turns.take();
    ac.abort(new Error('unplugged'));
    await expect(aborted).rejects.toThrow('unplugged');
    a();
    const release = await c;
    release();
    // An already aborted signal is refused at once.
    expect(() => turns.take(ac.signal)).toThrow('unplugged');
  });
});
