import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { MemoryRegion } from '../src/region/region.js';
import { bestRegion, inferLayout, regionImageOptions, scanDump, type ScanRegion } from '../src/scan/index.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';
import { SymbolMap } from '../src/core/ftrace.js';
import { fixturePath, readFixture, readFixtureJson, scenarios } from './helpers/fixtures.js';
import { noise } from './helpers/noise.js';

interface Case {
  set: string;
  name: string;
  image: Uint8Array;
  params: Record<string, number>;
  ftraceCpus: number | null;
  expectedDir: string;
  /** Kernel that read the image (the expected files), when it differs from what a scan can tell. */
  readKernel?: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const set of ['kernel-6.1', 'kernel-6.12', 'kernel-6.1-full']) {
    for (const name of scenarios(set)) {
      if (name.startsWith('pstore-blk')) continue;
      const pj = readFixtureJson<Record<string, unknown>>(set, name, 'params.json');
      const p = paramsFromObject(pj) as Record<string, number>;
      const params = { mem_size: p.mem_size, record_size: p.record_size, console_size: p.console_size, ftrace_size: p.ftrace_size, pmsg_size: p.pmsg_size, ecc: p.ecc === 1 ? 16 : p.ecc };
      out.push({
        set,
        name,
        image: readFixture(set, name, 'image.bin'),
        params,
        ftraceCpus: typeof pj.ftrace_cpus === 'number' ? pj.ftrace_cpus : null,
        expectedDir: fixturePath(set, name, 'expected'),
        // Debian's 6.1 has no ftrace frontend; the ftrace signature only says "6.1".
        readKernel: set === 'kernel-6.1' ? 'debian-6.1' : set === 'kernel-6.12' ? '6.12' : undefined,
      });
    }
  }
  out.push({
    set: 'u-boot',
    name: 'image',
    image: readFixture('u-boot', 'image.bin'),
    params: { mem_size: 0x100000, record_size: 0x1000, console_size: 0x1000, ftrace_size: 0x1000, pmsg_size: 0x1000, ecc: 0 },
    ftraceCpus: null,
    expectedDir: '',
  });
  return out;
}

const UBOOT_MD5: Record<string, string> = {
  'dmesg-ramoops-0': '8059335ab4cfa62c77324c491659c503',
  'dmesg-ramoops-1': '3ff30df3429d81939c75d0070b5187b9',
  'console-ramoops-0': 'bb44de4a9b8ebd9b17ae98003287325b',
};

function embed(image: Uint8Array, before: number, after: number, fill: 'random' | 'zero', seed: number): Uint8Array {
  const dump = fill === 'zero' ? new Uint8Array(before + image.length + after) : noise(before + image.length + after, seed);
  dump.set(image, before);
  return dump;
}

function assertRegion(c: Case, dump: Uint8Array, offset: number, r: ScanRegion | null | undefined, what: string): void {
  assert.ok(r, `${what}: a region is found`);
  assert.equal(r.offset, offset, `${what}: offset`);
  if (c.set === 'u-boot') {
    // U-Boot signs only the zones it writes: a headerless ftrace zone behind the console shows the same files as a larger console.
    const { console_size, ftrace_size, ...rest } = r.params;
    const { console_size: c0, ftrace_size: f0, ...want } = c.params;
    assert.deepEqual(rest, want, `${what}: params`);
    assert.equal(console_size + ftrace_size, c0 + f0, `${what}: console + ftrace`);
  } else assert.deepEqual(r.params, c.params, `${what}: params`);
  if (c.params.ftrace_size && c.ftraceCpus) assert.equal(r.ftraceCpus, c.ftraceCpus, `${what}: ftrace CPUs`);
  assert.ok(r.confidence >= 0.4, `${what}: confidence ${r.confidence}`);
  assert.match(r.extractCommand, new RegExp(`--offset 0x${offset.toString(16)} --mem-size 0x${c.params.mem_size.toString(16)} `));
  assert.equal(r.ambiguous, false, `${what}: ${r.alternatives.join('; ')}`);
  // The files the kernel showed, read through the inferred layout.
  const map = c.expectedDir ? join(c.expectedDir, '..', 'system-map-excerpt.txt') : '';
  const symbols = map && existsSync(map) ? SymbolMap.parse(readFileSync(map, 'utf8')) : null;
  const opts = { ...regionImageOptions(r), symbols, ...(c.readKernel ? { kernel: c.readKernel } : {}) };
  const files = new RamoopsImage(new MemoryRegion(dump.slice()), opts).files();
  if (c.set === 'u-boot') {
    assert.deepEqual(Object.fromEntries(files.map((f) => [f.name, createHash('md5').update(f.content).digest('hex')])), UBOOT_MD5, what);
    return;
  }
  const expected = readdirSync(c.expectedDir).sort();
  assert.deepEqual(files.map((f) => f.name).sort(), expected, `${what}: file names`);
  for (const f of files) assert.deepEqual(Buffer.from(f.content), readFileSync(join(c.expectedDir, f.name)), `${what}: ${f.name}`);
}

