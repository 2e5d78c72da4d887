/**
 * The campaign's worker: runs targets round robin, a time slice each, and
 * reports counts and failures to fuzz/run.ts. The shared `progress` array
 * says which input is running, so the main thread can name the input of a
 * hang or an out-of-memory kill.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeInput, runInput } from './engine.js';
import { TARGETS } from './targets.js';
import { allSeeds } from './seeds.js';

export interface WorkerJob {
  campaign: number;
  targets: string[];
  /** Next input index per target name. */
  next: Record<string, number>;
  /** Wall-clock end of the campaign (Date.now()). */
  deadline: number;
  /** Input cap per target (short runs), Infinity for none. */
  maxPerTarget: number;
  sliceMs: number;
  /** [target index in TARGETS, input index, heartbeat]. */
  progress: SharedArrayBuffer;
}

export interface TargetStats {
  inputs: number;
  typed: number;
  totalMs: number;
  maxMs: number;
  maxGrowth: number;
  bytes: number;
}

export type WorkerMessage =
  | { type: 'stats'; target: string; next: number; stats: TargetStats }
  | { type: 'failure'; target: string; index: number; seed: string; ops: string[]; kind: string; message: string; bytes: Uint8Array }
  | { type: 'done' };

const job = workerData as WorkerJob;
const port = parentPort!;
const progress = new Int32Array(job.progress);
allSeeds();

const active = job.targets.map((name) => TARGETS.findIndex((t) => t.name === name));
const next = { ...job.next };
while (Date.now() < job.deadline) {
  let any = false;
  for (const ti of active) {
    const target = TARGETS[ti];
    const stats: TargetStats = { inputs: 0, typed: 0, totalMs: 0, maxMs: 0, maxGrowth: 0, bytes: 0 };
    const end = Math.min(job.deadline, Date.now() + job.sliceMs);
    let i = next[target.name] ?? 0;
    while (Date.now() < end && i < job.maxPerTarget) {
      Atomics.store(progress, 0, ti);
      Atomics.store(progress, 1, i);
      Atomics.add(progress, 2, 1);
      const input = makeInput(job.campaign, ti, target, i);
      const v = runInput(target, input);
      stats.inputs++;
      stats.totalMs += v.ms;
      stats.maxMs = Math.max(stats.maxMs, v.ms);
      stats.maxGrowth = Math.max(stats.maxGrowth, v.growth);
      stats.bytes += input.bytes.length;
      if (v.ok) {
        if (v.typedError) stats.typed++;
      } else {
        port.postMessage({ type: 'failure', target: target.name, index: i, seed: input.seed.name, ops: input.ops, kind: v.kind, message: v.message, bytes: input.bytes } satisfies WorkerMessage);
      }
      i++;
    }
    if (stats.inputs) any = true;
    next[target.name] = i;
    port.postMessage({ type: 'stats', target: target.name, next: i, stats } satisfies WorkerMessage);
  }
  if (!any) break;
}
port.postMessage({ type: 'done' } satisfies WorkerMessage);
