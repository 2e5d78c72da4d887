import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { inflateSync } from 'fflate';
import { BlkBackend, createBlkImage } from '../src/backends/blk/backend.js';
import { blkLayout, blkParamsFromKiB, type BlkModuleParams } from '../src/backends/blk/layout.js';
import { BLK_ARCH_X86_64, decodeKmsgHeader, decodePszBuffer, kmsgHeaderLayout } from '../src/backends/blk/zoneFormat.js';
import { KmsgDumpReason } from '../src/core/backend.js';
import { SymbolMap } from '../src/core/ftrace.js';
import { pstoreFiles } from '../src/core/pstoreFs.js';
import type { BackendRecord } from '../src/core/record.js';
import { MemoryRegion } from '../src/region/region.js';
import { fixturePath, readFixture, readFixtureJson } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  size: number;
  sha256: string;
  mtime: string;
}

const OOPS = 'kernel-6.1-blk/pstore-blk-oops';
const FULL = 'kernel-6.1-full/pstore-blk-full';

function open(dir: string, p: BlkModuleParams): { img: Uint8Array; backend: BlkBackend } {
  const img = readFixture(dir, 'image.bin');
  const layout = blkLayout(blkParamsFromKiB(p, img.length));
  return { img, backend: new BlkBackend(new MemoryRegion(img), layout) };
}
const OOPS_PARAMS: BlkModuleParams = { kmsg_size: 64, pmsg_size: 0, console_size: 0, ftrace_size: 0, max_reason: 2 };
const FULL_PARAMS: BlkModuleParams = { kmsg_size: 64, pmsg_size: 64, console_size: 64, ftrace_size: 64, max_reason: 2 };

/** "2024-01-01 00:00:07.639613434 +0000" → sec, nsec. */
function parseMtime(s: string): { sec: number; nsec: number } {
  const m = /^(\S+) (\d+):(\d+):(\d+)\.(\d+)/.exec(s);
  assert.ok(m);
  const sec = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) / 1000;
  return { sec, nsec: Number(m[5].padEnd(9, '0')) };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function fileContent(r: BackendRecord, symbols: SymbolMap | null, backend: BlkBackend): Uint8Array {
  if (r.type === 'ftrace') {
    const files = pstoreFiles(backend, { decompress: null, maxUnzipped: 0, arch: backend.arch, symbols });
    return files.find((f) => f.type === 'ftrace')!.content;
  }
  return r.compressed ? inflateSync(r.data) : r.data;
}

for (const [dir, params] of [
  [OOPS, OOPS_PARAMS],
  [FULL, FULL_PARAMS],
] as const) {
  test(`${dir}: every expected file byte for byte, with the kernel's mtimes`, () => {
    const { img, backend } = open(dir, params);
    const before = sha(img);
    const meta = readFixtureJson<{ files: MetaFile[] }>(dir, 'meta.json');
    const symbols = dir === FULL ? SymbolMap.parse(readFileSync(fixturePath(dir, 'system-map-excerpt.txt'), 'utf8')) : null;
    const records = [...backend.read()];
    const names = records.map((r) => `${r.type}-pstore_blk-${r.id}`);
    assert.deepEqual([...names].sort(), meta.files.map((f) => f.name).sort());
    for (const r of records) {
      const name = `${r.type}-pstore_blk-${r.id}`;
      const content = fileContent(r, symbols, backend);
      const expected = readFixture(dir, 'expected', name);
      assert.equal(content.length, expected.length, name);
      assert.ok(Buffer.from(content).equals(Buffer.from(expected)), `${name} differs`);
      if (r.type === 'dmesg') {
        const m = meta.files.find((f) => f.name === name)!;
        assert.deepEqual(r.time, parseMtime(m.mtime), `${name} mtime`);
        assert.equal(r.reason, KmsgDumpReason.OOPS);
        assert.equal(r.compressed, true);
      } else assert.equal(r.time, null);
    }
    // Reading never writes (the read boot changed no byte of the device).
    assert.equal(sha(img), before);
    assert.deepEqual(backend.notes, []);
  });
}