for (const [i, c] of cases().entries()) {
  test(`scan ${c.set}/${c.name}: layout inferred inside random and zero data at odd offsets`, () => {
    for (const [k, fill] of (['random', 'zero'] as const).entries()) {
      const before = 4096 * (3 + i) + 2 * i + 1 + k * 7; // odd: not even 2-aligned
      const dump = embed(c.image, before, 50_001, fill, 1000 + i);
      const result = scanDump(dump);
      const r = result.regions.find((x) => x.offset === before) ?? bestRegion(result.regions);
      assertRegion(c, dump, before, r, `${fill} fill`);
      assert.ok(r && r.records.length > 0, 'records listed');
      // Nothing else in the dump looks trustworthy.
      for (const other of result.regions) if (other !== r) assert.ok(other.confidence < 0.4, `spurious region at 0x${other.offset.toString(16)} confidence ${other.confidence}`);
      // The scan never writes to the dump.
      assert.deepEqual(dump.subarray(before, before + c.image.length), c.image);
    }
  });
}

test('two regions in one dump, and --auto picks the trusted one', () => {
  const a = readFixture('kernel-6.12', 'zone-order-612', 'image.bin');
  const b = readFixture('kernel-6.1-full', 'ftrace-percpu', 'image.bin');
  const dump = noise(a.length + b.length + 300_000, 7);
  dump.set(a, 12_345);
  dump.set(b, 200_001 + a.length);
  const res = scanDump(dump);
  const good = res.regions.filter((r) => r.confidence >= 0.4).map((r) => [r.offset, r.params.mem_size, r.kernel]);
  assert.deepEqual(good, [
    [12_345, 0x40000, '6.12'],
    [200_001 + a.length, 0x18000, '6.1'],
  ]);
  const auto = inferLayout(dump);
  assert.equal(auto?.offset, 12_345);
  assert.deepEqual(auto?.params, { mem_size: 0x40000, record_size: 0x8000, console_size: 0x4000, ftrace_size: 0x4000, pmsg_size: 0x2000, ecc: 16, max_reason: 2 });
});

test('corrupted signature in a middle zone: layout still inferred, that zone reported missing', () => {
  const img = readFixture('kernel-6.1', 'oops-oops-panic', 'image.bin').slice();
  img[0x10000] ^= 0xff; // zone 1 signature
  const dump = embed(img, 777, 1000, 'random', 3);
  const r = bestRegion(scanDump(dump).regions);
  assert.ok(r);
  assert.equal(r.offset, 777);
  assert.equal(r.params.mem_size, 0x40000);
  assert.equal(r.params.record_size, 0x10000);
  assert.deepEqual(
    r.zones.map((z) => z.state),
    ['found', 'missing', 'found', 'found'],
  );
  // The kernel would re-sign zone 1 and drop its record.
  assert.deepEqual(r.records, ['dmesg-ramoops-0', 'dmesg-ramoops-2']);
});

test('corrupted signature in the first zone: the region is extended back to a power-of-two size', () => {
  const img = readFixture('kernel-6.1', 'panic-ecc16', 'image.bin').slice();
  img[1] ^= 0x40;
  const dump = embed(img, 4099, 1000, 'zero', 0);
  const r = bestRegion(scanDump(dump).regions);
  assert.ok(r);
  assert.equal(r.offset, 4099);
  assert.deepEqual(r.params, { mem_size: 0x100000, record_size: 0x10000, console_size: 0, ftrace_size: 0, pmsg_size: 0, ecc: 16 });
});

test('truncated dump: region reported as truncated, no crash, no records', () => {
  const img = readFixture('kernel-6.12', 'zone-order-612', 'image.bin');
  const dump = embed(img, 1001, 0, 'random', 5).subarray(0, 1001 + 0x3b000); // cuts the ftrace zone
  const res = scanDump(dump);
  const r = res.regions.find((x) => x.offset === 1001);
  assert.ok(r);
  assert.equal(r.params.record_size, 0x8000);
  assert.equal(r.params.console_size, 0x4000);
  assert.ok(r.zonesFound >= 7);
});

test('ECC size comes from the header parity, not a guess', () => {
  for (const [set, sc, ecc] of [
    ['kernel-6.1', 'panic-ecc16', 16],
    ['kernel-6.1', 'panic-nocompress', 0],
    ['kernel-6.1-full', 'console-pmsg-ecc16', 16],
  ] as const) {
    const r = bestRegion(scanDump(embed(readFixture(set, sc, 'image.bin'), 64, 64, 'random', 9)).regions);
    assert.equal(r?.params.ecc, ecc, sc);
  }
});

test('fixture list is complete', () => {
  assert.ok(existsSync(fixturePath('u-boot', 'image.bin')));
  assert.ok(cases().length >= 23);
});
