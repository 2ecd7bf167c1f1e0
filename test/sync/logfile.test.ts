import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileLogger, logFileName } from '../../main/sync/logfile.js';

describe('daily file logger', () => {
  it('writes JSON lines per day, never a secret, rotates at the cap and prunes old days', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-log-'));
    let now = new Date('2026-01-01T10:00:00Z');
    fs.writeFileSync(path.join(dir, 'plaud-sync-2025-11-01.log'), 'old\n');
    const log = createFileLogger(dir, { maxBytes: 400, keepDays: 14, now: () => now });
    log.info('uploading with Bearer abc.def', {
      token: 'sekrit',
      clientSecret: 's2',
      file: 'a.opus',
      url: 'https://s3/x?X-Amz-Signature=zz',
    });
    const file = path.join(dir, logFileName(now));
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toMatch(/sekrit|s2"|abc\.def|zz/);
    const entry = JSON.parse(text.trim());
    expect(entry).toMatchObject({ level: 'info', file: 'a.opus', token: '[redacted]' });
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, 'plaud-sync-2025-11-01.log'))).toBe(false);
    for (let i = 0; i < 10; i++) log.warn('filler line number ' + i);
    expect(fs.existsSync(file + '.1')).toBe(true);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(400);
    log.debug('below the level');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('below the level');
    now = new Date('2026-01-02T00:00:01Z');
    log.error('next day');
    expect(fs.readFileSync(path.join(dir, logFileName(now)), 'utf8')).toContain('next day');
  });
});

describe('log folder', () => {
  if (process.platform === 'win32') console.warn('log file mode test skipped: Windows has no POSIX file modes');
  it.skipIf(process.platform === 'win32')('is created private to the user', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'plaud-log-'));
    const dir = path.join(parent, 'logs');
    createFileLogger(dir).info('x');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });
});
