// First run: the three things a new user must do once, in order.
import { useState } from 'preact/hooks';
import type { SettingsView } from '../../../main/app/ipc/contract.js';
import type { ConnectionTestResult } from '../../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from '../api.js';
import { AccountHelp } from './AccountHelp.js';

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function FirstRun(props: {
  api: PlaudSyncApi;
  settings: SettingsView;
  onDone(v: SettingsView): void;
  onSkip(): void;
}) {
  const { api } = props;
  const [view, setView] = useState(props.settings);
  const [mode, setMode] = useState<'token' | 'client'>('token');
  const [token, setToken] = useState('');
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [test, setTest] = useState<ConnectionTestResult | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  // Save, test, and take the account back out when the server refuses it: a refused token must not
  // stay saved as if it worked. (The API has no "test before save": the test uses the saved account.)
  const connect = async () => {
    setError('');
    setTest(null);
    if (mode === 'token' && !token.trim()) return setError('Enter the API token.');
    if (mode === 'client' && (!clientId.trim() || !secret.trim()))
      return setError('Enter the client id and the secret.');
    setBusy(true);
    try {
      const saved = await api.setSettings(
        mode === 'token'
          ? { credentials: { kind: 'token' }, apiToken: token.trim() }
          : { credentials: { kind: 'client', clientId: clientId.trim() }, clientSecret: secret.trim() },
      );
      let result: ConnectionTestResult;
      try {
        result = await api.testConnection();
      } catch (e) {
        result = { ok: false, message: errMsg(e) };
      }
      if (result.ok) {
        setView(saved);
        setToken('');
        setSecret('');
      } else {
        setView(
          await api.setSettings({
            credentials: { kind: 'none' },
            ...(mode === 'token' ? { apiToken: '' } : { clientSecret: '' }),
          }),
        );
      }
      // The engine's words send the user to Settings; in the guide the field is right here.
      setTest(result);
    } catch (e) {
      setError(`Could not save the account: ${errMsg(e)}`);
    } finally {
      setBusy(false);
    }
  };

  const choose = async () => {
    setError('');
    try {
      const dir = await api.chooseLibraryFolder();
      if (dir) setView(await api.setSettings({ libraryDir: dir }));
    } catch (e) {
      setError(`Could not set the library folder: ${errMsg(e)}`);
    }
  };

  // Finish only once this run's connection test passed.
  const connected = view.credentials.kind !== 'none' && test?.ok === true;
  return (
    <section class="first-run" aria-labelledby="first-run-title">
      <h1 id="first-run-title">Welcome to Plaud Sync</h1>
      <p>Three steps, once. After that, plugging in your recorder is all it takes.</p>
      <ol class="steps">
        <li>
          <h2>Turn on “Access via USB”</h2>
          <p>
            In the Plaud app on your phone, open your recorder’s settings and turn on “Access via USB”. The recorder
            only shows up on a computer after this has been done once.
          </p>
        </li>
        <li>
          <h2>Connect your Plaud account</h2>
          <fieldset class="radios">
            <legend>Sign in with</legend>
            <label>
              <input type="radio" name="fr-mode" checked={mode === 'token'} onChange={() => setMode('token')} />
              An API token
            </label>
            <label>
              <input type="radio" name="fr-mode" checked={mode === 'client'} onChange={() => setMode('client')} />A
              client id and secret
            </label>
          </fieldset>
          <AccountHelp id="fr-help" />
          {mode === 'token' ? (
            <div class="field">
              <label for="fr-token">API token</label>
              <input
                id="fr-token"
                type="password"
                autoComplete="off"
                value={token}
                onInput={(e) => setToken(e.currentTarget.value)}
              />
            </div>
          ) : (
            <>
              <div class="field">
                <label for="fr-client">Client id</label>
                <input
                  id="fr-client"
                  type="text"
                  value={clientId}
                  onInput={(e) => setClientId(e.currentTarget.value)}
                />
              </div>
              <div class="field">
                <label for="fr-secret">Client secret</label>
                <input
                  id="fr-secret"
                  type="password"
                  autoComplete="off"
                  value={secret}
                  onInput={(e) => setSecret(e.currentTarget.value)}
                />
              </div>
            </>
          )}
          {!view.secretStorageAvailable && (
            <p class="warning">
              This computer offers no safe place to keep secrets, so the account cannot be saved here.
            </p>
          )}
          <div class="row">
            <button
              type="button"
              class="primary"
              disabled={busy || !view.secretStorageAvailable}
              onClick={() => void connect()}
            >
              Connect and test
            </button>
            <p role="status" class={test ? (test.ok ? 'ok-text' : 'error-text') : ''}>
              {test
                ? test.ok
                  ? test.message
                  : `${test.message.replace(/ in Settings\b/, '')} Nothing was saved; check it and try again.`
                : ''}
            </p>
          </div>
        </li>
        <li>
          <h2>Choose the library folder</h2>
          <p>
            Every recording is copied here and checked before it is uploaded. It is currently{' '}
            <span class="mono">{view.libraryDir}</span>.
          </p>
          <button type="button" onClick={() => void choose()}>
            Choose another folder…
          </button>
        </li>
      </ol>
      {error && (
        <p role="alert" class="error-text">
          {error}
        </p>
      )}
      <div class="row">
        <button
          type="button"
          class="primary"
          disabled={!connected}
          aria-describedby="fr-finish-hint"
          onClick={() => props.onDone(view)}
        >
          Finish
        </button>
        <button type="button" onClick={() => props.onSkip()}>
          Skip for now
        </button>
        <p id="fr-finish-hint" class="muted">
          {connected ? 'Ready.' : 'Finish becomes available once “Connect and test” succeeds.'}
        </p>
      </div>
    </section>
  );
}
