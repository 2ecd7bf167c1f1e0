// Engine state in the window: newest snapshot wins, at most one render per animation frame.
// Main already throttles pushes; this coalesces whatever still arrives faster than the screen can
// draw, and never drops the final state (the last one accepted is always the one rendered).
import { useEffect, useState } from 'preact/hooks';
import type { EngineState } from '../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from './api.js';

type Schedule = (fn: () => void) => () => void;

const frameSchedule: Schedule = (fn) => {
  if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && !document.hidden) {
    const h = requestAnimationFrame(fn);
    return () => cancelAnimationFrame(h);
  }
  // Hidden windows get no animation frames: fall back to a timer so the state still lands.
  const t = setTimeout(fn, 16);
  return () => clearTimeout(t);
};

export interface StateFeed {
  /** Accepts a snapshot; older or equal seq than the newest seen is ignored. */
  accept(s: EngineState): void;
  dispose(): void;
}

export function createStateFeed(onRender: (s: EngineState) => void, schedule: Schedule = frameSchedule): StateFeed {
  let latest: EngineState | null = null;
  let cancel: (() => void) | null = null;
  let disposed = false;
  return {
    accept(s) {
      if (disposed) return;
      if (latest && s.seq <= latest.seq) return;
      latest = s;
      if (cancel) return;
      cancel = schedule(() => {
        cancel = null;
        if (!disposed && latest) onRender(latest);
      });
    },
    dispose() {
      disposed = true;
      cancel?.();
      cancel = null;
    },
  };
}

export function useEngineState(api: PlaudSyncApi): { state: EngineState | null; error: string | null } {
  const [state, setState] = useState<EngineState | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const feed = createStateFeed(setState);
    const off = api.onState((s) => feed.accept(s));
    api.getState().then(
      (s) => feed.accept(s),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      off();
      feed.dispose();
    };
  }, [api]);
  return { state, error };
}

/** A clock for countdowns ("retry in 30 s") and "synced 3 min ago"; ticks once a second. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
