// Option helpers and output shared by CLI commands: repeatable options, the mount-root option, and a printer that
// writes one JSON object per line (--json) or plain sentences with a live progress line on a terminal.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { redactString } from '../sync/log.js';
import { defaultMountRoots } from '../sync/paths.js';

/** A mistake in how the command was called (exit 2), found after parsing, e.g. a required choice left out. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Commander reducer for an option that may be given several times. */
export const collectRepeatable = (v: string, prev: string[] = []): string[] => [...prev, v];

export function addMountRootOption(cmd: Command): Command {
  return cmd.option(
    '--mount-root <dir>',
    'a folder under which recorder volumes appear (repeatable; default: the OS mount folders)',
    collectRepeatable,
  );
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

export function linePrinter(opts: {
  json: boolean;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  err?: NodeJS.WritableStream;
}): LinePrinter {
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
      if (opts.json) out.write(redactString(JSON.stringify(obj)) + '\n');
      else if (text !== undefined) {
        clearLive();
        out.write(redactString(text) + '\n');
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
      if (opts.json) out.write(redactString(JSON.stringify({ type: 'error', message, ...(extra ?? {}) })) + '\n');
      err.write(redactString(`plaud-sync: ${message}`) + '\n');
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

/**
 * Read a secret from a file (a daemon's token, from systemd's $CREDENTIALS_DIRECTORY or a file only its user can
 * read). A file that group or others can read is refused with the chmod that fixes it: a secret in a readable file
 * is no secret. The value is trimmed (a trailing newline is what editors leave).
 */
export function readSecretFile(file: string, what: string): string {
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (err) {
    throw new UsageError(
      `The ${what} file ${abs} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  if (!st.isFile()) throw new UsageError(`The ${what} file ${abs} is not a regular file.`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
    throw new UsageError(
      `The ${what} file ${abs} can be read by other users (mode ${mode}), so it is refused. Make it private with: chmod 600 ${abs}`,
    );
  }
  let value: string;
  try {
    value = fs.readFileSync(abs, 'utf8').trim();
  } catch (err) {
    throw new UsageError(
      `The ${what} file ${abs} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  if (!value) throw new UsageError(`The ${what} file ${abs} is empty.`);
  return value;
}

/**
 * One secret from, in order: its flag, its file flag, its environment variable, its file variable. Giving both the
 * value and the file in the same place is a mistake worth saying.
 */
export function secretFrom(
  flag: string | undefined,
  fileFlag: string | undefined,
  env: NodeJS.ProcessEnv,
  names: { flag: string; fileFlag: string; env: string; envFile: string; what: string },
): string | undefined {
  if (flag !== undefined && fileFlag !== undefined)
    throw new UsageError(`Use either ${names.flag} or ${names.fileFlag}, not both.`);
  if (flag !== undefined) return flag;
  if (fileFlag !== undefined) return readSecretFile(fileFlag, names.what);
  if (env[names.env] && env[names.envFile])
    throw new UsageError(`Set either ${names.env} or ${names.envFile}, not both.`);
  if (env[names.env]) return env[names.env];
  if (env[names.envFile]) return readSecretFile(env[names.envFile]!, names.what);
  return undefined;
}

export const TOKEN_NAMES = {
  flag: '--token',
  fileFlag: '--token-file',
  env: 'PLAUD_API_TOKEN',
  envFile: 'PLAUD_API_TOKEN_FILE',
  what: 'API token',
};
export const CLIENT_SECRET_NAMES = {
  flag: '--client-secret',
  fileFlag: '--client-secret-file',
  env: 'PLAUD_CLIENT_SECRET',
  envFile: 'PLAUD_CLIENT_SECRET_FILE',
  what: 'client secret',
};
