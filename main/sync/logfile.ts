// A structured log per day in <stateDir>/logs, one JSON object per line, size-capped and pruned.
// It goes through redact() like every logger, so a log a user hands over never holds a secret.
import fs from 'node:fs';
import path from 'node:path';
import { redact, redactString, type LogFields, type Logger, type LogLevel } from './log.js';

export interface FileLoggerOptions {
  /** Bytes one day's file may reach; past it the file is rotated once to `.1` and restarted. */
  maxBytes?: number;
  /** Days of logs kept; older files are deleted when a new day starts. */
  keepDays?: number;
  minLevel?: LogLevel;
  /** Also forward every entry here (the CLI's --verbose stderr output). */
  tee?: Logger;
  now?: () => Date;
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FILE_RE = /^plaud-sync-(\d{4}-\d{2}-\d{2})\.log(\.1)?$/;

export function logFileName(d: Date): string {
  return `plaud-sync-${d.toISOString().slice(0, 10)}.log`;
}

export function createFileLogger(dir: string, opts: FileLoggerOptions = {}): Logger & { file(): string } {
  const maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
  const keepDays = opts.keepDays ?? 14;
  const minLevel = opts.minLevel ?? 'info';
  const now = opts.now ?? (() => new Date());
  // Logs say which recordings exist and when: the user's business only (a created folder 0700, files 0600).
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let currentDay = '';
  let size = 0;

  const prune = (today: Date) => {
    const cutoff = today.getTime() - keepDays * 86_400_000;
    for (const name of fs.readdirSync(dir)) {
      const m = FILE_RE.exec(name);
      if (m && Date.parse(m[1] + 'T00:00:00Z') < cutoff) fs.rmSync(path.join(dir, name), { force: true });
    }
  };

  const target = () => {
    const d = now();
    const day = d.toISOString().slice(0, 10);
    const file = path.join(dir, logFileName(d));
    if (day !== currentDay) {
      currentDay = day;
      size = fs.existsSync(file) ? fs.statSync(file).size : 0;
      try {
        prune(d);
      } catch {
        // Pruning is housekeeping; a failure must not stop logging.
      }
    }
    return file;
  };

  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    opts.tee?.[level](msg, fields);
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minLevel)) return;
    const line =
      JSON.stringify({
        t: now().toISOString(),
        level,
        msg: redactString(msg),
        ...(fields ? (redact(fields) as LogFields) : {}),
      }) + '\n';
    try {
      const file = target();
      if (size + line.length > maxBytes) {
        fs.renameSync(file, file + '.1');
        size = 0;
      }
      fs.appendFileSync(file, line, { mode: 0o600 });
      size += Buffer.byteLength(line);
    } catch {
      // A full or read-only disk must not crash the sync; the state model still reports problems.
    }
  };

  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    file: () => target(),
  };
}
