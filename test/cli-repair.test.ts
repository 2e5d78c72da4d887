import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { przGeometry } from '../src/zone/eccLayout.js';
import { fixturePath } from './helpers/fixtures.js';

async function run(args: string[]) {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const clean = fixturePath('kernel-6.1', 'panic-ecc16', 'image.bin');
const corrupt = fixturePath('kernel-6.1', 'panic-ecc16-corrupt-correctable', 'image.bin');
const params = ['--params', fixturePath('kernel-6.1', 'panic-ecc16', 'params.json')];

test('check --repair turns the kernel fixture with 3 flipped bytes back into the clean image, byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-repair-'));
  try {
    const img = join(dir, 'img.bin');
    copyFileSync(corrupt, img);
    assert.notDeepEqual(readFileSync(img), readFileSync(clean));
    const r = await run(['check', img, ...params, '--repair']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /ramoops:dmesg\(0\/15\): 3 corrected bytes in block 10/);
    assert.deepEqual(readFileSync(img), readFileSync(clean));
    assert.deepEqual(readdirSync(dir), ['img.bin'], 'no temp file left');
    const again = await run(['check', img, ...params, '--repair']);
    assert.equal(again.code, 0);
    assert.match(again.err, /nothing to repair/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check --repair: header and parity damage repaired; an unrecoverable block is left exactly as it was (exit 1)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-repair-'));
  try {
    const img = join(dir, 'img.bin');
    const bytes = readFileSync(clean);
    const g = przGeometry(0x10000, 16);
    const damaged = Buffer.from(bytes);
    damaged[6] ^= 0x01; // header: start
    damaged[g.parityOffset + 2 * 16 + 5] ^= 0xff; // parity of block 2
    for (let i = 0; i < 12; i++) damaged[12 + 30 * 128 + i * 9] ^= 0x55; // block 30: 12 symbols, beyond ECC 16
    writeFileSync(img, damaged);
    const r = await run(['check', img, ...params, '--repair']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /1 unrecoverable block remain/);
    const after = readFileSync(img);
    assert.equal(after[6], bytes[6], 'header repaired');
    assert.equal(after[g.parityOffset + 2 * 16 + 5], bytes[g.parityOffset + 2 * 16 + 5], 'parity rewritten');
    assert.deepEqual(after.subarray(12 + 30 * 128, 12 + 31 * 128), damaged.subarray(12 + 30 * 128, 12 + 31 * 128), 'bad block untouched');
    // Everything else as it was.
    for (let i = 0; i < after.length; i++) {
      if (i === 6 || i === g.parityOffset + 2 * 16 + 5) continue;
      if (after[i] !== damaged[i]) assert.fail(`byte 0x${i.toString(16)} changed`);
    }
    const check = await run(['check', img, ...params, '--json']);
    const rep = JSON.parse(check.out) as { zones: Array<{ corrected: number; bad_blocks: number }> };
    assert.deepEqual([rep.zones[0].corrected, rep.zones[0].bad_blocks], [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check --repair on an image without ECC says there is nothing it can do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-repair-'));
  try {
    const img = join(dir, 'img.bin');
    copyFileSync(fixturePath('kernel-6.1', 'panic-nocompress', 'image.bin'), img);
    const r = await run(['check', img, '--params', fixturePath('kernel-6.1', 'panic-nocompress', 'params.json'), '--repair']);
    assert.equal(r.code, 0);
    assert.match(r.err, /no ECC/);
    assert.deepEqual(readFileSync(img), readFileSync(fixturePath('kernel-6.1', 'panic-nocompress', 'image.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check --repair --auto repairs a region inside a larger dump at the offset it found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-repair-'));
  try {
    const img = join(dir, 'dump.bin');
    const pad = 0x3001;
    const region = readFileSync(corrupt);
    const dump = Buffer.alloc(pad + region.length + 0x1000);
    region.copy(dump, pad);
    writeFileSync(img, dump);
    const r = await run(['check', img, '--auto', '--repair']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readFileSync(img).subarray(pad, pad + region.length), readFileSync(clean));
    assert.ok(readFileSync(img).subarray(0, pad).every((b) => b === 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
