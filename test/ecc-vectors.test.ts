import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EBADMSG, RS_UNCORRECTABLE, reedSolomon } from '../src/ecc/index.js';
import { fixturePath, readFixture } from './helpers/fixtures.js';

interface EncodeVector {
  data: string;
  parity: string;
}
interface DecodeVector {
  errors: number;
  data: string;
  parity: string;
  result: number;
  decoded: string;
  original: string;
}

function lines<T>(name: string): T[] {
  return readFileSync(fixturePath('reed-solomon', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const encodeVectors = lines<EncodeVector>('encode-rs8-n16.jsonl');
const decodeVectors = lines<DecodeVector>('decode-rs8-n16.jsonl');

test('fixtures are present and cover the interesting cases', () => {
  assert.ok(encodeVectors.length >= 50);
  assert.ok(decodeVectors.length >= 300);
  assert.ok(decodeVectors.some((v) => v.result === -EBADMSG));
  assert.ok(decodeVectors.some((v) => v.result > 0));
});

test('encode_rs8 parity, every vector (nroots 16)', () => {
  const rs = reedSolomon(16);
  const parity = new Uint8Array(16);
  for (const [i, v] of encodeVectors.entries()) {
    const data = hex(v.data);
    parity.fill(0xaa);
    rs.encode(data, 0, data.length, parity, 0);
    assert.equal(toHex(parity), v.parity, `vector ${i} (len ${data.length})`);
    assert.ok(rs.check(data, 0, data.length, hex(v.parity), 0), `check vector ${i}`);
  }
});

test('encode at offsets inside larger buffers gives the same parity', () => {
  const rs = reedSolomon(16);
  for (const v of encodeVectors) {
    const data = hex(v.data);
    const big = new Uint8Array(data.length + 7).fill(0x5c);
    big.set(data, 3);
    const parity = new Uint8Array(16 + 5).fill(0x11);
    rs.encode(big, 3, data.length, parity, 5);
    assert.equal(toHex(parity.subarray(5)), v.parity);
    assert.deepEqual([...parity.subarray(0, 5)], [0x11, 0x11, 0x11, 0x11, 0x11]);
  }
});

test('decode_rs8 result and data left behind, every vector (nroots 16)', () => {
  const rs = reedSolomon(16);
  for (const [i, v] of decodeVectors.entries()) {
    const data = hex(v.data);
    const parity = hex(v.parity);
    const clean = rs.check(data, 0, data.length, parity, 0);
    const got = rs.decode(data, 0, data.length, parity, 0);
    const expected = v.result === -EBADMSG ? RS_UNCORRECTABLE : v.result;
    assert.equal(got, expected, `vector ${i}: ${v.errors} errors, len ${data.length}`);
    assert.equal(toHex(data), v.decoded, `vector ${i}: decoded data`);
    // ram_core decodes a copy of the parity: ours must not be modified.
    assert.equal(toHex(parity), v.parity, `vector ${i}: parity untouched`);
    assert.equal(clean, v.errors === 0, `vector ${i}: check()`);
    if (v.result >= 0) assert.equal(v.decoded, v.original);
  }
});

// A real ramoops image written by Linux 6.1 with ecc=16 (one 64 KiB dmesg
// zone at offset 0): persistent_ram_init_ecc's layout, worked out by hand here.
const ZONE_SIZE = 0x10000;
const HEADER = 12;
const BLOCK = 128;
const BUFFER = ZONE_SIZE - HEADER;
const ECC_BLOCKS = Math.ceil((BUFFER - 16) / (BLOCK + 16));
const DATA_AREA = BUFFER - (ECC_BLOCKS + 1) * 16;

function zoneBlocks(image: Uint8Array): { used: number } {
  const view = new DataView(image.buffer, image.byteOffset);
  return { used: view.getUint32(8, true) };
}

test('real image panic-ecc16: header and every used block verify clean', () => {
  const image = readFixture('kernel-6.1', 'panic-ecc16', 'image.bin');
  const rs = reedSolomon(16);
  assert.equal(DATA_AREA, 58228); // meta.json image_zones[0].buffer_size
  assert.ok(rs.check(image, 0, HEADER, image, HEADER + DATA_AREA + ECC_BLOCKS * 16));
  const { used } = zoneBlocks(image);
  assert.ok(used > BLOCK);
  for (let b = 0; b * BLOCK < used; b++) {
    assert.ok(rs.check(image, HEADER + b * BLOCK, BLOCK, image, HEADER + DATA_AREA + b * 16), `block ${b}`);
  }
});

test('real image panic-ecc16-corrupt-correctable: block 10 decodes to 3 corrections, bytes restored', () => {
  const image = readFixture('kernel-6.1', 'panic-ecc16-corrupt-correctable', 'image.bin');
  const clean = readFixture('kernel-6.1', 'panic-ecc16', 'image.bin');
  const rs = reedSolomon(16);
  assert.equal(rs.decode(image, 0, HEADER, image, HEADER + DATA_AREA + ECC_BLOCKS * 16), 0);
  const { used } = zoneBlocks(image);
  let corrected = 0;
  for (let b = 0; b * BLOCK < used; b++) {
    const n = rs.decode(image, HEADER + b * BLOCK, BLOCK, image, HEADER + DATA_AREA + b * 16);
    assert.equal(n, b === 10 ? 3 : 0, `block ${b}`);
    corrected += n;
  }
  assert.equal(corrected, 3); // the kernel's "ECC: 3 Corrected bytes, 0 unrecoverable blocks"
  for (const off of [1297, 1342, 1392]) assert.equal(image[off], clean[off], `offset ${off}`);
  assert.deepEqual(image.subarray(0, ZONE_SIZE), clean.subarray(0, ZONE_SIZE));
});
