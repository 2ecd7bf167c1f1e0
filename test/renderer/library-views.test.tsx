// @vitest-environment happy-dom
// Issue 12 in the window: History reads like a library, problems speak plainly with their detail
// behind a disclosure, queue rows name one state each, and device cards use people's names. The App
// runs against the bridge's dispatch table and the scripted engine; fields the engine does not send
// yet are added on top of its real snapshots (support/extend-state.ts).
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/app.js';
import { countsLine } from '../../renderer/src/views/Activity.js';
import type { ProblemX, QueueItemX } from '../../renderer/src/engine-extras.js';
import { NOTE, setup } from './support/harness.js';
import { withExtras } from './support/extend-state.js';

let env: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  cleanup();
  await env?.cleanup();
  env = undefined;
});

const at = (daysAgo: number, h: number, m: number) => {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysAgo, h, m).getTime();
};

describe('History is a library', () => {
  it('groups by day with "Today" / "Yesterday", shows length, size and the recorder by name; search and filters read dates as shown', async () => {
    env = await setup({ mount: false, engine: { pullBps: 200_000_000, uploadBps: 200_000_000 } });
    env.engine.plug({
      ...NOTE,
      recordings: [
        { kind: 'note', startMs: at(0, 9, 2), durationMs: 48 * 60_000 },
        { kind: 'call', startMs: at(0, 8, 15), durationMs: 65 * 60_000 },
        { kind: 'note', startMs: at(1, 14, 10), durationMs: 30_000 },
      ],
    });
    await env.engine.idle();
    render(
      <App
        api={withExtras(env.api, { history: (e) => ({ ...e, sizeBytes: Math.round(e.durationMs * 4) }) })}
        initialTab="history"
      />,
    );
    expect(await screen.findByText('3 recordings')).toBeTruthy();
    const table = screen.getByRole('table', { name: 'Synced recordings' });
    const [, r1, r2, r3] = within(table).getAllByRole('row');
    // The first row of a day names it; the next row of the same day does not repeat it visibly.
    expect(r1!.querySelector('.day-name')?.textContent).toBe('Today');
    expect(r1!.textContent).toContain('09:02');
    expect(r1!.textContent).toContain('48 min');
    expect(r1!.textContent).toContain('11.5 MB');
    expect(r1!.textContent).toContain('Plaud Note 2345');
    expect(r1!.textContent).not.toContain('PLAUD');
    expect(r2!.querySelector('.day-name')).toBeNull();
    expect(r2!.textContent).toContain('1 h 5 min');
    expect(r2!.classList.contains('day-start')).toBe(false);
    expect(r3!.querySelector('.day-name')?.textContent).toBe('Yesterday');
    expect(r3!.classList.contains('day-start')).toBe(true);
    expect(r3!.textContent).toContain('30 s');
    expect(table.classList.contains('no-size')).toBe(false);
    // Every row names its day for a screen reader.
    expect(r2!.textContent).toMatch(/^Today08:15/);

    const search = screen.getByLabelText('Search');
    fireEvent.input(search, { target: { value: 'Yesterday' } });
    expect(await screen.findByText('1 recording')).toBeTruthy();
    expect(within(table).getAllByRole('row')[1]!.textContent).toContain('14:10');
    fireEvent.input(search, { target: { value: 'Today 08:15' } });
    await waitFor(() => expect(within(table).getAllByRole('row')[1]!.textContent).toContain('08:15'));
    expect(screen.getByText('1 recording')).toBeTruthy();
    fireEvent.input(search, { target: { value: '' } });
    expect(await screen.findByText('3 recordings')).toBeTruthy();

    // Date filters take the list's words and show them back in the list's format.
    const from = screen.getByLabelText('From') as HTMLInputElement;
    fireEvent.input(from, { target: { value: 'today' } });
    fireEvent.blur(from);
    await waitFor(() => expect(from.value).toBe('Today'));
    expect(await screen.findByText('2 recordings')).toBeTruthy();
    fireEvent.input(from, { target: { value: 'next week' } });
    expect(from.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(from.getAttribute('aria-describedby')!)?.textContent).toMatch(
      /Write a day as the list shows it/,
    );
    fireEvent.input(from, { target: { value: '' } });
    expect(await screen.findByText('3 recordings')).toBeTruthy();
  });
});

