// Pure parts of the window: formatting, the state feed's ordering/coalescing, the settings rules.
import { describe, expect, it } from 'vitest';
import type { SettingsView } from '../../main/app/ipc/contract.js';
import { defaultSettings } from '../../main/sync/settings.js';
import type { EngineState } from '../../main/sync/engine/state.js';
import { formatBytes, formatDuration, formatEta, parseDateInput, shortReason } from '../../renderer/src/format.js';
import { createStateFeed } from '../../renderer/src/store.js';
import { checkApiBase, formFromView, patchFromForm } from '../../renderer/src/settings-form.js';

describe('format', () => {
  it('shortReason keeps the first sentence without its parenthesised detail', () => {
    expect(shortReason('A (b (c). d) e. More (x).')).toBe('A e.');
    expect(shortReason('No period here (detail)')).toBe('No period here');
    expect(shortReason('Version 1.2 failed. Next.')).toBe('Version 1.2 failed.');
    expect(shortReason('(all detail)')).toBe('(all detail)');
  });

  it('sizes, durations and dates in plain words', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(14_400_000)).toBe('14.4 MB');
    expect(formatBytes(230_000_000)).toBe('230 MB');
    expect(formatBytes(-1)).toBe('–');
    expect(formatDuration(3_723_000)).toBe('1 h 02 min');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatEta(null)).toBe('–');
    expect(parseDateInput('2025-01-02')).toBe(new Date(2025, 0, 2).getTime());
    expect(parseDateInput('2025-01-02', true)).toBe(new Date(2025, 0, 2, 23, 59, 59, 999).getTime());
    expect(parseDateInput('')).toBeUndefined();
  });
});

describe('state feed', () => {
  const st = (seq: number) => ({ seq }) as EngineState;
  it('renders once per frame, the newest snapshot, and ignores older ones arriving late', () => {
    const frames: (() => void)[] = [];
    const rendered: number[] = [];
    const feed = createStateFeed(
      (s) => rendered.push(s.seq),
      (fn) => {
        frames.push(fn);
        return () => {};
      },
    );
    feed.accept(st(1));
    feed.accept(st(3));
    feed.accept(st(2)); // late and older: dropped
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(rendered).toEqual([3]);
    feed.accept(st(3));
    expect(frames).toHaveLength(0);
    feed.accept(st(4));
    feed.accept(st(5));
    frames.shift()!();
    expect(rendered).toEqual([3, 5]);
    feed.dispose();
    feed.accept(st(6));
    expect(frames).toHaveLength(0);
  });
});

describe('settings rules', () => {
  const view: SettingsView = {
    ...defaultSettings('/lib'),
    hasApiToken: false,
    hasClientSecret: false,
    secretStorageAvailable: true,
  };
  it('allows https anywhere and http only on loopback', () => {
    expect(checkApiBase('https://api.plaud.ai')).toBeNull();
    expect(checkApiBase('http://localhost:3000')).toBeNull();
    expect(checkApiBase('http://[::1]:3000')).toBeNull();
    expect(checkApiBase('http://10.0.0.2')).toMatch(/https/);
    expect(checkApiBase('ftp://x')).toMatch(/https/);
    expect(checkApiBase('api.plaud.ai')).toMatch(/full address/);
  });
  it('asks for a token when none is saved, and sends only typed secrets', () => {
    const f = { ...formFromView(view), credKind: 'token' as const };
    expect(patchFromForm(f, view)).toEqual({ error: { field: 'apiToken', message: 'Enter the API token.' } });
    const ok = patchFromForm({ ...f, apiToken: '  t0k ' }, view);
    expect(ok).toMatchObject({ patch: { credentials: { kind: 'token' }, apiToken: 't0k' } });
    const keep = patchFromForm(f, { ...view, hasApiToken: true });
    expect(keep).toMatchObject({ patch: { credentials: { kind: 'token' } } });
    expect('patch' in keep && 'apiToken' in keep.patch).toBe(false);
    expect(patchFromForm({ ...f, apiToken: 'x' }, { ...view, secretStorageAvailable: false })).toMatchObject({
      error: { field: 'apiToken' },
    });
  });
});
