// Entry point: mount the window on the API the preload (or the test bridge) put on `window`.
import { render } from 'preact';
import { getApi } from './api.js';
import { Root } from './root.js';

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
