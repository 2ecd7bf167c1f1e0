// build/installer.nsh compiles with NSIS (Debian's makensis) inside a minimal installer. electron-builder
// uses its own NSIS bundle (downloaded at build time, not available offline) and defines `isUpdated`;
// here a stand-in with the same meaning (the uninstaller ran with --updated) takes its place.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, loadConfig } from './builder.js';

const makensis = spawnSync('makensis', ['-VERSION']).status === 0;
if (!makensis) console.log('nsis.test: makensis not installed (apt-get install nsis): skipping the NSIS compile check');

describe.skipIf(!makensis)('NSIS include', () => {
  it('compiles into an uninstaller without warnings', async () => {
    const c = await loadConfig();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsis-'));
    try {
      const script = [
        'Unicode true',
        '!include LogicLib.nsh',
        '!include FileFunc.nsh',
        '!macro _isUpdated _a _b _t _f',
        '  ${GetParameters} $R9',
        '  ClearErrors',
        '  ${GetOptions} $R9 "--updated" $R8',
        '  IfErrors `${_f}` `${_t}`',
        '!macroend',
        '!define isUpdated `"" isUpdated ""`',
        `!include "${path.join(ROOT, c.nsis!.include!)}"`,
        `OutFile "${path.join(dir, 'plaud-sync-test.exe')}"`,
        'RequestExecutionLevel user',
        'Section',
        '  WriteUninstaller "$INSTDIR\\uninstall.exe"',
        'SectionEnd',
        'Section "Uninstall"',
        '  !insertmacro customUnInstall',
        'SectionEnd',
      ].join('\n');
      fs.writeFileSync(path.join(dir, 'test.nsi'), script);
      // -WX: warnings are errors.
      execFileSync('makensis', ['-V2', '-WX', path.join(dir, 'test.nsi')], { stdio: 'pipe' });
      expect(fs.statSync(path.join(dir, 'plaud-sync-test.exe')).size).toBeGreaterThan(10_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
