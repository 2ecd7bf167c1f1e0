// @vitest-environment happy-dom
// Settings and first run: what the user types reaches the real conf store and the secret store,
// secrets never come back to the window, and bad input is refused with a plain reason.
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { setup } from './support/harness.js';

let env: Awaited<ReturnType<typeof setup>> | undefined;
afterEach(async () => {
  cleanup();
  await env?.cleanup();
  env = undefined;
});

const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('Settings', () => {
  it('round trip: every field is saved to the store, the token to the secret store, and the form reloads', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    expect(input('API base').value).toBe('https://api.plaud.ai');
    expect(input('API token').placeholder).toMatch(/Saved/);
    expect(input('API token').value).toBe('');

    fireEvent.input(input('API base'), { target: { value: 'https://api.eu.plaud.ai' } });
    fireEvent.click(screen.getByLabelText('A client id and secret'));
    fireEvent.input(await screen.findByLabelText('Client id'), { target: { value: 'client-123' } });
    fireEvent.input(input('Client secret'), { target: { value: 's3cret-value' } });
    fireEvent.click(screen.getByLabelText('An owner id'));
    fireEvent.input(input('Owner id'), { target: { value: 'owner-9' } });
    fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect(input('Library folder').value).toMatch(/chosen-library$/));
    fireEvent.change(screen.getByLabelText('Upload format'), { target: { value: 'mp3' } });
    fireEvent.input(input('Parallel uploads'), { target: { value: '2' } });
    fireEvent.click(input('Sync automatically when a recorder is plugged in'));
    fireEvent.click(input('Remove recordings from the recorder after they are synced'));
    fireEvent.click(input('Start Plaud Sync when I log in'));
    fireEvent.click(input('Show notifications'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();

    const saved = env.store.get();
    expect(saved).toMatchObject({
      apiBase: 'https://api.eu.plaud.ai',
      credentials: { kind: 'client', clientId: 'client-123' },
      identity: 'owner_id',
      ownerId: 'owner-9',
      uploadFormat: 'mp3',
      concurrency: 2,
      autoSync: false,
      removeAfterSync: true,
      startAtLogin: false,
      notifications: false,
    });
    expect(saved.libraryDir).toMatch(/chosen-library$/);
    expect(await env.secrets.get('clientSecret')).toBe('s3cret-value');
    expect(env.engine.settings()?.concurrency).toBe(2);
    // The secret went out once and never came back in any answer.
    const answers = JSON.stringify(await env.api.getSettings());
    expect(answers).not.toContain('s3cret-value');
    expect(input('Client secret').value).toBe('');
    expect(input('Client secret').placeholder).toMatch(/Saved/);
  });

  it('refuses an http API base that is not this computer, naming the field', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    fireEvent.input(input('API base'), { target: { value: 'http://api.example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/must start with https:\/\//);
    expect(input('API base').getAttribute('aria-invalid')).toBe('true');
    expect(env.store.get().apiBase).toBe('https://api.plaud.ai');
    fireEvent.input(input('API base'), { target: { value: 'http://127.0.0.1:8080' } });
    fireEvent.input(input('Parallel uploads'), { target: { value: '40' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/from 1 to 16/);
    fireEvent.input(input('Parallel uploads'), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(env.store.get()).toMatchObject({ apiBase: 'http://127.0.0.1:8080', concurrency: 3 });
  });

  it('the remove-after-sync warning is tied to the checkbox and stands out when it is on', async () => {
    env = await setup({ tab: 'settings' });
    const box = await screen.findByLabelText('Remove recordings from the recorder after they are synced');
    const warning = document.getElementById(box.getAttribute('aria-describedby')!)!;
    expect(warning.textContent).toMatch(/deleted from the recorder/);
    expect(warning.className).toBe('muted');
    fireEvent.click(box);
    await waitFor(() => expect(warning.className).toBe('warning'));
  });

  it('Test connection saves pending changes first and shows the answer', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    fireEvent.input(input('API base'), { target: { value: 'https://api.test.plaud.ai' } });
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText('Connected to https://api.test.plaud.ai')).toBeTruthy();
    env.engine.goOffline();
    fireEvent.click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByText(/Could not reach the Plaud server/)).toBeTruthy();
  });

  it('where secrets cannot be stored safely it says so and saves none', async () => {
    env = await setup({ tab: 'settings', signedIn: false, secretsAvailable: false });
    // No account: first run comes first; skip it.
    fireEvent.click(await screen.findByRole('button', { name: 'Skip for now' }));
    fireEvent.click(screen.getByRole('tab', { name: 'Settings' }));
    expect(await screen.findByText(/offers no safe place to keep secrets/)).toBeTruthy();
    fireEvent.click(screen.getByLabelText('An API token'));
    expect(input('API token').disabled).toBe(true);
  });
});

describe('First run', () => {
  it('guides through Access via USB, the account and the library, then shows the devices', async () => {
    env = await setup({ signedIn: false });
    expect(await screen.findByRole('heading', { name: 'Welcome to Plaud Sync' })).toBeTruthy();
    expect(screen.getByText(/turn on “Access via USB”/)).toBeTruthy();
    const finish = screen.getByRole('button', { name: 'Finish' }) as HTMLButtonElement;
    expect(finish.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Connect and test' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Enter the API token.');
    fireEvent.input(input('API token'), { target: { value: 'tok-abc' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect and test' }));
    expect(await screen.findByText('Connected to https://api.plaud.ai')).toBeTruthy();
    expect(await env.secrets.get('apiToken')).toBe('tok-abc');
    expect(env.store.get().credentials).toEqual({ kind: 'token' });
    fireEvent.click(screen.getByRole('button', { name: 'Choose another folder…' }));
    await waitFor(() => expect(env!.store.get().libraryDir).toMatch(/chosen-library$/));
    expect(screen.getByText(/chosen-library$/)).toBeTruthy();
    await waitFor(() => expect(finish.disabled).toBe(false));
    fireEvent.click(finish);
    expect(await screen.findByText(/Plug your Plaud recorder/)).toBeTruthy();
    expect(screen.getByRole('tab', { name: 'Devices' }).getAttribute('aria-selected')).toBe('true');
  });

  it('a cancelled folder picker changes nothing', async () => {
    env = await setup({ signedIn: false });
    env.setNextFolder(null);
    const before = env.store.get().libraryDir;
    fireEvent.click(await screen.findByRole('button', { name: 'Choose another folder…' }));
    await waitFor(() => expect(env!.api.calls.some((c) => c.method === 'chooseLibraryFolder')).toBe(true));
    expect(env.api.calls.some((c) => c.method === 'setSettings')).toBe(false);
    expect(env.store.get().libraryDir).toBe(before);
  });
});

describe('Settings (issue 12)', () => {
  it('unsaved edits survive a tab switch, the save bar says so, and Discard brings the saved values back', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    fireEvent.input(input('Parallel uploads'), { target: { value: '7' } });
    fireEvent.click(input('Show notifications'));
    expect(screen.getByText('You have unsaved changes.').closest('.savebar')).toBeTruthy();
    expect(screen.getByRole('tab', { name: /Settings/ }).textContent).toBe('Settings (unsaved)');
    fireEvent.click(screen.getByRole('tab', { name: 'Devices' }));
    await screen.findByText(/Plug your Plaud recorder/);
    fireEvent.click(screen.getByRole('tab', { name: /Settings/ }));
    await screen.findByRole('heading', { name: 'Settings' });
    expect(input('Parallel uploads').value).toBe('7');
    expect(input('Show notifications').checked).toBe(false);
    expect(env.store.get().concurrency).toBe(4); // not saved behind the user's back
    fireEvent.click(screen.getByRole('button', { name: 'Discard changes' }));
    await waitFor(() => expect(input('Parallel uploads').value).toBe('4'));
    expect(screen.getByRole('tab', { name: /Settings/ }).textContent).toBe('Settings');
  });

  it('account first, API base under a closed "Advanced" that opens on its error, errors next to their field', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    const form = document.querySelector('form.settings')!;
    expect(form.querySelector('legend')!.textContent).toBe('Plaud account');
    expect(form.querySelector('input')!.getAttribute('name')).toBe('credKind');
    const advanced = input('API base').closest('details')!;
    expect(advanced.querySelector('summary')!.textContent).toBe('Advanced');
    expect(advanced.open).toBe(false);
    fireEvent.input(input('API base'), { target: { value: 'http://api.example.com' } });
    fireEvent.input(input('Parallel uploads'), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(advanced.open).toBe(true));
    const err = document.getElementById(input('API base').getAttribute('aria-describedby')!)!;
    expect(err.textContent).toMatch(/must start with https:\/\//);
    expect(err.closest('.field')).toBe(input('API base').closest('.field'));
    // Fixing the field clears its error; the next error sits by its own field.
    fireEvent.input(input('API base'), { target: { value: 'https://api.plaud.ai' } });
    fireEvent.input(input('Parallel uploads'), { target: { value: '0' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const err2 = await waitFor(() =>
      document.getElementById(input('Parallel uploads').getAttribute('aria-describedby')!)!,
    );
    expect(err2.textContent).toMatch(/from 1 to 16/);
    expect(err2.closest('.field')).toBe(input('Parallel uploads').closest('.field'));
    expect(input('API base').getAttribute('aria-invalid')).toBeNull();
  });

  it('"Owner id" is disabled while the serial is chosen', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    expect(input('Owner id').disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('An owner id'));
    await waitFor(() => expect(input('Owner id').disabled).toBe(false));
    fireEvent.click(screen.getByLabelText('The recorder (its serial number)'));
    await waitFor(() => expect(input('Owner id').disabled).toBe(true));
  });

  it('choosing "Not signed in yet" and saving stays in Settings, not back in the first-run guide', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    fireEvent.click(screen.getByLabelText('Not signed in yet'));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(env.store.get().credentials).toEqual({ kind: 'none' });
    expect(screen.queryByRole('heading', { name: 'Welcome to Plaud Sync' })).toBeNull();
    expect(screen.getByRole('tab', { name: 'Settings' }).getAttribute('aria-selected')).toBe('true');
  });
});

describe('First run (issue 12)', () => {
  it('a refused token is not saved and Finish stays disabled until the connection test passes; it says where tokens come from', async () => {
    env = await setup({ signedIn: false, mount: false });
    const { render } = await import('@testing-library/preact');
    const { App } = await import('../../renderer/src/app.js');
    const e = env;
    // The server refuses this one token (the scripted engine's refusal, triggered by what was saved).
    const api = {
      ...e.api,
      setSettings: async (p: Parameters<typeof e.api.setSettings>[0]) => {
        const v = await e.api.setSettings(p);
        if (p.apiToken === 'revoked-token') e.engine.refuseAuth();
        return v;
      },
    };
    render(<App api={api} />);
    await screen.findByRole('heading', { name: 'Welcome to Plaud Sync' });
    expect(screen.getByText(/API token:/).parentElement!.textContent).toMatch(
      /sign in to Plaud's developer platform .* create an API token/,
    );
    expect(screen.getByText(/Client id and secret:/).parentElement!.textContent).toMatch(
      /trades them for a fresh token/,
    );
    const finish = screen.getByRole('button', { name: 'Finish' }) as HTMLButtonElement;

    fireEvent.input(input('API token'), { target: { value: 'revoked-token' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect and test' }));
    expect(await screen.findByText(/The API token was refused.*Nothing was saved/)).toBeTruthy();
    await waitFor(() => expect(env!.store.get().credentials).toEqual({ kind: 'none' }));
    expect(await env.secrets.get('apiToken')).toBeUndefined();
    expect(finish.disabled).toBe(true);

    env.engine.goOffline();
    fireEvent.input(input('API token'), { target: { value: 'good-token' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect and test' }));
    expect(await screen.findByText(/Could not reach the Plaud server.*Nothing was saved/)).toBeTruthy();
    expect(await env.secrets.get('apiToken')).toBeUndefined();
    expect(finish.disabled).toBe(true);

    env.engine.goOnline();
    fireEvent.click(screen.getByRole('button', { name: 'Connect and test' }));
    expect(await screen.findByText('Connected to https://api.plaud.ai')).toBeTruthy();
    expect(await env.secrets.get('apiToken')).toBe('good-token');
    await waitFor(() => expect(finish.disabled).toBe(false));
  });
});

describe('File names (issue 12)', () => {
  const namesInput = () => input('File names');
  const preview = () => document.getElementById('s-libraryNames-preview');

  it('previews the sample recording live, follows the upload format, saves through main, and resets to the default', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    // In the library group, right after the library folder.
    const libraryGroup = input('Library folder').closest('fieldset')!;
    expect(libraryGroup.querySelector('legend')!.textContent).toBe('Library');
    expect(namesInput().closest('fieldset')).toBe(libraryGroup);
    expect(namesInput().value).toBe(env.store.get().libraryNames);
    expect(preview()!.textContent).toBe('For example: Plaud Note 3344/2026-04-05 14.52 Note.opus');
    const reset = screen.getByRole('button', { name: 'Reset to default' }) as HTMLButtonElement;
    expect(reset.disabled).toBe(true);
    // The preview and the note are what a screen reader hears with the field.
    const described = namesInput().getAttribute('aria-describedby')!.split(' ');
    expect(described).toContain('s-libraryNames-preview');
    const note = described.map((id) => document.getElementById(id)!.textContent).join(' ');
    expect(note).toMatch(/recordings copied from now on/);
    expect(note).toMatch(/original files are kept too, in the library's hidden folder \.originals/);

    fireEvent.change(screen.getByLabelText('Upload format'), { target: { value: 'mp3' } });
    await waitFor(() => expect(preview()!.textContent).toMatch(/Note\.mp3$/));
    fireEvent.input(namesInput(), { target: { value: '{year}/{month}/{date} {time} {model} {kind}' } });
    await waitFor(() =>
      expect(preview()!.textContent).toBe('For example: 2026/04/2026-04-05 14.52 Plaud Note Note.mp3'),
    );
    expect(reset.disabled).toBe(false);
    expect(screen.getByRole('tab', { name: /Settings/ }).textContent).toBe('Settings (unsaved)');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(env.store.get().libraryNames).toBe('{year}/{month}/{date} {time} {model} {kind}');
    expect(env.engine.settings()?.libraryNames).toBe('{year}/{month}/{date} {time} {model} {kind}');

    fireEvent.click(reset);
    await waitFor(() => expect(namesInput().value).toBe('{recorder}/{date} {time} {kind}'));
    expect(reset.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(env!.store.get().libraryNames).toBe('{recorder}/{date} {time} {kind}'));
  });

  it('an unusable pattern shows its problem by the field while typing, is refused on Save, and survives a tab switch', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    const saved = env.store.get().libraryNames;
    // No {time} in the file name: two recordings of one day would get the same name.
    fireEvent.input(namesInput(), { target: { value: '{recorder}/{date} {kind}' } });
    await waitFor(() => expect(namesInput().getAttribute('aria-invalid')).toBe('true'));
    const live = preview()!;
    expect(live.textContent).toMatch(/needs the date .* and the file name needs \{time\}/);
    expect(live.textContent).not.toMatch(/For example/);
    expect(live.closest('.field')).toBe(namesInput().closest('.field'));
    // While typing it is no alert (a screen reader would read every keystroke); Save makes it one.
    expect(screen.queryByRole('alert')).toBeNull();

    fireEvent.click(screen.getByRole('tab', { name: 'Devices' }));
    await screen.findByText(/Plug your Plaud recorder/);
    fireEvent.click(screen.getByRole('tab', { name: /Settings/ }));
    await screen.findByRole('heading', { name: 'Settings' });
    expect(namesInput().value).toBe('{recorder}/{date} {kind}');

    fireEvent.input(namesInput(), { target: { value: '{recorder}/{date} {time} {speaker}' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/\{speaker\} is not a field this app knows/);
    expect(alert.closest('.field')).toBe(namesInput().closest('.field'));
    expect(namesInput().getAttribute('aria-describedby')!.split(' ')).toContain(alert.id);
    expect(env.api.calls.some((c) => c.method === 'setSettings')).toBe(false);
    expect(env.store.get().libraryNames).toBe(saved);

    // Fixing the field clears its error and brings the preview back.
    fireEvent.input(namesInput(), { target: { value: '{recorder}/{date} {time}' } });
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(preview()!.textContent).toBe('For example: Plaud Note 3344/2026-04-05 14.52.opus');
    expect(namesInput().getAttribute('aria-invalid')).toBeNull();
  });

  it('lists every field a pattern may use behind a closed disclosure', async () => {
    env = await setup({ tab: 'settings' });
    await screen.findByRole('heading', { name: 'Settings' });
    const disclosure = screen.getByText('Fields you can use').closest('details')!;
    expect(disclosure.open).toBe(false);
    const { NAME_FIELDS } = await import('../../main/sync/library/names.js');
    const terms = [...disclosure.querySelectorAll('dt')].map((d) => d.textContent);
    expect(terms).toEqual(NAME_FIELDS.map((f) => f.field));
    expect(terms).toContain('{recorder}');
    for (const dd of disclosure.querySelectorAll('dd')) expect(dd.textContent!.length).toBeGreaterThan(3);
  });
});
