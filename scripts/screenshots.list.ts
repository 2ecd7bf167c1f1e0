// The screenshots the README and docs show: the one list `npm run screenshots` (scripts/screenshots.ts) copies from
// the real-engine end-to-end run, and test/docs/screenshots.test.ts checks against the pages. Pure data, no imports,
// so the e2e, the script and the docs test can all read it.

/** The e2e writes its screenshots into the folder this variable names (test-artifacts/renderer/ when unset). */
export const SCREENSHOTS_DIR_ENV = 'PLAUD_SCREENSHOTS_DIR';

/** The window's size in the shots: a common laptop screen, light scheme. */
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 800 } as const;

/** Where the chosen shots are committed, relative to the repository root. */
export const SCREENSHOTS_ASSETS = 'assets/screenshots';

export interface Shot {
  /** The committed file: assets/screenshots/<name>.png. */
  name: string;
  /** The screenshot the real-engine e2e takes (test/renderer/e2e/real-engine.e2e.test.ts), without .png. */
  from: string;
  /** What it shows, for the alt text and the script's summary. */
  shows: string;
}

export const SHOTS: readonly Shot[] = [
  { name: 'window', from: 'real-devices', shows: 'The Plaud Sync window: a recorder synced and safe to unplug' },
  {
    name: 'devices-copying',
    from: 'real-devices-copying',
    shows: 'Devices: a recorder being read, with how many recordings are copied, the speed and the time left',
  },
  {
    name: 'activity-retry',
    from: 'real-activity-retry',
    shows: 'Activity: an upload the server failed, waiting to retry by itself, with its countdown and Retry',
  },
  {
    name: 'history',
    from: 'real-history-days',
    shows: 'History: recordings from three recorders grouped by day, with their length, size, recorder and kind',
  },
  {
    name: 'problem-details',
    from: 'real-problem-details',
    shows: 'Problems: a server error that retries by itself, in amber, with its Details open',
  },
];
