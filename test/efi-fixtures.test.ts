/**
 * efi-pstore fixtures (test/fixtures/efi-6.1): variable stores written by
 * Debian's Linux 6.1 under OVMF. Every file the reading kernel showed in
 * /sys/fs/pstore must come out byte for byte with the same name and mtime.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { EfiImage } from '../src/api/efiImage.js';
import { LINUX_EFI_CRASH_GUID } from '../src/backends/efi/guid.js';
import { MemoryRegion } from '../src/region/region.js';
import { fixturePath, readFixture, readFixtureJson } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  size: number;
  mtime_epoch: number;
}
const SCENARIOS = ['efi-panic', 'efi-two-panics', 'efi-erase'];

function open(scenario: string, file = 'varstore.fd', options = {}): EfiImage {
  return new EfiImage(new MemoryRegion(readFixture('efi-6.1', scenario, file)), options);
}

for (const scenario of SCENARIOS) {
  test(`${scenario}: every /sys/fs/pstore file, byte for byte, with its name and mtime`, () => {
    const image = open(scenario);
    const meta = readFixtureJson<{ files: MetaFile[] }>('efi-6.1', scenario, 'meta.json');
    const expected = readdirSync(fixturePath('efi-6.1', scenario, 'expected')).sort();
    const files = image.files();
    assert.deepEqual(files.map((f) => f.name).sort(), expected);
    assert.equal(files.length, meta.files.length);
    for (const m of meta.files) {
      const f = image.file(m.name);
      assert.deepEqual(Buffer.from(f.content), readFileSync(fixturePath('efi-6.1', scenario, 'expected', m.name)), m.name);
      assert.equal(f.content.length, m.size);
      assert.deepEqual(f.mtime, { sec: m.mtime_epoch, nsec: 0 });
      assert.equal(f.compression, 'deflate');
      assert.equal(f.backend, 'efi');
    }
  });
}

test('efi-panic: files come in store order, parts 1..15 of Panic#1, ids as generic_id computes them', () => {
  const files = open('efi-panic').files();
  assert.deepEqual(
    files.map((f) => f.record.part),
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
  for (const f of files) {
    assert.equal(f.name, `dmesg-efi-${(1704067209n * 100n + BigInt(f.record.part!)) * 1000n + 1n}`);
    assert.equal(f.record.count, 1);
    assert.ok(new TextDecoder().decode(f.content).startsWith(`Panic#1 Part${f.record.part}\n`));
  }
});

test('efi-erase: after Linux removed every file the store shows none; the variables are there, State DELETED (0x3d)', () => {
  const image = open('efi-erase', 'after.fd');
  assert.deepEqual(image.files(), []);
  const dumps = image.variables().filter((v) => v.header.vendorGuid === LINUX_EFI_CRASH_GUID);
  assert.equal(dumps.length, 14);
  for (const v of dumps) {
    assert.equal(v.state, 'deleted');
    assert.equal(v.header.state, 0x3d);
  }
  const h = image.health();
  assert.equal(h.damaged, false);
  assert.equal(h.pstoreVariables, 0);
  assert.ok(h.reclaimableBytes > dumps.reduce((n, v) => n + v.dataSize, 0));
});

test('kernel 6.12 reads the same store as efi_pstore files, decompressed within 3 x record_size', () => {
  const files = open('efi-panic', 'varstore.fd', { kernel: '6.12' }).files();
  const old = open('efi-panic').files();
  assert.deepEqual(
    files.map((f) => f.name),
    old.map((f) => f.name.replace('dmesg-efi-', 'dmesg-efi_pstore-')),
  );
  for (let i = 0; i < files.length; i++) assert.deepEqual(files[i].content, old[i].content);
});

test('compression off: the records stay .enc.z with the variable data as stored', () => {
  const image = open('efi-panic', 'varstore.fd', { compress: 'none' });
  const files = image.files();
  assert.equal(files.length, 15);
  for (const f of files) {
    assert.ok(f.name.endsWith('.enc.z'));
    const v = image.variables().find((x) => x.name === f.record.zones[0].label)!;
    assert.deepEqual(f.content, image.store.data(v));
  }
});

test('the store embedded at an odd offset of a larger file reads the same with offset', () => {
  const fd = readFixture('efi-6.1', 'efi-two-panics', 'varstore.fd');
  const big = new Uint8Array(fd.length + 12345).fill(0xff);
  big.set(fd, 4097);
  const image = new EfiImage(new MemoryRegion(big), { offset: 4097 });
  assert.deepEqual(
    image.files().map((f) => [f.name, f.content]),
    open('efi-two-panics').files().map((f) => [f.name, f.content]),
  );
});

test('map(): plain objects with file offsets for every variable, the store and the free space', () => {
  const fd = readFixture('efi-6.1', 'efi-panic', 'varstore.fd');
  const big = new Uint8Array(fd.length + 1001).fill(0);
  big.set(fd, 1001);
  const m = new EfiImage(new MemoryRegion(big), { offset: 1001 }).map();
  assert.deepEqual(structuredClone(m), m);
  assert.equal(m.fv?.offset, 1001);
  assert.equal(m.store.offset, 1001 + 0x48);
  assert.equal(m.store.format, 'authenticated');
  assert.equal(m.variables[0].offset, 1001 + 0x64);
  assert.equal(m.variables[0].name, 'CustomMode');
  const pstore = m.variables.filter((v) => v.isPstore);
  assert.equal(pstore.length, 15);
  assert.equal(pstore[0].offset, 1001 + 0x39f8);
  assert.equal(pstore[0].totalSize, 0x3d24 - 0x39f8);
  const last = m.variables[m.variables.length - 1];
  assert.equal(m.store.freeOffset, last.offset + last.totalSize);
  assert.equal(m.store.freeOffset, 1001 + 0x6998);
  assert.equal(m.store.end, 1001 + 0x40000);
});
