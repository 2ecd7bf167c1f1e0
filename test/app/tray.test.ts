import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { __mock, type MenuItem } from '../support/electron-mock.js';
import { device, emptyState, item } from './engine-double.js';
import { TRAY_ICON_STATES, SyncRunTracker, ago, trayIconState, trayView } from '../../main/app/tray-state.js';
import { TrayController, trayIconPath, type TrayActions } from '../../main/app/tray.js';
import type { EngineState, Problem } from '../../main/sync/engine/state.js';

vi.mock('electron', () => import('../support/electron-mock.js'));

const ICON_DIR = path.resolve('assets/tray');
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const problem: Problem = {
  id: 'p1',
  code: 'auth-refused',
  severity: 'error',
  message: 'The API token was refused',
  action: 'Enter a new one in Settings',
  since: NOW,
};

const states: Record<string, EngineState> = {
  idle: emptyState({ lastSyncAt: NOW - 3 * 60_000 }),
  syncing: emptyState({ queue: [item('a', { state: 'uploading', bytesDone: 400, bytesTotal: 1000 }), item('b')] }),
  attention: emptyState({ problems: [problem], queue: [item('a', { state: 'uploading' })] }),
  offline: emptyState({ online: false, problems: [problem], queue: [item('a', { state: 'waiting-network' })] }),
  paused: emptyState({
    paused: true,
    online: false,
    problems: [problem],
    queue: [item('a', { state: 'paused' }), item('b', { state: 'paused' })],
  }),
};

function actions() {
  const log: string[] = [];
  const a: TrayActions = {
    syncNow: () => log.push('syncNow'),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
    openWindow: () => log.push('openWindow'),
    openLibrary: () => log.push('openLibrary'),
    openSettings: () => log.push('openSettings'),
    setStartAtLogin: (on) => log.push(`startAtLogin:${on}`),
    openLogs: () => log.push('openLogs'),
    quit: () => log.push('quit'),
  };
  return { a, log };
}

const labels = (items: MenuItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.label));

describe('tray icon state', () => {
  it('follows the priority paused > offline > attention > syncing > idle', () => {
    for (const [name, s] of Object.entries(states)) expect(trayIconState(s)).toBe(name);
  });
  it('counts a pull in progress as syncing even with an empty queue', () => {
    expect(
      trayIconState(
        emptyState({
          devices: [device({ pull: { state: 'pulling', filesDone: 1, filesTotal: 4, bytesDone: 10, bytesTotal: 40 } })],
        }),
      ),
    ).toBe('syncing');
  });
  it('does not count waiting or failed items as syncing', () => {
    expect(
      trayIconState(emptyState({ queue: [item('a', { state: 'waiting-account' }), item('b', { state: 'failed' })] })),
    ).toBe('idle');
  });
});

describe('status line and tooltip', () => {
  it('says when the last sync was', () => {
    expect(trayView(states.idle!, null, NOW).status).toBe('Synced 3 min ago');
    expect(trayView(emptyState(), null, NOW).status).toBe('Not synced yet');
    expect(ago(NOW - 30_000, NOW)).toBe('just now');
    expect(ago(NOW - 2 * 3600_000, NOW)).toBe('2 h ago');
    expect(ago(NOW - 3 * 86400_000, NOW)).toBe('3 days ago');
  });

  it('counts "Uploading 2 of 5, 40%" across recordings that already finished', () => {
    const t = new SyncRunTracker();
    const q = ['a', 'b', 'c', 'd', 'e'].map((id) => item(id, { bytesTotal: 1000 }));
    const s1 = emptyState({
      queue: q.map((x, i) => (i === 0 ? { ...x, state: 'uploading' as const, bytesDone: 500 } : x)),
    });
    expect(trayView(s1, t.observe(s1), NOW).status).toBe('Uploading 1 of 5, 10%');
    // a finished and left the queue; b is half done: 1000 + 500 of 5000 bytes.
    const s2 = emptyState({
      queue: q.slice(1).map((x, i) => (i === 0 ? { ...x, state: 'uploading' as const, bytesDone: 500 } : x)),
    });
    const v = trayView(s2, t.observe(s2), NOW);
    expect(v.status).toBe('Uploading 2 of 5, 30%');
    expect(v.tooltip).toContain('Uploading 2 of 5, 30%');
    // The run ends when nothing is active; the next run counts from zero.
    expect(t.observe(emptyState())).toBeNull();
    const s3 = emptyState({ queue: [item('z', { state: 'uploading', bytesDone: 400, bytesTotal: 1000 })] });
    expect(trayView(s3, t.observe(s3), NOW).status).toBe('Uploading 1 of 1, 40%');
  });

  it('shows the pull of a recorder with its progress', () => {
    const s = emptyState({
      devices: [
        device({
          sn_type: 'notepin',
          model: 'PLAUD NOTEPIN',
          pull: { state: 'pulling', filesDone: 2, filesTotal: 5, bytesDone: 40, bytesTotal: 100 },
        }),
      ],
    });
    expect(trayView(s, null, NOW).status).toBe('Reading Plaud NotePin: 2 of 5, 40%');
  });

  it('puts progress in the tooltip when a problem takes the status line', () => {
    const s = emptyState({
      problems: [problem],
      queue: [item('a', { state: 'uploading', bytesDone: 250, bytesTotal: 1000 })],
    });
    const v = trayView(s, new SyncRunTracker().observe(s), NOW);
    expect(v.status).toBe('The API token was refused');
    expect(v.tooltip).toContain('Uploading 1 of 1, 25%');
  });

  it('names offline and paused with what is waiting', () => {
    expect(trayView(states.offline!, null, NOW).status).toBe('Offline, 1 recording waiting');
    expect(trayView(states.paused!, null, NOW).status).toBe('Paused, 2 recordings waiting');
  });
});