test('pstore-blk-oops: ids are kmsg zone indexes, counters continue from the device', () => {
  const { backend } = open(OOPS, OOPS_PARAMS);
  const recs = [...backend.read()];
  assert.deepEqual(
    recs.map((r) => [r.id, r.count, r.zones[0].offset]),
    [
      [0, 1, 0],
      [1, 2, 65536],
    ],
  );
  assert.equal(backend.bufsize, 65536 - 12 - 40);
});

test('pstore-blk-full: kernel read order kmsg, ftrace, pmsg, console; zones where meta.json says', () => {
  const { backend } = open(FULL, FULL_PARAMS);
  assert.deepEqual(
    [...backend.read()].map((r) => r.type),
    ['dmesg', 'ftrace', 'pmsg', 'console'],
  );
  const meta = readFixtureJson<{ device_zones: { type: string; offset: number }[]; device_zone_count: Record<string, number> }>(FULL, 'meta.json');
  const L = backend.layout;
  for (const z of meta.device_zones) {
    const ours = z.type === 'dmesg' ? L.kmsg[0] : z.type === 'ftrace' ? L.ftrace[0] : z.type === 'pmsg' ? L.pmsg : L.console;
    assert.equal(ours?.offset, z.offset, z.type);
  }
  assert.equal(L.kmsg.length, meta.device_zone_count.kmsg);
});

test('kmsg header layout on x86_64 matches the fixture (40 bytes, fields at 0/8/16/24/28/32)', () => {
  const img = readFixture(FULL, 'image.bin');
  const L = kmsgHeaderLayout(BLK_ARCH_X86_64);
  assert.deepEqual(L, { magic: 0, tvSec: 8, tvNsec: 16, compressed: 24, counter: 28, reason: 32, size: 40 });
  const b = decodePszBuffer(img, BLK_ARCH_X86_64, 0x30000);
  assert.deepEqual(b, { sig: 0x43474244, datalen: 7471, start: 0 });
  const h = decodeKmsgHeader(img, BLK_ARCH_X86_64, 0x30000 + 12);
  assert.deepEqual(h, { magic: 0x4dfc3ae5, time: { sec: 1704067203, nsec: 22035273 }, compressed: true, counter: 1, reason: 2 });
});

function zoneBytes(img: Uint8Array, off: number, size: number): Buffer {
  return Buffer.from(img.subarray(off, off + size));
}

test('writer: two Oopses and a best-effort panic rebuild the pstore-blk-oops device byte for byte', () => {
  const real = readFixture(OOPS, 'image.bin');
  const layout = blkLayout(blkParamsFromKiB(OOPS_PARAMS, real.length));
  const img = new Uint8Array(real.length);
  const region = new MemoryRegion(img);
  createBlkImage(region, layout);
  const w = new BlkBackend(region, layout, { deferWrites: true });
  for (const z of layout.kmsg.slice(0, 2)) {
    const b = decodePszBuffer(real, BLK_ARCH_X86_64, z.offset);
    const h = decodeKmsgHeader(real, BLK_ARCH_X86_64, z.offset + 12);
    const payload = real.subarray(z.offset + 12 + 40, z.offset + 12 + b.datalen);
    assert.ok(w.write({ type: 'dmesg', reason: h.reason, count: h.counter, part: 1, data: payload, compressed: true, time: h.time }));
    w.flushDirtyZones();
  }
  // The panic record: no panic_write, so it never reaches the device; and nothing else is taken after it.
  assert.ok(w.write({ type: 'dmesg', reason: KmsgDumpReason.PANIC, count: 3, part: 1, data: new Uint8Array(100).fill(7), compressed: false, time: { sec: 1704067209, nsec: 0 } }));
  assert.equal(w.panicking, true);
  assert.equal(w.write({ type: 'console', reason: 0, count: 0, part: 0, data: new Uint8Array([65]), compressed: false, time: { sec: 0, nsec: 0 } }), false);
  w.flushDirtyZones();
  assert.ok(Buffer.from(img).equals(Buffer.from(real)), 'device differs');
});

