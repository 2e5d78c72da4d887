/**
 * `npm run fuzz`: the fuzz campaign. Short (CI, about a minute) by default;
 * `npm run fuzz -- --long` runs for an hour (`--minutes N` to change). Runs
 * every target of fuzz/targets.ts round robin in one worker thread (one
 * core), each input under the time and memory bounds of fuzz/engine.ts; a
 * watchdog names the input of a hang (no progress for HANG_MS) or an
 * out-of-memory kill of the worker. Every failure is written to
 * test/fuzz-regressions/ (replayed by `npm test`) and fails the run.
 *
 * Options: --seed N (campaign seed, default 1), --targets a,b, --minutes N,
 * --inputs N (cap per target), --report FILE (JSON figures).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HANG_MS, makeInput, memoryBoundBytes, timeBoundMs } from './engine.js';
import { TARGETS } from './targets.js';
import type { TargetStats, WorkerJob, WorkerMessage } from './worker.js';

export const CORPUS = join(import.meta.dirname, '..', 'test', 'fuzz-regressions');

interface Args {
  long: boolean;
  seed: number;
  targets: string[];
  minutes: number;
  inputs: number;
  report: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { long: false, seed: 1, targets: TARGETS.map((t) => t.name), minutes: 0, inputs: Infinity, report: null };
  for (let i = 0; i < argv.length; i++) {
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`fuzz: ${argv[i - 1]} needs a value`);
      return x;
    };
    switch (argv[i]) {
      case '--long': a.long = true; break;
      case '--seed': a.seed = Number(v()); break;
      case '--targets': a.targets = v().split(','); break;
      case '--minutes': a.minutes = Number(v()); break;
      case '--inputs': a.inputs = Number(v()); break;
      case '--report': a.report = v(); break;
      default: throw new Error(`fuzz: unknown option ${argv[i]}`);
    }
  }
  for (const t of a.targets) if (!TARGETS.some((x) => x.name === t)) throw new Error(`fuzz: unknown target ${t} (${TARGETS.map((x) => x.name).join(', ')})`);
  if (!a.minutes) a.minutes = a.long ? 60 : 0.85;
  return a;
}

interface Failure {
  target: string;
  index: number;
  seed: string;
  ops: string[];
  kind: string;
  message: string;
  file: string;
}

/** Writes the input and what happened; the name is stable for the same bytes. */
function record(f: Omit<Failure, 'file'>, bytes: Uint8Array, campaign: number): Failure {
  mkdirSync(CORPUS, { recursive: true });
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const base = `${f.target}-${f.kind}-${hash}`;
  writeFileSync(join(CORPUS, `${base}.bin`), bytes);
  writeFileSync(join(CORPUS, `${base}.json`), JSON.stringify({ ...f, campaign, size: bytes.length }, null, 2) + '\n');
  return { ...f, file: `test/fuzz-regressions/${base}.bin` };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const deadline = started + args.minutes * 60_000;
  const stats = new Map<string, TargetStats>(args.targets.map((t) => [t, { inputs: 0, typed: 0, totalMs: 0, maxMs: 0, maxGrowth: 0, bytes: 0 }]));
  const next: Record<string, number> = Object.fromEntries(args.targets.map((t) => [t, 0]));
  const failures: Failure[] = [];
  const progress = new SharedArrayBuffer(12);
  const view = new Int32Array(progress);
  console.log(`fuzz: campaign seed ${args.seed}, ${args.targets.length} targets, ${args.minutes} min, bounds: ${timeBoundMs(0)} ms CPU + 1 s/MiB, peak RSS +${memoryBoundBytes(0) >> 20} MiB + 16 x input, hang at ${HANG_MS / 1000} s`);

  while (Date.now() < deadline) {
    const job: WorkerJob = { campaign: args.seed, targets: args.targets, next: { ...next }, deadline, maxPerTarget: args.inputs, sliceMs: args.long ? 5000 : 1500, progress };
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    let lastBeat = -1;
    let lastChange = Date.now();
    const outcome = await new Promise<'done' | 'hang' | 'oom' | 'broken'>((resolve) => {
      const timer = setInterval(() => {
        const beat = Atomics.load(view, 2);
        if (beat !== lastBeat) {
          lastBeat = beat;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > HANG_MS) {
          clearInterval(timer);
          void worker.terminate().then(() => resolve('hang'));
        }
      }, 1000);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'stats') {
          const s = stats.get(m.target)!;
          s.inputs += m.stats.inputs;
          s.typed += m.stats.typed;
          s.totalMs += m.stats.totalMs;
          s.maxMs = Math.max(s.maxMs, m.stats.maxMs);
          s.maxGrowth = Math.max(s.maxGrowth, m.stats.maxGrowth);
          s.bytes += m.stats.bytes;
          next[m.target] = m.next;
        } else if (m.type === 'failure') {
          const f = record({ target: m.target, index: m.index, seed: m.seed, ops: m.ops, kind: m.kind, message: m.message }, m.bytes, args.seed);
          failures.push(f);
          console.log(`fuzz: FAIL ${f.kind} ${f.target} #${f.index} (seed ${f.seed}, ${f.ops.join('+')}): ${f.message.split('\n')[0]} -> ${f.file}`);
        } else {
          clearInterval(timer);
          resolve('done');
        }
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        const oom = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
        if (!oom) console.error(`fuzz: the worker failed outside any target: ${e.stack ?? e.message}`);
        resolve(oom ? 'oom' : 'broken');
      });
    });
    if (outcome === 'done') break;
    if (outcome === 'broken') return 2;
    // Name the input that hung or ran the worker out of memory, then go on after it.
    const target = TARGETS[Atomics.load(view, 0)];
    const index = Atomics.load(view, 1);
    const input = makeInput(args.seed, TARGETS.indexOf(target), target, index);
    const f = record({ target: target.name, index, seed: input.seed.name, ops: input.ops, kind: outcome, message: outcome === 'hang' ? `no progress for ${HANG_MS / 1000} s` : 'worker out of memory' }, input.bytes, args.seed);
    failures.push(f);
    console.log(`fuzz: FAIL ${outcome} ${target.name} #${index} -> ${f.file}`);
    next[target.name] = index + 1;
    const s = stats.get(target.name)!;
    s.inputs++;
  }

  const wall = (Date.now() - started) / 1000;
  let total = 0;
  const rows = args.targets.map((t) => {
    const s = stats.get(t)!;
    total += s.inputs;
    return { target: t, inputs: s.inputs, typedErrors: s.typed, meanMs: s.inputs ? s.totalMs / s.inputs : 0, maxMs: s.maxMs, maxPeakGrowthMiB: s.maxGrowth / (1 << 20), failures: failures.filter((f) => f.target === t).length };
  });
  console.log('target                  inputs   typed-err  mean-cpu-ms  max-cpu-ms  max-peak-MiB  failures');
  for (const r of rows) {
    console.log(`${r.target.padEnd(22)} ${String(r.inputs).padStart(8)} ${String(r.typedErrors).padStart(10)} ${r.meanMs.toFixed(2).padStart(12)} ${r.maxMs.toFixed(0).padStart(11)} ${r.maxPeakGrowthMiB.toFixed(1).padStart(13)} ${String(r.failures).padStart(9)}`);
  }
  console.log(`fuzz: ${total} inputs in ${wall.toFixed(0)} s, ${failures.length} failures`);
  if (args.report) writeFileSync(args.report, JSON.stringify({ seed: args.seed, minutes: args.minutes, wallSeconds: wall, total, targets: rows, failures }, null, 2) + '\n');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
