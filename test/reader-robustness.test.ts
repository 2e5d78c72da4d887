import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryRegion } from '../src/region/region.js';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';
import { PstoreError } from '../src/errors.js';
import { readFixture, readFixtureJson, scenarios } from './helpers/fixtures.js';

const runs = Number(process.env.PSTORE_FC_RUNS ?? 40);

const sets = [
  ...scenarios('kernel-6.1').map((s) => ['kernel-6.1', s, 'debian-6.1'] as const),
  ...scenarios('kernel-6.12').map((s) => ['kernel-6.12', s, '6.12'] as const),
  ...scenarios('kernel-6.1-full')
    .filter((s) => !s.startsWith('pstore-blk'))
    .map((s) => ['kernel-6.1-full', s, '6.1'] as const),
];

/** Offsets worth hitting: zone headers (sig/start/size), record headers, parity. */
function hotOffsets(image: RamoopsImage): number[] {
  const out: number[] = [];
  for (const z of image.layout.zones) {
    for (let i = 0; i < 24; i++) out.push(z.offset + i);
    if (z.geometry.eccSize) for (let i = 0; i < z.geometry.eccSize; i++) out.push(z.offset + z.geometry.headerParityOffset + i);
  }
  return out;
}

for (const [set, sc, kernel] of sets) {
  test(`${set}/${sc}: random corruption never crashes the reader`, () => {
    const params = paramsFromObject(readFixtureJson(set, sc, 'params.json'));
    const pristine = readFixture(set, sc, 'image.bin');
    const hot = hotOffsets(new RamoopsImage(new MemoryRegion(pristine.slice()), { params, kernel }));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            hot: fc.boolean(),
            pick: fc.nat(),
            value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(0xff), fc.constant(0)),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 64 }),
        (edits, truncate) => {
          let bytes = pristine.slice();
          for (const e of edits) {
            const off = e.hot ? hot[e.pick % hot.length] : e.pick % bytes.length;
            bytes[off] = e.value;
          }
          if (truncate === 1) bytes = bytes.subarray(0, bytes.length - 1 - (edits[0].pick % 4096));
          const t0 = Date.now();
          try {
            const img = new RamoopsImage(new MemoryRegion(bytes), { params, kernel });
            const files = img.files();
            for (const f of files) assert.ok(f.content.length <= 4 * img.layout.params.mem_size + 65536, 'output bounded');
            img.zones();
          } catch (e) {
            if (!(e instanceof PstoreError)) throw e;
            assert.ok(!e.message.includes('\n'), 'one-line message');
          }
          assert.ok(Date.now() - t0 < 5000, 'no hang');
        },
      ),
      { numRuns: runs },
    );
  });
}

test('hostile headers: start/size near 2^32 and sizes larger than the zone', () => {
  const params = { mem_size: 0x4000, record_size: 0x1000, console_size: 0x1000, ftrace_size: 0, pmsg_size: 0, ecc: 0 };
  for (const [start, size] of [
    [0xffffffff, 0xffffffff],
    [0, 0xffffffff],
    [0x7fffffff, 0x80000000],
    [5, 4],
  ]) {
    const b = new Uint8Array(0x4000);
    const dv = new DataView(b.buffer);
    for (let z = 0; z < 4; z++) {
      dv.setUint32(z * 0x1000, 0x43474244, true);
      dv.setUint32(z * 0x1000 + 4, start, true);
      dv.setUint32(z * 0x1000 + 8, size, true);
    }
    const img = new RamoopsImage(new MemoryRegion(b), { params });
    assert.deepEqual(img.files(), []);
    assert.ok(img.zones().every((r) => r.attach.state === 'invalid'));
  }
});
