/**
 * One fuzz input: how it is made from (campaign seed, target, index), and how
 * it is run under the bounds. Shared by the campaign's worker and by the
 * regression test that replays the corpus in `npm test`.
 */
import { PstoreError } from '../src/errors.js';
import { inputSeed, mutate, Rng, type Op } from './mutate.js';
import { allSeeds, type Seed } from './seeds.js';
import { FuzzInvariantError, type Target } from './targets.js';

const MiB = 1 << 20;

/**
 * Time bound per input: 1 s plus 1 s per MiB of input, in CPU time of the
 * process (process.cpuUsage: the target's thread and the GC threads working
 * for it), so that a loaded machine does not turn into false reports; inputs
 * take a few milliseconds. A violation is re-run once before it counts. A
 * wall-clock watchdog (HANG_MS) catches inputs that never finish.
 */
export function timeBoundMs(size: number): number {
  return 1000 + Math.ceil((1000 * size) / MiB);
}

/**
 * Memory bound per input: peak resident memory may grow by at most 64 MiB
 * plus 16 times the input size while the input runs (a 1 MiB image: 80 MiB).
 * Measured with the process's maximum resident set size (getrusage
 * ru_maxrss): when it rises during an input, the new maximum is that input's
 * peak.
 */
export function memoryBoundBytes(size: number): number {
  return 64 * MiB + 16 * size;
}

/** Hard limit for one input before the watchdog kills the worker (a hang). */
export const HANG_MS = 30_000;

export interface FuzzInput {
  seed: Seed;
  bytes: Uint8Array;
  ops: Op[];
}

export function seedsFor(target: Target): Seed[] {
  return allSeeds().filter((s) => s.family === target.family && (!target.accepts || target.accepts(s)));
}

/** The input number `index` of `target` in campaign `campaign`: 1 in 64 is raw random bytes. */
export function makeInput(campaign: number, targetIndex: number, target: Target, index: number): FuzzInput {
  const rng = new Rng(inputSeed(campaign, targetIndex, index));
  const seeds = seedsFor(target);
  const seed = rng.pick(seeds);
  if (rng.int(64) === 0) {
    const n = rng.chance(0.5) ? seed.bytes.length : rng.int(Math.min(seed.bytes.length * 2, 1 << 20) + 1);
    return { seed, bytes: rng.bytes(n), ops: ['random'] };
  }
  const { bytes, ops } = mutate(rng, seed.bytes, { fields: seed.fields, other: () => rng.pick(seeds).bytes, resign: seed.resign });
  return { seed, bytes, ops };
}

export type Verdict =
  | { ok: true; ms: number; growth: number; produced: number; typedError: string | null }
  | { ok: false; kind: 'crash' | 'invariant' | 'time' | 'memory'; message: string; ms: number; growth: number };

function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function once(target: Target, input: FuzzInput): Verdict {
  const size = input.bytes.length;
  const rssBefore = process.memoryUsage.rss();
  const maxBefore = maxRssBytes();
  const c0 = process.cpuUsage();
  let produced = 0;
  let typedError: string | null = null;
  let failure: { kind: 'crash' | 'invariant'; message: string } | null = null;
  try {
    produced = target.run(input.bytes, input.seed);
  } catch (e) {
    if (e instanceof PstoreError) typedError = e.name;
    else if (e instanceof FuzzInvariantError) failure = { kind: 'invariant', message: e.message };
    else failure = { kind: 'crash', message: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
  }
  const cpu = process.cpuUsage(c0);
  const ms = (cpu.user + cpu.system) / 1000;
  const maxAfter = maxRssBytes();
  const growth = maxAfter > maxBefore ? maxAfter - rssBefore : 0;
  if (failure) return { ok: false, ...failure, ms, growth };
  if (growth > memoryBoundBytes(size)) return { ok: false, kind: 'memory', message: `peak RSS grew by ${growth} bytes (bound ${memoryBoundBytes(size)})`, ms, growth };
  if (ms > timeBoundMs(size)) return { ok: false, kind: 'time', message: `took ${ms.toFixed(0)} ms of CPU (bound ${timeBoundMs(size)} ms)`, ms, growth };
  return { ok: true, ms, growth, produced, typedError };
}

/** Runs one input under the bounds; a time or memory violation must repeat to count. */
export function runInput(target: Target, input: FuzzInput): Verdict {
  const v = once(target, input);
  if (v.ok || v.kind === 'crash' || v.kind === 'invariant') return v;
  const again = once(target, input);
  return again.ok ? again : v;
}
