// `npm start` (scripts/start.mjs) on a machine where the Electron runtime is missing: it runs
// Electron's real installer, and when the download cannot happen it explains in words and exits 1.
// The download is made to fail for sure (a refused mirror, an empty cache) and the runtime is made
// missing for sure (ELECTRON_OVERRIDE_DIST_PATH at an empty folder), so this holds on machines that
// do have Electron too. A fake runtime proves the launch path: installer skipped, arguments passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve('.');
const script = path.join(root, 'scripts/start.mjs');
const temps: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-start-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.ELECTRON_SKIP_BINARY_DOWNLOAD; // CI may set it; each test says what it wants
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An environment in which Electron is missing and cannot be downloaded. */
const unreachable = () => ({
  ELECTRON_OVERRIDE_DIST_PATH: tmp(),
  ELECTRON_MIRROR: 'http://127.0.0.1:1/',
  electron_config_cache: tmp(),
});

const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'))
  .version as string;

describe('npm start without the Electron runtime', () => {
  it('tries the real installer, then says what is missing, how to get it, and that the CLI does the job; exits 1, no stack trace', async () => {
    const r = await run(['--no-build'], unreachable());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`downloading it`); // the installer was tried
    expect(r.stderr).toContain(
      `the Electron runtime ${version} for ${process.platform}-${process.arch} is not installed`,
    );
    expect(r.stderr).toMatch(/Downloading it failed: .*ECONNREFUSED/);
    expect(r.stderr).toContain('To get it:');
    expect(r.stderr).toContain('ELECTRON_MIRROR');
    expect(r.stderr).toContain('npx plaud-sync watch');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Error: .*\n\s+at /);
  });

  it('also explains (and does not build) when the download is switched off by ELECTRON_SKIP_BINARY_DOWNLOAD', async () => {
    const r = await run([], { ...unreachable(), ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD is set');
    expect(r.stderr).toContain('npx plaud-sync watch');
    expect(r.stdout).not.toContain('electron-vite');
  });

  it('with the runtime present, skips the installer and runs it on the project with the given arguments, passing its exit code', async () => {
    if (process.platform === 'win32') return; // the fake runtime is a shell script
    const dist = tmp();
    const record = path.join(tmp(), 'argv.json');
    // Where Electron's index.js looks under ELECTRON_OVERRIDE_DIST_PATH (path.txt names it once installed).
    const pathTxt = path.join(root, 'node_modules/electron/path.txt');
    const fake = path.join(dist, fs.existsSync(pathTxt) ? fs.readFileSync(pathTxt, 'utf8') : 'electron');
    fs.mkdirSync(path.dirname(fake), { recursive: true });
    fs.writeFileSync(
      fake,
      `#!/bin/sh\nnode -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd() }))' "${record}" "$@"\nexit 7\n`,
    );
    fs.chmodSync(fake, 0o755);
    const r = await run(['--no-build', '--', '--enable-logging'], {
      ELECTRON_OVERRIDE_DIST_PATH: dist,
      ELECTRON_MIRROR: 'http://127.0.0.1:1/',
    });
    expect(r.stderr).not.toContain('downloading');
    expect(r.code).toBe(7);
    expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toEqual({
      args: ['.', '--enable-logging'],
      cwd: fs.realpathSync(root),
    });
  });

  it("npm install never runs Electron's download: package.json denies its install script", () => {
    // npm skips denied install scripts silently; an approved one would download and fail offline.
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
      scripts: Record<string, string>;
    };
    expect(pkg.allowScripts?.electron).toBe(false);
    expect(pkg.scripts.start).toBe('node scripts/start.mjs');
  });
});
