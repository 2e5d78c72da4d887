import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_MEMORY_MAX, scanFile } from '../src/node/scanFile.js';
import { readFixture } from './helpers/fixtures.js';

const GiB = 1024 ** 3;

test('8 GiB sparse dump: regions found at high offsets in constant memory', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-scan-'));
  const path = join(dir, 'dump.bin');
  const a = readFixture('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin');
  const b = readFixture('kernel-6.12', 'zone-order-612', 'image.bin');
  const offA = 5 * GiB + 0x12345;
  const offB = 8 * GiB + 4097;
  const size = offB + b.length + 1000;
  try {
    const fd = openSync(path, 'w');
    ftruncateSync(fd, size);
    writeSync(fd, a, 0, a.length, offA);
    writeSync(fd, b, 0, b.length, offB);
    closeSync(fd);

    globalThis.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let calls = 0;
    const t0 = performance.now();
    const res = scanFile(path, {
      onProgress: () => {
        if (++calls % 64 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      },
    });
    const secs = (performance.now() - t0) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const growth = (peakRss - before.rss) / 2 ** 20;
    process.stdout.write(`# scanned ${(size / GiB).toFixed(2)} GiB in ${secs.toFixed(2)} s (${(size / 1e9 / secs).toFixed(2)} GB/s), RSS growth ${growth.toFixed(1)} MiB\n`);

    assert.equal(res.size, size);
    const good = res.regions.filter((r) => r.confidence >= 0.4);
    assert.deepEqual(
      good.map((r) => [r.offset, r.params.mem_size, r.params.record_size, r.params.ecc, r.kernel]),
      [
        [offA, 0x10000, 0x4000, 16, '6.1'],
        [offB, 0x40000, 0x8000, 16, '6.12'],
      ],
    );
    assert.deepEqual(good[0].records, ['dmesg-ramoops-0', 'console-ramoops-0', 'pmsg-ramoops-0']);
    assert.deepEqual(good[1].records, ['dmesg-ramoops-0', 'console-ramoops-0', 'pmsg-ramoops-0']);
    assert.ok(good[1].extractCommand.includes(`--offset 0x${offB.toString(16)} `));
    assert.ok(growth < 100, `memory grew by ${growth.toFixed(1)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dump read into memory (up to IN_MEMORY_MAX) and one read through the page cache find the same', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-scan-'));
  const img = readFixture('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin');
  const at = 0x3000;
  const write = (name: string, size: number, off: number): string => {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    ftruncateSync(fd, size);
    writeSync(fd, img, 0, img.length, off);
    closeSync(fd);
    return path;
  };
  try {
    const small = scanFile(write('small.bin', at + img.length + 0x1000, at));
    const bigAt = IN_MEMORY_MAX + at;
    const big = scanFile(write('big.bin', bigAt + img.length + 0x1000, bigAt), { direct: false });
    const view = (r: typeof small, base: number) =>
      r.regions.map((g) => ({ offset: g.offset - base, params: g.params, kernel: g.kernel, confidence: g.confidence, records: g.records, ambiguous: g.ambiguous }));
    assert.ok(small.regions.length >= 1);
    assert.deepEqual(view(big, bigAt), view(small, at));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
