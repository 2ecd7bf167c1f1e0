#!/usr/bin/env node
// `npm start`: make sure the Electron runtime is there, build the app, open the window.
// `npm install` never downloads Electron (package.json denies its install script), so that an
// install succeeds on machines that cannot reach the download. The runtime is fetched here, the
// first time someone actually wants the window, by Electron's own installer. When that fails we
// say so in words (what is missing, how to get it, and that the CLI works without it) and exit 1.
// Plain JavaScript on purpose: it must run on a fresh checkout with nothing but Node.
//   node scripts/start.mjs [--no-build] [-- <arguments for Electron>]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(projectDir, 'package.json'));

/** Exit code when the window cannot be started for want of Electron. */
const EXIT_NO_ELECTRON = 1;

function electronPackageDir() {
  try {
    return path.dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/** The runtime's executable as Electron's own index.js computes it, or null when it is not installed. */
function electronBinary(pkgDir) {
  const index = path.join(pkgDir, 'index.js');
  delete require.cache[index]; // it computes the path once on load; re-read after an install
  let binary;
  try {
    binary = require(index);
  } catch {
    return null; // "Electron failed to install correctly": no path.txt yet
  }
  return typeof binary === 'string' && fs.existsSync(binary) ? binary : null;
}

/** Runs Electron's installer; resolves to the first line of what it said on failure ('' on success). */
function runElectronInstaller(pkgDir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(pkgDir, 'install.js')], {
      cwd: pkgDir,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      if (err.length < 64 * 1024) err += d;
    });
    child.on('error', (e) => resolve(e.message));
    child.on('close', (code) => {
      if (code === 0) return resolve('');
      // The installer prints a stack trace; the user gets its message only.
      const lines = err
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('at '));
      resolve(lines[0] ?? `the installer exited with code ${code}`);
    });
  });
}

function explainMissing(version, reason) {
  const platform = `${process.platform}-${process.arch}`;
  const lines = [
    '',
    `Plaud Sync cannot open its window: the Electron runtime${version ? ` ${version}` : ''} for ${platform} is not installed.`,
    ...(reason ? [`Downloading it failed: ${reason}`] : []),
    '',
    'To get it:',
    '  - on a network that reaches github.com, run `npm start` again (the download is about 100 MB, once);',
    '  - behind a proxy, set HTTPS_PROXY and ELECTRON_GET_USE_PROXY=1; with a mirror, set ELECTRON_MIRROR;',
    `  - or copy electron-v${version || '<version>'}-${platform}.zip from another machine into Electron's cache`,
    '    (the folder named by electron_config_cache) and run `npm start` again.',
    '',
    'Without a window, the headless daemon does the same job (finds the recorder, copies, uploads):',
    '  npx plaud-sync watch',
    '',
  ];
  process.stderr.write(lines.join('\n'));
}

async function ensureElectron() {
  const pkgDir = electronPackageDir();
  if (!pkgDir) {
    process.stderr.write(
      '\nPlaud Sync cannot open its window: the electron package is not installed. Run `npm install` first.\n',
    );
    process.stderr.write('Without a window, the headless daemon does the same job:\n  npx plaud-sync watch\n\n');
    return null;
  }
  const existing = electronBinary(pkgDir);
  if (existing) return existing;
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  process.stderr.write(`Electron ${version} is not installed yet; downloading it (once, about 100 MB)...\n`);
  const reason = await runElectronInstaller(pkgDir);
  const installed = electronBinary(pkgDir);
  if (installed) return installed;
  // The installer may also "succeed" without installing (ELECTRON_SKIP_BINARY_DOWNLOAD).
  const why =
    reason ||
    (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
      ? 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the installer skipped it.'
      : '');
  explainMissing(version, why);
  return null;
}

async function main() {
  const argv = process.argv.slice(2);
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  const forElectron = dashes < 0 ? [] : argv.slice(dashes + 1);

  const binary = await ensureElectron();
  if (!binary) return EXIT_NO_ELECTRON;

  if (!own.includes('--no-build')) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const built = spawnSync(npm, ['run', 'build:app'], {
      cwd: projectDir,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (built.status !== 0) return built.status ?? 1;
  }

  // As electron's cli.js does: the window's lifetime is this command's lifetime.
  const child = spawn(binary, ['.', ...forElectron], { cwd: projectDir, stdio: 'inherit', windowsHide: false });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  return await new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`Could not start Electron (${binary}): ${e.message}\n`);
      resolve(EXIT_NO_ELECTRON);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`npm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
