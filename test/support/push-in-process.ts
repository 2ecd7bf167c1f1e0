// `plaud-sync push` run in this process (its stdout, stderr and exit code captured), and the environment variables
// it reads, cleared around the tests so the developer's own account never leaks in. Shared by the push tests.
import { vi } from 'vitest';
import { main } from '../../main/cli/index.js';

export const PUSH_ENV_KEYS = [
  'PLAUD_API_BASE',
  'PLAUD_API_TOKEN',
  'PLAUD_CLIENT_ID',
  'PLAUD_CLIENT_SECRET',
  'PLAUD_API_TOKEN_FILE',
  'PLAUD_CLIENT_SECRET_FILE',
  'PLAUD_SYNC_STATE',
] as const;

export async function runPush(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  process.exitCode = 0;
  try {
    await main(['node', 'plaud-sync', 'push', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

/** stdout as JSON lines. */
export const pushLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
