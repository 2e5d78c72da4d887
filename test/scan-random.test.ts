import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { inferLayout, scanDump } from '../src/scan/index.js';
import { PERSISTENT_RAM_SIG } from '../src/zone/persistentRamZone.js';

test('8 MiB of random data: never a trusted region, never a crash', () => {
  for (let round = 0; round < 2; round++) {
    const dump = new Uint8Array(randomBytes(8 << 20));
    const res = scanDump(dump);
    for (const r of res.regions) {
      assert.ok(r.confidence < 0.4, `false positive at 0x${r.offset.toString(16)} with confidence ${r.confidence}`);
      assert.ok(r.confidence >= 0 && r.confidence <= 1);
    }
    assert.equal(inferLayout(dump), null);
  }
});

test('all-zero dump: nothing found', () => {
  const res = scanDump(new Uint8Array(1 << 20));
  assert.equal(res.candidates.length, 0);
  assert.equal(res.regions.length, 0);
});

test('property: planted signatures with random start/size in noise never crash and stay in [0, 1]', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 20000 }),
      fc.array(
        fc.record({
          at: fc.nat(20000),
          le: fc.boolean(),
          code: fc.constantFrom(0, 0x060100, 0x060c75, 0x030000),
          start: fc.oneof(fc.constant(0), fc.nat(5000), fc.nat()),
          size: fc.oneof(fc.constant(0), fc.nat(5000), fc.nat()),
        }),
        { maxLength: 24 },
      ),
      (bytes, hdrs) => {
        const buf = bytes.slice();
        const v = new DataView(buf.buffer);
        for (const h of hdrs) {
          const at = h.at % (buf.length - 11);
          v.setUint32(at, (PERSISTENT_RAM_SIG ^ h.code) >>> 0, h.le);
          v.setUint32(at + 4, Math.min(h.start, h.size), h.le);
          v.setUint32(at + 8, Math.max(h.start, h.size), h.le);
        }
        const res = scanDump(buf);
        for (const r of res.regions) {
          assert.ok(r.confidence >= 0 && r.confidence <= 1);
          assert.ok(r.offset >= 0);
          assert.match(r.extractCommand, /^pstore extract DUMP OUT --offset 0x/);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('a regular grid of empty headers is recognised as dmesg zones (synthetic, even without a kernel)', () => {
  const dump = new Uint8Array(0x30000);
  const v = new DataView(dump.buffer);
  for (let i = 0; i < 8; i++) v.setUint32(0x1001 + i * 0x4000, PERSISTENT_RAM_SIG, true);
  const res = scanDump(dump);
  const r = res.regions.find((x) => x.confidence >= 0.4);
  assert.ok(r);
  assert.equal(r.offset, 0x1001);
  assert.equal(r.params.record_size, 0x4000);
  assert.equal(r.params.mem_size, 0x20000);
});
