import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrowserWindow, __mock } from '../support/electron-mock.js';
import { device, emptyState, item } from './engine-double.js';
import { RendererPush } from '../../main/app/ipc/push.js';
import { Notifier, syncSummary } from '../../main/app/notifier.js';
import type { Problem } from '../../main/sync/engine/state.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

describe('RendererPush', () => {
  beforeEach(() => {
    __mock.reset();
    __mock.autoFinishLoad = false;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('queues messages until did-finish-load, then sends events in order and the newest state', async () => {
    const win = new BrowserWindow({ show: false });
    const push = new RendererPush(100);
    push.attach(win.webContents as never);
    await win.loadURL('file:///app/index.html');
    push.send('engine:event', { type: 'device-detached', deviceId: 'a' });
    push.state(emptyState({ seq: 1 }));
    push.state(emptyState({ seq: 2 }));
    push.send('engine:event', { type: 'device-detached', deviceId: 'b' });
    vi.advanceTimersByTime(1000);
    expect(win.webContents.sent).toEqual([]);
    win.webContents.finishLoad();
    expect(
      win.webContents.sent.map((m) => [
        m.channel,
        (m.args[0] as { seq?: number; deviceId?: string }).seq ?? (m.args[0] as { deviceId: string }).deviceId,
      ]),
    ).toEqual([
      ['engine:event', 'a'],
      ['engine:event', 'b'],
      ['state:changed', 2],
    ]);
  });

  it('throttles state to one per interval and always delivers the last one', () => {
    const win = new BrowserWindow({ show: false });
    const push = new RendererPush(100);
    push.attach(win.webContents as never);
    win.webContents.finishLoad();
    for (let seq = 1; seq <= 50; seq++) {
      push.state(emptyState({ seq }));
      vi.advanceTimersByTime(10); // 100 updates per second offered
    }
    vi.advanceTimersByTime(200);
    const seqs = win.webContents.sent
      .filter((m) => m.channel === 'state:changed')
      .map((m) => (m.args[0] as { seq: number }).seq);
    expect(seqs.length).toBeLessThanOrEqual(7); // 500 ms at 10 per second, plus the leading one
    expect(seqs.at(-1)).toBe(50);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('drops a snapshot older than one it has, and waits again after a reload', async () => {
    const win = new BrowserWindow({ show: false });
    const push = new RendererPush(100);
    push.attach(win.webContents as never);
    win.webContents.finishLoad();
    push.state(emptyState({ seq: 5 }));
    push.state(emptyState({ seq: 3 }));
    vi.advanceTimersByTime(200);
    expect(win.webContents.sent.map((m) => (m.args[0] as { seq: number }).seq)).toEqual([5]);
    await win.webContents.loadURL('file:///app/index.html'); // reload: not ready until it loads
    push.send('engine:event', { type: 'device-detached', deviceId: 'x' });
    expect(win.webContents.sent).toHaveLength(1);
    win.webContents.finishLoad();
    expect(win.webContents.sent.map((m) => m.channel)).toEqual(['state:changed', 'engine:event', 'state:changed']);
  });

  it('drops events while there is no window, and a new window starts from the current state', () => {
    const push = new RendererPush(100);
    push.send('engine:event', { type: 'device-detached', deviceId: 'old' });
    push.state(emptyState({ seq: 4 }));
    const win = new BrowserWindow({ show: false });
    push.attach(win.webContents as never);
    win.webContents.finishLoad();
    expect(win.webContents.sent.map((m) => m.channel)).toEqual(['state:changed']);
    win.destroy();
    push.send('engine:event', { type: 'device-detached', deviceId: 'gone' }); // must not throw
  });
});

describe('Notifier', () => {
  const problem = (id: string, over: Partial<Problem> = {}): Problem => ({
    id,
    code: 'upload-failed',
    severity: 'error',
    message: 'Uploads are failing',
    action: 'Check your connection',
    since: 0,
    deviceId: 'd1',
    ...over,
  });

  function make(enabled = true) {
    let now = 0;
    const shown: { title: string; body: string }[] = [];
    const state = { enabled };
    const n = new Notifier({
      enabled: () => state.enabled,
      show: (x) => shown.push(x),
      now: () => now,
      problemCooldownMs: 60_000,
    });
    return { n, shown, state, tick: (ms: number) => (now += ms) };
  }

  it('one summary per sync, with the device name and counts', () => {
    const { n, shown } = make();
    n.handle({ type: 'sync-finished', deviceId: 'd1', displayName: 'NotePin', synced: 3, failed: 0 });
    n.handle({ type: 'sync-finished', synced: 1, failed: 2 });
    n.handle({ type: 'sync-finished', synced: 0, failed: 0 });
    expect(shown.map((s) => s.title)).toEqual(['3 recordings from NotePin synced', '1 recording synced']);
    expect(shown[1]!.body).toBe('2 recordings could not be uploaded; Plaud Sync will try again.');
    expect(syncSummary({ type: 'sync-finished', synced: 0, failed: 1 })!.title).toBe('Sync did not finish');
  });

  it("holds a device's summary while it is still read or uploaded, then sends one with the totals", () => {
    const { n, shown } = make();
    const pulling = emptyState({
      devices: [
        device({ id: 'd1', pull: { state: 'pulling', filesDone: 1, filesTotal: 2, bytesDone: 1, bytesTotal: 2 } }),
      ],
    });
    n.observe(pulling);
    // The queue drained between two files of the pull: no summary yet.
    n.handle({ type: 'sync-finished', deviceId: 'd1', displayName: 'NotePin', synced: 1, failed: 0 });
    expect(shown).toEqual([]);
    n.observe(
      emptyState({ devices: [device({ id: 'd1' })], queue: [item('r2', { deviceId: 'd1', state: 'uploading' })] }),
    );
    expect(shown).toEqual([]);
    n.handle({ type: 'sync-finished', deviceId: 'd1', displayName: 'NotePin', synced: 1, failed: 1 });
    n.observe(
      emptyState({ devices: [device({ id: 'd1' })], queue: [item('r3', { deviceId: 'd1', state: 'waiting-retry' })] }),
    );
    expect(shown.map((s) => s.title)).toEqual(['2 recordings from NotePin synced']);
    expect(shown[0]!.body).toMatch(/^1 recording could not be uploaded/);
    // Another device's work does not hold this one.
    n.observe(emptyState({ queue: [item('x', { deviceId: 'd2', state: 'uploading' })] }));
    n.handle({ type: 'sync-finished', deviceId: 'd1', displayName: 'NotePin', synced: 1, failed: 0 });
    expect(shown).toHaveLength(2);
  });

  it('"Safe to unplug" when a pull finishes', () => {
    const { n, shown } = make();
    n.handle({ type: 'pull-finished', deviceId: 'd1', displayName: 'NotePin', pulled: 2, failed: 1 });
    expect(shown).toEqual([
      {
        title: 'Safe to unplug NotePin',
        body: '2 new recordings copied to your library. 1 recording could not be read and stay on the recorder.',
      },
    ]);
  });

  it('one notification per distinct problem, not per file or per retry', () => {
    const { n, shown, tick } = make();
    // Ten files fail the same way, each retried: one notification.
    for (let attempt = 0; attempt < 3; attempt++) {
      for (let f = 0; f < 10; f++)
        n.handle({ type: 'problem', problem: problem(`p${f}-${attempt}`, { recordingId: `r${f}` }) });
    }
    expect(shown).toHaveLength(1);
    // A different problem is news.
    n.handle({
      type: 'problem',
      problem: problem('auth', { code: 'auth-refused', message: 'The API token was refused' }),
    });
    expect(shown.map((s) => s.title)).toEqual(['Uploads are failing', 'The API token was refused']);
    // Cleared and back within the cooldown (a retry that fails again): quiet.
    for (let f = 0; f < 10; f++)
      for (let a = 0; a < 3; a++) n.handle({ type: 'problem-cleared', problemId: `p${f}-${a}` });
    tick(30_000);
    n.handle({ type: 'problem', problem: problem('again') });
    expect(shown).toHaveLength(2);
    // After the cooldown a returning problem is worth telling again.
    n.handle({ type: 'problem-cleared', problemId: 'again' });
    tick(60_000);
    n.handle({ type: 'problem', problem: problem('later') });
    expect(shown).toHaveLength(3);
  });

  it('the same problem on another recorder is a separate notification', () => {
    const { n, shown } = make();
    n.handle({ type: 'problem', problem: problem('a', { code: 'device-read-error', deviceId: 'd1' }) });
    n.handle({ type: 'problem', problem: problem('b', { code: 'device-read-error', deviceId: 'd2' }) });
    expect(shown).toHaveLength(2);
  });

  it('shows nothing when notifications are switched off', () => {
    const { n, shown, state } = make(false);
    n.handle({ type: 'sync-finished', synced: 3, failed: 0 });
    n.handle({ type: 'pull-finished', deviceId: 'd', displayName: 'Note', pulled: 1, failed: 0 });
    n.handle({ type: 'problem', problem: problem('x') });
    expect(shown).toEqual([]);
    state.enabled = true;
    n.handle({ type: 'sync-finished', synced: 1, failed: 0 });
    expect(shown).toHaveLength(1);
  });
});
