import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BlkBackend, createBlkImage } from '../src/backends/blk/backend.js';
import { blkLayout, type BlkLayout } from '../src/backends/blk/layout.js';
import {
  BLK_ARCH_ARM32,
  BLK_ARCH_I386,
  BLK_ARCH_X86_64,
  type BlkArch,
  encodePszBuffer,
  kmsgReadPrefix,
} from '../src/backends/blk/zoneFormat.js';
import { KmsgDumpReason } from '../src/core/backend.js';
import { pstoreFiles } from '../src/core/pstoreFs.js';
import { CorruptImageError, PstoreError } from '../src/errors.js';
import { MemoryRegion } from '../src/region/region.js';
import { readFixture } from './helpers/fixtures.js';

const RUNS = Number(process.env.PSTORE_FC_RUNS ?? 100);
const BE_PPC: BlkArch = { name: 'ppc', littleEndian: false, wordSize: 4, u64Align: 8, cpuInIp: true };

// 16 KiB device: pmsg 1 KiB, console 1 KiB, ftrace 1 KiB, 6 kmsg zones of 2 KiB (13 KiB).
const small = (): BlkLayout =>
  blkLayout({ kmsgSize: 2048, pmsgSize: 1024, consoleSize: 1024, ftraceSize: 1024, totalSize: 16384, maxReason: 2 });

type Op = { kind: 'dmesg'; data: Uint8Array; reason: number } | { kind: 'console' | 'pmsg'; data: Uint8Array };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('dmesg' as const),
    data: fc.uint8Array({ minLength: 1, maxLength: 2500 }),
    reason: fc.constantFrom(KmsgDumpReason.OOPS, KmsgDumpReason.EMERG, KmsgDumpReason.SHUTDOWN),
  }),
  fc.record({ kind: fc.constantFrom('console' as const, 'pmsg' as const), data: fc.uint8Array({ maxLength: 1500 }) }),
);

const cat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

test('property: records written into a fresh blk image read back as the kernel would show them', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { maxLength: 20 }),
      fc.constantFrom(BLK_ARCH_X86_64, BLK_ARCH_ARM32, BLK_ARCH_I386, BE_PPC),
      fc.boolean(),
      (ops, arch, defer) => {
        const layout = small();
        const region = new MemoryRegion(new Uint8Array(layout.totalSize));
        createBlkImage(region, layout, 0xff);
        const w = new BlkBackend(region, layout, { arch, deferWrites: defer });
        const hdr = arch.u64Align === 4 ? 28 : 40;
        const ring: Record<'console' | 'pmsg', Uint8Array[]> = { console: [], pmsg: [] };
        const dumps: { zone: number; text: Uint8Array; time: number }[] = [];
        let oops = 0;
        let zone = 0;
        ops.forEach((op, i) => {
          const time = { sec: 1704067200 + i, nsec: i * 1000 };
          if (op.kind === 'dmesg') {
            assert.ok(w.write({ type: 'dmesg', reason: op.reason, count: 0, part: 1, data: op.data, compressed: false, time }));
            const counter = op.reason === KmsgDumpReason.OOPS ? ++oops : 0;
            const prefix = new TextEncoder().encode(kmsgReadPrefix(op.reason, counter));
            const kept = op.data.subarray(0, 2048 - 12 - hdr);
            dumps.push({ zone, text: cat([prefix, kept]), time: time.sec });
            zone = (zone + 1) % layout.kmsg.length;
          } else {
            assert.ok(w.write({ type: op.kind, reason: 0, count: 0, part: 0, data: op.data, compressed: false, time }));
            ring[op.kind].push(op.data);
          }
        });
        if (defer) w.flushDirtyZones();
        const r = new BlkBackend(region, layout, { arch });
        const got = [...r.read()];
        // Newest dump per zone survives.
        const byZone = new Map<number, (typeof dumps)[number]>();
        for (const d of dumps) byZone.set(d.zone, d);
        const wantDmesg = [...byZone.entries()].sort((a, b) => a[0] - b[0]);
        const gotDmesg = got.filter((x) => x.type === 'dmesg');
        assert.deepEqual(
          gotDmesg.map((x) => [x.id, Buffer.from(x.data).toString('hex'), x.time?.sec]),
          wantDmesg.map(([id, d]) => [id, Buffer.from(d.text).toString('hex'), d.time]),
        );
        for (const kind of ['pmsg', 'console'] as const) {
          const all = cat(ring[kind]);
          const want = all.subarray(Math.max(0, all.length - (1024 - 12)));
          const rec = got.find((x) => x.type === kind);
          if (want.length === 0) assert.equal(rec, undefined);
          else assert.equal(Buffer.from(rec!.data).toString('hex'), Buffer.from(want).toString('hex'), kind);
        }
        // An empty write still flushes a {sig, 0, 0} header: the next boot sees an erased zone.
        assert.deepEqual(r.notes.filter((n) => n.message !== 'found erased zone'), []);
      },
    ),
    { numRuns: RUNS },
  );
});

