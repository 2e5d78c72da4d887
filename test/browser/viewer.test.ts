/**
 * The web viewer in a real browser: Debian's chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium) through playwright-core. The page is built with Vite
 * into a temporary directory and served by `pstore view`'s own server.
 * This tier fails without chromium: `apt-get install chromium`.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RamoopsImage } from '../../src/api/ramoopsImage.js';
import { paramsFromObject } from '../../src/backends/ramoops/params.js';
import { captureIo } from '../../src/cli/io.js';
import { viewCommand, type ViewServer } from '../../src/cli/commands/view.js';
import { MemoryRegion } from '../../src/region/region.js';
import { fixturePath, readFixture, ROOT } from '../helpers/fixtures.js';
import { BAD_BLOCK, CORRECTED_BLOCK, corruptedImage, params, paramsPath } from '../helpers/viewerImage.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = join(ROOT, 'test-artifacts');

const decoder = new TextDecoder();

test('chromium is installed', () => {
  assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
});

describe('pstore view in chromium', () => {
  let dir = '';
  let viewerDir = '';
  let imagePath = '';
  let server: ViewServer;
  let browser: Browser;
  const bytes = corruptedImage();
  const expected = new RamoopsImage(new MemoryRegion(bytes), { params }).files();

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
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