const problem = (p: Partial<ProblemX> & Pick<ProblemX, 'id' | 'code' | 'severity' | 'message'>): ProblemX => ({
  since: Date.now(),
  ...p,
});

describe('Problems speak plainly', () => {
  it('a recording that changed on the recorder after its upload: "Upload newer version" asks the engine for it', async () => {
    env = await setup({ mount: false });
    const extra = [
      problem({
        id: 'c1',
        code: 'recording-changed' as ProblemX['code'],
        severity: 'needs-you',
        message: 'A recording from 5 Apr 14:52 changed on the Plaud Note after it was uploaded.',
        action:
          'Choose Upload newer version to upload what the recorder holds now as a new recording; the first upload stays.',
        actionLabel: 'Upload newer version',
        recordingId: 'rec-9',
      }),
    ];
    render(
      <App
        api={withExtras(env.api, { state: (s) => ({ ...s, problems: [...s.problems, ...extra] }) })}
        initialTab="problems"
      />,
    );
    const item = (await screen.findByText(/changed on the Plaud Note/)).closest('li')!;
    fireEvent.click(within(item).getByRole('button', { name: 'Upload newer version' }));
    await waitFor(() => expect(env!.api.calls).toContainEqual({ method: 'uploadNewerVersion', args: ['rec-9'] }));
  });

  it('needs-you in red with the button the action names, the raw detail behind Details, and Copy diagnostics', async () => {
    env = await setup({ mount: false });
    const detail = 'Finishing the upload (complete-upload): HTTP 500 (server said: {"error":"boom"}) after 6 tries';
    const extra = [
      problem({
        id: 'u1',
        code: 'upload-failed',
        severity: 'needs-you',
        message: 'One recording could not be uploaded.',
        action: 'Choose Retry upload to send it again.',
        actionLabel: 'Retry upload',
        detail,
        recordingId: 'rec-1',
      }),
    ];
    render(
      <App
        api={withExtras(env.api, { state: (s) => ({ ...s, problems: [...s.problems, ...extra] }) })}
        initialTab="problems"
      />,
    );
    const item = (await screen.findByText('One recording could not be uploaded.')).closest('li')!;
    const c = within(item);
    expect(c.getByText('Needs you').className).toContain('chip-error');
    // Up front: the sentence, the action and the button; the raw text only inside the closed disclosure.
    for (const el of item.querySelectorAll(':scope > :not(details)')) expect(el.textContent).not.toContain('HTTP 500');
    const button = c.getByRole('button', { name: 'Retry upload' });
    expect(c.getByText(/Choose Retry upload/)).toBeTruthy();
    fireEvent.click(button);
    await waitFor(() => expect(env!.api.calls).toContainEqual({ method: 'retry', args: ['rec-1'] }));
    // The detail is there, inside the closed disclosure.
    const details = item.querySelector('details')!;
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')?.textContent).toBe('Details');
    expect(details.textContent).toContain(detail);
    fireEvent.click(c.getByRole('button', { name: 'Copy diagnostics' }));
    expect(await c.findByText(/^Copied/)).toBeTruthy();
    const copied = await navigator.clipboard.readText();
    expect(copied).toContain('One recording could not be uploaded.');
    expect(copied).toContain(detail);
    expect(copied).toContain('upload-failed');
    // The tab's badge is red, not the Activity blue.
    expect(screen.getByRole('tab', { name: /Problems/ }).querySelector('.badge')!.className).toContain(
      'badge-needs-you',
    );
  });

  it("retrying-by-itself is amber (today's 'warning' too), and a raw message is cut to one sentence with the rest behind Details", async () => {
    env = await setup({ mount: false });
    const raw = problem({
      id: 'old',
      code: 'server-error',
      severity: 'warning',
      message:
        '4 recording(s) could not be uploaded. Last error: Finishing the upload of 1796037300.opus did not get an answer after 6 tries (HTTP 500).',
    });
    render(
      <App
        api={withExtras(env.api, { state: (s) => ({ ...s, problems: [...s.problems, raw] }) })}
        initialTab="problems"
      />,
    );
    const item = (await screen.findByText('4 recordings could not be uploaded.')).closest('li')!;
    expect(within(item).getByText('Retrying by itself').className).toContain('chip-warn');
    expect(item.querySelector('.problem-message')!.textContent).not.toContain('1796037300');
    expect(item.querySelector('details')!.textContent).toContain('Last error: Finishing the upload of 1796037300.opus');
    expect(item.textContent).not.toContain('recording(s)');
    const badge = () => screen.getByRole('tab', { name: /Problems/ }).querySelector('.badge')!;
    expect(badge().className).toContain('badge-retrying');
    // The engine's own offline problem ("warning" today) is amber too; a refused token turns the badge red.
    env.engine.goOffline();
    expect(await screen.findByText('The Plaud server cannot be reached.')).toBeTruthy();
    expect(badge().className).toContain('badge-retrying');
    env.engine.refuseAuth();
    await waitFor(() => expect(badge().className).toContain('badge-needs-you'));
  });

  it("the engine's 'level' decides the colour when it sends one (severity then stays error / warning)", async () => {
    env = await setup({ mount: false });
    const extra = [
      {
        ...problem({ id: 'a', code: 'offline', severity: 'error', message: 'Offline for a while.' }),
        level: 'needs-you' as const,
      },
      {
        ...problem({ id: 'b', code: 'upload-failed', severity: 'warning', message: 'A recording is retried.' }),
        level: 'retrying' as const,
      },
      {
        ...problem({ id: 'c', code: 'other', severity: 'warning', message: 'Just so you know.' }),
        level: 'info' as const,
      },
    ];
    render(<App api={withExtras(env.api, { state: (s) => ({ ...s, problems: extra }) })} initialTab="problems" />);
    const chipOf = async (msg: string) =>
      within((await screen.findByText(msg)).closest('li')!).getByText(
        /Needs you|Retrying by itself|For your information/,
      ).textContent;
    expect(await chipOf('Offline for a while.')).toBe('Needs you');
    expect(await chipOf('A recording is retried.')).toBe('Retrying by itself');
    expect(await chipOf('Just so you know.')).toBe('For your information');
    // Needs-you first.
    expect(screen.getAllByRole('listitem').map((li) => li.querySelector('.problem-message')!.textContent)).toEqual([
      'Needs you Offline for a while.',
      'Retrying by itself A recording is retried.',
      'For your information Just so you know.',
    ]);
  });

  it("today's engine calls offline an 'error' with the raw cause in parentheses: amber, one sentence, the cause behind Details", async () => {
    env = await setup({ mount: false });
    const offline = problem({
      id: 'offline',
      code: 'offline',
      severity: 'error',
      message:
        'The Plaud cloud cannot be reached (Starting the upload (generate-presigned-urls) failed: the server refused the connection.). Uploads wait and resume by themselves.',
      action: 'Check the internet connection.',
    });
    render(<App api={withExtras(env.api, { state: (s) => ({ ...s, problems: [offline] }) })} initialTab="problems" />);
    const sentence = await screen.findByText('The Plaud cloud cannot be reached.');
    const item = sentence.closest('li')!;
    expect(within(item).getByText('Retrying by itself').className).toContain('chip-warn');
    const details = item.querySelector('details')!.textContent!;
    expect(details).toContain(
      'Starting the upload (generate-presigned-urls) failed: the server refused the connection.',
    );
    expect(details).toContain('Uploads wait and resume by themselves.');
    expect(screen.getByRole('tab', { name: /Problems/ }).querySelector('.badge')!.className).toContain(
      'badge-retrying',
    );
  });
});

