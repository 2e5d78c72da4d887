import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCommand } from '../src/cli/commands/scan.js';
import { readFixture } from './helpers/fixtures.js';

function io(isTTY: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s), isTTY } } };
}

test('pstore scan: text report with the extract command, JSON, exit status, progress only on a TTY', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-scan-cli-'));
  try {
    const img = readFixture('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin');
    const dump = new Uint8Array(img.length + 0x9000);
    dump.set(img, 0x4002);
    const path = join(dir, 'ram dump.bin');
    writeFileSync(path, dump);

    const a = io(false);
    assert.equal(scanCommand(path, { json: false }, a.io), 0);
    const text = a.out.join('');
    assert.match(text, /region 1 at offset 0x4002 {2}confidence (0\.9\d|1\.00)/);
    assert.match(text, /records: dmesg-ramoops-0 console-ramoops-0 pmsg-ramoops-0/);
    assert.ok(
      text.includes(
        `pstore extract '${path}' OUT --offset 0x4002 --mem-size 0x10000 --record-size 0x4000 --console-size 0x4000 --ftrace-size 0x0 --pmsg-size 0x2000 --ecc 16 --kernel 6.1`,
      ),
      text,
    );
    assert.equal(a.err.join(''), '');

    const b = io(true);
    assert.equal(scanCommand(path, { json: true }, b.io), 0);
    const json = JSON.parse(b.out.join('')) as { regions: Array<{ offset: number; params: Record<string, number>; records: string[] }> };
    assert.equal(json.regions[0].offset, 0x4002);
    assert.equal(json.regions[0].params.ecc, 16);
    assert.match(b.err.join(''), /\rscanning \[#+\] 100%/);

    const empty = join(dir, 'zero.bin');
    writeFileSync(empty, new Uint8Array(1 << 16));
    const c = io(false);
    assert.equal(scanCommand(empty, { json: false }, c.io), 1);
    assert.match(c.out.join(''), /no persistent RAM zone headers found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
