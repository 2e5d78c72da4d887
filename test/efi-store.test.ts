/**
 * The EDK2 store model and efi-pstore's read rules on hand-built stores:
 * which State bytes the firmware shows, the in-deletion twin rule, the
 * kernel's name parsing (three forms, sscanf quirks, u64 ids), and the
 * conditions that end Linux's read early. Plus robustness: mutated stores
 * give files or one typed error, never a crash.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EfiImage } from '../src/api/efiImage.js';
import { createEfiStore } from '../src/api/efiWrite.js';
import { dumpVariableName, efiPstoreProfile, genericId, parseDumpName, ucs2AsUtf8 } from '../src/backends/efi/dumpName.js';
import { decodeFvHeader } from '../src/backends/efi/firmwareVolume.js';
import { LINUX_EFI_CRASH_GUID } from '../src/backends/efi/guid.js';
import { encodeVariable, variableState } from '../src/backends/efi/variable.js';
import { kernelProfile } from '../src/backends/ramoops/kernelProfile.js';
import { PstoreError } from '../src/errors.js';
import { MemoryRegion } from '../src/region/region.js';
import { readFixture } from './helpers/fixtures.js';

const enc = new TextEncoder();
const utf8 = (s: string): Uint8Array => enc.encode(s);

interface V {
  name: string;
  data?: string | Uint8Array;
  guid?: string;
  attributes?: number;
  state?: number;
}

/** A fresh OVMF-like store with the variables appended in order, States as given. */
function store(vars: V[], auth = true): { region: MemoryRegion; image: EfiImage } {
  const region = new MemoryRegion(new Uint8Array(0x84000));
  createEfiStore(region, { auth });
  let at = 0x48 + 28;
  for (const v of vars) {
    const data = typeof v.data === 'string' ? utf8(v.data) : (v.data ?? utf8('Panic#1 Part1\nx\n'));
    const bytes = encodeVariable({ name: v.name, vendorGuid: v.guid ?? LINUX_EFI_CRASH_GUID, attributes: v.attributes ?? 7, data }, auth, v.state ?? 0x3f);
    region.write(at, bytes);
    at += bytes.length;
  }
  return { region, image: new EfiImage(region) };
}

const names = (image: EfiImage): string[] => image.files().map((f) => f.name);

test('State bytes: only ADDED (0x3f) and IN_DELETED_TRANSITION (0x3e) are variables the OS sees', () => {
  assert.equal(variableState(0x3f), 'added');
  assert.equal(variableState(0x3e), 'in-deletion');
  assert.equal(variableState(0x7f), 'header-only');
  assert.equal(variableState(0xff), 'header-only');
  assert.equal(variableState(0x3d), 'deleted');
  assert.equal(variableState(0x3c), 'deleted');
  assert.equal(variableState(0x3b), 'unknown');
  const { image } = store([
    { name: 'dump-type0-1-1-100-D', state: 0x3f },
    { name: 'dump-type0-2-1-100-D', state: 0x3d },
    { name: 'dump-type0-3-1-100-D', state: 0x3c },
    { name: 'dump-type0-4-1-100-D', state: 0x7f },
    { name: 'dump-type0-5-1-100-D', state: 0x3e },
  ]);
  assert.deepEqual(names(image), ['dmesg-efi-10001001', 'dmesg-efi-10005001']);
  assert.equal(image.health().damaged, false);
});

test('an update cut short: the in-deletion copy hides behind its ADDED twin, and shows when it has none', () => {
  const twin = store([
    { name: 'dump-type0-1-1-100-D', state: 0x3e, data: 'Panic#1 Part1\nold\n' },
    { name: 'dump-type0-1-1-100-D', state: 0x3f, data: 'Panic#1 Part1\nnew\n' },
  ]).image;
  assert.equal(twin.files().length, 1);
  assert.equal(new TextDecoder().decode(twin.files()[0].content), 'Panic#1 Part1\nnew\n');
  const alone = store([{ name: 'dump-type0-1-1-100-D', state: 0x3e, data: 'Panic#1 Part1\nold\n' }]).image;
  assert.equal(new TextDecoder().decode(alone.files()[0].content), 'Panic#1 Part1\nold\n');
});

test('other vendors are skipped; a variable without RUNTIME_ACCESS is invisible to Linux; plain-header stores read the same', () => {
  for (const auth of [true, false]) {
    const { image } = store(
      [
        { name: 'Boot0000', guid: '8be4df61-93ca-11d2-aa0d-00e098032b8c', data: 'x' },
        { name: 'dump-type0-1-2-100-D' },
        { name: 'dump-type0-2-2-100-D', attributes: 3 },
        { name: 'dump-type0-3-2-100-C', data: new Uint8Array([1, 2, 3]) },
      ],
      auth,
    );
    assert.deepEqual(names(image), ['dmesg-efi-10001002', 'dmesg-efi-10003002.enc.z'], `auth ${auth}`);
  }
});

