// The Linux udev rule must grant access to exactly the recorders the device-trait table knows.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { USB_MANUFACTURER, knownUsbIds } from '../../main/sync/devices/traits.js';
import { ROOT } from './builder.js';

interface UdevRule {
  line: number;
  match: Map<string, string>; // KEY== comparisons
  assign: { key: string; op: string; value: string }[];
}

/** A small parser for udev rule lines: comma-separated KEY{attr}<op>"value" pairs, # comments, \ continuations. */
export function parseUdevRules(text: string): UdevRule[] {
  const rules: UdevRule[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const rule: UdevRule = { line: i + 1, match: new Map(), assign: [] };
    const pair = /\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)/y;
    let pos = 0;
    while (pos < line.length) {
      pair.lastIndex = pos;
      const m = pair.exec(line);
      if (!m) throw new Error(`line ${i + 1}: cannot parse udev rule at column ${pos + 1}: ${line.slice(pos)}`);
      const [, key, op, value] = m as unknown as [string, string, string, string];
      if (op === '==' || op === '!=') rule.match.set(`${key}${op === '!=' ? '!' : ''}`, value);
      else rule.assign.push({ key, op, value });
      pos = pair.lastIndex;
    }
    rules.push(rule);
  });
  return rules;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

describe('build/linux/70-plaud-sync.rules', () => {
  const text = fs.readFileSync(path.join(ROOT, 'build/linux/70-plaud-sync.rules'), 'utf8');
  const rules = parseUdevRules(text);

  it('grants uaccess for exactly the USB ids of the device-trait table', () => {
    const granted = rules.filter((r) =>
      r.assign.some((a) => a.key === 'TAG' && a.op === '+=' && a.value === 'uaccess'),
    );
    expect(granted.length).toBeGreaterThan(0);
    const ids = new Set(granted.map((r) => `${r.match.get('ATTR{idVendor}')}:${r.match.get('ATTR{idProduct}')}`));
    const expected = new Set(knownUsbIds().map((u) => `${hex4(u.vendorId)}:${hex4(u.productId)}`));
    expect(ids).toEqual(expected);
  });

  it("matches only Plaud USB devices (the vendor id is Realtek's, shared with other devices)", () => {
    for (const r of rules) {
      expect(r.match.get('SUBSYSTEM')).toBe('usb');
      expect(r.match.get('ATTR{manufacturer}')).toBe(USB_MANUFACTURER);
      // No world-writable device nodes: access goes to the seat's user through the uaccess tag.
      expect(r.assign.find((a) => a.key === 'MODE')).toBeUndefined();
    }
  });

  it('is ordered before systemd applies uaccess tags (73-seat-late.rules)', () => {
    expect(Number(/^(\d+)-/.exec('70-plaud-sync.rules')![1])).toBeLessThan(73);
  });

  it('the parser rejects what udev would reject', () => {
    expect(() => parseUdevRules('SUBSYSTEM=="usb" ATTR{idVendor}=="0bda"')).toThrow(/cannot parse/);
    expect(() => parseUdevRules('SUBSYSTEM=="usb", TAG+=uaccess')).toThrow(/cannot parse/);
  });
});
