// A file where the state folder should be (a typo in --state-dir, PLAUD_SYNC_STATE pointing at a file, or a parent
// that is a file) is named in one plain sentence by every command, instead of a raw ENOTDIR from whichever file the
// command happened to open first, and nothing is written anywhere.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runCli } from '../support/cli.js';

let tmp: string;
let file: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-state-file-'));
  file = path.join(tmp, 'not-a-folder');
  await fs.writeFile(file, 'a file the user already had\n');
  await fs.mkdir(path.join(tmp, 'media'));
  await buildCli();
}, 120_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const COMMANDS: string[][] = [
  ['status'],
  ['status', '--json'],
  ['sync', '--mount-root', 'MEDIA'],
  ['pull', '--mount-root', 'MEDIA'],
  ['retry', '--all-failed'],
  ['recover-ledger'],
];

describe('a file where the state folder should be', () => {
  for (const args of COMMANDS) {
    for (const how of ['the folder is a file', 'a parent is a file'] as const) {
      it(`${args.join(' ')}: ${how}`, async () => {
        const stateDir = how === 'the folder is a file' ? file : path.join(file, 'state');
        const argv = args.map((a) => (a === 'MEDIA' ? path.join(tmp, 'media') : a));
        const r = await runCli([...argv, '--state-dir', stateDir], { compiled: true, timeoutMs: 60_000 });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`The state folder ${stateDir} cannot be used`);
        expect(r.stderr).toMatch(
          how === 'the folder is a file' ? /it is a file, not a folder/ : /a file is in the way/,
        );
        expect(r.stderr).toMatch(/--state-dir or PLAUD_SYNC_STATE/);
        expect(r.stderr).not.toMatch(/ENOTDIR|EEXIST/);
        // The user's file is left as it was, and no library was started.
        expect(await fs.readFile(file, 'utf8')).toBe('a file the user already had\n');
        expect(await fs.readdir(tmp)).toEqual(['media', 'not-a-folder']);
      });
    }
  }

  it('PLAUD_SYNC_STATE pointing at a file is named the same way', async () => {
    const r = await runCli(['status'], { compiled: true, env: { PLAUD_SYNC_STATE: file } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The state folder ${file} cannot be used: it is a file, not a folder.`);
  });
});
