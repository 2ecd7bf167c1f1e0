// Helpers for driving the window in Chromium: accessibility checks with axe-core and screenshots.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS_DIR_ENV } from '../../../scripts/screenshots.list.js';
import { REPO_ROOT } from './server.js';

const require = createRequire(import.meta.url);
const axeSource = (require('axe-core') as { source: string }).source;

export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'renderer');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core (WCAG 2.x A/AA and best practices) on the page; returns the violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) is not in the way.
  // Page-side code is a string: this file is type-checked without DOM typings.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource);
  return (await page.evaluate(`(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  })()`)) as AxeViolation[];
}

/** Where screenshots go: the folder `npm run screenshots` names, else test-artifacts/renderer/. */
export const screenshotsDir = (): string => process.env[SCREENSHOTS_DIR_ENV] || ARTIFACTS;

/** The viewport only, never the full page: the committed shots stay small and the same size. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = screenshotsDir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