test("Linux's read stops at a crash-GUID variable whose name is not a dump, at data over record_size, and at an empty variable", () => {
  const stopName = store([{ name: 'dump-type0-1-1-100-D' }, { name: 'hello' }, { name: 'dump-type0-2-1-100-D' }]).image;
  assert.deepEqual(names(stopName), ['dmesg-efi-10001001']);
  assert.match(stopName.backend.readNotes[0].message, /'hello' is not a dump-type name/);
  const big = store([{ name: 'dump-type0-1-1-100-D' }, { name: 'dump-type0-2-1-100-D', data: new Uint8Array(1025).fill(65) }, { name: 'dump-type0-3-1-100-D' }]).image;
  assert.deepEqual(names(big), ['dmesg-efi-10001001']);
  assert.match(big.backend.readNotes[0].message, /buffer-too-small \(1025 bytes > record_size 1024\)/);
  // 6.12 with efi_pstore.record_size=2048 reads it.
  const region = big.region;
  assert.equal(new EfiImage(region, { kernel: '6.12', recordSize: 2048 }).files().length, 3);
  const empty = store([{ name: 'dump-type0-1-1-100-D', data: new Uint8Array(0) }, { name: 'dump-type0-2-1-100-D' }]).image;
  assert.deepEqual(names(empty), []);
});

test('the three name forms, ids by generic_id, duplicates dropped as pstore_mkfile does', () => {
  const { image } = store([
    { name: 'dump-type0-2-3-1700000000-C', data: new Uint8Array([1, 2, 3]) },
    { name: 'dump-type0-2-3-1700000000', data: 'a' },
    { name: 'dump-type0-4-1700000001', data: 'b' },
    { name: 'dump-type0-5-3-1700000000', data: 'c' },
  ]);
  // The second has the first's type and id: pstore_mkfile keeps the first file only.
  assert.deepEqual(names(image), ['dmesg-efi-170000000002003.enc.z', 'dmesg-efi-170000000104000', 'dmesg-efi-170000000005003']);
  const forms = image.files().map((f) => (f.record as unknown as { dumpName: { form: string } }).dumpName.form);
  assert.deepEqual(forms, ['dump-type%u-%u-%d-%llu-%c', 'dump-type%u-%u-%llu', 'dump-type%u-%u-%d-%llu']);
});

test("the kernel's sscanf: leading blanks before numbers, a negative count, wrapping u64 ids, type names, trailing text", () => {
  const p = (s: string) => parseDumpName(utf8(s));
  assert.equal(p('dump-type0- 1-1-100-D')?.part, 1);
  assert.equal(p('dump-type0-1--5-100-D')?.count, -5);
  assert.equal(p('dump-type0-1--5-100-D')?.id, BigInt.asUintN(64, 10001000n - 5n));
  assert.equal(p('dump-type0-1-1-100-Dtrailing')?.compressed, false);
  assert.equal(p('dump-type0-+1-1-100-D'), null);
  assert.equal(p('dump-type0-1-1-99999999999999999999-C')?.time, 99999999999999999999n % 2n ** 64n);
  assert.equal(p('dump-type0-1-1-184467440737095516-C')?.id, BigInt.asUintN(64, (184467440737095516n * 100n + 1n) * 1000n + 1n));
  assert.equal(p('dump-type2-1-1-100-D')?.type, 2);
  assert.equal(p('Dump-type0-1-1-100-D'), null);
  assert.equal(genericId(1704067209n, 1, 1), 170406720901001n);
  assert.equal(dumpVariableName(0, 3, 2, 1704067209, true), 'dump-type0-3-2-1704067209-C');
  // UCS-2 to UTF-8 in 66 bytes: characters are cut whole.
  assert.deepEqual(ucs2AsUtf8([0x41, 0x20ac, 0x42], 3), utf8('A'));
  assert.deepEqual(ucs2AsUtf8([0x41, 0xe9], 66), utf8('Aé'));
});

test('a u64 id beyond 2^53 keeps every digit in the file name, and rm finds it', () => {
  const { image } = store([{ name: 'dump-type0-1-1-18446744073709551-D' }]);
  const [f] = image.files();
  assert.equal(f.name, `dmesg-efi-${BigInt.asUintN(64, (18446744073709551n * 100n + 1n) * 1000n + 1n)}`);
  image.backend.erase(f.type, f.id, f.record.idText);
  image.invalidate();
  assert.deepEqual(image.files(), []);
});

