/**
 * recorder-line: one logged line through the recorder (the path register.ts
 * takes for a captured stdout write: console zone + log buffer), ECC 16, on a
 * file; baseline: the same line appended to a file with fs.writeSync.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opsPerSecond, type BenchCase } from './harness.js';
import { openRecorder } from '../src/recorder/index.js';

const LINE = '{"level":30,"time":1704067200000,"pid":4242,"msg":"request handled","path":"/api/items","status":200,"ms":3.2}\n';

function lineCase(name: string, ecc: number): BenchCase {
  return {
    name,
    run() {
      const dir = mkdtempSync(join(tmpdir(), 'pstore-bench-'));
      try {
        const rec = openRecorder(join(dir, 'rec.img'), { params: { ecc } });
        const value = opsPerSecond(() => rec.console.write(LINE, 6), 600);
        rec.close();
        const fd = openSync(join(dir, 'plain.log'), 'w');
        const base = opsPerSecond(() => writeSync(fd, LINE), 600);
        closeSync(fd);
        return { name, unit: 'lines/s', value, baseline: { name: 'fs.writeSync', value: base } };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export default [lineCase('recorder-line', 16), lineCase('recorder-line-ecc0', 0)] satisfies BenchCase[];
