/**
 * Writing efi-pstore records (src/api/efiWrite.ts, EfiBackend.write/erase):
 * the bytes OVMF stored for Linux's writes and deletes are reproduced
 * exactly, dumps read back through the reader, and full or damaged stores
 * are refused without a byte changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EfiImage } from '../src/api/efiImage.js';
import { createEfiStore, dumpToEfiImage, openEfiForWrite, removeEfiRecord } from '../src/api/efiWrite.js';
import { LINUX_EFI_CRASH_GUID } from '../src/backends/efi/guid.js';
import { encodeVariable } from '../src/backends/efi/variable.js';
import { KmsgDumpReason } from '../src/core/backend.js';
import { CorruptImageError, LayoutError } from '../src/errors.js';
import { installNodeDeflate } from '../src/node/deflate.js';
import { MemoryRegion } from '../src/region/region.js';
import { readFixture } from './helpers/fixtures.js';

installNodeDeflate('6.1');

const LOG = Array.from({ length: 300 }, (_, i) => `<6>[  ${(i / 10).toFixed(6).padStart(10, ' ')}] line ${i} ${'x'.repeat(i % 50)}`).join('\n') + '\n';
const T = { sec: 1704067300, nsec: 5 };

function fixtureImage(scenario: string, file = 'varstore.fd'): { bytes: Uint8Array; image: EfiImage } {
  const bytes = readFixture('efi-6.1', scenario, file);
  return { bytes, image: new EfiImage(new MemoryRegion(bytes)) };
}

test('every efi-pstore variable OVMF stored re-encodes to the same bytes (auth header fields 0, attributes NV|BS|RT, 0xFF padding)', () => {
  const { bytes, image } = fixtureImage('efi-two-panics');
  const dumps = image.variables().filter((v) => v.header.vendorGuid === LINUX_EFI_CRASH_GUID);
  assert.equal(dumps.length, 29);
  for (const v of dumps) {
    const ours = encodeVariable({ name: v.name, vendorGuid: LINUX_EFI_CRASH_GUID, attributes: 7, data: image.store.data(v) }, true);
    assert.deepEqual(ours, bytes.subarray(v.offset, v.next), v.name);
  }
});

test("replaying the kernel's writes on the store as it was before the crash gives OVMF's bytes exactly", () => {
  const { bytes, image } = fixtureImage('efi-panic');
  const dumps = image.variables().filter((v) => v.header.vendorGuid === LINUX_EFI_CRASH_GUID);
  const before = bytes.slice();
  // The crash boot appended the dump variables last: erase them back to flash state.
  before.fill(0xff, dumps[0].offset, image.store.end);
  const replay = new EfiImage(new MemoryRegion(before));
  assert.deepEqual(replay.files(), []);
  for (const v of dumps) {
    const f = image.files().find((x) => x.record.zones[0].offset === v.offset)!;
    const ok = replay.backend.write({ type: 'dmesg', reason: KmsgDumpReason.PANIC, count: f.record.count!, part: f.record.part!, data: image.store.data(v), compressed: true, time: { sec: f.mtime!.sec, nsec: 0 } });
    assert.ok(ok, v.name);
  }
  assert.deepEqual(before, bytes);
});

test("rm deletes as Linux did: each removed file's variable equals the after.fd bytes (State 0x3f -> 0x3d)", () => {
  const { image } = fixtureImage('efi-erase');
  const after = readFixture('efi-6.1', 'efi-erase', 'after.fd');
  const names = image.files().map((f) => f.name);
  for (const n of names) removeEfiRecord(image, n);
  assert.deepEqual(image.files(), []);
  const region = image.region;
  for (const v of image.variables().filter((x) => x.header.vendorGuid === LINUX_EFI_CRASH_GUID)) {
    assert.deepEqual(region.read(v.offset, v.next - v.offset), after.subarray(v.offset, v.next), v.name);
  }
});

test('a dump into a fresh store reads back: parts 1.., newest text first, Panic#1 headers, deflate, ids and mtimes from the names', () => {
  const region = new MemoryRegion(new Uint8Array(0x84000));
  const image = createEfiStore(region);
  assert.equal(image.health().damaged, false);
  const s = dumpToEfiImage(image, { log: LOG, reasons: [KmsgDumpReason.PANIC], time: T, compress: 'deflate' });
  assert.equal(s.dumped, 1);
  assert.ok(s.written.length > 1);
  assert.equal(s.written[0], `dump-type0-1-1-${T.sec}-C`);
  const files = new EfiImage(region).files();
  assert.deepEqual(
    files.map((f) => f.name),
    s.written.map((_, i) => `dmesg-efi-${(BigInt(T.sec) * 100n + BigInt(i + 1)) * 1000n + 1n}`),
  );
  const text = new TextDecoder().decode(files[0].content);
  assert.ok(text.startsWith('Panic#1 Part1\n'));
  assert.ok(text.endsWith('line 299 ' + 'x'.repeat(299 % 50) + '\n'));
  for (const f of files) {
    assert.deepEqual(f.mtime, { sec: T.sec, nsec: 0 });
    assert.equal(f.compression, 'deflate');
    assert.ok(f.record.data.length <= 1024);
  }
  const vars = image.variables();
  assert.ok(vars.every((v) => v.header.attributes === 7 && v.header.state === 0x3f && v.header.monotonicCount === 0n));
});

test('uncompressed dumps are `-D` variables of at most record_size bytes; kernel 6.12 names them efi_pstore', () => {
  const region = new MemoryRegion(new Uint8Array(0x84000));
  createEfiStore(region);
  const image = new EfiImage(region, { kernel: '6.12' });
  const s = dumpToEfiImage(image, { log: LOG, reasons: [KmsgDumpReason.OOPS], time: T, compress: 'none' });
  assert.ok(s.written.every((n) => n.endsWith('-D')));
  const files = image.files();
  assert.ok(files.every((f) => f.name.startsWith('dmesg-efi_pstore-') && !f.compressed && f.content.length <= 1024));
  assert.ok(new TextDecoder().decode(files[0].content).startsWith('Oops#1 Part1\n'));
});

test('the same record written again replaces the variable: the old copy is DELETED (0x3c, as EDK2 leaves an update), the file shows the new data', () => {
  const region = new MemoryRegion(new Uint8Array(0x84000));
  const image = createEfiStore(region);
  const rec = (data: Uint8Array) => ({ type: 'dmesg' as const, reason: 1, count: 1, part: 1, data, compressed: false, time: T });
  assert.ok(image.backend.write(rec(new TextEncoder().encode('Panic#1 Part1\nfirst\n'))));
  image.invalidate();
  assert.ok(image.backend.write(rec(new TextEncoder().encode('Panic#1 Part1\nsecond\n'))));
  image.invalidate();
  const vars = image.variables();
  assert.deepEqual(
    vars.map((v) => v.header.state),
    [0x3c, 0x3f],
  );
  assert.equal(new TextDecoder().decode(image.files()[0].content), 'Panic#1 Part1\nsecond\n');
});

test('a full store is refused with one line and not a byte changed; partial writes the parts that fit, as the kernel', () => {
  const region = new MemoryRegion(new Uint8Array(0x84000));
  createEfiStore(region, { storeSize: 0x48 + 0x2000 + 5120 });
  const before = region.bytes.slice();
  const image = new EfiImage(region);
  assert.throws(() => dumpToEfiImage(image, { log: LOG, reasons: [KmsgDumpReason.PANIC], time: T, compress: 'none' }), (e: unknown) => e instanceof LayoutError && /variable store is full/.test(e.message) && !e.message.includes('\n'));
  assert.deepEqual(region.bytes, before);
  const s = dumpToEfiImage(image, { log: LOG, reasons: [KmsgDumpReason.PANIC], time: T, compress: 'none', partial: true });
  assert.ok(s.written.length >= 1 && s.refused.length >= 1);
  assert.equal(image.files().length, s.written.length);
  // efi-pstore keeps 5 KiB free.
  assert.ok(image.backend.services.remainingStorage() >= 5120 - 1100);
});

test('a damaged store (a header whose sizes run past the store) is refused by dump and rm, untouched', () => {
  const { bytes, image } = fixtureImage('efi-panic');
  const last = image.variables()[image.variables().length - 1];
  // DataSize of the last variable far beyond the store.
  bytes[last.offset + 40 + 2] = 0x7f;
  const before = bytes.slice();
  const damaged = new EfiImage(new MemoryRegion(bytes));
  assert.equal(damaged.health().damaged, true);
  assert.throws(() => dumpToEfiImage(damaged, { log: LOG, reasons: [KmsgDumpReason.PANIC], time: T }), CorruptImageError);
  assert.throws(() => removeEfiRecord(damaged, damaged.files()[0].name), CorruptImageError);
  assert.throws(() => openEfiForWrite(new MemoryRegion(bytes)), CorruptImageError);
  assert.deepEqual(bytes, before);
});

test('property: dumps of random logs into a fresh store always read back part for part, and rm of any subset leaves exactly the rest', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 120 }), { minLength: 1, maxLength: 80 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (lines, zip, picks) => {
      const region = new MemoryRegion(new Uint8Array(0x84000));
      const image = createEfiStore(region);
      const log = lines.map((l, i) => `<5>[  ${i}.000000] ${l.replace(/[\r\n\0]/g, ' ')}`).join('\n') + '\n';
      const s = dumpToEfiImage(image, { log, reasons: [KmsgDumpReason.OOPS], time: T, compress: zip ? 'deflate' : 'none' });
      const files = image.files();
      assert.equal(files.length, s.written.length);
      files.forEach((f, i) => assert.ok(new TextDecoder().decode(f.content).startsWith(`Oops#1 Part${i + 1}\n`)));
      const gone = new Set(picks.filter((p) => p < files.length).map((p) => files[p].name));
      for (const n of gone) removeEfiRecord(image, n);
      assert.deepEqual(
        image.files().map((f) => f.name),
        files.map((f) => f.name).filter((n) => !gone.has(n)),
      );
      assert.equal(image.health().damaged, false);
    }),
    { numRuns: 30 },
  );
});
