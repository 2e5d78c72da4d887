/**
 * Real kernel output: the payloads that Linux 6.1 / 6.12 wrote with each
 * pstore.compress= setting, decompressed and compared with what the kernel
 * itself showed in /sys/fs/pstore.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deflateDecompress } from '../src/core/compress/deflate.js';
import { decompressAny, decompressLimit, getCompressor, zbufsize } from '../src/core/compress/registry.js';
import type { CompressorName } from '../src/core/compress/types.js';
import { DecompressError } from '../src/errors.js';
import { readFixture, readFixtureJson } from './helpers/fixtures.js';

const HEADER = /^====\d+\.\d+-C$/;

/** Zone header {sig, start, size} (LE) at `offset`, then the record: `====sec.usec-C\n` and the payload. */
function compressedPayload(image: Uint8Array, offset: number): { header: string; payload: Uint8Array; start: number; size: number } {
  const dv = new DataView(image.buffer, image.byteOffset + offset);
  assert.equal(dv.getUint32(0, true), 0x43474244, 'zone signature');
  const start = dv.getUint32(4, true);
  const size = dv.getUint32(8, true);
  const data = image.subarray(offset + 12, offset + 12 + size);
  const nl = data.indexOf(10);
  assert.ok(nl > 0, 'record header line');
  return { header: new TextDecoder().decode(data.subarray(0, nl)), payload: data.subarray(nl + 1), start, size };
}

const FULL: CompressorName[] = ['deflate', 'lzo', 'lz4', 'lz4hc', 'zstd'];
const BUFSIZE_64K = 0x10000 - 12;

for (const alg of FULL) {
  test(`kernel-6.1-full compress-${alg}: decompresses to the kernel's dmesg-ramoops-0`, () => {
    const dir = `kernel-6.1-full/compress-${alg}`;
    const params = readFixtureJson<{ pstore: { compress: string } }>(dir, 'params.json');
    assert.equal(params.pstore.compress, alg);
    const { header, payload, start, size } = compressedPayload(readFixture(dir, 'image.bin'), 0);
    assert.equal(start, size, 'linear ring');
    assert.match(header, HEADER);
    const expected = readFixture(dir, 'expected', 'dmesg-ramoops-0');
    const limit = zbufsize(alg, BUFSIZE_64K, '6.1');
    const out = getCompressor(alg).decompress(payload, limit);
    assert.deepEqual(out, expected);
    // One byte less room than the text needs: the kernel would fail, so must we.
    assert.throws(() => getCompressor(alg).decompress(payload, expected.length - 1), DecompressError);
  });

  test(`kernel-6.1-full compress-${alg}: decompressAny finds the algorithm`, () => {
    const dir = `kernel-6.1-full/compress-${alg}`;
    const { payload } = compressedPayload(readFixture(dir, 'image.bin'), 0);
    const got = decompressAny(payload, zbufsize(alg, BUFSIZE_64K, '6.1'));
    assert.ok(got, 'recognised');
    // lz4 and lz4hc write the same block format: the reader cannot tell them apart.
    assert.equal(got.name, alg === 'lz4hc' ? 'lz4' : alg);
    assert.deepEqual(got.data, readFixture(dir, 'expected', 'dmesg-ramoops-0'));
    // Restricted to the writer's algorithm, the answer carries that name.
    assert.equal(decompressAny(payload, 1 << 20, [alg])?.name, alg);
  });
}

test('kernel-6.1-full compress-842: decompressAny finds 842 (the 842 codec is registered)', () => {
  const dir = 'kernel-6.1-full/compress-842';
  const { payload } = compressedPayload(readFixture(dir, 'image.bin'), 0);
  const got = decompressAny(payload, zbufsize('842', BUFSIZE_64K, '6.1'));
  assert.equal(got?.name, '842');
  assert.deepEqual(got?.data, readFixture(dir, 'expected', 'dmesg-ramoops-0'));
});

test('kernel-6.1-full: no other codec accepts another algorithm\'s payload', () => {
  for (const alg of FULL) {
    const { payload } = compressedPayload(readFixture(`kernel-6.1-full/compress-${alg}`, 'image.bin'), 0);
    for (const other of ['deflate', 'lzo', 'lz4', 'zstd', '842'] as CompressorName[]) {
      if (other === alg || (alg === 'lz4hc' && other === 'lz4')) continue;
      assert.throws(() => getCompressor(other).decompress(payload, 1 << 20), DecompressError, `${other} on ${alg}`);
    }
  }
});

