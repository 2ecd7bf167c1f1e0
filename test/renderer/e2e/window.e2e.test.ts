// The built window in real headless Chromium, served by the test bridge under the app's CSP, with a
// scripted in-memory engine behind main's own IPC handlers. Covers what only a real browser shows:
// the CSP holds (no inline script or style needed), the bridge implements the API end to end, the
// views are accessible (axe-core, light and dark) and usable from the keyboard alone.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSettingsStore } from '../../../main/sync/settings-store.js';
import { chromiumMissing, launchBrowser, type Browser } from '../../support/bridge/browser.js';
import { buildRenderer } from '../../support/bridge/build-renderer.js';
import { axeViolations, screenshot } from '../../support/bridge/page.js';
import { createScriptedEngine, type ScriptedEngine } from '../../support/bridge/scripted-engine.js';
import { BridgeSecretStore } from '../../support/bridge/secrets.js';
import { startBridge, type Bridge } from '../../support/bridge/server.js';
import { NOTE, recordings } from '../support/harness.js';
import { ipc } from '../../../main/app/ipc/contract.js';

const missing = chromiumMissing();
if (missing) console.warn(`window e2e skipped: ${missing}`);

describe.skipIf(!!missing)('the window in Chromium (scripted engine)', () => {
  let tmp: string;
  let rendererDir: string;
  let engine: ScriptedEngine;
  let bridge: Bridge;
  let secrets: BridgeSecretStore;
  let store: ReturnType<typeof openSettingsStore>;
  const browsers: Browser[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'plaud-window-e2e-'));
    rendererDir = await buildRenderer(path.join(tmp, 'renderer'));
    engine = createScriptedEngine({ libraryDir: path.join(tmp, 'library'), uploadBps: 150_000, pullBps: 1_000_000 });
    store = openSettingsStore(path.join(tmp, 'state'), path.join(tmp, 'library'));
    store.set({ credentials: { kind: 'token' } });
    secrets = new BridgeSecretStore();
    await secrets.set('apiToken', 'scripted-token');
    await engine.applySettings(store.get());
    bridge = await startBridge({ engine, settings: store, secrets, rendererDir });
  }, 120_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await bridge?.close();
    await engine?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  async function open(colorScheme: 'light' | 'dark' = 'light') {
    const b = await launchBrowser({ colorScheme });
    browsers.push(b);
    await b.page.goto(bridge.url);
    await b.page.getByRole('heading', { name: 'Plaud Sync' }).waitFor();
    return b;
  }

  it('runs under the strict CSP with window.plaudSync from the bridge: live state, then a refused bad payload', async () => {
    const b = await open();
    const { page } = b;
    const violations: string[] = [];
    await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
    await page.evaluate(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      ),
    );
    const id = engine.plug({ ...NOTE, recordings: recordings(4, Date.UTC(2026, 10, 25, 9), 120_000) });
    const card = page.getByRole('article', { name: 'Plaud Note 2345' });
    await card.getByText('Safe to unplug').waitFor({ timeout: 20_000 });
    await page.getByRole('tab', { name: /Activity/ }).click();
    await page.getByText('Nothing to do: every recording is synced.').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('4 recordings').waitFor();
    engine.unplug(id);
    await page.getByRole('tab', { name: 'Devices' }).click();
    await card.getByText(/Not plugged in/).waitFor();

    // The API object is the contract, frozen; an invalid payload is refused by main's handlers.
    const keys = await page.evaluate(() => Object.keys(window.plaudSync!).sort());
    expect(keys).toEqual(Object.keys(ipc).sort());
    const refused = await page.evaluate(() =>
      window.plaudSync!.setSettings({ concurrency: 99 } as never).then(
        () => 'accepted',
        (e: Error) => e.message,
      ),
    );
    expect(refused).toMatch(/invalid arguments/);
    expect(store.get().concurrency).toBe(4);
    expect(violations).toEqual([]);
    expect(b.problems).toEqual([]);
    expect(bridge.lastPushedSeq).toBe(engine.getState().seq);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`axe-core finds no violations in any view (${scheme})`, async () => {
      const b = await open(scheme);
      const { page } = b;
      if (engine.getState().problems.length === 0) engine.goOffline();
      const results: Record<string, unknown[]> = {};
      for (const tab of ['Devices', 'Activity', 'History', 'Problems', 'Settings']) {
        await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
        await page.getByRole('tabpanel').waitFor();
        if (tab === 'History') await page.getByRole('table', { name: 'Synced recordings' }).waitFor();
        if (tab === 'Settings') await page.getByRole('heading', { name: 'Settings' }).waitFor();
        results[tab] = await axeViolations(page);
        await screenshot(page, `${tab.toLowerCase()}-${scheme}`);
      }
      // File names with its field list open, its live problem, then the alert Save gives (colours in both schemes).
      await page.getByText('Fields you can use').click();
      await page.getByLabel('File names').fill('{recorder}/{date} {kind}');
      await page.locator('#s-libraryNames-preview.field-error').waitFor();
      results['File names, live problem'] = await axeViolations(page);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('alert').filter({ hasText: 'needs {time}' }).waitFor();
      results['File names, refused on Save'] = await axeViolations(page);
      await page.getByLabel('File names').scrollIntoViewIfNeeded();
      await screenshot(page, `settings-file-names-${scheme}`);
      await page.getByRole('button', { name: 'Discard changes' }).click();
      engine.goOnline();
      expect(results).toEqual({
        Devices: [],
        Activity: [],
        History: [],
        Problems: [],
        Settings: [],
        'File names, live problem': [],
        'File names, refused on Save': [],
      });
    });
  }

  it('first run passes axe too', async () => {
    const s2 = new BridgeSecretStore();
    const store2 = openSettingsStore(path.join(tmp, 'state-first-run'), path.join(tmp, 'library2'));
    const b2 = await startBridge({ engine, settings: store2, secrets: s2, rendererDir });
    try {
      const b = await launchBrowser();
      browsers.push(b);
      await b.page.goto(b2.url);
      await b.page.getByRole('heading', { name: 'Welcome to Plaud Sync' }).waitFor();
      expect(await axeViolations(b.page)).toEqual([]);
      await screenshot(b.page, 'first-run');
      // The check itself can fail: an unlabelled field is reported.
      await b.page.evaluate(
        `document.querySelector('.first-run').append(Object.assign(document.createElement('input'), { type: 'text' }))`,
      );
      expect((await axeViolations(b.page)).map((v) => v.id)).toContain('label');
    } finally {
      await b2.close();
    }
  });

  it('everything is reachable by keyboard: tabs with arrows, history rows with arrows, focus visible', async () => {
    engine.seedHistory(10_000);
    const b = await open();
    const { page } = b;
    await page.getByRole('tab', { name: 'Devices' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('History');
    expect(await page.getByRole('tab', { name: 'History' }).getAttribute('aria-selected')).toBe('true');
    // The focus ring is drawn (not suppressed by the styles).
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.getByText(/10,0\d\d recordings/).waitFor();
    // Tab from the tab list into the panel, then to the filters and the first row's Open button.
    let reachedRow = false;
    for (let i = 0; i < 40 && !reachedRow; i++) {
      await page.keyboard.press('Tab');
      reachedRow = await page.evaluate(() => document.activeElement?.hasAttribute('data-index') ?? false);
    }
    expect(reachedRow).toBe(true);
    const idx = () => page.evaluate(() => Number(document.activeElement?.getAttribute('data-index')));
    expect(await idx()).toBe(0);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(idx).toBe(2);
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-index') !== '2');
    const total =
      Number((await page.getByRole('table', { name: 'Synced recordings' }).getAttribute('aria-rowcount'))!) - 1;
    expect(await idx()).toBe(total - 1);
    await page.keyboard.press('PageUp');
    // Focus moves after the next render, not during the key press: poll for it.
    await expect.poll(idx).toBeLessThan(total - 5);
    // Only a window of rows exists in the DOM while the last row is in view.
    expect(await page.locator('.vrow').count()).toBeLessThan(60);
    await screenshot(page, 'history-10k-keyboard');
    // Search by a date as the list shows it, over 10,000 entries (seeded hourly from 1 Jan 2025).
    const t0 = Date.now();
    await page.getByLabel('Search').fill('Sun 5 Jan 2025');
    await page.getByText(/^2\d recordings$/).waitFor();
    const ms = Date.now() - t0;
    console.log(`history 10k: date search answered in ${ms} ms (200 ms of it is the typing debounce)`);
    expect(ms).toBeLessThan(3_000);
    expect(await page.locator('.vscroll .vrow .day-name').first().textContent()).toBe('Sun 5 Jan 2025');
    expect(b.problems).toEqual([]);
  });
});
