// The window: a status line, five tabs, and the first-run guide when no account is set up yet.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SettingsView, UpdateView } from '../../main/app/ipc/contract.js';
import type { EngineState } from '../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from './api.js';
import { formatAgo, formatEta } from './format.js';
import { extend } from './engine-extras.js';
import { useEngineState, useNow } from './store.js';
import { ActivityView, isToGo, phaseTotals, shownState } from './views/Activity.js';
import { DevicesView } from './views/Devices.js';
import { FirstRun } from './views/FirstRun.js';
import { HistoryView } from './views/History.js';
import { ProblemsView, worstSeverity } from './views/Problems.js';
import { SettingsPanel, type SettingsDraft } from './views/Settings.js';
import { TabPanel, Tabs, type TabDef } from './views/Tabs.js';

export type TabKey = 'devices' | 'activity' | 'history' | 'problems' | 'settings';

export function statusLine(state: EngineState, now: number): string {
  const s = extend(state);
  if (!s.online) return 'Offline – waiting for the Plaud server';
  if (s.account === 'missing') return 'Not signed in – connect your Plaud account in Settings';
  if (s.account === 'refused') return 'The Plaud account was refused – check Settings';
  if (s.paused) return 'Paused';
  const ctx = { online: s.online, now };
  const pending = s.queue.filter((q) => isToGo(shownState(q, ctx))).length;
  if (pending > 0) {
    // Time left only from the upload phase: the recorder's bytes never divided by the upload speed.
    const up = phaseTotals(s, ctx).upload;
    const eta = up && up.etaSec !== null && up.etaSec > 0 && up.speedBps > 0 ? ` · ${formatEta(up.etaSec)} left` : '';
    return `Syncing ${pending} recording${pending === 1 ? '' : 's'}${eta}`;
  }
  if (s.lastSyncAt !== null) return `Synced ${formatAgo(s.lastSyncAt, now)}`;
  return 'Up to date';
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function App({ api, initialTab = 'devices' }: { api: PlaudSyncApi; initialTab?: TabKey }) {
  const { state: raw, error: stateError } = useEngineState(api);
  const state = raw ? extend(raw) : null;
  const now = useNow();
  const [tab, setTab] = useState<TabKey>(initialTab);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  // The guide is for a first start only: decided once, from the settings the window opened with. Choosing
  // "Not signed in yet" later in Settings must not send the user back into it.
  const [firstRun, setFirstRun] = useState<boolean | null>(null);
  const [draft, setDraft] = useState<SettingsDraft | null>(null);
  const [actionError, setActionError] = useState('');

  useEffect(() => {
    api.getSettings().then(
      (v) => {
        setSettings(v);
        setFirstRun((f) => f ?? v.credentials.kind === 'none');
      },
      (e: unknown) => setActionError(`Could not load the settings: ${errMsg(e)}`),
    );
  }, [api]);

  // The app's own update (pushed by main; absent in bridges that do not offer it).
  const [update, setUpdate] = useState<UpdateView>({ state: 'none' });
  useEffect(() => api.onUpdate?.(setUpdate), [api]);

  // Every intent goes through here so a refused call is shown, never swallowed.
  const run = useCallback((what: string, p: () => Promise<unknown>) => {
    setActionError('');
    p().catch((e: unknown) => setActionError(`${what} did not work: ${errMsg(e)}`));
  }, []);
  const actions = {
    syncNow: () => run('Sync now', () => api.syncNow()),
    pause: () => run('Pause', () => api.pause()),
    resume: () => run('Resume', () => api.resume()),
    retry: (id?: string) => run('Retry', () => api.retry(id)),
    cancel: (id: string) => run('Cancel', () => api.cancel(id)),
    uploadNewerVersion: (id: string) => run('Upload newer version', () => api.uploadNewerVersion(id)),
    openSettings: () => setTab('settings'),
  };

  if (settings && firstRun) {
    return (
      <main class="app" data-state-seq={state?.seq}>
        <FirstRun
          api={api}
          settings={settings}
          onDone={(v) => {
            setSettings(v);
            setFirstRun(false);
            setTab('devices');
          }}
          onSkip={() => setFirstRun(false)}
        />
      </main>
    );
  }

  const tabs: TabDef<TabKey>[] = [
    { key: 'devices', label: 'Devices' },
    {
      key: 'activity',
      label: 'Activity',
      badge: state ? state.queue.filter((q) => isToGo(shownState(q, { online: state.online, now }))).length : 0,
    },
    { key: 'history', label: 'History' },
    {
      key: 'problems',
      label: 'Problems',
      badge: state ? state.problems.length : 0,
      tone: state ? (worstSeverity(state.problems) ?? undefined) : undefined,
    },
    { key: 'settings', label: draft ? 'Settings (unsaved)' : 'Settings' },
  ];

  return (
    <div class="app" data-state-seq={state?.seq}>
      <header class="topbar">
        <h1>Plaud Sync</h1>
        <p class={`status ${state && !state.online ? 'status-offline' : ''}`}>
          {raw ? statusLine(raw, now) : stateError ? `Cannot reach the sync engine: ${stateError}` : 'Starting…'}
        </p>
        <nav aria-label="Sections">
          <Tabs tabs={tabs} selected={tab} onSelect={setTab} label="Sections" />
        </nav>
      </header>
      {actionError && (
        <p role="alert" class="error-text banner">
          {actionError}
        </p>
      )}
      {update.state === 'ready' && api.installUpdate && (
        <p role="status" class="banner update-banner">
          Plaud Sync {update.version} is ready. It installs when you quit, or now:{' '}
          <button type="button" onClick={() => run('Restart to update', () => api.installUpdate!())}>
            Restart to update
          </button>
        </p>
      )}
      {update.state === 'downloading' && (
        <p role="status" class="banner update-banner">
          Downloading Plaud Sync {update.version}: {update.percent}%
        </p>
      )}
      <main>
        <TabPanel id={tab}>
          {tab === 'settings' ? (
            <SettingsPanel api={api} onSaved={setSettings} draft={draft} onDraft={setDraft} />
          ) : !state ? (
            <p role="status">Loading…</p>
          ) : tab === 'devices' ? (
            <DevicesView devices={state.devices} queue={state.queue} copy={state.totals.copy} now={now} />
          ) : tab === 'activity' ? (
            <ActivityView state={state} now={now} actions={actions} />
          ) : tab === 'history' ? (
            <HistoryView
              api={api}
              devices={state.devices}
              syncedCount={state.totals.synced}
              now={now}
              onError={setActionError}
            />
          ) : (
            <ProblemsView problems={state.problems} now={now} actions={actions} />
          )}
        </TabPanel>
      </main>
    </div>
  );
}
