// Verifies an AWS SigV4 query-string (presigned) signature the way S3 does. s3rver skips SigV4 verification, so
// without this a client that mangles a presigned URL (re-encodes it, drops a parameter, talks to another host) would
// pass here and fail against the real S3.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SigV4Result = { ok: true } | { ok: false; status: 400 | 403; code: string; message: string };

export interface SigV4Request {
  method: string;
  /** The raw request target, path and query, as received (req.url). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** 20240102T030405Z -> epoch ms, or NaN. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function verifyPresigned(
  req: SigV4Request,
  credentials: { accessKeyId: string; secretAccessKey: string },
  now = Date.now(),
): SigV4Result {
  const qIndex = req.url.indexOf('?');
  const rawPath = qIndex < 0 ? req.url : req.url.slice(0, qIndex);
  const rawQuery = qIndex < 0 ? '' : req.url.slice(qIndex + 1);
  const pairs = rawQuery
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [safeDecode(p), ''] : [safeDecode(p.slice(0, eq)), safeDecode(p.slice(eq + 1))];
    }) as [string, string][];
  const q = new Map(pairs);
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ];
  const missing = required.filter((k) => !q.has(k));
  if (missing.length) {
    return {
      ok: false,
      status: 403,
      code: 'AccessDenied',
      message: `Missing presigned URL parameters: ${missing.join(', ')}`,
    };
  }
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    return {
      ok: false,
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    };
  }
  const amzDate = q.get('X-Amz-Date')!;
  const signedAt = parseAmzDate(amzDate);
  const expires = Number(q.get('X-Amz-Expires'));
  if (Number.isNaN(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604800) {
    return {
      ok: false,
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'Invalid X-Amz-Date or X-Amz-Expires',
    };
  }
  const [accessKeyId, date, region, service, terminator] = q.get('X-Amz-Credential')!.split('/');
  if (accessKeyId !== credentials.accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return {
      ok: false,
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  }

  const signedHeaders = q.get('X-Amz-SignedHeaders')!.split(';');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const v = req.headers[name];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalQuery = pairs
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalPath = rawPath
    .split('/')
    .map((seg) => rfc3986(safeDecode(seg)))
    .join('/');
  const payloadHash = q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [
    req.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const kDate = hmac('AWS4' + credentials.secretAccessKey, date);
  const kSigning = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
  const expected = Buffer.from(hmac(kSigning, stringToSign).toString('hex'));
  const provided = Buffer.from(q.get('X-Amz-Signature')!);
  if (expected.length !== provided.length || !timingSafeEqual(expected, provided)) {
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  // S3 checks the signature first, then the expiry.
  if (now > signedAt + expires * 1000) {
    return { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
  }
  return { ok: true };
}

export function s3ErrorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const fields = Object.entries({ Code: code, Message: message, ...extra })
    .map(([k, v]) => `<${k}>${esc(v)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`;
}
