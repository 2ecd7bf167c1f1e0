// @vitest-environment happy-dom
// The window's views against the bridge's dispatch table, the scripted engine and the real
// conf-backed settings store: what the user sees for each engine state, and that each control
// reaches the engine.
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/preact';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpdateView } from '../../main/app/ipc/contract.js';
import { formatWhen } from '../../renderer/src/dates.js';
import { NOTE, recordings, setup } from './support/harness.js';

let env: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  cleanup();
  await env?.cleanup();
  env = undefined;
});

describe('Devices', () => {
  it('shows a card for a plugged recorder, its pull, then "Safe to unplug", then "Not connected"', async () => {
    env = await setup({ engine: { pullBps: 200_000 } });
    expect(await screen.findByText(/Plug your Plaud recorder/)).toBeTruthy();
    const id = env.engine.plug({ ...NOTE, oldRecordings: 4, recordings: recordings(3) });
    // The model's display name and the serial's last digits, not the recorder's "PLAUD NOTE".
    const card = await screen.findByRole('article', { name: 'Plaud Note 2345' });
    const c = within(card);
    expect(c.getByText('Note')).toBeTruthy();
    expect(c.getByText(NOTE.sn)).toBeTruthy();
    expect(c.getByText('V0095')).toBeTruthy();
    expect(c.getByText('50.0 GB free of 64.0 GB')).toBeTruthy();
    expect(c.getByText('7 on the recorder, 3 new')).toBeTruthy();
    expect(await c.findByText(/Copying recordings: \d of 3 copied · [\d.]+ [KM]?B of 720 KB/)).toBeTruthy();
    expect(c.queryByText('Safe to unplug')).toBeNull();
    expect(await c.findByText('Safe to unplug', {}, { timeout: 5000 })).toBeTruthy();
    expect(c.getByText('7 on the recorder, 0 new')).toBeTruthy();
    env.engine.unplug(id);
    expect(await c.findByText(/Not plugged in · last seen just now/)).toBeTruthy();
    expect(c.queryByText('Safe to unplug')).toBeNull();
    // Not plugged in and no last visit sent: no made-up "0 on the recorder · Space unknown".
    expect(c.queryByText(/on the recorder/)).toBeNull();
    expect(c.queryByText('Space')).toBeNull();
  });
});

