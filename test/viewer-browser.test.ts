/**
 * The web viewer in a real browser (Debian's chromium through playwright-core)
 * plus the DOM-free parts of the page in Node. The page is built with Vite
 * into a temporary directory and served by `pstore view`'s own server.
 *
 * Fixture: kernel-6.1/panic-ecc16 with 3 bytes flipped in ECC block 20 of
 * zone 0 (corrected) and 12 in block 80 (unrecoverable), both inside the
 * saved log.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';
import { captureIo } from '../src/cli/io.js';
import { viewCommand, type ViewServer } from '../src/cli/commands/view.js';
import { MemoryRegion } from '../src/region/region.js';
import { decodeImage, decodeRamoops } from '../src/viewer/decode.js';
import { zipFiles } from '../src/viewer/download.js';
import { choiceFromParamsJson, COMPRESSORS } from '../src/viewer/layoutForm.js';
import { compressorNames } from '../src/core/compress/registry.js';
import { classifyLines, looksLikeText } from '../src/viewer/logClassify.js';
import { buildMap, describeOffset, rowBytesFor } from '../src/viewer/mapGeometry.js';
import { scanBlockHealth } from '../src/zone/persistentRamZone.js';
import { fixturePath, readFixture, ROOT } from './helpers/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = join(ROOT, 'test-artifacts');
const SCENARIO = ['kernel-6.1', 'panic-ecc16'];
const CORRECTED_BLOCK = 20;
/** Near the end of the deflate stream: the text before it (with the panic) still inflates. */
const BAD_BLOCK = 80;

const paramsPath = fixturePath(...SCENARIO, 'params.json');
const params = paramsFromObject(JSON.parse(readFileSync(paramsPath, 'utf8')));

/** The fixture with one correctable and one unrecoverable block in zone 0's saved log. */
function corruptedImage(): Uint8Array {
  const bytes = readFixture(...SCENARIO, 'image.bin');
  const at = (block: number, i: number, stride: number): number => 12 + block * 128 + 3 + i * stride;
  for (let i = 0; i < 3; i++) bytes[at(CORRECTED_BLOCK, i, 7)] ^= 0x5a;
  for (let i = 0; i < 12; i++) bytes[at(BAD_BLOCK, i, 5)] ^= 0xa5;
  return bytes;
}

const decoder = new TextDecoder();

