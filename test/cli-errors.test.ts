/**
 * Bad input never gives a stack trace: one line `pstore: …` on stderr and
 * exit status 1 (data) or 2 (usage). A few cases spawn the real executable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { reportError } from '../src/cli/errors.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { LayoutError } from '../src/errors.js';
import { fixturePath, ROOT } from './helpers/fixtures.js';

const ecc16 = fixturePath('kernel-6.1', 'panic-ecc16', 'image.bin');
const ecc16Params = fixturePath('kernel-6.1', 'panic-ecc16', 'params.json');
const tmp = mkdtempSync(join(tmpdir(), 'pstore-cli-err-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

function assertOneLine(err: string, re: RegExp): void {
  assert.match(err, /^pstore: [^\n]+\n$/, `one line: ${JSON.stringify(err)}`);
  assert.doesNotMatch(err, /\n\s+at /);
  assert.match(err, re);
}

const cases: Array<[string, () => string[], number, RegExp]> = [
  ['missing image', () => ['ls', join(tmp, 'nope.bin')], 1, /cannot open '.*nope\.bin': no such file or directory/],
  ['image is a directory', () => ['ls', tmp], 1, /is a directory/],
  ['empty image', () => [(writeFileSync(join(tmp, 'empty.bin'), ''), 'ls'), join(tmp, 'empty.bin')], 1, /is empty/],
  [
    'truncated image (params say 1 MiB)',
    () => {
      const p = join(tmp, 'trunc.bin');
      writeFileSync(p, readFileSync(ecc16).subarray(0, 0x80000 + 123));
      return ['ls', p, '--params', ecc16Params];
    },
    1,
    /truncated image or wrong --mem-size/,
  ],
  ['--mem-size larger than the file', () => ['ls', ecc16, '--mem-size', '2M', '--record-size', '64K'], 1, /has 1048576 bytes but the layout needs 0x200000/],
  ['--offset beyond the file', () => ['ls', ecc16, '--offset', '2M'], 2, /--offset 0x200000 is beyond the end/],
  ['bad number', () => ['ls', ecc16, '--record-size', '12Q'], 2, /--record-size: '12Q' is not a number/],
  ['garbage params JSON', () => [(writeFileSync(join(tmp, 'g.json'), '{"mem_size": 0x10,'), 'ls'), ecc16, '--params', join(tmp, 'g.json')], 2, /--params '.*g\.json': not valid JSON/],
  ['params JSON not an object', () => [(writeFileSync(join(tmp, 'a.json'), '[1,2]'), 'ls'), ecc16, '--params', join(tmp, 'a.json')], 2, /expected a JSON object/],
  ['params JSON bad value', () => [(writeFileSync(join(tmp, 'v.json'), '{"record_size": "lots"}'), 'ls'), ecc16, '--params', join(tmp, 'v.json')], 2, /record_size: 'lots' is not a number/],
  ['missing params file', () => ['ls', ecc16, '--params', join(tmp, 'none.json')], 2, /cannot read --params '.*none\.json': no such file/],
  ['unknown record name', () => ['cat', ecc16, 'dmesg-ramoops-7', '--params', ecc16Params], 1, /no record named 'dmesg-ramoops-7' \(records: dmesg-ramoops-0\)/],
  ['unknown option', () => ['ls', ecc16, '--bogus'], 2, /unknown option '--bogus'/],
  ['unknown command', () => ['frobnicate'], 2, /unknown command 'frobnicate'/],
  ['missing argument', () => ['cat', ecc16], 2, /missing required argument 'name'/],
  ['bad --compress', () => ['ls', ecc16, '--compress', 'bzip2'], 2, /argument 'bzip2' is invalid/],
  ['bad --kernel', () => ['ls', ecc16, '--kernel', 'windows'], 2, /--kernel: 'windows' is not a kernel version/],
  ['bad --arch', () => ['ls', ecc16, '--arch', 'vax'], 2, /unknown architecture 'vax'/],
  ['layout the kernel refuses', () => ['ls', ecc16, '--record-size', '0', '--console-size', '0', '--ftrace-size', '0', '--pmsg-size', '0'], 1, /must be non-zero/],
  ['bad --ecc', () => ['ls', ecc16, '--ecc', '300', '--record-size', '64K'], 1, /ECC size 300/],
  ['missing system map', () => ['ls', ecc16, '--system-map', join(tmp, 'System.map')], 2, /cannot read --system-map/],
];

for (const [name, args, code, re] of cases) {
  test(`bad input: ${name} → one line, exit ${code}`, async () => {
    const r = await run(args());
    assert.equal(r.code, code, r.err);
    assertOneLine(r.err, re);
    assert.equal(r.out, '');
  });
}

test('a non-power-of-two size gives a warning and the kernel-rounded layout', async () => {
  const r = await run(['ls', ecc16, '--params', ecc16Params, '--record-size', '0x11000', '--json']);
  assert.equal(r.code, 0);
  assert.match(r.err, /^pstore: warning: record_size 0x11000 is not a power of two: the kernel rounds it down to 0x10000\n/);
  assert.equal(JSON.parse(r.out)[0].name, 'dmesg-ramoops-0');
});

test('extract refuses a non-empty directory unless --force, and leaves it untouched', async () => {
  const dir = join(tmp, 'full');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'keep.txt'), 'x');
  const r = await run(['extract', ecc16, dir, '--params', ecc16Params]);
  assert.equal(r.code, 2);
  assertOneLine(r.err, /'.*full' is not empty \(1 entry\); use --force/);
  assert.deepEqual(readdirSync(dir), ['keep.txt']);
  const f = await run(['extract', ecc16, dir, '--params', ecc16Params, '--force']);
  assert.equal(f.code, 0, f.err);
  assert.deepEqual(readdirSync(dir).sort(), ['dmesg-ramoops-0', 'keep.txt']);
  assert.equal(f.out, `${join(dir, 'dmesg-ramoops-0')}\n`);
  // Again over the read-only file of the same name: the rename replaces it.
  const again = await run(['extract', ecc16, dir, '--params', ecc16Params, '--force']);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(readdirSync(dir).sort(), ['dmesg-ramoops-0', 'keep.txt'], 'no temp files left');
});

test('extract to a path under a file fails with one line', async () => {
  const file = join(tmp, 'plain.txt');
  writeFileSync(file, 'x');
  const r = await run(['extract', ecc16, join(file, 'sub'), '--params', ecc16Params]);
  assert.equal(r.code, 1);
  assertOneLine(r.err, /cannot (access|create directory) '.*plain\.txt\/sub': a path component is not a directory/);
});

test('reading commands never modify the image (even where the kernel would repair it)', async () => {
  const sc = 'panic-ecc16-corrupt-correctable';
  const img = join(tmp, 'ro.bin');
  copyFileSync(fixturePath('kernel-6.1', sc, 'image.bin'), img);
  const before = readFileSync(img);
  const mtime = statSync(img).mtimeMs;
  const p = ['--params', fixturePath('kernel-6.1', sc, 'params.json')];
  for (const args of [['ls', img], ['cat', img, 'dmesg-ramoops-0'], ['check', img], ['read', img], ['extract', img, join(tmp, 'ro-out')]]) {
    const r = await run([...args, ...p]);
    assert.equal(r.code, 0, `${args[0]}: ${r.err}`);
  }
  assert.deepEqual(readFileSync(img), before);
  assert.equal(statSync(img).mtimeMs, mtime);
});

test('property: random corruption of an image never escapes as anything but one line', async () => {
  const base = readFileSync(fixturePath('kernel-6.1', 'small-records-nocompress', 'image.bin'));
  const params = fixturePath('kernel-6.1', 'small-records-nocompress', 'params.json');
  const img = join(tmp, 'fuzz.bin');
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 64 }), fc.boolean(), async (flips, header) => {
      const bytes = Buffer.from(base);
      // Half the runs aim at zone headers, where start/size live.
      for (const [off, x] of flips) bytes[header ? (off & ~0xfff) + (off % 12) : off] ^= x;
      writeFileSync(img, bytes);
      for (const cmd of ['ls', 'check', 'read']) {
        const r = await run([cmd, img, '--params', params]);
        assert.ok(r.code === 0 || r.code === 1, `${cmd} exit ${r.code}: ${r.err}`);
        if (r.code === 1 && cmd !== 'check') assertOneLine(r.err, /./);
        assert.doesNotMatch(r.err, /internal error|\n\s+at /);
      }
    }),
    { numRuns: Number(process.env.PSTORE_FUZZ_RUNS ?? 40) },
  );
});

test('reportError: a bug prints one line and the hint; PSTORE_DEBUG adds the stack', () => {
  const bug = reportError(new TypeError('x is undefined'));
  assert.equal(bug.text, 'pstore: internal error: TypeError: x is undefined (bug: run with PSTORE_DEBUG=1 for a stack trace)\n');
  assert.equal(bug.exitCode, 1);
  assert.match(reportError(new TypeError('boom'), true).text, /\n\s+at /);
  assert.deepEqual(reportError(new LayoutError('no room\nfor zones')), { text: 'pstore: no room; for zones\n', exitCode: 1 });
});

// The real executable: shebang, process exit codes, streams.
const main = join(ROOT, 'src', 'cli', 'main.ts');
function spawn(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { cwd: ROOT, encoding: 'buffer', env: { ...process.env, PSTORE_DEBUG: '' } });
}

test('executable: starts with a shebang; cat writes raw bytes; errors exit 1 and 2 with one line', () => {
  assert.ok(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env node\n'));
  const ok = spawn(['cat', ecc16, 'dmesg-ramoops-0', '--params', ecc16Params]);
  assert.equal(ok.status, 0, ok.stderr.toString());
  assert.deepEqual(ok.stdout, readFileSync(fixturePath('kernel-6.1', 'panic-ecc16', 'expected', 'dmesg-ramoops-0')));
  const missing = spawn(['ls', join(tmp, 'nope.bin')]);
  assert.equal(missing.status, 1);
  assertOneLine(missing.stderr.toString(), /no such file or directory/);
  const usage = spawn(['ls', ecc16, '--record-size', 'x']);
  assert.equal(usage.status, 2);
  assertOneLine(usage.stderr.toString(), /--record-size: 'x' is not a number/);
  const unknown = spawn(['--nope']);
  assert.equal(unknown.status, 2);
  assertOneLine(unknown.stderr.toString(), /unknown option '--nope'/);
  const none = spawn([]);
  assert.equal(none.status, 2, 'no command: help on stderr, usage status');
  assert.match(none.stderr.toString(), /Usage: pstore/);
});
