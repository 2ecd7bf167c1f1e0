// Structured logging for the engine. Nothing that crosses this interface may hold a secret:
// redact() masks known secret-bearing keys, bearer tokens, presigned signatures and every secret value registered
// with registerSecret() before anything is written.

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
// The same signature parts seen outside a whole URL (an echoed query, a header, an S3 error page).
const AMZ_PARAM = /(X-Amz-(?:Signature|Credential|Security-Token)\s*[=:]\s*)[^&\s"'<>,;]+/gi;

/** Secrets shorter than this are not redacted by value (they would blank out ordinary words); real ones are longer. */
export const MIN_SECRET_LENGTH = 8;
const MAX_LIVE_SECRETS = 256;
/** Every secret value this process knows, in the forms it may be printed in. Insertion-ordered for the cap. */
const live = new Map<string, true>();
let ordered: string[] = [];

/**
 * Tell the redactor about a secret this process holds (a token, a client secret, their base64 credentials, a token
 * from the exchange, a presigned signature). From then on every string that goes through redactString() has it,
 * and its URL- and JSON-escaped forms, replaced. Short values are ignored (see MIN_SECRET_LENGTH).
 */
export function registerSecret(value: string | undefined | null): void {
  const v = value?.trim();
  if (!v || v.length < MIN_SECRET_LENGTH) return;
  const b64 = Buffer.from(v).toString('base64');
  for (const form of new Set([v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1), b64])) {
    live.delete(form);
    live.set(form, true);
  }
  while (live.size > MAX_LIVE_SECRETS) live.delete(live.keys().next().value!);
  // Longest first, so a secret that contains another is replaced whole.
  ordered = [...live.keys()].sort((a, b) => b.length - a.length);
}

/**
 * A server that echoes part of a secret ("Invalid token SECRETtok_Aa...", an upper-cased copy): any run of
 * MIN_SECRET_LENGTH or more characters of a known secret, in any case, is cut out too. Done after the whole-secret
 * pass, on what is left.
 */
function redactPieces(s: string): string {
  if (ordered.length === 0 || s.length < MIN_SECRET_LENGTH) return s;
  let out = s;
  let lower = out.toLowerCase();
  for (const secret of ordered) {
    const sec = secret.toLowerCase();
    for (let i = 0; i + MIN_SECRET_LENGTH <= sec.length; i++) {
      let at = lower.indexOf(sec.slice(i, i + MIN_SECRET_LENGTH));
      while (at !== -1) {
        // Grow the match as far as the text keeps following the secret.
        let len = MIN_SECRET_LENGTH;
        while (i + len < sec.length && at + len < lower.length && lower[at + len] === sec[i + len]) len++;
        out = out.slice(0, at) + '[redacted]' + out.slice(at + len);
        lower = out.toLowerCase();
        at = lower.indexOf(sec.slice(i, i + MIN_SECRET_LENGTH), at + '[redacted]'.length);
      }
    }
  }
  return out;
}

/** Forget every registered secret (tests). */
export function clearSecrets(): void {
  live.clear();
  ordered = [];
}

/**
 * Remove every known secret and every secret-shaped thing from a string. Call it on the WHOLE text before cutting
 * it short: a cut secret is no longer recognisable.
 */
export function redactString(s: string): string {
  let out = s;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  out = redactPieces(out);
  return out.replace(BEARER, '$1 [redacted]').replace(SIGNED_QUERY, '$1?[signed]').replace(AMZ_PARAM, '$1[redacted]');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error)
    return { name: value.name, message: redactString(value.message), code: (value as NodeJS.ErrnoException).code };
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
export function jsonLineLogger(
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  minLevel: LogLevel = 'info',
): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const at = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    write(
      JSON.stringify({
        t: new Date().toISOString(),
        level,
        msg: redactString(msg),
        ...(fields ? (redact(fields) as LogFields) : {}),
      }),
    );
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