const item = (id: string, state: string, o: Partial<QueueItemX> = {}): QueueItemX =>
  ({
    id,
    sn: NOTE.sn,
    deviceId: `note:${NOTE.sn}`,
    relBase: `NOTES/20261125/${id}`,
    kind: 'note',
    startMs: at(0, 9, Number(id.replace(/\D/g, '')) || 0),
    durationMs: 10 * 60_000,
    state,
    bytesDone: 0,
    bytesTotal: 2_400_000,
    speedBps: 0,
    etaSec: null,
    attempts: 1,
    ...o,
  }) as QueueItemX;

describe('Activity: one state per item, named for the user', () => {
  it('labels every state, keeps "still on the recorder" out of "to go" and without Cancel, and a cancel is grey with Resume', async () => {
    env = await setup({ mount: false, tab: 'activity', engine: { simulate: false } });
    env.engine.plug({ ...NOTE, recordings: [] });
    const now = Date.now();
    env.engine.setQueue([
      item('r1', 'on-recorder'),
      item('r2', 'waiting-settle'),
      item('r3', 'pulling', { phase: 'copy', bytesDone: 1_000_000, speedBps: 500_000, etaSec: 3 }),
      item('r4', 'queued', { phase: 'upload' }),
      item('r5', 'uploading', { bytesDone: 600_000, speedBps: 100_000, etaSec: 18 }),
      item('r6', 'completing', { bytesDone: 0, bytesTotal: 11_700_000 }),
      item('r7', 'waiting-retry', {
        nextRetryAt: now + 30_000,
        error:
          'Finishing the upload of 2026-04-05 14.52 Note.opus did not get an answer after 6 tries (Finishing the upload (complete-upload): server error (HTTP 500) (server said: {"detail":"boom"})). A retry finishes this same upload, so no duplicate is created.',
      }),
      item('r8', 'failed', { error: 'The file in the library is damaged.' }),
      item('r9', 'cancelled'),
      item('r10', 'failed', { error: 'Cancelled by you. Choose Retry to upload it.' }),
    ] as never);
    render(<App api={env.api} initialTab="activity" />);
    const list = await screen.findByRole('list', { name: 'Queue' });
    const row = (n: number) => within(list).getAllByRole('listitem')[n - 1]!;
    expect(within(row(1)).getByText('Still on the recorder – plug it in again')).toBeTruthy();
    expect(within(row(1)).queryByRole('button', { name: /^Cancel/ })).toBeNull();
    expect(within(row(2)).getByText('Waiting for the recorder to finish writing')).toBeTruthy();
    expect(within(row(3)).getByText('Copying')).toBeTruthy();
    expect(row(3).textContent).toContain('500 KB/s');
    expect(within(row(4)).getByText('Copied, waiting to upload')).toBeTruthy();
    expect(within(row(5)).getByText('Uploading')).toBeTruthy();
    expect(row(5).textContent).toContain('18 s left');
    expect(within(row(6)).getByText('Finishing')).toBeTruthy();
    const bar6 = within(row(6)).getByRole('progressbar') as HTMLProgressElement;
    expect(bar6.value).toBe(bar6.max);
    expect(row(6).textContent).not.toContain('0 B of');
    expect(within(row(7)).getByText(/^Waiting to retry in (30|29) s$/)).toBeTruthy();
    // One plain sentence, amber (it retries by itself); the raw detail is not in the row.
    const reason = within(row(7)).getByText(
      'Finishing the upload of 2026-04-05 14.52 Note.opus did not get an answer after 6 tries.',
    );
    expect(reason.className).toBe('queue-warn');
    expect(row(7).textContent).not.toMatch(/HTTP 500|server said|complete-upload/);
    expect(within(row(8)).getByText('The file in the library is damaged.').className).toBe('queue-error');
    expect(within(row(8)).getByText('Needs you').className).toContain('chip-error');
    for (const n of [9, 10]) {
      const chip = within(row(n)).getByText('Cancelled');
      expect(chip.className).toContain('chip-muted');
      expect(within(row(n)).queryByText('Needs you')).toBeNull();
      expect(within(row(n)).getByRole('button', { name: /^Resume/ })).toBeTruthy();
    }
    // The counts line uses the rows' states: 6 to go (not the on-recorder, failed or cancelled ones).
    const summary = document.querySelector('.summary')!.textContent!;
    expect(summary).toContain('6 to go – 3 in progress, 3 waiting, 1 needs you, 1 still on the recorder, 2 cancelled');
    expect(summary).not.toMatch(/–\s*·|· –|– left/);
    expect(screen.getByRole('tab', { name: /Activity/ }).textContent).toBe('Activity 6');
    fireEvent.click(within(row(9)).getByRole('button', { name: /^Resume/ }));
    await waitFor(() => expect(env!.api.calls).toContainEqual({ method: 'retry', args: ['r9'] }));
  });

  it('the counts line says nothing of "0 to go" when only cancelled or waiting-on-the-recorder items are left', () => {
    const ctx = { online: true, now: Date.now() };
    expect(countsLine([item('r1', 'cancelled')], ctx)).toBe('1 cancelled');
    expect(
      countsLine(
        [item('r1', 'on-recorder'), item('r2', 'failed', { error: 'Cancelled by you. Choose Retry to upload it.' })],
        ctx,
      ),
    ).toBe('1 still on the recorder, 1 cancelled');
    expect(countsLine([item('r1', 'queued'), item('r2', 'on-recorder')], ctx)).toBe(
      '1 to go – 1 waiting, 1 still on the recorder',
    );
  });

  it('copy and upload each show their own bytes, speed and time left; offline shows no countdown, no "Uploading", nothing active', async () => {
    env = await setup({ mount: false, tab: 'activity', engine: { simulate: false } });
    env.engine.setQueue([
      item('r1', 'pulling', {
        phase: 'copy',
        bytesDone: 3_000_000,
        bytesTotal: 10_000_000,
        speedBps: 1_000_000,
        etaSec: 7,
      }),
      item('r2', 'uploading', { bytesDone: 200_000, bytesTotal: 1_000_000, speedBps: 50_000, etaSec: 16 }),
      item('r3', 'waiting-retry', { nextRetryAt: Date.now() - 1_000 }),
    ] as never);
    const copy = { bytesDone: 3_000_000, bytesTotal: 10_000_000, speedBps: 1_000_000, etaSec: 7 };
    const upload = { bytesDone: 200_000, bytesTotal: 1_000_000, speedBps: 50_000, etaSec: 16 };
    render(
      <App
        api={withExtras(env.api, { state: (s) => ({ ...s, totals: { ...s.totals, copy, upload } }) })}
        initialTab="activity"
      />,
    );
    expect(await screen.findByText('Copying from the recorder: 3.0 MB of 10.0 MB · 1.0 MB/s · 7 s left')).toBeTruthy();
    expect(screen.getByText('Uploading: 200 KB of 1.0 MB · 50.0 KB/s · 16 s left')).toBeTruthy();
    // A retry whose time has come is not "in 0 s".
    expect(screen.getByText('Retrying now')).toBeTruthy();
    expect(document.querySelector('.status')!.textContent).toBe('Syncing 3 recordings · 16 s left');

    env.engine.goOffline();
    await waitFor(() => expect(document.querySelector('.status')!.textContent).toMatch(/^Offline/));
    const list = screen.getByRole('list', { name: 'Queue' });
    expect(within(list).queryByText('Uploading')).toBeNull();
    expect(within(list).queryByText(/Waiting to retry in/)).toBeNull();
    expect(within(list).getAllByText('Waiting for the network')).toHaveLength(2);
    const summary = document.querySelector('.summary')!.textContent!;
    expect(summary).not.toMatch(/in progress.*in progress/);
    expect(summary).toMatch(/^3 to go – 1 in progress, 2 waiting/); // the copy from the recorder goes on offline
    // Nothing goes up while offline: the bytes are still to upload, not "Uploading".
    expect(summary).toContain('To upload: 200 KB of 1.0 MB');
    expect(summary).not.toContain('Uploading:');
    expect(summary).not.toContain('50.0 KB/s');
    expect(list.textContent).not.toContain('50.0 KB/s');
  });

  it('without the new totals, time left comes from the upload rows only (never recorder bytes over upload speed)', async () => {
    env = await setup({ mount: false, tab: 'activity', engine: { simulate: false } });
    env.engine.setQueue([
      item('r1', 'pulling', { bytesDone: 0, bytesTotal: 200_000_000, speedBps: 0 }),
      item('r2', 'uploading', { bytesDone: 0, bytesTotal: 500_000, speedBps: 100_000, etaSec: 5 }),
    ] as never);
    render(<App api={env.api} initialTab="activity" />);
    expect(await screen.findByText('Uploading: 0 B of 500 KB · 100 KB/s · 5 s left')).toBeTruthy();
    expect(screen.getByText('Copying from the recorder: 0 B of 200 MB')).toBeTruthy();
    expect(document.querySelector('.status')!.textContent).toBe('Syncing 2 recordings · 5 s left');
  });
});

