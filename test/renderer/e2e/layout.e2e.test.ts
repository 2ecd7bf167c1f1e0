// Issue 12's layout points in real headless Chromium, where only a real browser can tell: compact
// queue rows at 800×600, device pills on one line at 1280, History's focused row highlighted with
// its focus ring whole, the sticky save bar. Also axe (light and dark) and screenshots of every view
// with a rich state. The scripted engine stands still (simulate: false) so what is measured holds;
// fields the engine does not send yet are added on top of its snapshots by a pass-through wrapper.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncEngineApi } from '../../../main/sync/engine/api.js';
import type { EngineState, HistoryQuery } from '../../../main/sync/engine/state.js';
import { openSettingsStore } from '../../../main/sync/settings-store.js';
import { recordingId } from '../../../main/sync/recording/identity.js';
import type { EngineStateX, HistoryEntryX, ProblemX, QueueItemX } from '../../../renderer/src/engine-extras.js';
import { chromiumMissing, launchBrowser, type Browser } from '../../support/bridge/browser.js';
import { buildRenderer } from '../../support/bridge/build-renderer.js';
import { axeViolations, screenshot } from '../../support/bridge/page.js';
import { createScriptedEngine, type ScriptedEngine } from '../../support/bridge/scripted-engine.js';
import { BridgeSecretStore } from '../../support/bridge/secrets.js';
import { startBridge, type Bridge } from '../../support/bridge/server.js';
import { NOTE } from '../support/harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`layout e2e skipped: ${missing}`);

const today = (h: number, m: number) => {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, m).getTime();
};

const PIN = { ...NOTE, sn: '883000000000009999', sn_type: 'notepin' as const, model: 'PLAUD NOTEPIN' };
const NOTE_B = { ...NOTE, sn: '880000000000001111' };

function queueItem(i: number, state: string, o: Partial<QueueItemX> = {}): QueueItemX {
  return {
    id: recordingId(NOTE.sn, `NOTES/x/${i}`),
    sn: NOTE.sn,
    deviceId: `note:${NOTE.sn}`,
    relBase: `NOTES/x/${i}`,
    kind: i % 4 === 3 ? 'call' : 'note',
    startMs: today(8, i * 3),
    durationMs: (12 + i * 7) * 60_000,
    state: state as QueueItemX['state'],
    bytesDone: 0,
    bytesTotal: 2_000_000 + i * 900_000,
    speedBps: 0,
    etaSec: null,
    attempts: 1,
    ...o,
  };
}

