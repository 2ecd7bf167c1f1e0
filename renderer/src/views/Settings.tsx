// Settings: account, identity, library, behaviour. Secrets are write-only: the form never shows them.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConnectionTestResult } from '../../../main/app/ipc/contract.js';
import type { SettingsView } from '../../../main/app/ipc/contract.js';
import type { PlaudSyncApi } from '../api.js';
import { AccountHelp } from './AccountHelp.js';
import { FileNamesField } from './FileNames.js';
import {
  formFromView,
  isDirty,
  patchFromForm,
  type FieldName,
  type FormError,
  type SettingsForm,
} from '../settings-form.js';

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface SettingsDraft {
  form: SettingsForm;
}

export function SettingsPanel(props: {
  api: PlaudSyncApi;
  onSaved?: (v: SettingsView) => void;
  /** Unsaved edits kept by the App, so a tab switch does not lose them. */
  draft?: SettingsDraft | null;
  onDraft?: (d: SettingsDraft | null) => void;
}) {
  const { api, onSaved, onDraft } = props;
  const [view, setView] = useState<SettingsView | null>(null);
  const [form, setFormState] = useState<SettingsForm | null>(props.draft?.form ?? null);
  const [error, setError] = useState<FormError | null>(null);
  const [status, setStatus] = useState('');
  const [test, setTest] = useState<ConnectionTestResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [advanced, setAdvanced] = useState(false);

  // Every edit is reported up, so the App can hand it back when the user returns to this tab.
  const setForm = (f: SettingsForm, v: SettingsView | null = view) => {
    setFormState(f);
    onDraft?.(v && isDirty(f, v) ? { form: f } : null);
  };

  useEffect(() => {
    api.getSettings().then(
      (v) => {
        setView(v);
        setFormState((f) => f ?? formFromView(v));
      },
      (e: unknown) => setError({ message: `Could not load the settings: ${errMsg(e)}` }),
    );
  }, [api]);

  if (!view || !form) {
    return <p role="status">{error ? error.message : 'Loading settings…'}</p>;
  }

  const set = <K extends FieldName>(k: K, value: SettingsForm[K]) => {
    setForm({ ...form, [k]: value });
    setStatus('');
    if (error?.field === k) setError(null);
  };

  const save = async (): Promise<boolean> => {
    const r = patchFromForm(form, view);
    if ('error' in r) {
      setError(r.error);
      if (r.error.field === 'apiBase') setAdvanced(true);
      setStatus('');
      return false;
    }
    setBusy(true);
    try {
      const v = await api.setSettings(r.patch);
      setView(v);
      setForm(formFromView(v), v);
      setError(null);
      setStatus('Settings saved.');
      onSaved?.(v);
      return true;
    } catch (e) {
      setError({ message: `Could not save the settings: ${errMsg(e)}` });
      return false;
    } finally {
      setBusy(false);
    }
  };

  const testConnection = async () => {
    setTest(null);
    if (isDirty(form, view) && !(await save())) return;
    setBusy(true);
    try {
      setTest(await api.testConnection());
    } catch (e) {
      setTest({ ok: false, message: errMsg(e) });
    } finally {
      setBusy(false);
    }
  };

  const chooseFolder = async () => {
    try {
      const dir = await api.chooseLibraryFolder();
      if (dir) set('libraryDir', dir);
    } catch (e) {
      setError({ field: 'libraryDir', message: `Could not open the folder picker: ${errMsg(e)}` });
    }
  };

  /** A field's error sits under the field itself, and the input points at it. */
  const errorFor = (f: FieldName) => (error?.field === f ? error.message : undefined);
  const invalid = (f: FieldName) =>
    error?.field === f ? { 'aria-invalid': true, 'aria-describedby': `${fieldId(f)}-error` } : {};
  const dirty = isDirty(form, view);

  return (
    <form
      class="settings"
      aria-labelledby="settings-title"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="settings-title">Settings</h2>

      <Group legend="Plaud account">
        <fieldset class="radios">
          <legend>Sign in with</legend>
          {(
            [
              ['token', 'An API token'],
              ['client', 'A client id and secret'],
              ['none', 'Not signed in yet'],
            ] as const
          ).map(([k, label]) => (
            <label key={k}>
              <input
                type="radio"
                name="credKind"
                value={k}
                checked={form.credKind === k}
                onChange={() => set('credKind', k)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        {!view.secretStorageAvailable && (
          <p class="warning" role="note">
            This computer offers no safe place to keep secrets, so Plaud Sync will not save an API token or client
            secret here. Use the command line with an environment variable instead.
          </p>
        )}
        {form.credKind === 'token' && (
          <Field id="s-apiToken" label="API token" error={errorFor('apiToken')}>
            <input
              id="s-apiToken"
              type="password"
              autoComplete="off"
              value={form.apiToken}
              placeholder={view.hasApiToken ? 'Saved – type a new one to replace it' : ''}
              disabled={!view.secretStorageAvailable}
              onInput={(e) => set('apiToken', e.currentTarget.value)}
              {...invalid('apiToken')}
            />
          </Field>
        )}
        {form.credKind === 'client' && (
          <>
            <Field id="s-clientId" label="Client id" error={errorFor('clientId')}>
              <input
                id="s-clientId"
                type="text"
                value={form.clientId}
                onInput={(e) => set('clientId', e.currentTarget.value)}
                {...invalid('clientId')}
              />
            </Field>
            <Field id="s-clientSecret" label="Client secret" error={errorFor('clientSecret')}>
              <input
                id="s-clientSecret"
                type="password"
                autoComplete="off"
                value={form.clientSecret}
                placeholder={view.hasClientSecret ? 'Saved – type a new one to replace it' : ''}
                disabled={!view.secretStorageAvailable}
                onInput={(e) => set('clientSecret', e.currentTarget.value)}
                {...invalid('clientSecret')}
              />
            </Field>
          </>
        )}
        {form.credKind !== 'none' && (
          <details class="help-disclosure">
            <summary>Where do I get these?</summary>
            <AccountHelp id="s-account-help" />
          </details>
        )}
        <div class="row">
          <button type="button" disabled={busy} onClick={() => void testConnection()}>
            Test connection
          </button>
          <p role="status" class={test ? (test.ok ? 'ok-text' : 'error-text') : ''}>
            {test?.message ?? ''}
          </p>
        </div>
        <fieldset class="radios">
          <legend>Upload recordings as belonging to</legend>
          <label>
            <input
              type="radio"
              name="identity"
              value="sn"
              checked={form.identity === 'sn'}
              onChange={() => set('identity', 'sn')}
            />
            The recorder (its serial number)
          </label>
          <label>
            <input
              type="radio"
              name="identity"
              value="owner_id"
              checked={form.identity === 'owner_id'}
              onChange={() => set('identity', 'owner_id')}
            />
            An owner id
          </label>
        </fieldset>
        <Field id="s-ownerId" label="Owner id" error={errorFor('ownerId')}>
          <input
            id="s-ownerId"
            type="text"
            value={form.ownerId}
            disabled={form.identity === 'sn'}
            onInput={(e) => set('ownerId', e.currentTarget.value)}
            {...invalid('ownerId')}
          />
        </Field>
      </Group>

      <Group legend="Library">
        <Field id="s-libraryDir" label="Library folder" error={errorFor('libraryDir')}>
          <div class="row">
            <input id="s-libraryDir" type="text" readOnly value={form.libraryDir} {...invalid('libraryDir')} />
            <button type="button" onClick={() => void chooseFolder()}>
              Choose…
            </button>
            <button
              type="button"
              onClick={() =>
                void api.openLibrary().catch((e: unknown) => setError({ field: 'libraryDir', message: errMsg(e) }))
              }
            >
              Open library
            </button>
          </div>
        </Field>
        <FileNamesField
          id={fieldId('libraryNames')}
          template={form.libraryNames}
          uploadFormat={form.uploadFormat}
          error={errorFor('libraryNames')}
          onChange={(t) => set('libraryNames', t)}
        />
        <Field id="s-uploadFormat" label="Upload format">
          <select
            id="s-uploadFormat"
            value={form.uploadFormat}
            onChange={(e) => set('uploadFormat', e.currentTarget.value as 'opus' | 'mp3')}
          >
            <option value="opus">Opus (small, as recorded)</option>
            <option value="mp3">MP3</option>
          </select>
        </Field>
        <Field id="s-concurrency" label="Parallel uploads" error={errorFor('concurrency')}>
          <input
            id="s-concurrency"
            type="number"
            min={1}
            max={16}
            step={1}
            value={form.concurrency}
            onInput={(e) => set('concurrency', e.currentTarget.value)}
            {...invalid('concurrency')}
          />
        </Field>
      </Group>

      <Group legend="Behaviour">
        <Check
          id="s-autoSync"
          label="Sync automatically when a recorder is plugged in"
          checked={form.autoSync}
          onChange={(v) => set('autoSync', v)}
        />
        <Check
          id="s-removeAfterSync"
          label="Remove recordings from the recorder after they are synced"
          checked={form.removeAfterSync}
          onChange={(v) => set('removeAfterSync', v)}
          describedBy="s-removeAfterSync-warning"
        />
        <p id="s-removeAfterSync-warning" class={form.removeAfterSync ? 'warning' : 'muted'}>
          Warning: with this on, a recording is deleted from the recorder once its copy in the library is verified and
          the cloud has confirmed the upload. The recorder then no longer holds it; the library and the cloud do.
        </p>
        <Check
          id="s-startAtLogin"
          label="Start Plaud Sync when I log in"
          checked={form.startAtLogin}
          onChange={(v) => set('startAtLogin', v)}
        />
        <Check
          id="s-notifications"
          label="Show notifications"
          checked={form.notifications}
          onChange={(v) => set('notifications', v)}
        />
      </Group>

      <details class="group advanced" open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
        <summary>Advanced</summary>
        <Field id="s-apiBase" label="API base" error={errorFor('apiBase')}>
          <input
            id="s-apiBase"
            type="url"
            value={form.apiBase}
            onInput={(e) => set('apiBase', e.currentTarget.value)}
            {...invalid('apiBase')}
          />
        </Field>
        <p class="muted">The address of the Plaud server. Change it only if Plaud support asks you to.</p>
      </details>

      {/* Sticky: the save bar stays in view however far the form is scrolled. */}
      <div class="savebar row">
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
        {dirty && (
          <button
            type="button"
            onClick={() => (setForm(formFromView(view)), setError(null), setStatus('Changes discarded.'))}
          >
            Discard changes
          </button>
        )}
        <p role="status">{dirty && !status ? 'You have unsaved changes.' : status}</p>
        {error && !error.field && (
          <p role="alert" class="error-text">
            {error.message}
          </p>
        )}
      </div>
    </form>
  );
}

const fieldId = (f: FieldName) => `s-${f}`;

function Group({ legend, children }: { legend: string; children: ComponentChildren }) {
  return (
    <fieldset class="group">
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

function Field({
  id,
  label,
  error,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {error && (
        <p id={`${id}-error`} role="alert" class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function Check(props: {
  id: string;
  label: string;
  checked: boolean;
  onChange(v: boolean): void;
  describedBy?: string;
}) {
  return (
    <div class="check">
      <input
        id={props.id}
        type="checkbox"
        checked={props.checked}
        aria-describedby={props.describedBy}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />
      <label for={props.id}>{props.label}</label>
    </div>
  );
}
