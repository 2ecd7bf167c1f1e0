// Entry point: mount the window on the API the preload (or the test bridge) put on `window`.
import { render } from 'preact';
import { useErrorBoundary } from 'preact/hooks';
import { App } from './app.js';
import { getApi, type PlaudSyncApi } from './api.js';

/** A bug in one view must not leave a blank window: say so, and offer a reload. Syncing goes on in main. */
function Root({ api }: { api: PlaudSyncApi }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <main class="app crashed">
        <h1>Plaud Sync</h1>
        <p role="alert" class="error-text">
          The window ran into a problem and stopped showing the sync ({error instanceof Error ? error.message : String(error)}).
          Syncing continues in the background.
        </p>
        <button type="button" onClick={() => reset()}>
          Show the window again
        </button>
      </main>
    );
  }
  return <App api={api} />;
}

const root = document.getElementById('app');
const api = getApi();
if (root) {
  if (api) {
    render(<Root api={api} />, root);
  } else {
    const p = document.createElement('p');
    p.className = 'error-text';
    p.textContent = 'Plaud Sync could not start its window: the connection to the app is missing. Restart Plaud Sync.';
    root.append(p);
  }
}
