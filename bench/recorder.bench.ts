/**
 * recorder-line: one logged line through the recorder (the path register.ts
 * takes for a captured stdout write: console zone + log buffer), ECC 16, on a
 * file written through the shared mapping (the default when the native addon
 * is built); recorder-line-pwrite: the same with positioned writes. Baseline:
 * the same line appended to a file with fs.writeSync, measured in the same
 * process, interleaved, best of several rounds (the machine is shared).
 * recorder-line-cpu: the same ratio per CPU second (user + system time of
 * this process), which other jobs on a loaded machine disturb far less.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opsPerSecond, type BenchCase } from './harness.js';
import { openRecorder, type RecorderIo } from '../src/recorder/index.js';

const LINE = '{"level":30,"time":1704067200000,"pid":4242,"msg":"request handled","path":"/api/items","status":200,"ms":3.2}\n';
const ROUNDS = Number(process.env.PSTORE_BENCH_ROUNDS ?? 5);

/** Calls per second of this process's CPU time (user + system), after a warm-up. */
function cpuOpsPerSecond(fn: () => void, minMs: number): number {
  for (let i = 0; i < 20000; i++) fn();
  const c0 = process.cpuUsage();
  let calls = 0;
  let used = 0;
  do {
    for (let i = 0; i < 256; i++) fn();
    calls += 256;
    const c = process.cpuUsage(c0);
    used = (c.user + c.system) / 1000;
  } while (used < minMs);
  return (calls * 1000) / used;
}

function lineCase(name: string, ecc: number, io: RecorderIo, clock: 'wall' | 'cpu' = 'wall'): BenchCase {
  const measure = clock === 'cpu' ? cpuOpsPerSecond : opsPerSecond;
  return {
    name,
    run() {
      const dir = mkdtempSync(join(tmpdir(), 'pstore-bench-'));
      try {
        const rec = openRecorder(join(dir, 'rec.img'), { params: { ecc }, io });
        const fd = openSync(join(dir, 'plain.log'), 'w');
        let value = 0;
        let base = 0;
        // Alternate the two so both see the same machine load; keep each one's best round.
        for (let r = 0; r < ROUNDS; r++) {
          value = Math.max(value, measure(() => rec.console.write(LINE, 6), 300));
          base = Math.max(base, measure(() => writeSync(fd, LINE), 300));
        }
        const used = rec.io;
        rec.close();
        closeSync(fd);
        // Names stay stable for --json readers; a fallback (no addon) is spelled out.
        const label = used === (io === 'auto' ? 'mmap' : io) ? name : `${name} (${used}: mmap addon not built)`;
        return { name: label, unit: clock === 'cpu' ? 'lines/cpu-s' : 'lines/s', value, baseline: { name: 'fs.writeSync', value: base } };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export default [
  lineCase('recorder-line', 16, 'auto'),
  lineCase('recorder-line-cpu', 16, 'auto', 'cpu'),
  lineCase('recorder-line-pwrite', 16, 'pwrite'),
  lineCase('recorder-line-ecc0', 0, 'auto'),
] satisfies BenchCase[];
