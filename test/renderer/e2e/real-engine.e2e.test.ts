// The window end to end against the real engine: headless Chromium shows the built renderer served
// by the test bridge; behind it main's IPC handlers, the real SyncEngine with the real device monitor
// watching a mount root, the Plaud API emulator on a real S3 server, and recorders that are real FAT
// volumes mounted with fusefat. Nothing in between is scripted.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type SyncEngine } from '../../../main/sync/engine/engine.js';
import { createDeviceWatcher } from '../../../main/sync/engine/monitor-port.js';
import { openSettingsStore, type SettingsStore } from '../../../main/sync/settings-store.js';
import { chromiumMissing, launchBrowser, type Browser } from '../../support/bridge/browser.js';
import { buildRenderer } from '../../support/bridge/build-renderer.js';
import { axeViolations, screenshot } from '../../support/bridge/page.js';
import { BridgeSecretStore } from '../../support/bridge/secrets.js';
import { REPO_ROOT, startBridge, type Bridge } from '../../support/bridge/server.js';
import { startEmulator, type Emulator } from '../../support/emulator/index.js';
import { fuseUnavailableReason, makeFatImage, mountFat, type FatMount } from '../../support/fuse.js';
import { layOutRecorder, type RecordingSpec } from '../../support/recorder.js';
import { SCREENSHOT_VIEWPORT } from '../../../scripts/screenshots.list.js';

const skip = chromiumMissing() ?? fuseUnavailableReason();
if (skip) console.warn(`real-engine window e2e skipped: ${skip}`);

