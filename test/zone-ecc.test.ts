import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryRegion } from '../src/region/region.js';
import { attachPrz, BlockHealth, PersistentRamZone, type PrzOptions } from '../src/zone/persistentRamZone.js';
import { przGeometry } from '../src/zone/eccLayout.js';
import { LayoutError } from '../src/errors.js';

const runs = Number(process.env.PSTORE_FC_RUNS ?? 100);
const opts = (eccSize: number): PrzOptions => ({ sig: 0, eccSize, littleEndian: true, emptyRule: 'size-and-start', zapOld: false, label: 'test' });

test('geometry: the kernel arithmetic for a 64 KiB zone with ECC 16 (fixture panic-ecc16)', () => {
  const g = przGeometry(0x10000, 16);
  // Values the kernel used for that fixture (meta.json image_zones: buffer_size, par offsets).
  assert.equal(g.dataSize, 58228);
  assert.equal(g.parityOffset, 58240);
  assert.equal(g.headerParityOffset, 65520);
  assert.throws(() => przGeometry(40, 16), LayoutError);
  assert.throws(() => przGeometry(12, 0), LayoutError);
});

test('property: every corruption within ECC capacity is corrected and counted; beyond it is reported bad', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(8, 16, 32),
      fc.integer({ min: 0x200, max: 0x3000 }).map((n) => n & ~1),
      fc.uint8Array({ minLength: 1, maxLength: 0x3000 }),
      fc.nat(),
      fc.integer({ min: 1, max: 16 }),
      (ecc, zoneSize, payload, seed, nerr) => {
        let g;
        try {
          g = przGeometry(zoneSize, ecc);
        } catch {
          return;
        }
        const region = new MemoryRegion(new Uint8Array(zoneSize));
        const z = new PersistentRamZone(region, 0, zoneSize, opts(ecc));
        z.format();
        z.write(payload);
        const clean = region.bytes.slice();
        const size = z.size;
        const blocksInUse = Math.ceil(size / 128);
        const block = seed % blocksInUse;
        const blockLen = Math.min(128, g.dataSize - block * 128);
        // Symbol positions in this block: data bytes then its parity bytes.
        const positions: number[] = [];
        for (let i = 0; i < blockLen; i++) positions.push(12 + block * 128 + i);
        for (let i = 0; i < ecc; i++) positions.push(g.parityOffset + block * ecc + i);
        const k = Math.min(nerr, positions.length);
        const chosen = new Set<number>();
        let s = seed;
        while (chosen.size < k) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          chosen.add(positions[s % positions.length]);
        }
        const bad = clean.slice();
        for (const p of chosen) bad[p] ^= 1 + (p % 255);
        const r = attachPrz(bad, opts(ecc));
        assert.equal(r.state, 'valid');
        if (k <= ecc / 2) {
          assert.equal(r.ecc!.correctedBytes, k);
          assert.equal(r.ecc!.badBlocks, 0);
          assert.equal(r.ecc!.blocks[block], BlockHealth.Corrected);
          const expected = payload.length > g.dataSize ? payload.subarray(payload.length - g.dataSize) : payload;
          // The ring holds the newest dataSize bytes in order.
          assert.deepEqual(r.oldLog, expected);
          assert.equal(r.eccNotice, `\nECC: ${k} Corrected bytes, 0 unrecoverable blocks\n`);
        } else if (r.ecc!.badBlocks) {
          assert.equal(r.ecc!.blocks[block], BlockHealth.Bad);
        }
        assert.deepEqual(bad.subarray(0, 12), clean.subarray(0, 12));
      },
    ),
    { numRuns: runs },
  );
});

test('header corrections count as corrected bytes; parity errors are counted but not written back', () => {
  const region = new MemoryRegion(new Uint8Array(0x1000));
  const z = new PersistentRamZone(region, 0, 0x1000, opts(16));
  z.format();
  z.write(new TextEncoder().encode('hello'));
  const img = region.bytes.slice();
  img[5] ^= 0x40; // start field
  const g = przGeometry(0x1000, 16);
  img[g.parityOffset + 3] ^= 0xff; // block 0 parity
  const r = attachPrz(img, opts(16));
  assert.equal(r.ecc!.header, 1);
  assert.equal(r.ecc!.correctedBytes, 2);
  assert.equal(new TextDecoder().decode(r.oldLog!), 'hello');
  // Data and header are repaired in what the kernel leaves behind; parity is not.
  assert.equal(r.after[5], region.bytes[5]);
  assert.notEqual(r.after[g.parityOffset + 3], region.bytes[g.parityOffset + 3]);
});

test('attach: signature, empty rules and invalid headers', () => {
  const mk = (sig: number, start: number, size: number) => {
    const b = new Uint8Array(256);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, sig, true);
    dv.setUint32(4, start, true);
    dv.setUint32(8, size, true);
    return b;
  };
  const o = opts(0);
  assert.equal(attachPrz(mk(0x43474244, 0, 0), o).state, 'empty');
  assert.equal(attachPrz(mk(0x43474244, 5, 0), o).state, 'invalid');
  assert.equal(attachPrz(mk(0x43474244, 5, 0), { ...o, emptyRule: 'size-only' }).state, 'empty');
  assert.equal(attachPrz(mk(0x43474244, 0, 245), o).state, 'invalid');
  assert.equal(attachPrz(mk(0x43474244, 10, 9), o).state, 'invalid');
  assert.equal(attachPrz(mk(0x12345678, 0, 4), o).state, 'no-signature');
  const v = attachPrz(mk(0x43474244, 2, 244), o);
  assert.equal(v.state, 'valid');
  assert.equal(v.oldLog!.length, 244);
  // zap_old (console/pmsg): the log is saved, then the zone is emptied.
  const c = attachPrz(mk(0x43474244, 2, 244), { ...o, zapOld: true });
  assert.equal(c.oldLog!.length, 244);
  assert.equal(new DataView(c.after.buffer).getUint32(8, true), 0);
  assert.equal(c.modified, true);
});