describe('viewer model (Node)', () => {
  const bytes = corruptedImage();
  const image = new RamoopsImage(new MemoryRegion(bytes), { params });
  const model = decodeRamoops(bytes, { params });

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

const hasChromium = existsSync(CHROMIUM);

// Outside CI a machine without chromium skips (and says so); in CI it is installed by .ci/run, so its absence fails.
if (!hasChromium && process.env.CI) {
  test('chromium is installed for the browser tests', () => {
    assert.fail(`no chromium at ${CHROMIUM}: .ci/run installs Debian's chromium`);
  });
}
describe('pstore view in chromium', { skip: hasChromium ? false : `no chromium at ${CHROMIUM}` }, () => {
  let dir = '';
  let viewerDir = '';
  let imagePath = '';
  let server: ViewServer;
  let browser: Browser;
  const bytes = corruptedImage();
  const expected = new RamoopsImage(new MemoryRegion(bytes), { params }).files();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pstore-viewer-'));
    viewerDir = join(dir, 'viewer');
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', build: { outDir: viewerDir, emptyOutDir: true, sourcemap: false } });
    imagePath = join(dir, 'panic-ecc16-corrupt.bin');
    writeFileSync(imagePath, bytes);
    server = await viewCommand(imagePath, { params: paramsPath, open: false }, captureIo(), { viewerDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openPage(width: number, height: number, query = ''): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + query);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 15_000 });
    assert.deepEqual(errors, []);
    return page;
  }

  test('record list, record text and ECC map match pstore ls/cat', async () => {
    const page = await openPage(1280, 800);
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
    const rows = await page.$$eval('.record-list [role=option]', (els) =>
      els.map((el) => ({
        name: el.getAttribute('data-name'),
        bytes: Number(el.querySelector('.rec-size')?.getAttribute('data-bytes')),
        ecc: el.querySelector('.rec-ecc')?.textContent ?? '',
        comp: el.querySelector('.rec-comp')?.textContent ?? '',
      })),
    );
    assert.deepEqual(
      rows.map((r) => [r.name, r.bytes]),
      expected.map((f) => [f.name, f.content.length]),
    );
    assert.match(rows[0].ecc, /1 unrecoverable block, 3 bytes corrected/);
    assert.equal(rows[0].comp, 'deflate');

    for (const f of expected) {
      await page.click(`.record-list [data-name="${f.name}"]`);
      await page.waitForSelector(`article[data-record="${f.name}"]`);
      const text = await page.$eval('article.record pre.log', (el) => el.textContent);
      assert.equal(text, decoder.decode(f.content), `text of ${f.name}`);
    }
    assert.ok(await page.$('pre.log .ln.k-panic'), 'panic line highlighted');
    assert.ok(await page.$('pre.log .ln.k-trace'), 'call trace highlighted');
    assert.ok(await page.$('.ln.k-ecc'), 'ECC notice highlighted');

    // The map: exactly the corrected and the unrecoverable block, in zone 0.
    const blocks = await page.$$eval('rect.blk', (els) => els.map((el) => [el.getAttribute('data-zone'), el.getAttribute('data-block'), el.getAttribute('data-health')]));
    assert.deepEqual(blocks, [
      ['0', String(CORRECTED_BLOCK), 'corrected'],
      ['0', String(BAD_BLOCK), 'bad'],
    ]);
    assert.ok((await page.$$('rect.h-clean')).length >= 16, 'clean runs in every zone');
    assert.ok(await page.$('path.mark-start[data-zone="0"]'), 'ring start marked');

    // Hover shows offsets and values.
    await page.hover('rect.blk-bad');
    const tip = await page.textContent('#tooltip');
    assert.match(tip ?? '', new RegExp(`ECC block ${BAD_BLOCK} \\(0x[0-9a-f]+\\): unrecoverable`));
    assert.match(tip ?? '', /bytes: ([0-9a-f]{2} ){7}[0-9a-f]{2}/);
    await page.mouse.move(0, 0);

    // Search marks matches.
    await page.fill('input.search', 'sysrq');
    await page.press('input.search', 'Enter');
    const marks = await page.$$eval('pre.log mark', (els) => els.length);
    assert.ok(marks > 0, 'search found sysrq');
    assert.match((await page.textContent('.search-count')) ?? '', /^1 \/ \d+$/);
    await page.fill('input.search', '');
    await page.press('input.search', 'Enter');

    // The picture for the README: top of the page, the crash in view, the bad block hovered.
    await page.click('.crash-btn');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.hover('rect.blk-bad');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer.png') });
    // `PSTORE_UPDATE_DOCS_SCREENSHOT=1` refreshes the README's picture.
    if (process.env.PSTORE_UPDATE_DOCS_SCREENSHOT) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      copyFileSync(join(ARTIFACTS, 'viewer.png'), join(ROOT, 'docs', 'viewer.png'));
    }
    await page.close();
  });

  test('download all gives the files extract writes', async () => {
    const page = await openPage(1280, 800);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-all')]);
    const zipPath = join(dir, 'all.zip');
    await download.saveAs(zipPath);
    const unz = unzipSync(new Uint8Array(readFileSync(zipPath)));
    assert.deepEqual(Object.keys(unz), expected.map((f) => f.name));
    for (const f of expected) assert.deepEqual(unz[f.name], f.content);
    const [one] = await Promise.all([page.waitForEvent('download'), page.click('article.record .record-head button')]);
    assert.equal(one.suggestedFilename(), expected[0].name);
    await page.close();
  });

  test('phone width: no horizontal overflow', async () => {
    const page = await openPage(390, 844);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-phone.png'), fullPage: true });
    await page.close();
  });

  test('file picker with params JSON; keyboard through several records', async () => {
    const page = await openPage(1280, 800);
    const scen = ['kernel-6.1-full', 'console-pmsg-ecc16'];
    const img = readFixture(...scen, 'image.bin');
    const want = new RamoopsImage(new MemoryRegion(img), { params: paramsFromObject(JSON.parse(readFileSync(fixturePath(...scen, 'params.json'), 'utf8'))) }).files();
    await page.setInputFiles('#file-input', [fixturePath(...scen, 'params.json'), fixturePath(...scen, 'image.bin')]);
    await page.waitForFunction((n) => document.querySelectorAll('.record-list [role=option]').length === n && document.body.dataset.state === 'ready', want.length);
    assert.equal(await page.inputValue('#f-mem_size'), '0x10000');
    assert.deepEqual(
      await page.$$eval('.record-list [role=option]', (els) => els.map((e) => e.getAttribute('data-name'))),
      want.map((f) => f.name),
    );
    // Tab into the list, arrows move, Enter opens and focuses the text.
    await page.focus('.record-list [aria-selected="true"]');
    for (let i = 1; i < want.length; i++) {
      await page.keyboard.press('ArrowDown');
      await page.waitForSelector(`article[data-record="${want[i].name}"]`);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-name')), want[i].name);
    }
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`article[data-record="${want[0].name}"]`);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('log')), true);
    for (const f of want) {
      await page.click(`.record-list [data-name="${f.name}"]`);
      const article = await page.waitForSelector(`article[data-record="${f.name}"]`);
      if ((await article.getAttribute('data-binary')) === 'true') continue;
      assert.equal(await page.$eval('article.record pre.log', (el) => el.textContent), decoder.decode(f.content), `text of ${f.name}`);
    }
    await page.close();
  });

  test('an image without params gets its layout from detection (src/scan)', async () => {
    const page = await openPage(1280, 800);
    await page.setInputFiles('#file-input', imagePath);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && /layout: detected/.test(document.getElementById('status')?.textContent ?? ''));
    assert.equal(await page.inputValue('#f-record_size'), '0x10000');
    assert.equal(await page.inputValue('#f-ecc'), '16');
    assert.deepEqual(
      await page.$$eval('.record-list [role=option]', (els) => els.map((e) => e.getAttribute('data-name'))),
      expected.map((f) => f.name),
    );
    await page.close();
  });

  test('bad files give a message and the tab stays responsive', async () => {
    const page = await openPage(1280, 800);
    // Not a region with that layout: a 1 MiB layout for 1000 bytes.
    const short = join(dir, 'truncated.bin');
    writeFileSync(short, bytes.subarray(0, 1000));
    await page.setInputFiles('#file-input', [paramsPath, short]);
    await page.waitForSelector('body[data-state="error"]');
    assert.match((await page.textContent('#message')) ?? '', /Cannot show 'truncated.bin'.*(does not fit|truncated)/);
    // Hostile: random bytes with module defaults.
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Uint8Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24));
    await page.setInputFiles('#file-input', junk);
    // Wait for this file's decode to finish (the state may still show the previous file's).
    await page.waitForFunction(
      () => /^(ready|error)$/.test(document.body.dataset.state ?? '') && document.body.textContent!.includes('junk.bin'),
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(await page.evaluate(() => 1 + 1), 2);
    // A layout typo is reported next to the form.
    await page.fill('#f-record_size', '12Q');
    await page.click('form.layout-form button[type=submit]');
    await page.waitForFunction(() => (document.querySelector('.form-error')?.textContent ?? '').length > 0, undefined, { timeout: 5_000 });
    assert.match((await page.textContent('.form-error')) ?? '', /record_size: '12Q' is not a number/);
    await page.close();

    // A decode that overruns its deadline is stopped.
    const slow = await browser.newPage();
    await slow.goto(server.url + '?decodeTimeout=1');
    await slow.waitForSelector('body[data-state="error"]', { timeout: 15_000 });
    assert.match((await slow.textContent('#message')) ?? '', /took longer than/);
    await slow.close();
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
