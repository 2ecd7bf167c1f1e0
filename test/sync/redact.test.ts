// The one redactor: every registered secret in every form it may be printed in, and secret-shaped things by pattern.
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, redact, redactString, registerSecret } from '../../main/sync/log.js';

afterEach(() => clearSecrets());

describe('redactString', () => {
  it('removes a registered secret as is, URL-encoded and JSON-escaped, longest first', () => {
    const secret = 'p4ss/w0rd+"quoted"\\tail';
    registerSecret(secret);
    registerSecret(secret.slice(0, 12)); // a secret inside another must not leave the rest behind
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify({ s: secret })}`;
    const out = redactString(text);
    expect(out).toBe('a [redacted] b [redacted] c {"s":"[redacted]"}');
  });

  it('removes pieces of a secret a server echoes (its first characters, upper-cased, base64) and what follows of it', () => {
    const token = 'SECRETtok_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8';
    registerSecret(token);
    const echoed = `Invalid token ${token.slice(0, 12)}... / ${token.slice(5, 20).toUpperCase()} / ${Buffer.from(token).toString('base64')}`;
    const out = redactString(echoed);
    for (let i = 0; i + 8 <= token.length; i++)
      expect(out.toLowerCase()).not.toContain(token.slice(i, i + 8).toLowerCase());
    expect(out).toMatch(/^Invalid token \[redacted\]\.\.\. \/ \[redacted\] \/ \[redacted\]$/);
    // Ordinary text around it survives.
    expect(redactString('a recorder was plugged in')).toBe('a recorder was plugged in');
  });

  it('removes a presigned signature a storage server echoes as its error code, once the link was handed out', () => {
    registerSecret('SIGabcdef0123456789abcdef');
    expect(redactString('<Error><Code>SIGabcdef0123456789abcdef</Code></Error>')).toBe(
      '<Error><Code>[redacted]</Code></Error>',
    );
  });

  it('ignores values too short to be secrets, so ordinary words survive', () => {
    registerSecret('abc');
    registerSecret('       ');
    expect(redactString('abc def')).toBe('abc def');
  });

  it('removes bearer/basic credentials, signed query strings and bare signature parameters without registration', () => {
    expect(redactString('Authorization: Bearer abc.def-123')).toBe('Authorization: Bearer [redacted]');
    expect(redactString('see https://s3.example/b/k?partNumber=1&X-Amz-Signature=deadbeef done')).toBe(
      'see https://s3.example/b/k?[signed] done',
    );
    expect(redactString('X-Amz-Credential=AKIA123/2026/us/s3/aws4_request&X-Amz-Signature=deadbeef')).toBe(
      'X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]',
    );
  });

  it('redact() applies it inside objects and errors', () => {
    registerSecret('s3cr3t-value-123');
    expect(redact({ msg: 'got s3cr3t-value-123', nested: [new Error('bad s3cr3t-value-123')] })).toEqual({
      msg: 'got [redacted]',
      nested: [{ name: 'Error', message: 'bad [redacted]', code: undefined }],
    });
  });
});