test('writer: pmsg (direct), console and ftrace (deferred, flushed whole) and the Oops rebuild pstore-blk-full byte for byte', () => {
  const real = readFixture(FULL, 'image.bin');
  const layout = blkLayout(blkParamsFromKiB(FULL_PARAMS, real.length));
  const img = new Uint8Array(real.length);
  const region = new MemoryRegion(img);
  createBlkImage(region, layout);
  const direct = new BlkBackend(region, layout);
  const deferred = new BlkBackend(region, layout, { deferWrites: true });
  const t0 = { sec: 0, nsec: 0 };
  const ring = (z: { offset: number }): Uint8Array => {
    const b = decodePszBuffer(real, BLK_ARCH_X86_64, z.offset);
    return real.subarray(z.offset + 12, z.offset + 12 + b.datalen);
  };
  // pmsg arrives from user space (process context): FLUSH_PART leaves the rest of the disk as it was.
  const pmsg = readFixture(FULL, 'expected', 'pmsg-pstore_blk-0');
  for (let i = 0; i < pmsg.length; i += 70) {
    direct.writeUser({ type: 'pmsg', reason: 0, count: 0, part: 0, data: pmsg.subarray(i, i + 70), compressed: false, time: t0 });
  }
  // console and ftrace write with IRQs off: dirty in memory, flushed whole (0xFF tail) by the worker.
  deferred.write({ type: 'console', reason: 0, count: 0, part: 0, data: ring(layout.console!), compressed: false, time: t0 });
  deferred.write({ type: 'ftrace', reason: 0, count: 0, part: 0, data: ring(layout.ftrace[0]), compressed: false, time: t0, cpu: 0 });
  const z = layout.kmsg[0];
  const b = decodePszBuffer(real, BLK_ARCH_X86_64, z.offset);
  const h = decodeKmsgHeader(real, BLK_ARCH_X86_64, z.offset + 12);
  deferred.write({ type: 'dmesg', reason: h.reason, count: 1, part: 1, data: real.subarray(z.offset + 52, z.offset + 12 + b.datalen), compressed: true, time: h.time });
  deferred.flushDirtyZones();
  for (const zone of layout.zones) {
    assert.ok(zoneBytes(img, zone.offset, zone.size).equals(zoneBytes(real, zone.offset, zone.size)), `${zone.label} differs`);
  }
  assert.ok(Buffer.from(img).equals(Buffer.from(real)));
});

test('second boot on pstore-blk-oops: next Oops goes after the newest zone with counter 3; erase writes datalen 0', () => {
  const { img, backend } = open(OOPS, OOPS_PARAMS);
  [...backend.read()];
  backend.write({ type: 'dmesg', reason: KmsgDumpReason.OOPS, count: 1, part: 1, data: new TextEncoder().encode('Oops#1 Part1\nhello\n'), compressed: false, time: { sec: 1704070800, nsec: 5 } });
  backend.erase('dmesg', 1);
  assert.equal(decodePszBuffer(img, BLK_ARCH_X86_64, 65536).datalen, 0);
  assert.throws(() => backend.erase('dmesg', 3), { name: 'NotFoundError' });
  const again = new BlkBackend(new MemoryRegion(img), backend.layout);
  const recs = [...again.read()];
  assert.deepEqual(
    recs.map((r) => [r.id, r.count]),
    [
      [0, 1],
      [2, 3],
    ],
  );
  assert.equal(new TextDecoder().decode(recs[1].data), 'Oops: Total 3 times\nOops#1 Part1\nhello\n');
  assert.equal(again.notes[0].message, 'found erased zone');
});
