// What the built CLI loads before it can start work (issue 13): every module costs start-up CPU and delays a
// recorder's first read, so a command must not load what it does not use. A module hook (node:module register)
// records every file the real CLI process resolves; the CLI is a bundle (scripts/build-cli.mjs), so each chunk it
// loaded is mapped back to its source files through the bundler's dist/cli/meta.json, and the tests read that list.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, jsonLines, runCli } from '../support/cli.js';

const HOOKS = `import fs from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  fs.appendFileSync(out, r.url + '\\n');
  return r;
}
`;
const REGISTER = `import { register } from 'node:module';
register('./hooks.mjs', import.meta.url, { data: { out: process.env.MODULE_TRACE_OUT } });
`;

let tmp: string;
let n = 0;
const root = fileURLToPath(new URL('../../', import.meta.url));
/** Output file (relative to the project) -> the source files bundled into it. */
let chunkInputs: Map<string, string[]>;

/** Source files (project-relative: main/..., node_modules/...) behind the files the process resolved. */
function sourcesOf(urls: string[]): string[] {
  const out: string[] = [];
  for (const u of urls) {
    if (!u.startsWith('file:')) continue;
    const rel = path.relative(root, fileURLToPath(u)).split(path.sep).join('/');
    out.push(...(chunkInputs.get(rel) ?? [rel]));
  }
  return out;
}

/** Run the CLI with the module tracer; returns its result and the source files and packages it loaded. */
async function traced(args: string[]) {
  const out = path.join(tmp, `trace-${n++}.txt`);
  await fs.writeFile(out, '');
  const r = await runCli(args, {
    compiled: true,
    timeoutMs: 60_000,
    env: {
      NODE_OPTIONS: `--import ${pathToFileURL(path.join(tmp, 'register.mjs')).href}`,
      MODULE_TRACE_OUT: out,
      PLAUD_SYNC_STATE: path.join(tmp, 'state'),
    },
  });
  const urls = sourcesOf((await fs.readFile(out, 'utf8')).split('\n').filter(Boolean));
  const packages = new Set(
    urls.map((u) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter(Boolean),
  );
  return { r, urls, packages };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plaud-startup-'));
  await fs.writeFile(path.join(tmp, 'hooks.mjs'), HOOKS);
  await fs.writeFile(path.join(tmp, 'register.mjs'), REGISTER);
  await fs.mkdir(path.join(tmp, 'media'));
  await buildCli();
  const meta = JSON.parse(await fs.readFile(path.join(root, 'dist/cli/meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  chunkInputs = new Map(Object.entries(meta.outputs).map(([file, o]) => [file, Object.keys(o.inputs)]));
}, 120_000);
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('CLI start-up loads only what the command uses', () => {
  it('pull does not load the upload side (the engine, the uploader, axios)', async () => {
    const { r, urls, packages } = await traced([
      'pull',
      '--mount-root',
      path.join(tmp, 'media'),
      '--library',
      path.join(tmp, 'lib'),
      '--json',
    ]);
    // No recorder under the mount root: the command ran to its end and said so.
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).find((e) => e.type === 'error')?.message).toMatch(/No Plaud recorder found/);
    expect(packages.has('commander')).toBe(true);
    expect([...packages]).not.toContain('axios');
    // The settings are read as a plain file (settings-file.ts): conf and its schema validator stay unloaded.
    expect([...packages]).not.toContain('conf');
    expect([...packages]).not.toContain('ajv');
    expect(urls.some((u) => u.startsWith('main/sync/library/'))).toBe(true);
    expect(urls.filter((u) => /\/sync\/(upload|cloud)\/|\/engine\/engine\.ts/.test(u))).toEqual([]);
  });

  it('pull does not load the encoders when the recorder has nothing to encode', async () => {
    const { packages } = await traced([
      'pull',
      '--mount-root',
      path.join(tmp, 'media'),
      '--library',
      path.join(tmp, 'lib'),
    ]);
    expect([...packages]).not.toContain('opusscript');
    expect([...packages]).not.toContain('@breezystack/lamejs');
  });

  it('sync loads the HTTP client only when it uploads, and never the settings store', async () => {
    // An account is set (token, loopback API), but there is nothing to upload: axios must stay unloaded.
    const { r, urls, packages } = await traced([
      'sync',
      '--mount-root',
      path.join(tmp, 'media'),
      '--state-dir',
      path.join(tmp, 'sync-state'),
      '--api-base',
      'http://127.0.0.1:9',
      '--token',
      'startup-test-token',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).find((e) => e.type === 'summary')).toMatchObject({ synced: 0, failed: 0 });
    expect(urls).toContain('main/sync/engine/engine.ts');
    expect([...packages]).not.toContain('axios');
    expect([...packages]).not.toContain('conf');
    expect(urls).not.toContain('main/sync/cloud/client.ts');
  });

  it('--version prints the version without loading any command', async () => {
    const pkg = JSON.parse(await fs.readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const { r, urls, packages } = await traced([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
      expect(urls.filter((u) => u.includes('/cli/commands/'))).toEqual([]);
      expect(urls).toContain('main/cli/index.ts');
      expect([...packages]).not.toContain('zod');
    }
  });
});
