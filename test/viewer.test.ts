/**
 * The web viewer's DOM-free parts in Node (decoding, map, log classes, zip,
 * params) and `pstore view`'s server; the page itself runs in chromium in
 * the browser tier (test/browser/viewer.test.ts, npm run test:browser).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { captureIo } from '../src/cli/io.js';
import { viewCommand, type ViewServer } from '../src/cli/commands/view.js';
import { MemoryRegion } from '../src/region/region.js';
import { decodeImage } from '../src/viewer/decode.js';
import { zipFiles } from '../src/viewer/download.js';
import { choiceFromParamsJson, COMPRESSORS } from '../src/viewer/layoutForm.js';
import { compressorNames } from '../src/core/compress/registry.js';
import { classifyLines, looksLikeText } from '../src/viewer/logClassify.js';
import { buildMap, describeOffset, rowBytesFor } from '../src/viewer/mapGeometry.js';
import { scanBlockHealth } from '../src/zone/persistentRamZone.js';
import { BAD_BLOCK, CORRECTED_BLOCK, corruptedImage, params } from './helpers/viewerImage.js';

describe('viewer model (Node)', () => {
  const bytes = corruptedImage();
  const image = new RamoopsImage(new MemoryRegion(bytes), { params });
  const model = decodeImage(bytes, { params });

  test('the fixture corruption is what the test claims: both blocks inside [0, size) of zone 0', () => {
    const z = image.zones()[0];
    assert.equal(z.attach.state, 'valid');
    assert.ok((BAD_BLOCK + 1) * 128 <= z.attach.header.size, 'bad block lies in the saved log');
    assert.equal(z.attach.ecc?.correctedBytes, 3);
    assert.equal(z.attach.ecc?.badBlocks, 1);
  });

  test('decodeImage gives the files RamoopsImage gives (pstore ls/cat)', () => {
    const files = image.files();
    assert.deepEqual(
      model.files.map((f) => [f.name, f.type, f.id, f.compressed, f.compression, f.ecc, f.mtime]),
      files.map((f) => [f.name, f.type, f.id, f.compressed, f.compression, f.ecc, f.mtime]),
    );
    model.files.forEach((f, i) => assert.deepEqual(f.content, files[i].content));
  });

  test('block health in the model is scanBlockHealth of every zone', () => {
    for (const z of model.zones) assert.deepEqual(z.health, scanBlockHealth(bytes.subarray(z.offset, z.offset + z.size), 16));
    assert.equal(model.zones[0].health[CORRECTED_BLOCK], 2);
    assert.equal(model.zones[0].health[BAD_BLOCK], 3);
  });

  test('the map is to scale and marks the problem blocks and the ring', () => {
    const geo = buildMap(model);
    assert.equal(geo.rowBytes, rowBytesFor(0x100000));
    assert.ok(geo.rows <= 16);
    const problems = geo.rects.filter((r) => r.cls.startsWith('blk '));
    assert.deepEqual(
      problems.map((r) => [r.data.zone, r.data.block, r.data.health]),
      [
        ['0', String(CORRECTED_BLOCK), 'corrected'],
        ['0', String(BAD_BLOCK), 'bad'],
      ],
    );
    // Zone parts tile each zone exactly: widths sum to the zone's bytes at scale.
    const scale = 1000 / geo.rowBytes;
    const zoneParts = geo.rects.filter((r) => r.cls.startsWith('z ') && r.data.zone === '3');
    const width = zoneParts.reduce((s, r) => s + r.w, 0);
    assert.ok(Math.abs(width - 0x10000 * scale) < 1e-6, `zone 3 drawn ${width} wide`);
    assert.ok(geo.markers.some((m) => m.kind === 'start' && m.zone === 0));
    const info = describeOffset(model, bytes, 12 + BAD_BLOCK * 128 + 5);
    assert.match(info.lines.join('\n'), new RegExp(`ECC block ${BAD_BLOCK} .*unrecoverable`));
    assert.equal(info.title, 'ramoops:dmesg(0/15)');
  });

  test('a layout that does not fit throws a typed error for the page', () => {
    assert.throws(() => decodeImage(bytes.subarray(0, 1000), { params }), (e: Error) => e.name === 'UsageError' || e.name === 'LayoutError');
  });

  test('log lines: levels from <N>, panic, oops and call trace', () => {
    const lines = [
      'Panic#1 Part1',
      '<14>[    3.3] harness: marker',
      '<4>[    3.3] Oops: 0002 [#1] PREEMPT SMP NOPTI',
      '<4>[    3.3] RIP: 0010:harness_do_oops+0x1a/0x21 [harness_oops]',
      '<4>[    3.3] Call Trace:',
      '<4>[    3.3]  <TASK>',
      '<4>[    3.3]  ? do_user_addr_fault+0x1b0/0x570',
      '<4>[    3.3]  </TASK>',
      '<0>[    3.4] Kernel panic - not syncing: sysrq triggered crash',
      'ECC: 3 Corrected bytes, 1 unrecoverable blocks',
    ];
    const c = classifyLines(lines);
    assert.deepEqual(
      c.map((x) => [x.level, x.kind]),
      [
        [null, 'header'],
        [6, null],
        [4, 'oops'],
        [4, 'report'],
        [4, 'trace'],
        [4, 'trace'],
        [4, 'trace'],
        [4, 'trace'],
        [0, 'panic'],
        [null, 'ecc'],
      ],
    );
    assert.equal(looksLikeText(new TextEncoder().encode('hello\nworld\n')), true);
    assert.equal(looksLikeText(Uint8Array.from({ length: 256 }, (_, i) => i)), false);
  });

  test('the zip holds the files extract writes, byte for byte', () => {
    const unz = unzipSync(zipFiles(model.files));
    assert.deepEqual(Object.keys(unz), model.files.map((f) => f.name));
    for (const f of model.files) assert.deepEqual(unz[f.name], f.content);
  });

  test('params JSON as the CLI reads it (fixture wrapper, kernel_profile)', () => {
    const c = choiceFromParamsJson(JSON.stringify({ kernel_profile: '6.12', ramoops: { mem_size: '0x40000', record_size: '0x8000', ecc: 16 } }));
    assert.deepEqual(c.params, { mem_size: 0x40000, record_size: 0x8000, ecc: 16 });
    assert.equal(c.kernel, '6.12');
    assert.throws(() => choiceFromParamsJson('{nope'), /not valid JSON/);
    assert.deepEqual(COMPRESSORS, compressorNames, 'the form offers every registered compressor');
  });
});

describe('pstore view server', () => {
  let dir = '';
  let server: ViewServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pstore-view-srv-'));
    const viewerDir = join(dir, 'viewer');
    mkdirSync(join(viewerDir, 'assets'), { recursive: true });
    writeFileSync(join(viewerDir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(viewerDir, 'assets', 'a.js'), 'export {}');
    writeFileSync(join(dir, 'secret.txt'), 'no');
    const img = join(dir, 'img.bin');
    writeFileSync(img, corruptedImage());
    server = await viewCommand(img, { recordSize: '64K', ecc: '16', open: false }, captureIo(), { viewerDir });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, host = `127.0.0.1:${server.port}`): Promise<{ status: number; body: string; type: string }> =>
    new Promise((ok, fail) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1'), type: String(res.headers['content-type']) }));
      });
      req.on('error', fail);
      req.end();
    });

  test('listens on 127.0.0.1 and serves the page, the image and the layout', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal((server.server.address() as { address: string }).address, '127.0.0.1');
    const index = await get('/');
    assert.equal(index.status, 200);
    assert.match(index.type, /text\/html/);
    assert.equal((await get('/assets/a.js')).type, 'text/javascript; charset=utf-8');
    const info = JSON.parse((await get('/api/options')).body);
    assert.deepEqual(info.choice.params, { record_size: 0x10000, ecc: 16 });
    assert.equal(info.name, 'img.bin');
    assert.equal((await get('/api/image')).body.length, 0x100000);
  });

  test('refuses foreign hosts and paths outside the page', async () => {
    assert.equal((await get('/', 'evil.example:80')).status, 403);
    assert.notEqual((await get('/../secret.txt')).status, 200);
    assert.notEqual((await get('/%2e%2e/secret.txt')).status, 200);
    assert.equal((await get('/nope.js')).status, 404);
  });

  test('without layout flags the page is told to detect', async () => {
    const s2 = await viewCommand(join(dir, 'img.bin'), { open: false }, captureIo(), { viewerDir: join(dir, 'viewer') });
    try {
      const r = await fetch(`${s2.url}api/options`);
      assert.equal((await r.json()).choice, null);
    } finally {
      await s2.close();
    }
  });

  test('usage errors: bad port, missing image, unbuilt viewer', async () => {
    await assert.rejects(viewCommand(join(dir, 'img.bin'), { port: 'x', open: false }, captureIo(), { viewerDir: join(dir, 'viewer') }), /--port/);
    await assert.rejects(viewCommand(join(dir, 'missing.bin'), { open: false }, captureIo(), { viewerDir: join(dir, 'viewer') }), /no such file/);
    await assert.rejects(viewCommand(join(dir, 'img.bin'), { open: false }, captureIo(), { viewerDir: dir }), /not built/);
    assert.ok(statSync(join(dir, 'img.bin')).size > 0);
  });
});
