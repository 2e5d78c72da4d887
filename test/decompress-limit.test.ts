import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { MemoryRegion } from '../src/region/region.js';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { createImage } from '../src/api/writeImage.js';

/**
 * How much output a reading kernel accepts from one record: big_oops_buf
 * (zbufsize_deflate(bufsize) = bufsize*100/45 for 4 KiB records) before 6.6,
 * 3 × bufsize from 6.6. Beyond it the record is shown as `.enc.z`.
 */
function imageWithRecord(kernel: string, textLength: number): RamoopsImage {
  const params = { mem_size: 0x4000, record_size: 0x1000, console_size: 0, ftrace_size: 0, pmsg_size: 0, ecc: 0 };
  const region = new MemoryRegion(new Uint8Array(params.mem_size));
  const img = createImage(region, { params, kernel });
  const text = new TextEncoder().encode(`Panic#1 Part1\n${'<6>[    1.000000] filler line\n'.repeat(Math.ceil(textLength / 29))}`.slice(0, textLength));
  const data = new Uint8Array(deflateRawSync(text, { windowBits: 11, memLevel: 9 }));
  img.backend.write({ type: 'dmesg', reason: 1, count: 1, part: 1, data, compressed: true, time: { sec: 1704067200, nsec: 0 } });
  return new RamoopsImage(region, { params, kernel });
}

test('the reading kernel decides how large a decompressed record may be', () => {
  const bufsize = 0x1000 - 12; // 4084
  const between = Math.floor(bufsize * 2.5); // above 6.1's 9075, below 6.12's 12252
  assert.deepEqual(imageWithRecord('6.1', between).files().map((f) => f.name), ['dmesg-ramoops-0.enc.z']);
  const modern = imageWithRecord('6.12', between).files();
  assert.deepEqual(modern.map((f) => [f.name, f.content.length]), [['dmesg-ramoops-0', between]]);
  assert.deepEqual(imageWithRecord('6.12', 3 * bufsize + 1).files().map((f) => f.name), ['dmesg-ramoops-0.enc.z']);
  assert.deepEqual(imageWithRecord('6.12', 3 * bufsize).files().map((f) => f.name), ['dmesg-ramoops-0']);
  assert.deepEqual(imageWithRecord('6.1', Math.floor((bufsize * 100) / 45)).files().map((f) => f.name), ['dmesg-ramoops-0']);
});

test('the 6.12 profile reads deflate as 6.6+ does: no retry with an extra zero byte', async () => {
  const { decompressorFor } = await import('../src/api/image.js');
  const cut = new Uint8Array([0x2b, 0x28, 0x2e, 0xc9, 0x2f, 0x4a, 0x05]); // "pstore", last byte cut (see compress-units)
  assert.equal(new TextDecoder().decode(decompressorFor('deflate', 4084, '6.1')!(cut, 0)!.data), 'pstore');
  assert.equal(decompressorFor('deflate', 4084, '6.12')!(cut, 0), null);
});
