/**
 * The viewer on pstore/blk devices and EFI variable stores in a real browser
 * (Debian's chromium through playwright-core): served by `pstore view
 * --backend blk`, and dropped without any layout (the page finds the kind and
 * the layout). Records must read as the kernel showed them; the maps must
 * show zone states and the efi-pstore variables. Fails without chromium.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { captureIo } from '../../src/cli/io.js';
import { viewCommand, type ViewServer } from '../../src/cli/commands/view.js';
import { ARTIFACTS, assertChromium, buildViewer, launchChromium } from '../helpers/browser.js';
import { fixturePath } from '../helpers/fixtures.js';

const BLK_OOPS = ['kernel-6.1-blk', 'pstore-blk-oops'];
const BLK_FULL = ['kernel-6.1-full', 'pstore-blk-full'];
const EFI_PANIC = ['efi-6.1', 'efi-panic'];
const decoder = new TextDecoder();

/** name → bytes of what the kernel showed (a fixture's expected/). */
function expectedFiles(...dir: string[]): Map<string, Uint8Array> {
  const d = fixturePath(...dir, 'expected');
  return new Map(readdirSync(d).sort().map((n) => [n, new Uint8Array(readFileSync(join(d, n)))]));
}

describe('pstore view in chromium: pstore/blk devices and EFI variable stores', () => {
  let dir = '';
  let viewerDir = '';
  let server: ViewServer;
  let browser: Browser;

  before(async () => {
    assertChromium();
    dir = mkdtempSync(join(tmpdir(), 'pstore-viewer-be-'));
    viewerDir = join(dir, 'viewer');
    await buildViewer(viewerDir);
    server = await viewCommand(fixturePath(...BLK_OOPS, 'image.bin'), { backend: 'blk', kmsgSize: '64', kernel: 'debian-6.1', open: false }, captureIo(), { viewerDir });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 20_000 });
    return { page, errors };
  }

  /** Drop a file with no layout: the page detects its kind and layout. */
  async function dropFile(page: Page, path: string, name: string): Promise<void> {
    await page.setInputFiles('#file-input', path);
    // The served image has a layout from flags: wait for this file's detected one.
    await page.waitForFunction(
      (n) => document.body.dataset.state === 'ready' && new RegExp(`^${n}: .* · layout: detected `).test(document.getElementById('status')?.textContent ?? ''),
      name.replace(/\./g, '\\.'),
      { timeout: 20_000 },
    );
  }

  const recordNames = (page: Page): Promise<(string | null)[]> => page.$$eval('.record-list [role=option]', (els) => els.map((e) => e.getAttribute('data-name')));

  /** Every text record on the page equals the kernel's file. */
  async function assertRecords(page: Page, want: Map<string, Uint8Array>, skip: (name: string) => boolean = () => false): Promise<void> {
    assert.deepEqual((await recordNames(page)).slice().sort(), [...want.keys()]);
    for (const [name, bytes] of want) {
      if (skip(name)) continue;
      await page.click(`.record-list [data-name="${name}"]`);
      const article = await page.waitForSelector(`article[data-record="${name}"]`);
      if ((await article.getAttribute('data-binary')) === 'true') continue;
      assert.equal(await page.$eval('article.record pre.log', (el) => el.textContent), decoder.decode(bytes), `text of ${name}`);
    }
  }

  test('pstore view --backend blk: the Oops records, the device map with zone states, the blk layout form', async () => {
    const { page, errors } = await openPage();
    assert.equal(await page.getAttribute('body', 'data-state'), 'ready');
    assert.match((await page.textContent('#status')) ?? '', /pstore\/blk device of 256 KiB, 4 zones, 2 records · layout: pstore view flags · kernel debian-6.1/);
    assert.equal(await page.textContent('#map-title'), 'Device map');
    await assertRecords(page, expectedFiles(...BLK_OOPS));
    assert.ok(await page.$('pre.log .ln.k-oops'), 'the Oops line is highlighted');
    // One band per zone (split where a zone crosses rows).
    const states = await page.$$eval('rect.st', (els) => [...new Set(els.map((e) => `${e.getAttribute('data-zone')} ${e.getAttribute('data-state')}`))]);
    assert.deepEqual(states, ['0 valid', '1 valid', '2 blank', '3 blank']);
    assert.equal(await page.inputValue('#f-backend'), 'blk');
    assert.equal(await page.inputValue('#f-blk-kmsg_size'), '64');
    assert.equal(await page.isVisible('#f-record_size'), false, 'ramoops fields hidden');
    await page.hover('rect.st[data-zone="1"]');
    assert.match((await page.textContent('#tooltip')) ?? '', /dump: Oops#2/);
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-blk.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a dropped pstore/blk disk (no layout): detected, every zone kind read', async () => {
    const { page, errors } = await openPage();
    await dropFile(page, fixturePath(...BLK_FULL, 'image.bin'), 'image.bin');
    assert.match((await page.textContent('#status')) ?? '', /pstore\/blk device of 4 MiB.* · layout: detected pstore\/blk device/);
    // ftrace names functions by address here (no System.map in the page): only its name is compared.
    await assertRecords(page, expectedFiles(...BLK_FULL), (n) => n.startsWith('ftrace-'));
    assert.equal(await page.$$eval('path.mark-start', (els) => els.length), 3, 'ring starts of pmsg, console, ftrace');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a dropped OVMF variable store: detected, the 15 efi-pstore records, the store map with them marked', async () => {
    const { page, errors } = await openPage();
    await dropFile(page, fixturePath(...EFI_PANIC, 'varstore.fd'), 'varstore.fd');
    const status = (await page.textContent('#status')) ?? '';
    assert.match(status, /EFI variable store \(authenticated, [\d.]+ KiB\), \d+ variables, 15 efi-pstore, [\d.]+ KiB free, 15 records · layout: detected EFI variable store/);
    assert.equal(await page.textContent('#map-title'), 'Variable store');
    const want = expectedFiles(...EFI_PANIC);
    await assertRecords(page, want);
    // Part 1 holds the end of the log: the panic.
    await page.click(`.record-list [data-name="${[...want.keys()][0]}"]`);
    await page.waitForSelector('article.record pre.log .ln.k-panic');
    const marks = await page.$$eval('rect.pst', (els) => [...new Set(els.map((e) => `${e.getAttribute('data-var')} ${e.getAttribute('data-state')}`))]);
    assert.equal(marks.length, 15);
    assert.ok(marks.every((m) => m.endsWith(' added')));
    assert.equal(await page.inputValue('#f-backend'), 'efi');
    await page.hover('rect.pst');
    assert.match((await page.textContent('#tooltip')) ?? '', /dump-type0-\d+-1-1704067209-C[\s\S]*efi-pstore[\s\S]*state added \(0x3f\)/);
    await page.click('details.zone-details summary');
    assert.equal(await page.$$eval('tr.row-pstore', (els) => els.length), 15);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.hover('rect.pst');
    await page.screenshot({ path: join(ARTIFACTS, 'viewer-efi.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a store after Linux erased every record: no records, the 14 deleted efi-pstore variables still drawn', async () => {
    const { page, errors } = await openPage();
    await dropFile(page, fixturePath('efi-6.1', 'efi-erase', 'after.fd'), 'after.fd');
    assert.match((await page.textContent('#records-body')) ?? '', /No records/);
    const marks = await page.$$eval('rect.pst', (els) => [...new Set(els.map((e) => `${e.getAttribute('data-var')} ${e.getAttribute('data-state')}`))]);
    assert.equal(marks.length, 14);
    assert.ok(marks.every((m) => m.endsWith(' deleted')));
    assert.deepEqual(errors, []);
    await page.close();
  });
});
