// The README is a front page (issue 14): it stays short, its links and the docs' links lead somewhere, and
// every command and flag the CLI offers is written down in docs/cli.md, because they are a public interface.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../main/cli/index.js';
import { brokenLinks, headingAnchors, markdownFiles, relativeLinks, section } from './markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = path.join(ROOT, 'README.md');
const CLI_DOC = path.join(ROOT, 'docs/cli.md');
export const README_MAX_LINES = 200;

/** Pages other work adds after this one is merged; a link to them counts as good until then. */
export const EXPECTED_LATER = ['docs/server.md', 'docs/window-security.md', 'docs/benchmarks-device-model.md'];

const pages = () => [README, path.join(ROOT, 'CONTRIBUTING.md'), ...markdownFiles(path.join(ROOT, 'docs'))];
const read = (p: string) => fs.readFileSync(p, 'utf8');

/** The commands `plaud-sync --help` lists, each with its long flags (as `--name`), from the real program. */
async function cliCommands(): Promise<{ name: string; flags: string[] }[]> {
  const program = await buildProgram();
  return program.commands
    .filter((c) => c.name() !== 'help')
    .map((c) => ({
      name: c.name(),
      flags: c.options.map((o) => o.long).filter((l): l is string => !!l && l !== '--help'),
    }));
}

/** What docs/cli.md leaves out: a command with no `plaud-sync <name>` heading, or a flag its section never names. */
export function undocumented(cliDoc: string, commands: { name: string; flags: string[] }[]): string[] {
  const missing: string[] = [];
  for (const c of commands) {
    const body = section(cliDoc, `\`plaud-sync ${c.name}\``);
    if (body === null) {
      missing.push(`plaud-sync ${c.name}`);
      continue;
    }
    for (const f of c.flags) if (!new RegExp(`${f}(?![\\w-])`).test(body)) missing.push(`plaud-sync ${c.name} ${f}`);
  }
  return missing;
}

describe('README is a front page', () => {
  it(`is at most ${README_MAX_LINES} lines`, () => {
    const lines = read(README).replace(/\n$/, '').split('\n').length;
    expect(lines, `README.md has ${lines} lines; move detail into docs/`).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('shows the screenshot near the top', () => {
    const top = read(README).split('\n').slice(0, 15).join('\n');
    expect(top).toContain('](assets/screenshots/window.png)');
  });

  it('gives the two set-up commands, and both scripts exist', () => {
    const text = read(README);
    expect(text).toContain('npm install && npm start');
    expect(text).toContain('npm ci && npm test');
    const scripts = (JSON.parse(read(path.join(ROOT, 'package.json'))) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBeTruthy();
    expect(scripts.test).toBeTruthy();
  });
});

describe('relative links in README, CONTRIBUTING and docs/', () => {
  it('every one points at a file (and heading) that exists', () => {
    const files = pages();
    expect(files.length).toBeGreaterThan(10);
    const broken = brokenLinks(files, { root: ROOT, expectedLater: EXPECTED_LATER }).map(
      (b) => `${path.relative(ROOT, b.from)}:${b.line} (${b.target}): ${b.reason}`,
    );
    expect(broken).toEqual([]);
  });

  describe('the checker', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-docs-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const page = (name: string, text: string) => {
      const p = path.join(dir, name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      return p;
    };

    it('finds a missing file, a missing heading and a missing image, and lets expected-later files pass', () => {
      page('docs/there.md', '# There\n\n## Some `code` here (really)\n');
      const from = page(
        'README.md',
        [
          '[ok](docs/there.md) [ok anchor](docs/there.md#some-code-here-really) [web](https://example.com)',
          '[gone](docs/gone.md) [bad anchor](docs/there.md#nowhere) ![img](assets/none.png)',
          '[later](docs/later.md) [self](#readme-title)',
          '`[in code](docs/code.md)`',
          '```',
          '[in a block](docs/block.md)',
          '```',
        ].join('\n'),
      );
      const broken = brokenLinks([from], { root: dir, expectedLater: ['docs/later.md'] });
      expect(broken.map((b) => `${b.line} ${b.target}`)).toEqual([
        '2 docs/gone.md',
        '2 docs/there.md#nowhere',
        '2 assets/none.png',
        '3 #readme-title',
      ]);
      // Once the expected file exists, its anchors are checked like any other page's.
      page('docs/later.md', '# Later\n');
      expect(
        brokenLinks([page('b.md', '[x](docs/later.md#later) [y](docs/later.md#nope)')], {
          root: dir,
          expectedLater: ['docs/later.md'],
        }).map((b) => b.target),
      ).toEqual(['docs/later.md#nope']);
    });

    it('makes anchors the way GitHub does', () => {
      expect([...headingAnchors('# `plaud-sync push`\n## Set-up (from source)\n## Notes\n## Notes\n')]).toEqual([
        'plaud-sync-push',
        'set-up-from-source',
        'notes',
        'notes-1',
      ]);
      expect(relativeLinks('x.md', 'a [b](c.md "title") <d>').map((l) => l.target)).toEqual(['c.md']);
      expect(relativeLinks('x.md', 'one\nsee [the\ntable](t.md#x)').map((l) => `${l.line} ${l.target}`)).toEqual([
        '3 t.md#x',
      ]);
    });
  });
});

describe('docs/cli.md documents the whole CLI', () => {
  it('every command `plaud-sync --help` lists, with every flag, is in docs/cli.md', async () => {
    const commands = await cliCommands();
    expect(commands.map((c) => c.name)).toContain('watch');
    expect(undocumented(read(CLI_DOC), commands)).toEqual([]);
  });

  it('the check notices a missing command and a missing flag', () => {
    const doc = '# CLI\n\n## `plaud-sync status`\n\n`--state-dir DIR`\n\n## `plaud-sync retry`\n\n--all-failed\n';
    const commands = [
      { name: 'status', flags: ['--state-dir', '--json'] },
      { name: 'retry', flags: ['--all-failed', '--all'] },
      { name: 'watch', flags: [] },
    ];
    expect(undocumented(doc, commands)).toEqual([
      'plaud-sync status --json',
      'plaud-sync retry --all',
      'plaud-sync watch',
    ]);
  });
});
