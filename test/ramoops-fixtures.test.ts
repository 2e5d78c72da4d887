import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryRegion } from '../src/region/region.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';
import { RamoopsImage, type RamoopsImageOptions } from '../src/api/ramoopsImage.js';
import { SymbolMap } from '../src/core/ftrace.js';
import { fixturePath, readFixture, readFixtureJson, scenarios } from './helpers/fixtures.js';

interface Meta {
  files: Array<{ name: string; mtime_epoch: number; mtime: string }>;
}

function checkScenario(set: string, sc: string, expectedDir: string, metaFile: string, options: RamoopsImageOptions): void {
  const params = readFixtureJson(set, sc, 'params.json');
  const image = readFixture(set, sc, 'image.bin');
  const before = image.slice();
  const img = new RamoopsImage(new MemoryRegion(image), { params: paramsFromObject(params), ...options });
  const files = img.files();
  const dir = fixturePath(set, sc, expectedDir);
  assert.deepEqual(files.map((f) => f.name).sort(), readdirSync(dir).sort());
  const meta = readFixtureJson<Meta>(set, sc, metaFile);
  for (const f of files) {
    assert.deepEqual(Buffer.from(f.content), readFileSync(join(dir, f.name)), f.name);
    const m = meta.files.find((x) => x.name === f.name);
    if (f.type === 'dmesg' && m) {
      assert.equal(f.mtime?.sec, m.mtime_epoch, `${f.name} mtime`);
      const ns = /\.(\d{9})/.exec(m.mtime)?.[1];
      if (ns) assert.equal(f.mtime?.nsec, Number(ns), `${f.name} mtime ns`);
    }
  }
  assert.deepEqual(image, before, 'reading never modifies the image');
}

for (const sc of scenarios('kernel-6.1')) {
  test(`kernel-6.1/${sc}: files equal what the kernel showed`, () => {
    checkScenario('kernel-6.1', sc, 'expected', 'meta.json', { kernel: 'debian-6.1' });
  });
  if (existsSync(fixturePath('kernel-6.1', sc, 'expected-read-compress-none'))) {
    test(`kernel-6.1/${sc}: read by a kernel with compression off`, () => {
      checkScenario('kernel-6.1', sc, 'expected-read-compress-none', 'meta-read-compress-none.json', { kernel: 'debian-6.1', compress: 'none' });
    });
  }
}

for (const sc of scenarios('kernel-6.12')) {
  test(`kernel-6.12/${sc}: files equal what the kernel showed`, () => {
    checkScenario('kernel-6.12', sc, 'expected', 'meta.json', { kernel: '6.12' });
  });
  if (existsSync(fixturePath('kernel-6.12', sc, 'expected-read-compress-none'))) {
    test(`kernel-6.12/${sc}: read by a kernel with compression off`, () => {
      checkScenario('kernel-6.12', sc, 'expected-read-compress-none', 'meta-read-compress-none.json', { kernel: '6.12', compress: 'none' });
    });
  }
}

for (const sc of scenarios('kernel-6.1-full').filter((s) => !s.startsWith('pstore-blk'))) {
  test(`kernel-6.1-full/${sc}: files equal what the kernel showed`, () => {
    const params = readFixtureJson<{ ftrace_cpus?: number; pstore?: { compress?: string } }>('kernel-6.1-full', sc, 'params.json');
    const mapFile = fixturePath('kernel-6.1-full', sc, 'system-map-excerpt.txt');
    const symbols = existsSync(mapFile) ? SymbolMap.parse(readFileSync(mapFile, 'utf8')) : null;
    const c = params.pstore?.compress;
    const compress = c === 'none' ? 'none' : 'auto';
    checkScenario('kernel-6.1-full', sc, 'expected', 'meta.json', { kernel: '6.1', ftraceCpus: params.ftrace_cpus || 1, symbols, compress });
  });
}

test('u-boot: the ARM board records U-Boot documents', async () => {
  const { createHash } = await import('node:crypto');
  const img = new RamoopsImage(new MemoryRegion(readFixture('u-boot', 'image.bin')), { arch: 'arm', kernel: '5.4' });
  const got = Object.fromEntries(img.files().map((f) => [f.name, [f.content.length, createHash('md5').update(f.content).digest('hex')]]));
  assert.deepEqual(got, {
    'dmesg-ramoops-0': [3798, '8059335ab4cfa62c77324c491659c503'],
    'dmesg-ramoops-1': [4035, '3ff30df3429d81939c75d0070b5187b9'],
    'console-ramoops-0': [4084, 'bb44de4a9b8ebd9b17ae98003287325b'],
  });
});