/** Read everything a reader would: never anything but a PstoreError. */
function readAll(img: Uint8Array, layout: BlkLayout): { ok: boolean; err?: unknown } {
  try {
    const b = new BlkBackend(new MemoryRegion(img), layout);
    for (const rec of b.read()) assert.ok(rec.data.length <= layout.totalSize + 64);
    return { ok: true };
  } catch (e) {
    return { ok: false, err: e };
  }
}

test('property: hostile zone and kmsg headers are skipped or a CorruptImageError, never a crash', () => {
  const real = readFixture('kernel-6.1-blk/pstore-blk-oops', 'image.bin');
  const layout = blkLayout({ kmsgSize: 65536, pmsgSize: 0, consoleSize: 0, ftraceSize: 0, totalSize: real.length, maxReason: 2 });
  fc.assert(
    fc.property(
      fc.array(fc.record({ zone: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 63 }), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 12 }),
      (edits) => {
        const img = real.slice();
        for (const e of edits) img[e.zone * 65536 + e.at] = e.v;
        const res = readAll(img, layout);
        if (!res.ok) assert.ok(res.err instanceof PstoreError, String(res.err));
      },
    ),
    { numRuns: RUNS },
  );
  // Ring zones with random headers on a small layout.
  fc.assert(
    fc.property(fc.constantFrom('pmsg', 'console', 'ftrace'), fc.nat(), fc.nat(), fc.boolean(), (which, datalen, start, goodSig) => {
      const L = small();
      const img = new Uint8Array(L.totalSize).fill(0x41);
      const z = which === 'pmsg' ? L.pmsg! : which === 'console' ? L.console! : L.ftrace[0];
      encodePszBuffer({ sig: goodSig ? z.sig : z.sig ^ 1, datalen, start }, BLK_ARCH_X86_64, img, z.offset);
      const res = readAll(img, L);
      const bs = z.bufferSize;
      if (goodSig && datalen <= bs && start <= bs && datalen > 0 && start > datalen) {
        assert.ok(res.err instanceof CorruptImageError);
        assert.equal((res.err as CorruptImageError).offset, z.offset + 8);
      } else assert.ok(res.ok, String(res.err));
    }),
    { numRuns: RUNS },
  );
});

