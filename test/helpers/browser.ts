/**
 * What the browser tier's files share: Debian's chromium (CHROMIUM_PATH,
 * default /usr/bin/chromium) through playwright-core, and the page built
 * with Vite into a directory of the test's own.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './fixtures.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Screenshots land here. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Fails (the tier never passes by skipping) when chromium is missing. */
export function assertChromium(): void {
  assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
}

/** The viewer page built into `outDir` (what `pstore view` serves from dist/viewer). */
export async function buildViewer(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true, sourcemap: false } });
}

/** Headless chromium; ARTIFACTS exists afterwards. */
export async function launchChromium(): Promise<Browser> {
  assertChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