describe.skipIf(!!missing)('layout in Chromium (issue 12)', () => {
  let tmp: string;
  let engine: ScriptedEngine;
  let bridge: Bridge;
  const browsers: Browser[] = [];
  const HISTORY = 300;
  let shift = 0;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'plaud-layout-e2e-'));
    const rendererDir = await buildRenderer(path.join(tmp, 'renderer'));
    engine = createScriptedEngine({ libraryDir: path.join(tmp, 'library'), simulate: false, throttleMs: 0 });
    const store = openSettingsStore(path.join(tmp, 'state'), path.join(tmp, 'library'));
    store.set({ credentials: { kind: 'token' } });
    const secrets = new BridgeSecretStore();
    await secrets.set('apiToken', 'scripted-token');
    await engine.applySettings(store.get());

    engine.seedHistory(HISTORY);
    // Seeded history is hourly from 2025: moved so its newest entry is today 09:02 (queries move back).
    shift = today(9, 2) - (Date.UTC(2025, 0, 1) + (HISTORY - 1) * 3_600_000);
    engine.plug({ ...NOTE, recordings: [{ kind: 'note', startMs: today(8, 0), durationMs: 30 * 60_000 }] });
    const pinId = engine.plug({ ...PIN, recordings: [] });
    const bId = engine.plug({ ...NOTE_B, recordings: [] });
    engine.unplug(pinId);
    engine.unplug(bId);
    engine.setQueue([
      queueItem(0, 'pulling', { phase: 'copy', bytesDone: 900_000, speedBps: 1_800_000, etaSec: 1 }),
      queueItem(1, 'uploading', { bytesDone: 1_200_000, speedBps: 240_000, etaSec: 7 }),
      queueItem(2, 'uploading', { bytesDone: 400_000, speedBps: 180_000, etaSec: 18 }),
      queueItem(3, 'completing', { bytesDone: 0 }),
      queueItem(4, 'waiting-retry', {
        nextRetryAt: Date.now() + 3_600_000,
        attempts: 2,
        error: 'The Plaud server did not answer.',
      }),
      queueItem(5, 'queued', { phase: 'upload' }),
      queueItem(6, 'queued', { phase: 'upload' }),
      queueItem(7, 'on-recorder', { deviceId: `notepin:${PIN.sn}`, sn: PIN.sn }),
      queueItem(8, 'cancelled'),
      queueItem(9, 'failed', { error: 'The copy in the library is damaged: it does not match the recorder.' }),
    ] as never);
    const problems: ProblemX[] = [
      {
        id: 'p1',
        code: 'upload-failed',
        severity: 'needs-you',
        message: 'One recording could not be uploaded.',
        action: 'Choose Retry upload to send it again.',
        actionLabel: 'Retry upload',
        detail: 'complete-upload answered HTTP 500 after 6 tries: {"error":"internal"}',
        since: Date.now() - 120_000,
      },
      {
        id: 'p2',
        code: 'server-error',
        severity: 'retrying',
        message: 'The Plaud server had a hiccup.',
        action: 'Plaud Sync tries again by itself in a minute.',
        detail: 'HTTP 503 Service Unavailable',
        since: Date.now() - 30_000,
      },
    ];
    const mod = (s0: EngineState): EngineState => {
      const s = s0 as unknown as EngineStateX;
      const out: EngineStateX = {
        ...s,
        problems: [...s.problems, ...problems],
        totals: {
          ...s.totals,
          copy: { bytesDone: 900_000, bytesTotal: 2_000_000, speedBps: 1_800_000, etaSec: 1 },
          upload: { bytesDone: 1_600_000, bytesTotal: 18_000_000, speedBps: 420_000, etaSec: 39 },
        },
        devices: s.devices.map((d) =>
          d.sn === PIN.sn
            ? { ...d, lastVisit: { at: today(7, 40), recordingsOnDevice: 12, synced: 8 } }
            : d.sn === NOTE_B.sn
              ? {
                  ...d,
                  pull: { ...d.pull, state: 'done' as const, error: undefined },
                  lastVisit: { at: today(0, 5) - 86_400_000, recordingsOnDevice: 31, synced: 31 },
                }
              : d,
        ),
      };
      return out as unknown as EngineState;
    };
    const moveQuery = (q: HistoryQuery): HistoryQuery => ({
      ...q,
      ...(q.fromMs !== undefined ? { fromMs: Math.max(0, q.fromMs - shift) } : {}),
      ...(q.toMs !== undefined ? { toMs: Math.max(0, q.toMs - shift) } : {}),
    });
    const wrapped: SyncEngineApi = {
      ...engine,
      getState: () => mod(engine.getState()),
      onState: (l) => engine.onState((s) => l(mod(s))),
      getHistory: async (q) => {
        const r = await engine.getHistory(moveQuery(q));
        const entries: HistoryEntryX[] = r.entries.map((e) => ({
          ...e,
          startMs: e.startMs + shift,
          syncedAt: e.startMs + shift + e.durationMs + 90_000,
          sizeBytes: Math.round(e.durationMs * 2),
        }));
        return { total: r.total, entries };
      },
    };
    bridge = await startBridge({ engine: wrapped, settings: store, secrets, rendererDir });
  }, 120_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await bridge?.close();
    await engine?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  async function open(o: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}) {
    const b = await launchBrowser(o);
    browsers.push(b);
    await b.page.goto(bridge.url);
    await b.page.getByRole('heading', { name: 'Plaud Sync' }).waitFor();
    return b;
  }

  it('Activity at 800×600: compact rows, more than 2.5 of 10 in view; the summary has no "–" placeholders', async () => {
    const b = await open({ viewport: { width: 800, height: 600 } });
    const { page } = b;
    await page.getByRole('tab', { name: /^Activity/ }).click();
    await page.getByRole('list', { name: 'Queue' }).waitFor();
    const m = (await page.evaluate(`(() => {
      const panel = document.querySelector('[role=tabpanel]').getBoundingClientRect();
      const bottom = Math.min(panel.bottom, window.innerHeight);
      const rows = [...document.querySelectorAll('.queue-item')].map((r) => r.getBoundingClientRect());
      const visible = rows.reduce((n, r) => n + Math.max(0, Math.min(r.bottom, bottom) - Math.max(r.top, panel.top)) / r.height, 0);
      return { rows: rows.length, visible, heights: rows.map((r) => Math.round(r.height)) };
    })()`)) as { rows: number; visible: number; heights: number[] };
    console.log(
      `activity 800x600: ${m.visible.toFixed(2)} of ${m.rows} rows in view; row heights ${m.heights.join(',')}`,
    );
    expect(m.rows).toBe(10);
    expect(m.visible).toBeGreaterThan(2.5);
    const summary = (await page.locator('.summary').textContent()) ?? '';
    expect(summary).not.toMatch(/· –|– ·|– left/);
    await screenshot(page, 'layout-activity-800x600');
    expect(b.problems).toEqual([]);
  });

  it('Devices at 1280: every pill is one line and stays inside its card; connected first, then by name', async () => {
    const b = await open({ viewport: { width: 1280, height: 800 } });
    const { page } = b;
    await page.getByRole('article', { name: 'Plaud Note 2345' }).waitFor();
    const pills = (await page.evaluate(`(() => [...document.querySelectorAll('.card .chip')].map((c) => {
      const r = c.getBoundingClientRect();
      const card = c.closest('.card').getBoundingClientRect();
      const line = parseFloat(getComputedStyle(c).lineHeight) || parseFloat(getComputedStyle(c).fontSize) * 1.45;
      return { text: c.textContent, lines: Math.round((r.height - 2) / line), inside: r.right <= card.right - 8 && r.left >= card.left };
    }))()`)) as { text: string; lines: number; inside: boolean }[];
    expect(pills.length).toBe(3);
    for (const p of pills) expect(p, p.text).toMatchObject({ lines: 1, inside: true });
    // The card's text names what its bar measures (bytes), with the copy phase's speed and time left.
    expect(await page.getByRole('article', { name: 'Plaud Note 2345' }).textContent()).toContain(
      'Copying recordings: 0 of 1 copied · 0 B of 7.2 MB · 1.8 MB/s · 1 s left',
    );
    const order = await page.locator('.card h3').allTextContents();
    expect(order).toEqual(['Plaud Note 2345', 'Plaud Note 1111', 'Plaud NotePin 9999']);
    expect(b.problems).toEqual([]);
  });

  it('History: the focused row is highlighted and its focus ring is not clipped, at the top and at the end', async () => {
    const b = await open();
    const { page } = b;
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText(`${HISTORY} recordings`).waitFor();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.hasAttribute('data-index') ?? false);
    }
    expect(reached).toBe(true);
    const check = () =>
      page.evaluate(`(() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        const grow = parseFloat(cs.outlineWidth) + parseFloat(cs.outlineOffset);
        const r = el.getBoundingClientRect();
        const ring = { top: r.top - grow, bottom: r.bottom + grow, left: r.left - grow, right: r.right + grow };
        const clippedBy = [];
        for (let a = el.parentElement; a; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.overflowX === 'visible' && s.overflowY === 'visible' && !/strict|paint|content/.test(s.contain)) continue;
          const c = a.getBoundingClientRect();
          const top = c.top + a.clientTop, left = c.left + a.clientLeft;
          if (ring.top < top - 0.5 || ring.left < left - 0.5 || ring.bottom > top + a.clientHeight + 0.5 || ring.right > left + a.clientWidth + 0.5) clippedBy.push(a.className || a.tagName);
        }
        const row = el.closest('.vrow');
        const other = [...document.querySelectorAll('.vscroll .vrow')].find((x) => x !== row && !x.contains(document.activeElement));
        return { outline: cs.outlineStyle, grow, clippedBy, rowBg: getComputedStyle(row).backgroundColor, otherBg: getComputedStyle(other).backgroundColor };
      })()`) as Promise<{ outline: string; grow: number; clippedBy: string[]; rowBg: string; otherBg: string }>;
    const top = await check();
    expect(top.outline).toBe('solid');
    expect(top.grow).toBeGreaterThan(2);
    expect(top.clippedBy).toEqual([]);
    expect(top.rowBg).not.toBe(top.otherBg);
    await screenshot(page, 'layout-history-focus-top');
    await page.keyboard.press('End');
    await expect
      .poll(() => page.evaluate(() => Number(document.activeElement?.getAttribute('data-index'))))
      .toBe(HISTORY - 1);
    const end = await check();
    expect(end.clippedBy).toEqual([]);
    expect(end.rowBg).not.toBe(end.otherBg);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-col'))).toBe('details');
    expect((await check()).clippedBy).toEqual([]);
    expect(b.problems).toEqual([]);
  });

  it('Settings at 800×600: the save bar stays in view with unsaved changes, wherever the form is scrolled', async () => {
    const b = await open({ viewport: { width: 800, height: 600 } });
    const { page } = b;
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByLabel('Parallel uploads').fill('3');
    for (const to of ['top', 'middle']) {
      await page.evaluate(
        `(() => { const p = document.querySelector('[role=tabpanel]'); p.scrollTop = ${to === 'top' ? 0 : 'p.scrollHeight / 3'}; })()`,
      );
      const hit = await page.evaluate(`(() => {
        const btn = [...document.querySelectorAll('button')].find((x) => x.textContent === 'Save');
        const r = btn.getBoundingClientRect();
        return r.bottom <= window.innerHeight && document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === btn;
      })()`);
      expect(hit, `Save visible with the form scrolled to the ${to}`).toBe(true);
    }
    await page.getByText('You have unsaved changes.').waitFor();
    await screenshot(page, 'layout-settings-800x600');
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(b.problems).toEqual([]);
  });

  it('Problems: "Copy diagnostics" puts the sentence, the action and the raw detail on the clipboard', async () => {
    const b = await open();
    const { page } = b;
    await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(bridge.url).origin });
    await page.getByRole('tab', { name: /^Problems/ }).click();
    const first = page.getByRole('list', { name: 'Problems' }).getByRole('listitem').first();
    await first.getByText('Details').click();
    await first.getByRole('button', { name: 'Copy diagnostics' }).click();
    await first.getByText(/^Copied/).waitFor();
    const text = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(text).toContain('One recording could not be uploaded.');
    expect(text).toContain('What to do: Choose Retry upload to send it again.');
    expect(text).toContain('complete-upload answered HTTP 500 after 6 tries');
    expect(b.problems).toEqual([]);
  });

  it('first run in dark mode: the account help is there, axe finds nothing', async () => {
    const store2 = openSettingsStore(path.join(tmp, 'state-first-run'), path.join(tmp, 'library2'));
    const b2 = await startBridge({
      engine,
      settings: store2,
      secrets: new BridgeSecretStore(),
      rendererDir: path.join(tmp, 'renderer'),
    });
    try {
      const b = await launchBrowser({ colorScheme: 'dark' });
      browsers.push(b);
      await b.page.goto(b2.url);
      await b.page.getByRole('heading', { name: 'Welcome to Plaud Sync' }).waitFor();
      await b.page.getByText(/developer platform gives an app/).waitFor();
      expect(await b.page.getByRole('button', { name: 'Finish' }).isDisabled()).toBe(true);
      expect(await axeViolations(b.page)).toEqual([]);
      await screenshot(b.page, 'library-first-run-dark');
      expect(b.problems).toEqual([]);
    } finally {
      await b2.close();
    }
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`every view with a rich state: axe finds nothing, and a screenshot of each (${scheme})`, async () => {
      const b = await open({ colorScheme: scheme, viewport: { width: 1040, height: 720 } });
      const { page } = b;
      const results: Record<string, unknown[]> = {};
      for (const tab of ['Devices', 'Activity', 'History', 'Problems', 'Settings']) {
        await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
        await page.getByRole('tabpanel').waitFor();
        if (tab === 'History') {
          await page.getByText(`${HISTORY} recordings`).waitFor();
          await page.getByRole('button', { name: /^Details of the recording of Today 09:02/ }).click();
          await page.getByRole('region', { name: 'Recording details' }).waitFor();
        }
        if (tab === 'Problems') {
          await page.locator('.problem-details summary').first().click();
          await page.getByRole('button', { name: 'Copy diagnostics' }).first().waitFor();
        }
        if (tab === 'Settings') await page.getByRole('heading', { name: 'Settings' }).waitFor();
        results[tab] = await axeViolations(page);
        await screenshot(page, `library-${tab.toLowerCase()}-${scheme}`);
      }
      expect(results).toEqual({ Devices: [], Activity: [], History: [], Problems: [], Settings: [] });
      // The Problems badge takes the worst severity's colour (red), not the Activity blue.
      const [problemsBadge, activityBadge] = await Promise.all(
        ['Problems', 'Activity'].map((t) =>
          page
            .getByRole('tab', { name: new RegExp(`^${t}`) })
            .locator('.badge')
            .evaluate((e) => getComputedStyle(e).backgroundColor),
        ),
      );
      expect(problemsBadge).not.toBe(activityBadge);
      expect(b.problems).toEqual([]);
    });
  }
});