test('unit: overtop, bad magic, short and empty-compressed kmsg zones', () => {
  const L = small();
  const img = new Uint8Array(L.totalSize);
  const w = new BlkBackend(new MemoryRegion(img), L);
  for (let i = 0; i < 4; i++) {
    w.write({ type: 'dmesg', reason: KmsgDumpReason.OOPS, count: 0, part: 1, data: new Uint8Array([65 + i]), compressed: i === 3, time: { sec: 10 + i, nsec: 0 } });
  }
  const k = L.kmsg;
  encodePszBuffer({ sig: k[0].sig, datalen: 5000, start: 0 }, BLK_ARCH_X86_64, img, k[0].offset); // overtop
  img[k[1].offset + 12] ^= 1; // magic
  encodePszBuffer({ sig: k[2].sig, datalen: 20, start: 0 }, BLK_ARCH_X86_64, img, k[2].offset); // shorter than header
  const b = new BlkBackend(new MemoryRegion(img), L);
  assert.deepEqual([...b.read()].map((r) => [r.id, r.compressed]), [[3, true]]);
  assert.match(b.notes.map((n) => n.message).join('|'), /overtop.*invalid zone.*shorter/);
  // An empty compressed dump reads as 0 bytes: the core's enumeration ends there (pstoreFiles), nothing after it shows.
  encodePszBuffer({ sig: k[3].sig, datalen: 40, start: 0 }, BLK_ARCH_X86_64, img, k[3].offset);
  const pm = new BlkBackend(new MemoryRegion(img), L);
  pm.write({ type: 'pmsg', reason: 0, count: 0, part: 0, data: new Uint8Array([1, 2, 3]), compressed: false, time: { sec: 0, nsec: 0 } });
  const c = new BlkBackend(new MemoryRegion(img), L);
  const recs = [...c.read()];
  assert.deepEqual([recs[0].type, recs[0].data.length, recs[0].compressed], ['dmesg', 0, true]);
  assert.deepEqual(pstoreFiles(c, { decompress: null, maxUnzipped: 0, arch: BLK_ARCH_X86_64 }), []);
  assert.match(c.notes.map((n) => n.message).join('|'), /stops reading/);
  // Only part 1 of a dump is stored.
  assert.equal(c.write({ type: 'dmesg', reason: KmsgDumpReason.OOPS, count: 0, part: 2, data: new Uint8Array(1), compressed: false, time: { sec: 0, nsec: 0 } }), false);
});

test('unit: console ring wraps; erase of console writes an empty header; ftrace erase only clears CPU 0', () => {
  const L = blkLayout({ kmsgSize: 0, pmsgSize: 0, consoleSize: 1024, ftraceSize: 1024, totalSize: 4096, maxReason: 2, ftraceCpus: 2 });
  const img = new Uint8Array(L.totalSize);
  const w = new BlkBackend(new MemoryRegion(img), L);
  const t = { sec: 0, nsec: 0 };
  const text = new Uint8Array(2500).map((_, i) => 32 + (i % 90));
  w.write({ type: 'console', reason: 0, count: 0, part: 0, data: text.subarray(0, 700), compressed: false, time: t });
  w.write({ type: 'console', reason: 0, count: 0, part: 0, data: text.subarray(700), compressed: false, time: t });
  const rec24 = (ts: number, cpu: number): Uint8Array => {
    const b = new Uint8Array(24);
    new DataView(b.buffer).setBigUint64(16, (BigInt(ts) << 8n) | BigInt(cpu), true);
    return b;
  };
  w.write({ type: 'ftrace', reason: 0, count: 0, part: 0, data: cat([rec24(1, 0), rec24(4, 0)]), compressed: false, time: t, cpu: 0 });
  w.write({ type: 'ftrace', reason: 0, count: 0, part: 0, data: cat([rec24(2, 1), rec24(3, 1)]), compressed: false, time: t, cpu: 1 });
  const b = new BlkBackend(new MemoryRegion(img), L);
  const recs = [...b.read()];
  const con = recs.find((r) => r.type === 'console')!;
  assert.deepEqual(Buffer.from(con.data), Buffer.from(text.subarray(2500 - 1012)));
  const ft = recs.find((r) => r.type === 'ftrace')!;
  const tss = [0, 1, 2, 3].map((i) => Number(new DataView(ft.data.buffer, ft.data.byteOffset).getBigUint64(i * 24 + 16, true) >> 8n));
  assert.deepEqual(tss, [1, 2, 3, 4]);
  b.erase('console', 0);
  b.erase('ftrace', 0);
  assert.deepEqual([...img.subarray(L.console!.offset + 4, L.console!.offset + 12)], [0, 0, 0, 0, 0, 0, 0, 0]);
  const after = [...new BlkBackend(new MemoryRegion(img), L).read()];
  assert.deepEqual(after.map((r) => [r.type, r.data.length]), [['ftrace', 48]]);
  assert.throws(() => b.erase('pmsg', 0), { name: 'NotFoundError' });
});
