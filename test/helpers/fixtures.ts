import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The kernel fixtures carried by the repository (PSTORE_FIXTURES may point elsewhere). */
export const FIXTURES = process.env.PSTORE_FIXTURES ?? resolve(ROOT, 'test', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(...parts)));
}

export function readFixtureJson<T = Record<string, unknown>>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixturePath(...parts), 'utf8')) as T;
}

/** Scenario directories (those with an image.bin) under a fixture set such as `kernel-6.1`. */
export function scenarios(set: string): string[] {
  const dir = fixturePath(set);
  if (!existsSync(dir)) throw new Error(`fixtures missing: ${dir}`);
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'image.bin')))
    .sort();
}