describe('Activity', () => {
  it('lists the queue with state chips and progress, and pause / resume reach the engine', async () => {
    env = await setup({ tab: 'activity', engine: { uploadBps: 20_000 } });
    env.engine.plug({ ...NOTE, recordings: recordings(6) });
    const list = await screen.findByRole('list', { name: 'Queue' });
    await waitFor(() => expect(within(list).getAllByText('Uploading').length).toBe(4), { timeout: 5000 });
    const bar = within(list).getAllByRole('progressbar', {
      name: /Progress of Note .*25 Nov 2026 \d\d:\d\d from Plaud Note/,
    })[0] as HTMLProgressElement;
    expect(bar.max).toBe(240_000);
    await waitFor(() => expect(bar.value).toBeGreaterThan(0));
    await waitFor(() => expect(screen.getAllByText(/· 20\.0 KB\/s/).length).toBeGreaterThan(0));

    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await waitFor(() => expect(env!.engine.getState().paused).toBe(true));
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeTruthy();
    await waitFor(() => expect(within(list).queryAllByText('Uploading')).toHaveLength(0));
    expect(within(list).getAllByText('Paused').length).toBeGreaterThan(0);
    expect(screen.getByText('Paused', { selector: '.status' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    await waitFor(() => expect(within(list).getAllByText('Uploading').length).toBeGreaterThan(0));
    expect(env.api.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['pause', 'resume']));
  });

  it('counts down "waiting to retry in 30 s", and Retry / Cancel act on that one recording', async () => {
    env = await setup({ tab: 'activity', engine: { uploadBps: 400_000 } });
    const recs = recordings(2);
    env.engine.failUpload(recs[0]!.startMs);
    env.engine.plug({ ...NOTE, recordings: recs });
    expect(await screen.findByText(/Waiting to retry in (30|29) s/, {}, { timeout: 5000 })).toBeTruthy();
    expect(screen.getByText(/The upload was interrupted/)).toBeTruthy();
    const retry = screen.getByRole('button', { name: /^Retry Note .*25 Nov 2026/ });
    fireEvent.click(retry);
    await waitFor(() =>
      expect(env!.api.calls).toContainEqual({ method: 'retry', args: [expect.stringContaining(NOTE.sn)] }),
    );
    // Retried at once (not after 30 s): the queue drains and both land in history.
    await env.engine.idle();
    expect((await env.engine.getHistory({})).total).toBe(2);
    expect(await screen.findByText('Nothing to do: every recording is synced.')).toBeTruthy();
  });

  it('cancel removes a queued recording', async () => {
    env = await setup({ tab: 'activity', engine: { uploadBps: 1_000 } });
    env.engine.plug({ ...NOTE, recordings: recordings(6) });
    await waitFor(() => expect(screen.getAllByRole('button', { name: /^Cancel (Note|Call)/ })).toHaveLength(6));
    await waitFor(() => expect(screen.getAllByText('Copied, waiting to upload')).toHaveLength(2));
    const cancel = screen.getAllByRole('button', { name: /^Cancel (Note|Call)/ });
    fireEvent.click(cancel[cancel.length - 1]!);
    await waitFor(() => expect(env!.engine.getState().queue).toHaveLength(5));
    expect(env.engine.getState().queue.map((q) => q.startMs)).not.toContain(recordings(6)[5]!.startMs);
    await waitFor(() => expect(screen.getAllByRole('button', { name: /^Cancel (Note|Call)/ })).toHaveLength(5));
  });
});

describe('Updates', () => {
  it("shows the app's own update downloading, then ready with a button that asks main to restart into it", async () => {
    env = await setup({ mount: false });
    const { render, act } = await import('@testing-library/preact');
    const { App } = await import('../../renderer/src/app.js');
    let push: ((u: UpdateView) => void) | undefined;
    let installs = 0;
    const api = {
      ...env.api,
      onUpdate: (l: (u: UpdateView) => void) => ((push = l), () => (push = undefined)),
      installUpdate: async () => (installs++, true),
    };
    render(<App api={api} />);
    await screen.findByRole('tab', { name: 'Devices' });
    expect(screen.queryByText(/Plaud Sync .* is ready/)).toBeNull();
    act(() => push!({ state: 'downloading', version: '1.4.0', percent: 40 }));
    expect(await screen.findByText('Downloading Plaud Sync 1.4.0: 40%')).toBeTruthy();
    act(() => push!({ state: 'ready', version: '1.4.0' }));
    expect(await screen.findByText(/Plaud Sync 1\.4\.0 is ready/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Restart to update' }));
    await waitFor(() => expect(installs).toBe(1));
    act(() => push!({ state: 'none' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Restart to update' })).toBeNull());
  });
});

describe('History', () => {
  it('shows 10,000 entries with only the rows in view in the DOM, pages on demand, filters and opens', async () => {
    env = await setup({ tab: 'history', mount: false });
    env.engine.seedHistory(10_000);
    const { render } = await import('@testing-library/preact');
    const { App } = await import('../../renderer/src/app.js');
    render(<App api={env.api} initialTab="history" />);
    expect(await screen.findByText('10,000 recordings')).toBeTruthy();
    const table = screen.getByRole('table', { name: 'Synced recordings' });
    expect(table.getAttribute('aria-rowcount')).toBe('10001');
    const rows = () => within(table).getAllByRole('row').length - 1;
    expect(rows()).toBeGreaterThan(5);
    expect(rows()).toBeLessThan(60);
    // No sizes from this engine: no empty Size column.
    expect(table.classList.contains('no-size')).toBe(true);
    // Newest first; only the first page was asked for. The cloud file id is behind Details, not a column.
    const firstRow = within(table).getAllByRole('row')[1]!;
    expect(firstRow.textContent).not.toContain('file_0000270f');
    fireEvent.click(within(firstRow).getByRole('button', { name: /^Details of the recording of/ }));
    expect(within(screen.getByRole('region', { name: 'Recording details' })).getByText('file_0000270f')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Close details' }));
    const queries = () =>
      env!.api.calls
        .filter((c) => c.method === 'getHistory')
        .map((c) => c.args[0] as { offset: number; limit: number });
    expect(queries().every((q) => q.offset === 0 && q.limit === 200)).toBe(true);

    // Scroll far down: the rows in view change and only the pages needed are fetched.
    const scroller = table.querySelector('.vscroll') as HTMLElement;
    scroller.scrollTop = 40 * 7_000;
    fireEvent.scroll(scroller);
    await waitFor(() =>
      expect(within(table).getAllByRole('row')[1]!.getAttribute('aria-rowindex')).toBe(String(7_000 - 8 + 2)),
    );
    const at7000 = Date.UTC(2025, 0, 1) + (10_000 - 1 - 7_000) * 3_600_000;
    await waitFor(() =>
      expect(
        within(table).getByRole('button', { name: `Open the recording of ${formatWhen(at7000, Date.now())}` }),
      ).toBeTruthy(),
    );
    expect(queries().map((q) => q.offset)).toEqual(expect.arrayContaining([6_800]));
    expect(queries().length).toBeLessThan(6);

    // Filter by kind: every 5th seeded entry is a call.
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'call' } });
    expect(await screen.findByText('2,000 recordings')).toBeTruthy();
    expect(
      within(table)
        .getAllByRole('row')
        .slice(1)
        .every((r) => r.textContent?.includes('Call')),
    ).toBe(true);
    fireEvent.input(screen.getByLabelText('Search'), { target: { value: 'file_0000000a' } });
    expect(await screen.findByText('1 recording')).toBeTruthy();
    // main opens only a local copy that exists
    const local = path.join(env.libraryDir, NOTE.sn, '10.opus');
    fireEvent.click(screen.getByRole('button', { name: /^Open the recording of/ }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/The local copy is missing/);
    await mkdir(path.dirname(local), { recursive: true });
    await writeFile(local, 'opus');
    fireEvent.click(screen.getByRole('button', { name: /^Open the recording of/ }));
    await waitFor(() => expect(env!.opened).toEqual([local]));
    // The details show the same file in its folder, and play it from the page's own origin only when asked.
    const row = within(table).getAllByRole('row')[1]!;
    fireEvent.click(within(row).getByRole('button', { name: /^Details of the recording of/ }));
    const details = screen.getByRole('region', { name: 'Recording details' });
    fireEvent.click(within(details).getByRole('button', { name: 'Show in folder' }));
    await waitFor(() => expect(env!.shown).toEqual([local]));
    expect(details.querySelector('audio')).toBeNull();
    fireEvent.click(within(details).getByRole('button', { name: 'Play here' }));
    const shownId = (await env.engine.getHistory({ text: 'file_0000000a' })).entries[0]!.id;
    expect(details.querySelector('audio')?.getAttribute('src')).toBe(`recording/${encodeURIComponent(shownId)}`);
    fireEvent.click(within(details).getByRole('button', { name: 'Close details' }));
    fireEvent.input(screen.getByLabelText('Search'), { target: { value: 'nothing-like-this' } });
    expect(await screen.findByText('No recordings match these filters.')).toBeTruthy();
  });

  it('filters by date and device, and refreshes in place when a new recording is synced', async () => {
    env = await setup({ tab: 'history' });
    env.engine.seedHistory(48); // hourly from 2025-01-01 00:00 UTC
    expect(await screen.findByText('48 recordings')).toBeTruthy();
    fireEvent.input(screen.getByLabelText('From'), { target: { value: '2025-01-02' } });
    fireEvent.input(screen.getByLabelText('To'), { target: { value: '2025-01-02' } });
    const local = (
      await env.engine.getHistory({
        fromMs: new Date(2025, 0, 2).getTime(),
        toMs: new Date(2025, 0, 2, 23, 59, 59, 999).getTime(),
      })
    ).total;
    expect(await screen.findByText(`${local} recordings`)).toBeTruthy();
    fireEvent.input(screen.getByLabelText('From'), { target: { value: '' } });
    fireEvent.input(screen.getByLabelText('To'), { target: { value: '' } });
    env.engine.plug({ ...NOTE, sn: '880999999999999999', recordings: recordings(1) });
    expect(await screen.findByText('49 recordings', {}, { timeout: 5000 })).toBeTruthy();
    const select = screen.getByLabelText('Recorder') as HTMLSelectElement;
    await waitFor(() => expect(select.options.length).toBe(2));
    fireEvent.change(select, { target: { value: 'note:880999999999999999' } });
    expect(await screen.findByText('1 recording')).toBeTruthy();
  });
});

describe('Problems', () => {
  it('shows the offline problem in plain words and clears it when the server is back', async () => {
    env = await setup({ tab: 'problems' });
    expect(await screen.findByText('Everything is working.')).toBeTruthy();
    env.engine.goOffline();
    expect(await screen.findByText('The Plaud server cannot be reached.')).toBeTruthy();
    expect(screen.getByText(/upload when the connection is back/)).toBeTruthy();
    expect(screen.getByRole('tab', { name: /Problems 1/ })).toBeTruthy();
    expect(screen.getByText('Offline – waiting for the Plaud server')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Try again now' }));
    await waitFor(() => expect(env!.api.calls.some((c) => c.method === 'syncNow')).toBe(true));
    env.engine.goOnline();
    expect(await screen.findByText('Everything is working.')).toBeTruthy();
  });

  it('a refused token points to Settings, and the button goes there', async () => {
    env = await setup({ tab: 'problems' });
    env.engine.refuseAuth();
    expect(await screen.findByText('The API token was refused.')).toBeTruthy();
    expect(screen.getByText('Enter a new one in Settings.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Open Settings' }));
    expect(await screen.findByRole('heading', { name: 'Settings' })).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
  });

  it('an engine call that fails is shown, not swallowed', async () => {
    env = await setup({ tab: 'activity', engine: { uploadBps: 1 } });
    env.engine.plug({ ...NOTE, recordings: recordings(1) });
    const cancel = await screen.findByRole('button', { name: /^Cancel (Note|Call)/ }, { timeout: 5000 });
    await env.engine.cancel(env.engine.getState().queue[0]!.id); // gone before the click lands
    fireEvent.click(cancel);
    expect((await screen.findByRole('alert')).textContent).toMatch(/Cancel did not work: Nothing to cancel/);
  });
});

describe('Tabs', () => {
  it('one tab stop; arrows, Home and End move selection and focus', async () => {
    env = await setup();
    const tabs = await screen.findAllByRole('tab');
    expect(tabs.map((t) => t.textContent)).toEqual(['Devices', 'Activity', 'History', 'Problems', 'Settings']);
    expect(tabs.map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1]);
    tabs[0]!.focus();
    fireEvent.keyDown(tabs[0]!, { key: 'ArrowRight' });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Activity'));
    expect(screen.getByRole('tab', { name: 'Activity' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe('tab-activity');
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Settings'));
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowRight' });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Devices'));
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' });
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Settings'));
    expect(
      screen
        .getAllByRole('tab')
        .filter((t) => t.tabIndex === 0)
        .map((t) => t.textContent),
    ).toEqual(['Settings']);
  });
});

describe('Robustness', () => {
  it('a malformed state from main shows a plain message and a way back, not a blank window', async () => {
    env = await setup({ mount: false });
    const { render } = await import('@testing-library/preact');
    const { Root } = await import('../../renderer/src/root.js');
    const good = env.engine.getState();
    let broken = true;
    const api = {
      ...env.api,
      getState: async () => (broken ? ({ ...good, devices: null } as unknown as typeof good) : good),
    };
    const quiet = console.error;
    console.error = () => {};
    try {
      render(<Root api={api} />);
      expect((await screen.findByRole('alert')).textContent).toMatch(/ran into a problem.*Syncing continues/);
      broken = false;
      fireEvent.click(screen.getByRole('button', { name: 'Show the window again' }));
      expect(await screen.findByText(/Plug your Plaud recorder/)).toBeTruthy();
    } finally {
      console.error = quiet;
    }
  });
});
