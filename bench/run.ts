import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase, BenchResult } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const filters = args.filter((a) => !a.startsWith('--'));

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3);
}

function print(r: BenchResult): void {
  if (json) {
    const line: Record<string, unknown> = { name: r.name, unit: r.unit, value: Number(fmt(r.value)) };
    if (r.baseline) {
      line.baseline = r.baseline.name;
      line.baseline_value = Number(fmt(r.baseline.value));
      line.ratio = Number((r.value / r.baseline.value).toFixed(2));
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  } else {
    const base = r.baseline ? `   (${(r.value / r.baseline.value).toFixed(2)}x ${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit})` : '';
    process.stdout.write(`${r.name.padEnd(28)} ${fmt(r.value).padStart(10)} ${r.unit}${base}\n`);
  }
}

const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: BenchCase[] };
  for (const c of mod.default) {
    if (filters.length && !filters.some((p) => c.name.includes(p))) continue;
    print(await c.run());
  }
}
