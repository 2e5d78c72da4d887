/**
 * The viewer's models of pstore/blk devices and EFI variable stores (the
 * DOM-free parts, in Node): the files are the library's, byte for byte, the
 * maps are to scale, and a dropped file's kind is found by the scan.
 * The same pages in chromium: test/browser/backends.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BlkImage } from '../src/api/blkImage.js';
import { EfiImage } from '../src/api/efiImage.js';
import { blkParamsFromObject } from '../src/backends/blk/params.js';
import { MemoryRegion } from '../src/region/region.js';
import { buildBlkMap, describeBlkOffset } from '../src/viewer/blkMap.js';
import { decodeImage } from '../src/viewer/decode.js';
import { detectLayout } from '../src/viewer/detect.js';
import { attributeText, buildEfiMap, describeEfiOffset, variableAt } from '../src/viewer/efiMap.js';
import { choiceFromParamsJson } from '../src/viewer/layoutForm.js';
import { rowBytesFor } from '../src/viewer/mapGeometry.js';
import type { BlkModel, EfiModel, ImageModel, LayoutChoice } from '../src/viewer/model.js';
import { fixturePath, readFixture } from './helpers/fixtures.js';

const BLK_OOPS = ['kernel-6.1-blk', 'pstore-blk-oops'];
const BLK_FULL = ['kernel-6.1-full', 'pstore-blk-full'];
const EFI = 'efi-6.1';

/** The fixture's layout as the page's params JSON loader reads it; Debian's kernel builds no pmsg/console/ftrace frontend. */
function blkChoice(dir: string[]): LayoutChoice {
  const c = choiceFromParamsJson(readFileSync(fixturePath(...dir, 'params.json'), 'utf8'), 'params.json');
  return dir === BLK_OOPS ? { ...c, kernel: 'debian-6.1' } : c;
}

function asBlk(m: ImageModel): BlkModel {
  assert.equal(m.backend, 'blk');
  return m as BlkModel;
}

function asEfi(m: ImageModel): EfiModel {
  assert.equal(m.backend, 'efi');
  return m as EfiModel;
}

/**
 * The files of a model against a fixture's expected/ directory: names and
 * bytes. ftrace records name functions with the kernel's symbols, which the
 * page does not have (it shows addresses): their bytes are not compared.
 */
function assertExpected(model: ImageModel, ...dir: string[]): void {
  const names = readdirSync(fixturePath(...dir, 'expected')).sort();
  assert.deepEqual(model.files.map((f) => f.name).sort(), names);
  for (const f of model.files) {
    if (f.type !== 'ftrace') assert.deepEqual(Buffer.from(f.content), readFileSync(fixturePath(...dir, 'expected', f.name)), f.name);
  }
}