test('console-typed records (dump-type2) show as console files; kernel profiles name the backend and size records', () => {
  const { image } = store([{ name: 'dump-type2-1-1-100-D', data: 'console text\n' }]);
  assert.deepEqual(names(image), ['console-efi-10001001']);
  assert.deepEqual(efiPstoreProfile(kernelProfile('6.1')), { backendName: 'efi', recordSize: 1024, varNameSize: 1024 });
  assert.deepEqual(efiPstoreProfile(kernelProfile('6.12'), 4096), { backendName: 'efi_pstore', recordSize: 4096, varNameSize: 512 });
  assert.equal(efiPstoreProfile(kernelProfile('6.12'), 100).recordSize, 1024);
});

test('the OVMF firmware volume header decodes with its block map and checksum', () => {
  const fv = decodeFvHeader(readFixture('efi-6.1', 'efi-panic', 'varstore.fd'))!;
  assert.equal(fv.nvData, true);
  assert.equal(fv.fvLength, 0x84000);
  assert.equal(fv.headerLength, 0x48);
  assert.equal(fv.checksumOk, true);
  assert.deepEqual(fv.blockMap, [{ numBlocks: 0x84, length: 0x1000 }]);
  // createEfiStore writes the same header.
  const region = new MemoryRegion(new Uint8Array(0x84000));
  createEfiStore(region);
  assert.deepEqual(region.bytes.subarray(0, 0x48 + 28), readFixture('efi-6.1', 'efi-panic', 'varstore.fd').subarray(0, 0x48 + 28));
  assert.deepEqual(region.bytes.subarray(0x41000, 0x41020), readFixture('efi-6.1', 'efi-panic', 'varstore.fd').subarray(0x41000, 0x41020));
});

test('property: any byte mutations of a real store give files or one PstoreError, never a crash; check reports instead of throwing', () => {
  const base = readFixture('efi-6.1', 'efi-two-panics', 'varstore.fd');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 0xa400 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (muts) => {
      const b = base.slice();
      for (const [o, v] of muts) b[o] = v;
      try {
        const image = new EfiImage(new MemoryRegion(b));
        for (const f of image.files()) assert.ok(f.content.length <= 1828);
        const h = image.health();
        assert.equal(typeof h.damaged, 'boolean');
        image.map();
      } catch (e) {
        if (!(e instanceof PstoreError)) throw e;
        assert.ok(!e.message.includes('\n'));
      }
    }),
    { numRuns: 200 },
  );
});

test('two ADDED variables with one name: the enumeration cycles, the kernel shows what it saw before the cycle', () => {
  const { image } = store([
    { name: 'dump-type0-1-1-100-D' },
    { name: 'dump-type0-2-1-100-D' },
    { name: 'dump-type0-1-1-100-D', data: 'Panic#1 Part1\nsecond copy\n' },
    { name: 'dump-type0-3-1-100-D' },
  ]);
  assert.deepEqual(names(image), ['dmesg-efi-10001001', 'dmesg-efi-10002001']);
  assert.match(image.backend.readNotes[0].message, /enumeration cycles/);
});

test('scan: a stale copy of the volume inside the found one (FTW spare) and FFS volumes padded with 0xFF are not stores', async () => {
  const { scanDump } = await import('../src/scan/scanDump.js');
  const fd = readFixture('efi-6.1', 'efi-panic', 'varstore.fd');
  const img = fd.slice();
  // A copy of the volume's first 64 KiB in the spare area at 0x42000, as a reclaim leaves it.
  img.set(fd.subarray(0, 0x10000), 0x42000);
  // Another firmware volume (an FFS one, gEfiFirmwareFileSystem2Guid) with 0xFF after its header.
  const other = new Uint8Array(0x2000).fill(0xff);
  other.set(fd.subarray(0, 0x48), 0);
  other.set([0x78, 0xe5, 0x8c, 0x8c, 0x3d, 0x8a, 0x1c, 0x4f, 0x99, 0x35, 0x89, 0x61, 0x85, 0xc3, 0x2d, 0xd3], 16);
  const dump = new Uint8Array(img.length + other.length);
  dump.set(img, 0);
  dump.set(other, img.length);
  const r = scanDump(dump);
  assert.deepEqual(
    r.efiRegions.map((x) => [x.offset, x.kind, x.records.length]),
    [[0, 'firmware-volume', 15]],
  );
});