describe('Device cards', () => {
  it('use the display name and the type in words, show the last visit when not plugged in, and keep a stable order', async () => {
    env = await setup({ mount: false, engine: { pullBps: 200_000_000, uploadBps: 200_000_000 } });
    const pin = { ...NOTE, sn: '883000000000009999', sn_type: 'notepin' as const, model: 'PLAUD NOTEPIN' };
    const note2 = { ...NOTE, sn: '880000000000001111' };
    const idPin = env.engine.plug({ ...pin, recordings: [] });
    env.engine.plug({ ...note2, recordings: [] });
    const idNote = env.engine.plug({ ...NOTE, recordings: [] });
    await env.engine.idle();
    env.engine.unplug(idPin);
    const lastAt = at(0, 14, 2);
    render(
      <App
        api={withExtras(env.api, {
          state: (s) => ({
            ...s,
            devices: s.devices.map((d) =>
              d.id === idPin ? { ...d, lastVisit: { at: lastAt, recordingsOnDevice: 12, synced: 8 } } : d,
            ),
          }),
        })}
      />,
    );
    await screen.findByRole('article', { name: 'Plaud NotePin 9999' });
    const names = () =>
      screen
        .getAllByRole('article')
        .map(
          (a) =>
            a.getAttribute('aria-labelledby') &&
            document.getElementById(a.getAttribute('aria-labelledby')!)!.textContent,
        );
    // Connected first, then by name, then by serial.
    expect(names()).toEqual(['Plaud Note 1111', 'Plaud Note 2345', 'Plaud NotePin 9999']);
    const pinCard = within(screen.getByRole('article', { name: 'Plaud NotePin 9999' }));
    expect(pinCard.getByText('NotePin')).toBeTruthy();
    expect(pinCard.getByText('12 on the recorder at its last visit')).toBeTruthy();
    expect(pinCard.getByText('8 recordings, 14:02')).toBeTruthy();
    expect(pinCard.queryByText(/^0 on the recorder/)).toBeNull();
    expect(pinCard.queryByText('unknown')).toBeNull();
    // A state change (one unplugged) does not reorder the others among themselves.
    env.engine.unplug(idNote);
    await waitFor(() => expect(names()).toEqual(['Plaud Note 1111', 'Plaud Note 2345', 'Plaud NotePin 9999']));
  });

  it('a last visit with copied (not synced) counts and recordings still being written says so in words', async () => {
    env = await setup({ mount: false, engine: { pullBps: 200_000_000, uploadBps: 200_000_000 } });
    const id = env.engine.plug({ ...NOTE, recordings: [] });
    const idB = env.engine.plug({ ...NOTE, sn: '880000000000001111', recordings: [] });
    await env.engine.idle();
    env.engine.unplug(id);
    render(
      <App
        api={withExtras(env.api, {
          state: (s) => ({
            ...s,
            devices: s.devices.map((d) =>
              d.id === id
                ? { ...d, lastVisit: { at: at(0, 9, 30), recordingsOnDevice: 5, pulled: 3, waitingForRecorder: 2 } }
                : d.id === idB
                  ? { ...d, waitingForRecorder: 1 }
                  : d,
            ),
          }),
        })}
      />,
    );
    const away = within(await screen.findByRole('article', { name: 'Plaud Note 2345' }));
    expect(
      away.getByText(
        '5 on the recorder at its last visit; 2 are still being written – copied once the recorder finishes them',
      ),
    ).toBeTruthy();
    expect(away.getByText('Last copied')).toBeTruthy();
    expect(away.getByText('3 recordings, 09:30')).toBeTruthy();
    expect(away.queryByText('Last synced')).toBeNull();
    const here = within(screen.getByRole('article', { name: 'Plaud Note 1111' }));
    expect(here.getByText(/; 1 is still being written – copied once the recorder finishes it$/)).toBeTruthy();
  });

  it('an unplug mid-copy says which recorder and how many recordings are still on it', async () => {
    env = await setup({ engine: { pullBps: 20_000 } });
    const id = env.engine.plug({
      ...NOTE,
      recordings: [0, 1, 2, 3].map((i) => ({ kind: 'note' as const, startMs: at(0, 8, i), durationMs: 60_000 })),
    });
    const card = await screen.findByRole('article', { name: 'Plaud Note 2345' });
    await within(card).findByText(/Copying recordings/);
    env.engine.unplug(id);
    expect(
      await within(card).findByText(
        /Plaud Note 2345 was unplugged before it was read to the end\. 4 recordings are still on it – plug it in again/,
      ),
    ).toBeTruthy();
  });
});