describe.skipIf(!!skip)('the window against the real engine (emulator + FUSE FAT recorder)', () => {
  let tmp: string;
  let media: string;
  let emu: Emulator;
  let engine: SyncEngine;
  let store: SettingsStore;
  let secrets: BridgeSecretStore;
  let bridge: Bridge;
  let browser: Browser;
  const mounts: FatMount[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'plaud-real-e2e-'));
    media = path.join(tmp, 'media');
    await mkdir(media, { recursive: true });
    const [rendererDir, emulator] = await Promise.all([buildRenderer(path.join(tmp, 'renderer')), startEmulator()]);
    emu = emulator;
    const stateDir = path.join(tmp, 'state');
    store = openSettingsStore(stateDir, path.join(tmp, 'library'));
    store.set({ apiBase: emu.baseUrl, credentials: { kind: 'token' }, mountRoots: [media] });
    secrets = new BridgeSecretStore();
    await secrets.set('apiToken', emu.token);
    const watcher = createDeviceWatcher({
      mountRoots: [media],
      usb: false,
      rescanIntervalMs: 1_000,
      allowFastRescan: true,
      followUpMs: [300, 1_000, 3_000],
      detachGraceMs: 500,
    });
    // A minute between a failed upload and its next try (the default starts at 5 s), so the waiting state stays
    // on screen long enough to be checked and photographed; "Try again now" then retries at once.
    const retry = { baseMs: 60_000, maxMs: 15 * 60_000, maxAttempts: 8 };
    engine = await createEngine({ stateDir, settings: store.get(), secrets, watcher, retry });
    bridge = await startBridge({ engine, settings: store, secrets, rendererDir });
    // The docs' screenshots come from this run (npm run screenshots): one fixed size, light.
    browser = await launchBrowser({ viewport: SCREENSHOT_VIEWPORT, colorScheme: 'light' });
    await browser.page.goto(bridge.url);
    await browser.page.getByRole('heading', { name: 'Plaud Sync' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await engine?.stop().catch(() => {});
    for (const m of mounts.splice(0)) await m.unmount().catch(() => {});
    await emu?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  async function plugRecorder(name: string, serial: string, recordings: RecordingSpec[]) {
    const img = path.join(tmp, `${name}.img`);
    await makeFatImage(img, 64);
    // Lay the files out before the volume appears under the mount root, as a recorder arrives complete.
    const staging = await mountFat(img, path.join(tmp, 'staging', name));
    await layOutRecorder(staging.dir, { serial, recordings });
    await staging.unmount();
    const m = await mountFat(img, path.join(media, name));
    mounts.push(m);
    return m;
  }

  it('mount the recorder: the card appears, progress moves, history fills, "Safe to unplug" shows', async () => {
    const { page } = browser;
    const t0 = 1_764_000_000;
    const specs: RecordingSpec[] = [
      { startSec: t0, seconds: 2, wavRepeat: 150 },
      { startSec: t0 + 600, seconds: 3, kind: 'call' },
      { startSec: t0 + 1200, seconds: 2 },
    ];
    const filesBefore = emu.files().length;
    await plugRecorder('PLAUD_NOTE', '888000000000000101', specs);

    // The model's display name and the serial's last digits, not the volume's "PLAUD NOTE".
    const card = page.getByRole('article', { name: 'Plaud Note 0101' });
    await card.waitFor({ timeout: 30_000 });
    await expect(card.getByText('888000000000000101').isVisible()).resolves.toBe(true);
    await expect(card.getByText('V0095').isVisible()).resolves.toBe(true);
    // Space as the volume reports it (fusefat reports none: then "unknown", never "0 B of 0 B").
    const dev = engine.getState().devices.find((d) => d.sn === '888000000000000101')!;
    await expect(card.getByText(dev.totalBytes ? /free of/ : 'unknown').isVisible()).resolves.toBe(true);

    // Sample the pull's progress bar while it runs: it must take several distinct, increasing values.
    const seen: number[] = [];
    const bar = card.getByRole('progressbar', { name: /Copying from/ });
    const deadline = Date.now() + 60_000;
    let shotTaken = false;
    while (Date.now() < deadline) {
      if (await card.getByText('Safe to unplug').isVisible()) break;
      const v = await bar.getAttribute('value', { timeout: 200 }).catch(() => null);
      if (v !== null && Number(v) !== seen[seen.length - 1]) seen.push(Number(v));
      if (!shotTaken && seen.length >= 2 && (await bar.isVisible())) {
        const file = await screenshot(page, 'real-devices-copying');
        // Copying only moves forward: still copying after the shot means the shot shows it copying. Otherwise
        // no shot rather than a wrong one (npm run screenshots then says it is missing).
        shotTaken = await bar.isVisible();
        if (!shotTaken) await rm(file, { force: true });
      }
      await page.waitForTimeout(50);
    }
    await card.getByText('Safe to unplug').waitFor({ timeout: 60_000 });
    expect(seen.length, `pull progress samples ${seen.join(',')}`).toBeGreaterThanOrEqual(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    await screenshot(page, 'real-devices-safe');

    await page.getByRole('tab', { name: /Activity/ }).click();
    await page.getByText('Nothing to do: every recording is synced.').waitFor({ timeout: 60_000 });
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('3 recordings').waitFor({ timeout: 20_000 });
    const uploaded = emu.files().slice(filesBefore);
    expect(uploaded).toHaveLength(3);
    const table = page.getByRole('table', { name: 'Synced recordings' });
    // The cloud file ids are behind each row's Details, not in a column.
    const ids: string[] = [];
    const detailsButtons = table.getByRole('button', { name: /^Details of the recording of/ });
    for (let i = 0; i < 3; i++) {
      await detailsButtons.nth(i).click();
      ids.push(
        (await page.getByRole('region', { name: 'Recording details' }).locator('dd.mono').first().textContent()) ?? '',
      );
    }
    await screenshot(page, 'real-history-details');
    // The details play the recording from the page's own origin (recording/<id>), and "Show in folder" shows its file.
    const details = page.getByRole('region', { name: 'Recording details' });
    const rowId = (await details.locator('dd.mono').first().textContent()) ?? '';
    const rec = engine.records().find((r) => r.synced?.cloudFileId === rowId)!;
    const src = `recording/${encodeURIComponent(rec.id)}`;
    const served = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), bytes: (await r.arrayBuffer()).byteLength };
    }, src);
    expect(served).toEqual({ status: 200, type: 'audio/ogg; codecs=opus', bytes: rec.pulled!.upload.size });
    // Asked from here, not the page: a 404 in the page would count as a console problem.
    expect((await fetch(`${bridge.url}recording/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    if (/media-src 'self'/.test(readFileSync(path.join(REPO_ROOT, 'renderer/index.html'), 'utf8'))) {
      await details.getByRole('button', { name: 'Play here' }).click();
      expect(await details.locator('audio').getAttribute('src')).toBe(src);
      // Chromium decodes the Ogg Opus file: its length is known once the metadata loaded.
      await page.waitForFunction(
        () => {
          const a = document.querySelector('.rec-details audio') as HTMLAudioElement | null;
          return !!a && a.readyState >= 1 && a.duration > 0;
        },
        undefined,
        { timeout: 20_000 },
      );
    } else {
      console.warn("real-engine e2e: playback not checked: renderer/index.html's CSP meta has no media-src 'self'");
    }
    await details.getByRole('button', { name: 'Show in folder' }).click();
    await expect.poll(() => bridge.shown).toEqual([rec.pulled!.upload.path]);
    await page.getByRole('button', { name: 'Close details' }).click();
    for (const f of uploaded) expect(ids.includes(f.fileId) || ids.includes(String(f.id))).toBe(true);
    // Rows read as a library: a day's name, lengths in s/min, the recorder by name; no bare serials or ids.
    const text = (await table.textContent()) ?? '';
    expect(text).toContain('Plaud Note 0101');
    expect(text).not.toContain('PLAUD');
    for (const f of uploaded) expect(text).not.toContain(f.fileId);
    expect(await table.getByRole('row').filter({ hasText: 'Call' }).count()).toBe(1);

    // Open the local file: main's handler checks the copy exists and asks the OS to open it.
    await table
      .getByRole('button', { name: /^Open the recording of/ })
      .first()
      .click();
    await expect.poll(() => bridge.opened.length).toBe(1);
    expect(bridge.opened[0]!.startsWith(path.join(tmp, 'library'))).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'real-history');
    await page.getByRole('tab', { name: 'Devices' }).click();
    await screenshot(page, 'real-devices');
    expect(browser.problems).toEqual([]);
  }, 180_000);

  it('settings round trip: saved through main, kept by the store, shown again after a reload; test connection talks to the emulator', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByLabel('API base').inputValue()).toBe(emu.baseUrl);
    const fresh = emu.issueToken();
    await page.getByLabel('API token', { exact: true }).fill(fresh);
    await page.getByLabel('Parallel uploads').fill('2');
    await page.getByLabel('Upload format').selectOption('mp3');
    await page.getByLabel('Show notifications').uncheck();
    // Owner id is only editable once "An owner id" is chosen.
    expect(await page.getByLabel('Owner id', { exact: true }).isDisabled()).toBe(true);
    await page.getByLabel('An owner id').check();
    await page.getByLabel('Owner id', { exact: true }).fill('owner-42');
    // File names: the example follows the pattern and the upload format as they are typed.
    await page.getByLabel('File names').fill('{year}/{date} {time} {recorder}');
    await page.getByText('For example: 2026/2026-04-05 14.52 Plaud Note 3344.mp3').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect(store.get()).toMatchObject({
      concurrency: 2,
      uploadFormat: 'mp3',
      notifications: false,
      ownerId: 'owner-42',
      identity: 'owner_id',
      libraryNames: '{year}/{date} {time} {recorder}',
    });
    expect(await secrets.get('apiToken')).toBe(fresh);

    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect
      .poll(async () => page.locator('.settings [role="status"].ok-text').textContent(), { timeout: 20_000 })
      .toMatch(/Connected|OK|reach/i);

    await page.reload();
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    expect(await page.getByLabel('Parallel uploads').inputValue()).toBe('2');
    expect(await page.getByLabel('Upload format').inputValue()).toBe('mp3');
    expect(await page.getByLabel('Show notifications').isChecked()).toBe(false);
    expect(await page.getByLabel('Owner id', { exact: true }).inputValue()).toBe('owner-42');
    expect(await page.getByLabel('File names').inputValue()).toBe('{year}/{date} {time} {recorder}');
    expect(await page.getByLabel('API token', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('API token', { exact: true }).getAttribute('placeholder')).toMatch(/Saved/);
    // The token went in once and never came back out to the page.
    expect(JSON.stringify(await page.evaluate(() => window.plaudSync!.getSettings()))).not.toContain(fresh);
    await screenshot(page, 'real-settings');
    // Back to Opus, the serial and the default names for the next case.
    await page.getByLabel('Upload format').selectOption('opus');
    await page.getByLabel('The recorder (its serial number)').check();
    await page.getByRole('button', { name: 'Reset to default' }).click();
    await page.getByText('For example: Plaud Note 3344/2026-04-05 14.52 Note.opus').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').waitFor();
    expect(store.get().libraryNames).toBe('{recorder}/{date} {time} {kind}');
  }, 120_000);

  it('stop the emulator: a problem shows in plain words, and it clears when the emulator is back', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: /Problems/ }).click();
    await page.getByText('Everything is working.').waitFor();
    await emu.goOffline();
    try {
      // A second recorder arrives while the server is down: it is pulled, its upload finds no server.
      await plugRecorder('PLAUD_NOTE2', '888000000000000102', [{ startSec: 1_764_100_000, seconds: 2 }]);
      const problem = page.getByRole('list', { name: 'Problems' }).getByRole('listitem').first();
      await problem.waitFor({ timeout: 60_000 });
      expect(await problem.textContent()).toMatch(/server|reach|connection|offline/i);
      expect(await page.getByRole('tab', { name: /Problems 1/ }).count()).toBe(1);
      expect(await page.locator('.status').textContent()).toMatch(/Offline/);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'real-problem-offline');
      // Offline, the waiting upload is neither "Uploading" nor "in 0 s"; Cancel leaves it grey
      // "Cancelled" with Resume (not a red failure), and Resume puts it back in line.
      await page.getByRole('tab', { name: /^Activity/ }).click();
      const row = page.getByRole('list', { name: 'Queue' }).getByRole('listitem').first();
      await row.waitFor({ timeout: 30_000 });
      expect(await row.textContent()).not.toMatch(/Uploading|in 0 s/);
      const state = async () => (await row.locator('.chip').textContent()) ?? '';
      console.log(`offline queue row: ${await state()}`);
      await row.getByRole('button', { name: /^Cancel/ }).click();
      await expect.poll(state, { timeout: 20_000 }).toBe('Cancelled');
      expect(await page.locator('.summary').textContent()).toBe('1 cancelled');
      expect(await row.locator('.chip').getAttribute('class')).toContain('chip-muted');
      expect(await row.getByText('Needs you').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'real-activity-cancelled');
      await row.getByRole('button', { name: /^Resume/ }).click();
      await expect.poll(state, { timeout: 20_000 }).not.toBe('Cancelled');
      await page.getByRole('tab', { name: /^Problems/ }).click();
    } finally {
      await emu.goOnline();
    }
    await page.getByText('Everything is working.').waitFor({ timeout: 90_000 });
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('4 recordings').waitFor({ timeout: 60_000 });
    expect(browser.problems).toEqual([]);
  }, 180_000);
  it('a server error: the upload waits to retry by itself (amber, Details behind the sentence), and its button syncs it once the server is well', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: /^Problems/ }).click();
    await page.getByText('Everything is working.').waitFor({ timeout: 30_000 });
    const filesBefore = emu.files().length;
    // Finishing the upload answers 500 until cleared: the uploader's own tries run out, then the engine plans the next.
    emu.faults.failCompleteBefore({ times: Infinity, status: 500 });
    try {
      await plugRecorder('PLAUD_NOTE3', '888000000000000103', [{ startSec: 1_764_200_000, seconds: 2 }]);
      await page.getByRole('tab', { name: /^Activity/ }).click();
      const row = page.getByRole('list', { name: 'Queue' }).getByRole('listitem').first();
      const chip = row.locator('.chip');
      await expect
        .poll(async () => (await chip.textContent({ timeout: 1_000 }).catch(() => null)) ?? '', { timeout: 90_000 })
        .toMatch(/^Waiting to retry in \d+ s$/);
      expect(await chip.getAttribute('class')).toContain('chip-warn');
      expect(await row.getByRole('button', { name: /^Retry / }).count()).toBe(1);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'real-activity-retry');

      await page.getByRole('tab', { name: /^Problems/ }).click();
      const problem = page.getByRole('list', { name: 'Problems' }).getByRole('listitem').first();
      await problem.getByText('Retrying by itself').waitFor({ timeout: 20_000 });
      // One sentence up front; the server's raw answer only behind Details.
      const sentence = (await problem.locator('.problem-message').textContent()) ?? '';
      expect(sentence).not.toMatch(/HTTP|complete-upload|\.opus|\(s\)/);
      await problem.getByText('Details', { exact: true }).click();
      const detail = problem.locator('.detail-text');
      await detail.waitFor();
      expect(await detail.textContent()).toMatch(/500/);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'real-problem-details');
      emu.faults.clear();
      // The problem's own button (the engine names it; "Retry now" today), not the one under Details.
      await problem.locator('.problem-foot').getByRole('button').click();
      await page.getByText('Everything is working.').waitFor({ timeout: 90_000 });
    } finally {
      emu.faults.clear();
    }
    await page.getByRole('tab', { name: 'History' }).click();
    await page.getByText('5 recordings').waitFor({ timeout: 60_000 });
    // Retried, not duplicated: the cloud has the one new recording once.
    expect(emu.files().length).toBe(filesBefore + 1);
    // Three recorders over three days by now: the history as the docs show it, grouped by day.
    const table = page.getByRole('table', { name: 'Synced recordings' });
    await table.getByText('Plaud Note 0103').waitFor();
    expect(await table.locator('.day-name').count()).toBe(3);
    await screenshot(page, 'real-history-days');
    expect(browser.problems).toEqual([]);
  }, 180_000);

  it('first run with a wrong token: the emulator refuses it, nothing is saved, Finish stays disabled; a good token then finishes', async () => {
    const dir = path.join(tmp, 'first-run');
    const media2 = path.join(dir, 'media');
    await mkdir(media2, { recursive: true });
    const store2 = openSettingsStore(path.join(dir, 'state'), path.join(dir, 'library'));
    store2.set({ apiBase: emu.baseUrl, mountRoots: [media2] });
    const secrets2 = new BridgeSecretStore();
    const watcher2 = createDeviceWatcher({
      mountRoots: [media2],
      usb: false,
      rescanIntervalMs: 5_000,
      allowFastRescan: false,
      followUpMs: [],
      detachGraceMs: 500,
    });
    const engine2 = await createEngine({
      stateDir: path.join(dir, 'state'),
      settings: store2.get(),
      secrets: secrets2,
      watcher: watcher2,
    });
    const bridge2 = await startBridge({
      engine: engine2,
      settings: store2,
      secrets: secrets2,
      rendererDir: path.join(tmp, 'renderer'),
    });
    const b = await launchBrowser();
    try {
      const { page } = b;
      await page.goto(bridge2.url);
      await page.getByRole('heading', { name: 'Welcome to Plaud Sync' }).waitFor();
      const finish = page.getByRole('button', { name: 'Finish' });
      await page.getByLabel('API token', { exact: true }).fill('not-a-real-token');
      await page.getByRole('button', { name: 'Connect and test' }).click();
      await page.getByText(/Nothing was saved/).waitFor({ timeout: 30_000 });
      const said = (await page.locator('.first-run [role="status"].error-text').textContent()) ?? '';
      expect(said).toMatch(/refused|token/i);
      expect(said).not.toContain('Settings');
      expect(await secrets2.get('apiToken')).toBeUndefined();
      expect(store2.get().credentials).toEqual({ kind: 'none' });
      expect(await finish.isDisabled()).toBe(true);
      await screenshot(page, 'real-first-run-refused');

      const good = emu.issueToken();
      await page.getByLabel('API token', { exact: true }).fill(good);
      await page.getByRole('button', { name: 'Connect and test' }).click();
      await expect.poll(() => finish.isDisabled(), { timeout: 30_000 }).toBe(false);
      expect(await secrets2.get('apiToken')).toBe(good);
      await finish.click();
      await page.getByText(/Plug your Plaud recorder/).waitFor();
      expect(b.problems).toEqual([]);
    } finally {
      await b.close();
      await bridge2.close();
      await engine2.stop().catch(() => {});
    }
  }, 120_000);
});
