/**
 * Every input the fuzz campaign (`npm run fuzz`) ever flagged, replayed
 * through the same entry point under the same bounds: only documented typed
 * errors, within the CPU-time and peak-memory bounds of fuzz/engine.ts.
 * The inputs live in test/fuzz-regressions/ (NAME.bin, and NAME.json with
 * the target, the seed image it was made from, and what went wrong).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runInput } from '../fuzz/engine.js';
import { seedByName } from '../fuzz/seeds.js';
import { targetByName } from '../fuzz/targets.js';
import { ROOT } from './helpers/fixtures.js';

const DIR = join(ROOT, 'test', 'fuzz-regressions');

interface Found {
  target: string;
  seed: string;
  kind: string;
  message: string;
}

for (const name of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
  const found = JSON.parse(readFileSync(join(DIR, name), 'utf8')) as Found;
  test(`fuzz regression ${name.replace(/\.json$/, '')}: ${found.kind} (${found.message.split('\n')[0]})`, () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, name.replace(/\.json$/, '.bin'))));
    const v = runInput(targetByName(found.target), { seed: seedByName(found.seed), bytes, ops: [] });
    assert.ok(v.ok, v.ok ? '' : `${v.kind}: ${v.message}`);
  });
}
