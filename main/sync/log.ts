// Structured logging for the engine. Nothing that crosses this interface may hold a secret:
// redact() masks known secret-bearing keys and bearer tokens before anything is written.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const SECRET_KEY = /(token|secret|password|authorization|api[_-]?key|credential)/i;
const BEARER = /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
// Presigned URLs carry a signature; keep host and path, drop the query.
const SIGNED_QUERY = /(https?:\/\/[^\s?"']+)\?[^\s"']*X-Amz-[^\s"']*/g;

export function redactString(s: string): string {
  return s.replace(BEARER, '$1 [redacted]').replace(SIGNED_QUERY, '$1?[signed]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) return { name: value.name, message: redactString(value.message), code: (value as NodeJS.ErrnoException).code };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that writes one JSON object per line through `write` (stderr by default). */
export function jsonLineLogger(write: (line: string) => void = (l) => process.stderr.write(l + '\n'), minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    write(JSON.stringify({ t: new Date().toISOString(), level, msg: redactString(msg), ...(fields ? (redact(fields) as LogFields) : {}) }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
