// Option helpers and output shared by CLI commands: repeatable options, the mount-root option, and a printer that
// writes one JSON object per line (--json) or plain sentences with a live progress line on a terminal.
import path from 'node:path';
import type { Command } from 'commander';
import { defaultMountRoots } from '../sync/paths.js';

/** Commander reducer for an option that may be given several times. */
export const collectRepeatable = (v: string, prev: string[] = []): string[] => [...prev, v];

export function addMountRootOption(cmd: Command): Command {
  return cmd.option('--mount-root <dir>', 'a folder under which recorder volumes appear (repeatable; default: the OS mount folders)', collectRepeatable);
}

export function mountRootsFrom(flags: { mountRoot?: string[] }): string[] {
  return flags.mountRoot?.length ? flags.mountRoot.map((r) => path.resolve(r)) : defaultMountRoots();
}

export interface LinePrinter {
  /** One event: the object with --json, the text otherwise (text undefined: JSON only). */
  event(obj: object, text?: string): void;
  /** A progress line: replaced in place on a terminal, printed at most every few seconds otherwise; never in JSON. */
  progress(text: string): void;
  /** A failure: JSON line {type:'error', message} with --json; the message on stderr always. */
  error(message: string, extra?: object): void;
  close(): void;
}

export function linePrinter(opts: { json: boolean; out?: NodeJS.WritableStream & { isTTY?: boolean }; err?: NodeJS.WritableStream }): LinePrinter {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const tty = !!out.isTTY;
  let live = false;
  let lastProgressAt = 0;
  const clearLive = () => {
    if (live) {
      out.write('\r\x1b[K');
      live = false;
    }
  };
  return {
    event(obj, text) {
      if (opts.json) out.write(JSON.stringify(obj) + '\n');
      else if (text !== undefined) {
        clearLive();
        out.write(text + '\n');
      }
    },
    progress(text) {
      if (opts.json) return;
      if (tty) {
        out.write('\r\x1b[K' + text);
        live = true;
        return;
      }
      const now = Date.now();
      if (now - lastProgressAt >= 5000) {
        lastProgressAt = now;
        out.write(text + '\n');
      }
    },
    error(message, extra) {
      clearLive();
      if (opts.json) out.write(JSON.stringify({ type: 'error', message, ...(extra ?? {}) }) + '\n');
      err.write(`plaud-sync: ${message}\n`);
    },
    close() {
      clearLive();
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