describe('TrayController', () => {
  beforeEach(() => __mock.reset());

  it('has a real 16 px and 32 px PNG for every state, coloured and template', () => {
    for (const st of TRAY_ICON_STATES) {
      for (const f of [`${st}.png`, `${st}@2x.png`, `${st}Template.png`, `${st}Template@2x.png`]) {
        const b = fs.readFileSync(path.join(ICON_DIR, f));
        expect(b.subarray(1, 4).toString()).toBe('PNG');
        expect(b.readUInt32BE(16)).toBe(f.includes('@2x') ? 32 : 16);
      }
    }
  });

  for (const [name, s] of Object.entries(states)) {
    it(`shows the ${name} icon and the fixed menu`, () => {
      const { a } = actions();
      const t = new TrayController(
        { iconDir: ICON_DIR, platform: 'linux', actions: a, startAtLogin: () => true, now: () => NOW },
        s,
      );
      const tray = __mock.trays[0]!;
      expect(tray.image.sourcePath).toBe(path.join(ICON_DIR, `${name}.png`));
      expect(tray.image.isEmpty()).toBe(false);
      expect(tray.toolTip.split('\n')[0]).toBe('Plaud Sync');
      const items = tray.contextMenu!.items;
      expect(labels(items)).toEqual([
        trayView(s, new SyncRunTracker().observe(s), NOW).status,
        '---',
        'Sync now',
        s.paused ? 'Resume' : 'Pause',
        '---',
        'Open Plaud Sync',
        'Open library folder',
        '---',
        'Settings',
        'Start at login',
        'Open logs folder',
        '---',
        'Quit',
      ]);
      expect(items[0]!.enabled).toBe(false);
      expect(items[2]!.enabled).toBe(!s.paused);
      t.destroy();
    });
  }

  it('offers a downloaded update above Quit, and takes the offer back when it is gone', () => {
    const { a } = actions();
    const t = new TrayController(
      { iconDir: ICON_DIR, platform: 'linux', actions: a, startAtLogin: () => false, now: () => NOW },
      states.idle!,
    );
    const tray = __mock.trays[0]!;
    const installed: string[] = [];
    t.setReadyUpdate({ version: '1.4.0', install: () => installed.push('1.4.0') });
    expect(labels(tray.contextMenu!.items).slice(-3)).toEqual(['Restart to install version 1.4.0', '---', 'Quit']);
    tray.contextMenu!.getMenuItemById('install-update')!.click();
    expect(installed).toEqual(['1.4.0']);
    // The menu is rebuilt from state changes too: the offer stays until it is withdrawn.
    t.update(states.syncing!);
    expect(tray.contextMenu!.getMenuItemById('install-update')).toBeTruthy();
    t.setReadyUpdate(undefined);
    expect(tray.contextMenu!.getMenuItemById('install-update')).toBeFalsy();
    t.destroy();
  });

  it('uses template images on macOS', () => {
    const { a } = actions();
    new TrayController(
      { iconDir: ICON_DIR, platform: 'darwin', actions: a, startAtLogin: () => false },
      states.syncing!,
    );
    const img = __mock.trays[0]!.image;
    expect(img.sourcePath).toBe(trayIconPath(ICON_DIR, 'syncing', 'darwin'));
    expect(img.isTemplateImage()).toBe(true);
  });

  it('switches the icon as the state changes and every item does its action', () => {
    const { a, log } = actions();
    let login = false;
    const t = new TrayController(
      { iconDir: ICON_DIR, platform: 'win32', actions: a, startAtLogin: () => login },
      states.idle!,
    );
    const tray = __mock.trays[0]!;
    t.update(states.paused!);
    expect(tray.image.sourcePath).toMatch(/paused\.png$/);
    const menu = () => tray.contextMenu!;
    menu().getMenuItemById('pause-resume')!.click();
    t.update(states.idle!);
    expect(tray.image.sourcePath).toMatch(/idle\.png$/);
    for (const id of ['sync-now', 'pause-resume', 'open-window', 'open-library', 'settings', 'open-logs', 'quit'])
      menu().getMenuItemById(id)!.click();
    const box = menu().getMenuItemById('start-at-login')!;
    expect(box.type).toBe('checkbox');
    expect(box.checked).toBe(false);
    box.click();
    login = true;
    t.refresh();
    expect(menu().getMenuItemById('start-at-login')!.checked).toBe(true);
    tray.emit('click');
    expect(log).toEqual([
      'resume',
      'syncNow',
      'pause',
      'openWindow',
      'openLibrary',
      'openSettings',
      'openLogs',
      'quit',
      'startAtLogin:true',
      'openWindow',
    ]);
  });
});
