// The window: a status line, five tabs, and the first-run guide when no account is set up yet.
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SettingsView, UpdateView } from '../../main/app/ipc/contract.js';
import type { EngineState } from '../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from './api.js';
import { formatAgo, formatEta } from './format.js';
import { useEngineState, useNow } from './store.js';
import { ActivityView } from './views/Activity.js';
import { DevicesView } from './views/Devices.js';
import { FirstRun } from './views/FirstRun.js';
import { HistoryView } from './views/History.js';
import { ProblemsView } from './views/Problems.js';
import { SettingsPanel } from './views/Settings.js';
import { TabPanel, Tabs, type TabDef } from './views/Tabs.js';

export type TabKey = 'devices' | 'activity' | 'history' | 'problems' | 'settings';

export function statusLine(s: EngineState, now: number): string {
  if (!s.online) return 'Offline – waiting for the Plaud server';
  if (s.account === 'missing') return 'Not signed in – connect your Plaud account in Settings';
  if (s.account === 'refused') return 'The Plaud account was refused – check Settings';
  if (s.paused) return 'Paused';
  const pending = s.totals.active + s.totals.queued;
  if (pending > 0) {
    const eta = s.totals.etaSec !== null ? ` · ${formatEta(s.totals.etaSec)} left` : '';
    return `Syncing ${pending} recording${pending === 1 ? '' : 's'}${eta}`;
  }
  if (s.lastSyncAt !== null) return `Synced ${formatAgo(s.lastSyncAt, now)}`;
  return 'Up to date';
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function App({ api, initialTab = 'devices' }: { api: PlaudSyncApi; initialTab?: TabKey }) {
  const { state, error: stateError } = useEngineState(api);
  const now = useNow();
  const [tab, setTab] = useState<TabKey>(initialTab);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [firstRunDismissed, setFirstRunDismissed] = useState(false);
  const [actionError, setActionError] = useState('');

  useEffect(() => {
    api.getSettings().then(setSettings, (e: unknown) => setActionError(`Could not load the settings: ${errMsg(e)}`));
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
    openSettings: () => setTab('settings'),
  };

  if (settings && settings.credentials.kind === 'none' && !firstRunDismissed) {
    return (
      <main class="app" data-state-seq={state?.seq}>
        <FirstRun
          api={api}
          settings={settings}
          onDone={(v) => {
            setSettings(v);
            setFirstRunDismissed(true);
            setTab('devices');
          }}
          onSkip={() => setFirstRunDismissed(true)}
        />
      </main>
    );
  }

  const tabs: TabDef<TabKey>[] = [
    { key: 'devices', label: 'Devices' },
    { key: 'activity', label: 'Activity', badge: state ? state.queue.length : 0 },
    { key: 'history', label: 'History' },
    { key: 'problems', label: 'Problems', badge: state ? state.problems.length : 0 },
    { key: 'settings', label: 'Settings' },
  ];

  return (
    <div class="app" data-state-seq={state?.seq}>
      <header class="topbar">
        <h1>Plaud Sync</h1>
        <p class={`status ${state && !state.online ? 'status-offline' : ''}`}>
          {state ? statusLine(state, now) : stateError ? `Cannot reach the sync engine: ${stateError}` : 'Starting…'}
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
            <SettingsPanel api={api} onSaved={setSettings} />
          ) : !state ? (
            <p role="status">Loading…</p>
          ) : tab === 'devices' ? (
            <DevicesView devices={state.devices} now={now} />
          ) : tab === 'activity' ? (
            <ActivityView state={state} now={now} actions={actions} />
          ) : tab === 'history' ? (
            <HistoryView api={api} devices={state.devices} syncedCount={state.totals.synced} onError={setActionError} />
          ) : (
            <ProblemsView problems={state.problems} now={now} actions={actions} />
          )}
        </TabPanel>
      </main>
    </div>
  );
}
