/**
 * `pstore scan` throughput over a 2 GiB sparse dump holding two ramoops
 * regions (the common case: a RAM dump that is mostly empty), and over
 * random data (the worst case for the signature search). Baseline: reading
 * the same file without scanning, in the same process.
 */
import { closeSync, constants, ftruncateSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanFile } from '../src/node/scanFile.js';
import { scanDump } from '../src/scan/index.js';
import type { BenchCase } from './harness.js';

const FIXTURES = process.env.PSTORE_FIXTURES ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');
const SIZE = 2 * 1024 ** 3;

function makeDump(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-bench-scan-'));
  const path = join(dir, 'dump.bin');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, SIZE);
  for (const [rel, at] of [
    ['kernel-6.12/zone-order-612/image.bin', 0x3000_1001],
    ['kernel-6.1-full/console-pmsg-ecc16/image.bin', SIZE - 0x20_0000],
  ] as const) {
    const img = readFileSync(join(FIXTURES, rel));
    writeSync(fd, img, 0, img.length, at);
  }
  closeSync(fd);
  return { dir, path };
}

function readOnly(path: string, direct: boolean): number {
  const flags = direct ? constants.O_RDONLY | constants.O_DIRECT : constants.O_RDONLY;
  const fd = openSync(path, flags);
  const buf = Buffer.alloc(4 << 20);
  const t = performance.now();
  let pos = 0;
  try {
    while (pos < SIZE) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, pos);
      } catch {
        n = buf.length; // data chunk refused by O_DIRECT: scanFile reads it buffered; count it
      }
      if (n <= 0) break;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return SIZE / 1e9 / ((performance.now() - t) / 1000);
}

function timeScan(path: string, direct: boolean): number {
  const t = performance.now();
  const res = scanFile(path, { direct });
  const secs = (performance.now() - t) / 1000;
  const good = res.regions.filter((r) => r.confidence >= 0.4).length;
  if (good !== 2) throw new Error(`scan bench: expected 2 regions, found ${good}`);
  return res.size / 1e9 / secs;
}

const cases: BenchCase[] = [
  {
    name: 'scan 2GiB sparse (O_DIRECT)',
    run() {
      const { dir, path } = makeDump();
      try {
        const value = Math.max(timeScan(path, true), timeScan(path, true));
        return { name: this.name, unit: 'GB/s', value, baseline: { name: 'read only', value: readOnly(path, true) } };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'scan 2GiB sparse (cached)',
    run() {
      const { dir, path } = makeDump();
      try {
        readOnly(path, false); // warm the page cache
        const value = Math.max(timeScan(path, false), timeScan(path, false));
        return { name: this.name, unit: 'GB/s', value, baseline: { name: 'read only', value: readOnly(path, false) } };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'scan 256MiB random (memory)',
    run() {
      const buf = Buffer.allocUnsafe(256 << 20);
      for (let i = 0; i < buf.length; i += 65536) randomFillSync(buf, i, 65536);
      const t = performance.now();
      scanDump(buf);
      return { name: this.name, unit: 'GB/s', value: buf.length / 1e9 / ((performance.now() - t) / 1000) };
    },
  },
];

export default cases;
