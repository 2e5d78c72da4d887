/**
 * `cli-start`: wall time of a whole `pstore ls` on the shipped sample (a
 * 1 MiB region, ECC 16, one deflate record) through the built bin
 * (dist/bin/pstore.js), against `node -e 0` — the floor any Node command
 * pays — run alternately in the same loop; medians of both. Goal: ≤ 1.5×.
 * `cli-start-noflags`: the same without layout flags, so the layout is
 * inferred first (what a user who does not know the parameters runs).
 * Both after one warm-up run, which also writes the command's code cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'dist', 'bin', 'pstore.js');
const RUNS = Number(process.env.PSTORE_BENCH_RUNS ?? 15);

/** Milliseconds of one run of node with `args`, which must succeed. */
function wallMs(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function startCase(name: string, args: string[]): BenchCase {
  return {
    name,
    run() {
      if (!existsSync(BIN)) throw new Error(`${BIN} missing: npm run build first`);
      const ls = [BIN, ...args];
      const base = ['-e', '0'];
      wallMs(base);
      wallMs(ls);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        a.push(wallMs(ls));
        b.push(wallMs(base));
      }
      return { name, unit: 'ms', value: median(a), baseline: { name: 'node -e 0', value: median(b) } };
    },
  };
}

const cases: BenchCase[] = [
  startCase('cli-start', ['ls', 'sample/panic-ecc16.bin', '--params', 'sample/panic-ecc16.params.json']),
  startCase('cli-start-noflags', ['ls', 'sample/panic-ecc16.bin']),
];

export default cases;
