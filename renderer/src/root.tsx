// The top of the window: the App inside an error boundary.
import { useErrorBoundary } from 'preact/hooks';
import { App } from './app.js';
import type { PlaudSyncApi } from './api.js';

/** A bug in one view must not leave a blank window: say so, and offer a reload. Syncing goes on in main. */
export function Root({ api }: { api: PlaudSyncApi }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <main class="app crashed">
        <h1>Plaud Sync</h1>
        <p role="alert" class="error-text">
          The window ran into a problem and stopped showing the sync (
          {error instanceof Error ? error.message : String(error)}). Syncing continues in the background.
        </p>
        <button type="button" onClick={() => reset()}>
          Show the window again
        </button>
      </main>
    );
  }
  return <App api={api} />;
}
