import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { blkLayout, blkParamsFromKiB, blkSizeFromKiB } from '../src/backends/blk/layout.js';
import { BLK_ARCH_ARM32, BLK_ARCH_I386, kmsgHeaderLayout } from '../src/backends/blk/zoneFormat.js';

test('pstore-blk-full layout: pmsg 0, console 0x10000, ftrace 0x20000, 61 kmsg zones from 0x30000', () => {
  const L = blkLayout(blkParamsFromKiB({ kmsg_size: 64, pmsg_size: 64, console_size: 64, ftrace_size: 64, max_reason: 2 }, 4 << 20));
  assert.equal(L.pmsg?.offset, 0);
  assert.equal(L.console?.offset, 0x10000);
  assert.deepEqual(L.ftrace.map((z) => z.offset), [0x20000]);
  assert.equal(L.kmsg.length, 61);
  assert.equal(L.kmsg[0].offset, 0x30000);
  assert.deepEqual(
    [L.pmsg!.sig, L.console!.sig, L.ftrace[0].sig, L.kmsg[0].sig],
    [0x43474243, 0x43474246, 0x43474247, 0x43474244],
  );
  assert.equal(L.kmsg[0].label, 'pstore_blk:dmesg(0/60)');
});

test('ftrace split per CPU rounds down; kmsg area is what the requested sizes leave', () => {
  const L = blkLayout({ kmsgSize: 8192, pmsgSize: 0, consoleSize: 0, ftraceSize: 65536, totalSize: 1 << 20, maxReason: 2, ftraceCpus: 3 });
  assert.deepEqual(L.ftrace.map((z) => [z.offset, z.size]), [
    [0, 21845],
    [21845, 21845],
    [43690, 21845],
  ]);
  // kmsg zones start right after the ftrace zones (65535), count from 1 MiB - 64 KiB.
  assert.equal(L.kmsg[0].offset, 65535);
  assert.equal(L.kmsg.length, Math.floor(((1 << 20) - 65536) / 8192));
});

test('blk.c KiB quirk: a size that is not a multiple of 4 KiB becomes ALIGN(KiB, 4096) bytes', () => {
  assert.equal(blkSizeFromKiB(64), 65536);
  assert.equal(blkSizeFromKiB(6), 4096);
  assert.equal(blkSizeFromKiB(4098), 8192);
  assert.equal(blkSizeFromKiB(0), 0);
  assert.equal(blkSizeFromKiB(-1), 0);
});

test('layouts the kernel refuses are LayoutErrors', () => {
  const base = { kmsgSize: 4096, pmsgSize: 0, consoleSize: 0, ftraceSize: 0, totalSize: 65536, maxReason: 2 };
  for (const bad of [
    { totalSize: 2048 },
    { totalSize: 65536 + 512 },
    { kmsgSize: 0 },
    { kmsgSize: 1000 },
    { kmsgSize: 256 },
    { pmsgSize: 65536 + 4096 },
    { kmsgSize: 65536, consoleSize: 4096 },
    { ftraceCpus: 0 },
  ]) {
    assert.throws(() => blkLayout({ ...base, ...bad }), { name: 'LayoutError' }, JSON.stringify(bad));
  }
  // Devices over 128 MiB are capped, not refused.
  assert.equal(blkLayout({ ...base, totalSize: 256 << 20 }).totalSize, 128 << 20);
});

test('property: zones never overlap, stay inside the device, appear in kernel order', () => {
  const kib = fc.integer({ min: 0, max: 64 }).map((n) => n * 1024);
  fc.assert(
    fc.property(kib, kib, kib, kib, fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 8 }), (k, p, c, f, pages, cpus) => {
      const params = { kmsgSize: k, pmsgSize: p, consoleSize: c, ftraceSize: f, totalSize: pages * 4096, maxReason: 2, ftraceCpus: cpus };
      let L;
      try {
        L = blkLayout(params);
      } catch (e) {
        assert.equal((e as Error).name, 'LayoutError');
        return;
      }
      let end = 0;
      for (const z of L.zones) {
        assert.ok(z.offset >= end && z.offset + z.size <= L.totalSize);
        end = z.offset + z.size;
      }
      const order = L.zones.map((z) => `${z.type},`).join('');
      assert.match(order, /^(pmsg,)?(console,)?(ftrace,)*(dmesg,)*$/);
      if (k) assert.equal(L.kmsg.length, Math.floor((L.totalSize - p - c - f) / k));
    }),
  );
});

test('kmsg header layout per arch', () => {
  assert.deepEqual(kmsgHeaderLayout(BLK_ARCH_ARM32), { magic: 0, tvSec: 8, tvNsec: 16, compressed: 24, counter: 28, reason: 32, size: 40 });
  assert.deepEqual(kmsgHeaderLayout(BLK_ARCH_I386), { magic: 0, tvSec: 4, tvNsec: 12, compressed: 16, counter: 20, reason: 24, size: 28 });
});
