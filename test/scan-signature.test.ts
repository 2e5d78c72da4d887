import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SignatureFinder, signatureCode, MAX_ZONE_DATA, type ZoneCandidate } from '../src/scan/signature.js';
import { PERSISTENT_RAM_SIG } from '../src/zone/persistentRamZone.js';
import { readFixture } from './helpers/fixtures.js';

function header(sig: number, start: number, size: number, le: boolean): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, sig, le);
  v.setUint32(4, start, le);
  v.setUint32(8, size, le);
  return b;
}

function findAll(bytes: Uint8Array, cuts: number[] = []): ZoneCandidate[] {
  const f = new SignatureFinder();
  let pos = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) {
    f.push(bytes.subarray(pos, c));
    pos = c;
  }
  return f.finish();
}

test('real fixture: every zone header of zone-order-612 is found, ftrace with its version code', () => {
  const img = readFixture('kernel-6.12', 'zone-order-612', 'image.bin');
  const found = findAll(img);
  const at = new Map(found.map((c) => [c.offset, c]));
  for (const off of [0, 0x9000, 0x12000, 0x1b000, 0x24000, 0x2d000, 0x36000, 0x3a000]) assert.equal(at.get(off)?.kind, 'plain', `zone at 0x${off.toString(16)}`);
  assert.equal(at.get(0x3c000)?.kind, 'ftrace');
  assert.equal(at.get(0x3c000)?.versionCode, 396405);
});

test('signatureCode: DBGC, plausible LINUX_VERSION_CODEs, and nothing else', () => {
  assert.equal(signatureCode(PERSISTENT_RAM_SIG), 0);
  assert.equal(signatureCode((PERSISTENT_RAM_SIG ^ 0x060c75) >>> 0), 0x060c75);
  assert.equal(signatureCode((PERSISTENT_RAM_SIG ^ 0x0a0000) >>> 0), -1); // major 10
  assert.equal(signatureCode((PERSISTENT_RAM_SIG ^ 0x020000) >>> 0), -1); // major 2
  assert.equal(signatureCode((PERSISTENT_RAM_SIG ^ 0x064000) >>> 0), -1); // minor 64
  assert.equal(signatureCode(0), -1);
});

test('big-endian and little-endian headers at odd offsets; start > size and oversized rejected', () => {
  const buf = new Uint8Array(4096);
  buf.set(header(PERSISTENT_RAM_SIG, 5, 9, true), 101);
  buf.set(header(PERSISTENT_RAM_SIG ^ 0x060100, 0, 0, false), 1001);
  buf.set(header(PERSISTENT_RAM_SIG, 10, 9, true), 2001); // start > size
  buf.set(header(PERSISTENT_RAM_SIG, 0, MAX_ZONE_DATA + 1, true), 3001);
  buf.set(header(PERSISTENT_RAM_SIG, 0, 0, true), 4096 - 12); // last possible position
  const c = findAll(buf);
  assert.deepEqual(
    c.map((x) => [x.offset, x.littleEndian, x.kind, x.start, x.size]),
    [
      [101, true, 'plain', 5, 9],
      [1001, false, 'ftrace', 0, 0],
      [4084, true, 'plain', 0, 0],
    ],
  );
  // Truncated: a header cut by the end of the data is not reported.
  assert.equal(findAll(buf.subarray(0, 4095)).length, 2);
});

test('property: chunk boundaries never change what is found', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 600 }),
      fc.array(fc.record({ at: fc.nat(600), le: fc.boolean(), code: fc.constantFrom(0, 0x060100, 0x060c75), start: fc.nat(50), extra: fc.nat(50) }), { maxLength: 6 }),
      fc.array(fc.nat(700), { maxLength: 8 }),
      (noise, hdrs, cuts) => {
        const buf = new Uint8Array(noise.length + 20);
        buf.set(noise);
        for (const h of hdrs) {
          const at = Math.min(h.at, buf.length - 12);
          buf.set(header((PERSISTENT_RAM_SIG ^ h.code) >>> 0, h.start, h.start + h.extra, h.le), at);
        }
        const whole = findAll(buf);
        assert.deepEqual(findAll(buf, cuts), whole);
        // Every byte-at-a-time push too (the 11-byte carry path).
        assert.deepEqual(findAll(buf, Array.from({ length: buf.length }, (_, i) => i)), whole);
      },
    ),
    { numRuns: 150 },
  );
});

test('candidate cap bounds memory on hostile input', () => {
  const one = header(PERSISTENT_RAM_SIG, 0, 0, true);
  const buf = new Uint8Array(12 * 1000);
  for (let i = 0; i < 1000; i++) buf.set(one, i * 12);
  const f = new SignatureFinder(100);
  f.push(buf);
  assert.equal(f.finish().length, 100);
  assert.equal(f.stats.dropped, 900);
});