interface SyntheticZone {
  zone: string;
  offset: number;
  buffer_size: number;
}

test('kernel-6.1 synthetic-edge-cases: deflate zones 4..7 fail and succeed where the kernel did', () => {
  const dir = 'kernel-6.1/synthetic-edge-cases';
  const image = readFixture(dir, 'image.bin');
  const zones = readFixtureJson<{ synthetic_zones: SyntheticZone[] }>(dir, 'params.json').synthetic_zones;
  const zone = (name: string): SyntheticZone => zones.find((z) => z.zone === name)!;
  const limit = (z: SyntheticZone): number => zbufsize('deflate', z.buffer_size, '6.1');
  assert.equal(limit(zone('dmesg-4')), Math.floor((4240 * 100) / 45));

  // dmesg-4: ordinary raw deflate (python zlib, wbits 11).
  const z4 = zone('dmesg-4');
  assert.deepEqual(deflateDecompress(compressedPayload(image, z4.offset).payload, limit(z4)), readFixture(dir, 'expected', 'dmesg-ramoops-4'));
  // dmesg-6: 15-bit window with a ~3000-byte back reference; 6.1 (11-bit inflate) still read it.
  const z6 = zone('dmesg-6');
  assert.deepEqual(deflateDecompress(compressedPayload(image, z6.offset).payload, limit(z6)), readFixture(dir, 'expected', 'dmesg-ramoops-6'));
  // dmesg-5: random bytes; the kernel showed them as .enc.z.
  const z5 = compressedPayload(image, zone('dmesg-5').offset).payload;
  assert.deepEqual(z5, readFixture(dir, 'expected', 'dmesg-ramoops-5.enc.z'));
  assert.throws(() => deflateDecompress(z5, limit(zone('dmesg-5'))), DecompressError);
  assert.equal(decompressAny(z5, limit(zone('dmesg-5'))), null);
  // dmesg-7: inflates to 12015 bytes, more than big_oops_buf: .enc.z.
  const z7 = compressedPayload(image, zone('dmesg-7').offset).payload;
  assert.deepEqual(z7, readFixture(dir, 'expected', 'dmesg-ramoops-7.enc.z'));
  assert.throws(() => deflateDecompress(z7, limit(zone('dmesg-7'))), /output larger than 9422/);
  assert.equal(deflateDecompress(z7, 12015).length, 12015);
  assert.equal(decompressAny(z7, limit(zone('dmesg-7')), ['deflate']), null);
});

test('kernel-6.1 panic-deflate and small-records-deflate: crypto deflate (11-bit window) records', () => {
  for (const [scenario, recordSize] of [
    ['panic-deflate', 0x10000],
    ['small-records-deflate', 0x1000],
  ] as const) {
    const dir = `kernel-6.1/${scenario}`;
    const { header, payload } = compressedPayload(readFixture(dir, 'image.bin'), 0);
    assert.match(header, HEADER);
    const got = decompressAny(payload, zbufsize('deflate', recordSize - 12, '6.1'));
    assert.equal(got?.name, 'deflate', scenario);
    assert.deepEqual(got?.data, readFixture(dir, 'expected', 'dmesg-ramoops-0'), scenario);
  }
});

test('kernel-6.12 panic-deflate-612: zlib raw deflate (15-bit window), 3 * bufsize read limit', () => {
  const dir = 'kernel-6.12/panic-deflate-612';
  const { header, payload } = compressedPayload(readFixture(dir, 'image.bin'), 0);
  assert.match(header, HEADER);
  const expected = readFixture(dir, 'expected', 'dmesg-ramoops-0');
  assert.equal(expected.length, 17415);
  const bufsize = 0x10000 - 12;
  assert.equal(decompressLimit('deflate', bufsize, '6.12'), 3 * bufsize);
  const got = decompressAny(payload, decompressLimit('deflate', bufsize, '6.12'));
  assert.equal(got?.name, 'deflate');
  assert.deepEqual(got?.data, expected);
});
