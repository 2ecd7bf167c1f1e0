// What the docs tests need from Markdown: the relative links a page makes and the anchors a page offers.
// Written for this repo's pages (GitHub-flavoured headings and links), not as a general Markdown parser:
// links inside code (fenced blocks and inline spans) are examples, not links, so they are left out.
import fs from 'node:fs';
import path from 'node:path';

export interface Link {
  /** The page that makes the link (absolute path). */
  from: string;
  /** 1-based line in that page. */
  line: number;
  /** The link target as written, e.g. `docs/cli.md#plaud-sync-push`. */
  target: string;
}

/** Lines of a page with fenced code blocks blanked and inline code spans removed (line numbers kept). */
export function proseLines(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split('\n').map((line) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === null) fence = m[1]!;
      else if (m[1]!.startsWith(fence)) fence = null;
      return '';
    }
    if (fence !== null) return '';
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** Every link and image target on the page that is not an absolute URL (link text may wrap over lines). */
export function relativeLinks(file: string, markdown: string): Link[] {
  const links: Link[] = [];
  const prose = proseLines(markdown).join('\n');
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
    const line = prose.slice(0, m.index + m[0].indexOf('](')).split('\n').length;
    links.push({ from: file, line, target });
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2... */
export function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]!;
      else if (f[1]!.startsWith(fence)) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

export interface BrokenLink extends Link {
  reason: string;
}

/**
 * Links that point at nothing: a file that does not exist (unless it is one of `expectedLater`, files other
 * work will add), or an anchor that the target page does not have.
 */
export function brokenLinks(files: string[], opts: { root: string; expectedLater?: string[] }): BrokenLink[] {
  const later = new Set((opts.expectedLater ?? []).map((p) => path.resolve(opts.root, p)));
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const link of relativeLinks(file, text)) {
      const [rawPath, anchor] = link.target.split('#', 2) as [string, string | undefined];
      const target = rawPath === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(rawPath));
      if (!fs.existsSync(target)) {
        if (!later.has(target)) broken.push({ ...link, reason: `${path.relative(opts.root, target)} does not exist` });
        continue;
      }
      if (anchor && target.endsWith('.md') && !headingAnchors(fs.readFileSync(target, 'utf8')).has(anchor)) {
        broken.push({ ...link, reason: `${path.relative(opts.root, target)} has no heading #${anchor}` });
      }
    }
  }
  return broken;
}

/** The Markdown pages under `dir`, recursively. */
export function markdownFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(p);
    return e.name.endsWith('.md') ? [p] : [];
  });
}

/**
 * The section of a page under a heading, up to the next heading of the same or a higher level; null when
 * the page has no such heading. `heading` is matched against the heading text as written (with backticks).
 */
export function section(markdown: string, heading: string): string | null {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => {
    const h = /^(#{1,6})\s+(.*?)\s*$/.exec(l);
    return h !== null && h[2] === heading;
  });
  if (start < 0) return null;
  const level = /^(#+)/.exec(lines[start]!)![1]!.length;
  const end = lines.findIndex((l, i) => i > start && /^(#+)\s/.test(l) && /^(#+)/.exec(l)![1]!.length <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}
