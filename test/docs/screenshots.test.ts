// The pictures in the README and docs/ (issue 12 §6): every image a page shows exists and says what it shows, and
// the shots `npm run screenshots` makes (scripts/screenshots.list.ts) are each taken by the real-engine e2e, shown
// on some page with the list's words as alt text, and the only files in assets/screenshots/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS_ASSETS, SHOTS, type Shot } from '../../scripts/screenshots.list.js';
import { E2E_FILE, missingShots } from '../../scripts/screenshots.js';
import { markdownFiles, proseLines } from './markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Image {
  /** The page that shows it (absolute path). */
  from: string;
  line: number;
  alt: string;
  target: string;
}

/** The images a page shows with a relative path (`![alt](path)`), outside code. */
export function images(file: string, markdown: string): Image[] {
  const out: Image[] = [];
  proseLines(markdown).forEach((text, i) => {
    for (const m of text.matchAll(/!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(m[2]!)) continue;
      out.push({ from: file, line: i + 1, alt: m[1]!.trim(), target: m[2]! });
    }
  });
  return out;
}

/** Everything wrong with the pictures, in words; empty when all is well. */
export function screenshotProblems(o: {
  root: string;
  pages: string[];
  shots: readonly Shot[];
  /** The source of the e2e that takes the shots. */
  e2eSource: string;
}): string[] {
  const problems: string[] = [];
  const where = (img: Image) => `${path.relative(o.root, img.from)}:${img.line}`;
  const shown = o.pages.flatMap((p) => images(p, fs.readFileSync(p, 'utf8')));
  const fileOf = (img: Image) => path.resolve(path.dirname(img.from), decodeURIComponent(img.target.split('#')[0]!));
  for (const img of shown) {
    if (!fs.existsSync(fileOf(img))) problems.push(`${where(img)} shows ${img.target}, which does not exist`);
    if (img.alt.split(/\s+/).filter(Boolean).length < 3) {
      problems.push(`${where(img)} shows ${img.target} without alt text that says what it shows`);
    }
  }
  const assets = path.join(o.root, SCREENSHOTS_ASSETS);
  for (const s of o.shots) {
    const file = path.join(assets, `${s.name}.png`);
    const refs = shown.filter((img) => fileOf(img) === file);
    if (refs.length === 0) problems.push(`${SCREENSHOTS_ASSETS}/${s.name}.png is shown on no page`);
    for (const r of refs) {
      if (r.alt !== s.shows) problems.push(`${where(r)}: the alt text of ${s.name}.png is not "${s.shows}"`);
    }
    if (!o.e2eSource.includes(`'${s.from}'`)) problems.push(`the e2e takes no screenshot named '${s.from}'`);
  }
  const listed = new Set(o.shots.map((s) => `${s.name}.png`));
  for (const f of fs.existsSync(assets) ? fs.readdirSync(assets) : []) {
    if (!listed.has(f)) problems.push(`${SCREENSHOTS_ASSETS}/${f} is not in the list of shots`);
  }
  return problems;
}

describe('screenshots in the README and docs/', () => {
  it('every image exists and has alt text; every listed shot is taken by the e2e, shown, and nothing else is kept', () => {
    const pages = [path.join(ROOT, 'README.md'), ...markdownFiles(path.join(ROOT, 'docs'))];
    const problems = screenshotProblems({
      root: ROOT,
      pages,
      shots: SHOTS,
      e2eSource: fs.readFileSync(path.join(ROOT, E2E_FILE), 'utf8'),
    });
    expect(problems).toEqual([]);
    // The list is the issue's: the README's picture and the four views it names.
    expect(SHOTS.map((s) => s.name).sort()).toEqual(
      ['activity-retry', 'devices-copying', 'history', 'problem-details', 'window'].sort(),
    );
    expect(new Set(SHOTS.map((s) => s.from)).size).toBe(SHOTS.length);
  });

  it('the shots are small viewport pictures, not full pages', () => {
    for (const s of SHOTS) {
      const png = fs.readFileSync(path.join(ROOT, SCREENSHOTS_ASSETS, `${s.name}.png`));
      // PNG header: width and height as big-endian words at bytes 16 and 20.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)], s.name).toEqual([1280, 800]);
      expect(png.length, s.name).toBeLessThan(300_000);
    }
  });

  describe('the checker', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-shots-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string | Buffer = '') => {
      const p = path.join(dir, name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      return p;
    };

    it('finds a missing image, a missing alt, an unshown shot, a wrong alt, an untaken shot and a stale file', () => {
      const shots: Shot[] = [
        { name: 'a', from: 'real-a', shows: 'The A view with things in it' },
        { name: 'b', from: 'real-b', shows: 'The B view with things in it' },
        { name: 'c', from: 'real-c', shows: 'The C view with things in it' },
      ];
      write(`${SCREENSHOTS_ASSETS}/a.png`);
      write(`${SCREENSHOTS_ASSETS}/b.png`);
      write(`${SCREENSHOTS_ASSETS}/old.png`);
      const readme = write(
        'README.md',
        [
          '![The A view with things in it](assets/screenshots/a.png)',
          '![](assets/screenshots/b.png)',
          '`![in code](assets/none.png)`',
        ].join('\n'),
      );
      const doc = write('docs/page.md', 'Text.\n\n![Some other words](../assets/screenshots/gone.png)\n');
      const problems = screenshotProblems({
        root: dir,
        pages: [readme, doc],
        shots,
        e2eSource: "await screenshot(page, 'real-a');\nawait screenshot(page, 'real-b');",
      });
      expect(problems).toEqual([
        'README.md:2 shows assets/screenshots/b.png without alt text that says what it shows',
        'docs/page.md:3 shows ../assets/screenshots/gone.png, which does not exist',
        'README.md:2: the alt text of b.png is not "The B view with things in it"',
        'assets/screenshots/c.png is shown on no page',
        "the e2e takes no screenshot named 'real-c'",
        'assets/screenshots/old.png is not in the list of shots',
      ]);
    });

    it('names the shots a run did not write (npm run screenshots then replaces none)', () => {
      const out = path.join(dir, 'run');
      write('run/real-a.png');
      const shots: Shot[] = [
        { name: 'a', from: 'real-a', shows: 'A' },
        { name: 'b', from: 'real-b', shows: 'B' },
      ];
      expect(missingShots(out, shots)).toEqual(['real-b.png (for assets/screenshots/b.png: B)']);
    });
  });
});