describe('viewer: pstore/blk devices', () => {
  test('a fixture params.json with a pstore_blk section gives a blk layout (KiB, as the module takes them)', () => {
    const c = blkChoice(BLK_OOPS);
    assert.equal(c.backend, 'blk');
    assert.deepEqual(c.blk, { kmsg_size: 64, max_reason: 2 });
    assert.deepEqual(blkChoice(BLK_FULL).blk, blkParamsFromObject(JSON.parse(readFileSync(fixturePath(...BLK_FULL, 'params.json'), 'utf8')), 'x').params);
  });

  for (const dir of [BLK_OOPS, BLK_FULL]) {
    test(`${dir.join('/')}: the model's files are the kernel's, the zones the library's`, () => {
      const bytes = readFixture(...dir, 'image.bin');
      const choice = blkChoice(dir);
      const model = asBlk(decodeImage(bytes, choice));
      assertExpected(model, ...dir);
      const image = new BlkImage(new MemoryRegion(bytes), { ...choice, params: choice.blk });
      assert.deepEqual(
        model.zones.map((z) => [z.label, z.offset, z.size, z.state, z.datalen]),
        image.zones().map((r) => [r.zone.label, r.zone.offset, r.zone.size, r.state, r.header.datalen]),
      );
      assert.equal(model.recoveryProblem, null);
    });
  }

  test('pstore-blk-oops: two Oops dumps, the map draws every zone to scale with its state', () => {
    const model = asBlk(decodeImage(readFixture(...BLK_OOPS, 'image.bin'), blkChoice(BLK_OOPS)));
    const dumps = model.zones.filter((z) => z.dump);
    assert.deepEqual(
      dumps.map((z) => [z.state, z.dump?.reason, z.dump?.counter, z.dump?.compressed]),
      [
        ['valid', 'Oops', 1, true],
        ['valid', 'Oops', 2, true],
      ],
    );
    const geo = buildBlkMap(model);
    assert.equal(geo.rowBytes, rowBytesFor(model.deviceSize));
    const scale = 1000 / geo.rowBytes;
    model.zones.forEach((z, i) => {
      const parts = geo.rects.filter((r) => r.cls.startsWith('z ') && r.data.zone === String(i));
      const width = parts.reduce((s, r) => s + r.w, 0);
      assert.ok(Math.abs(width - z.size * scale) < 1e-6, `${z.label} drawn ${width} wide`);
      const band = geo.rects.filter((r) => r.cls.startsWith('st ') && r.data.zone === String(i));
      assert.ok(band.length && band.every((r) => r.data.state === z.state), `${z.label} state band`);
    });
    const tip = describeBlkOffset(model, null, dumps[0].offset + 100);
    assert.equal(tip.title, dumps[0].label);
    assert.match(tip.lines.join('\n'), /data the kernel reads .*\n.*dump: Oops#1/);
  });

  test('pstore-blk-full: ring zones (pmsg, console, ftrace) get a start mark', () => {
    const model = asBlk(decodeImage(readFixture(...BLK_FULL, 'image.bin'), blkChoice(BLK_FULL)));
    const geo = buildBlkMap(model);
    const ringZones = model.zones.map((z, i) => [z, i] as const).filter(([z]) => z.type !== 'dmesg' && z.state === 'valid');
    assert.deepEqual(ringZones.map(([z]) => z.type).sort(), ['console', 'ftrace', 'pmsg']);
    for (const [, i] of ringZones) assert.ok(geo.markers.some((m) => m.zone === i && m.kind === 'start'));
  });
});

describe('viewer: EFI variable stores', () => {
  for (const scenario of ['efi-panic', 'efi-two-panics', 'efi-erase']) {
    test(`${scenario}: the model's files are the kernel's, byte for byte`, () => {
      assertExpected(decodeImage(readFixture(EFI, scenario, 'varstore.fd'), { backend: 'efi', params: {} }), EFI, scenario);
    });
  }

  test('efi-panic: the map shows the volume, every variable by state, the 15 efi-pstore records marked', () => {
    const bytes = readFixture(EFI, 'efi-panic', 'varstore.fd');
    const model = asEfi(decodeImage(bytes, { backend: 'efi', params: {} }));
    const image = new EfiImage(new MemoryRegion(bytes));
    assert.deepEqual(model.map, image.map());
    const pstore = model.map.variables.filter((v) => v.isPstore);
    assert.equal(pstore.length, 15);
    assert.ok(pstore.every((v) => v.state === 'added' && /^dump-type0-\d+-1-1704067209-C$/.test(v.name)));
    const geo = buildEfiMap(model);
    assert.equal(geo.size, bytes.length);
    const marks = geo.rects.filter((r) => r.cls.startsWith('pst '));
    assert.equal(new Set(marks.map((r) => r.data.var)).size, 15);
    assert.ok(marks.every((r) => r.w >= 3 && r.label), 'pstore marks stay visible and focusable');
    // Variables tile the store from its first header to the free space.
    const vars = geo.rects.filter((r) => r.cls.includes(' v '));
    const width = vars.reduce((s, r) => s + r.w, 0);
    const used = model.map.variables.reduce((s, v) => s + v.totalSize, 0);
    assert.ok(Math.abs(width - used * (1000 / geo.rowBytes)) < 1e-6);
    assert.equal(model.map.variables[0].offset, model.map.store.start);
    const v = pstore[3];
    assert.equal(variableAt(model, v.offset + v.headerSize + 1), model.map.variables.indexOf(v));
    const tip = describeEfiOffset(model, bytes, v.offset + v.headerSize + v.nameSize + 2);
    assert.equal(tip.title, v.name);
    assert.match(tip.lines.join('\n'), /data byte 2[\s\S]*efi-pstore[\s\S]*state added \(0x3f\), attributes NV\|BS\|RT/);
    assert.equal(describeEfiOffset(model, bytes, model.map.store.freeOffset + 10).title, 'free space');
    assert.equal(describeEfiOffset(model, bytes, 2).title, 'firmware volume header');
  });

  test('efi-erase after.fd: no files, the 14 records are deleted variables (bytes kept)', () => {
    const model = asEfi(decodeImage(readFixture(EFI, 'efi-erase', 'after.fd'), { backend: 'efi', params: {} }));
    assert.deepEqual(model.files, []);
    const pstore = model.map.variables.filter((v) => v.isPstore);
    assert.deepEqual([...new Set(pstore.map((v) => v.state))], ['deleted']);
    assert.equal(pstore.length, 14);
    const marks = buildEfiMap(model).rects.filter((r) => r.cls === 'pst pst-deleted');
    assert.equal(new Set(marks.map((r) => r.data.var)).size, 14);
    assert.ok(model.reclaimableBytes >= pstore.reduce((s, v) => s + v.totalSize, 0));
  });

  test('attribute names as efivar prints them', () => {
    assert.equal(attributeText(0x7), 'NV|BS|RT');
    assert.equal(attributeText(0x27), 'NV|BS|RT|TIME_AUTH');
    assert.equal(attributeText(0x100), '0x100');
    assert.equal(attributeText(0), '0');
  });
});

describe('viewer: which kind a dropped file is', () => {
  test('ramoops region, pstore/blk device, EFI variable store, nothing', async () => {
    const kinds = await Promise.all(
      [
        readFixture('kernel-6.1', 'panic-ecc16', 'image.bin'),
        readFixture(...BLK_OOPS, 'image.bin'),
        readFixture(...BLK_FULL, 'image.bin'),
        readFixture(EFI, 'efi-panic', 'varstore.fd'),
        readFixture(EFI, 'efi-erase', 'after.fd'),
        new Uint8Array(64 * 1024),
      ].map(async (b) => (await detectLayout(b)).kind),
    );
    assert.deepEqual(kinds, ['ramoops', 'blk', 'blk', 'efi', 'efi', null]);
  });

  test('the detected blk layout reads the fixture as the kernel did', async () => {
    const d = await detectLayout(readFixture(...BLK_FULL, 'image.bin'));
    assert.ok(d.choice);
    assertExpected(decodeImage(readFixture(...BLK_FULL, 'image.bin'), d.choice), ...BLK_FULL);
  });
});
