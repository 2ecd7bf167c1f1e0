// Run the real CLI (`plaud-sync ...`) from the TypeScript sources in a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const entry = path.join(root, 'test/support/cli-entry.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const bin = path.join(root, 'bin/plaud-sync.js');

/**
 * The built CLI (bin/plaud-sync.js -> dist/cli/, one esbuild bundle) starts in a fraction of the time tsx needs,
 * which matters for tests that start it many times; call buildCli() first so dist/ matches the sources.
 */
export async function buildCli(): Promise<void> {
  const res = await collect(
    spawn('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  if (res.code !== 0) throw new Error(`npm run build failed:\n${res.stdout}${res.stderr}`);
}

export function spawnCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; compiled?: boolean } = {},
): ChildProcess {
  const argv = opts.compiled ? [bin, ...args] : ['--import', 'tsx', entry, ...args];
  return spawn(process.execPath, argv, {
    cwd: opts.cwd ?? root,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; compiled?: boolean } = {},
): Promise<CliResult> {
  const child = spawnCli(args, opts);
  const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  return collect(child).finally(() => clearTimeout(t));
}

/** stdout as JSON lines (non-JSON lines are ignored). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
