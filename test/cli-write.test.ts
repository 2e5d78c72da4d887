/** create, dump, write and rm through the CLI, in-process: kernel bytes, round trips, safety. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { dumpRegion, prepareDump } from '../src/cli/commands/dump.js';
import { writeRegion } from '../src/cli/commands/write.js';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { createImage } from '../src/api/writeImage.js';
import { parseFtraceText } from '../src/api/writeImage.js';
import { MemoryRegion, type Region } from '../src/region/region.js';
import { fixturePath, readFixtureJson } from './helpers/fixtures.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const tmp = mkdtempSync(join(tmpdir(), 'pstore-cli-write-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const tmpFile = (name: string) => join(tmp, `${seq++}-${name}`);

async function run(args: string[]) {
  const io = captureIo(NOW);
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), bytes: io.stdoutBytes(), err: io.stderrText() };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Fails with the command's stderr when it did not exit 0. */
async function ok(args: string[]) {
  const r = await run(args);
  assert.equal(r.code, 0, `pstore ${args.join(' ')}: ${r.err}`);
  return r;
}

// ---------------------------------------------------------------------------
// (1) The kernel's own bytes

interface Meta {
  files: Array<{ name: string; mtime: string; mtime_epoch: number }>;
}

/** Builds the --log input and --time for a fixture's uncompressed dmesg record. */
function fixtureDumpInput(set: string, sc: string, withPredump: boolean): { log: string; time: string; reason: string; count: string } {
  const expected = readFileSync(fixturePath(set, sc, 'expected', 'dmesg-ramoops-0'), 'latin1');
  const m = /^(\w+)#(\d+) Part1\n/.exec(expected);
  assert.ok(m, 'record header');
  let body = expected.slice(m[0].length);
  const notice = body.lastIndexOf('\nECC: ');
  if (notice >= 0 && body.endsWith('\n')) body = body.slice(0, notice);
  let older = '';
  if (withPredump) {
    const firstTs = Number(/^<\d+>\[\s*([\d.]+)\]/.exec(body)![1]);
    older = readFileSync(fixturePath(set, sc, 'crash-dmesg-predump.txt'), 'latin1')
      .split('\n')
      .filter((l) => {
        const t = /^<\d+>\[\s*([\d.]+)\]/.exec(l)?.[1];
        return t !== undefined && Number(t) < firstTs;
      })
      .map((l) => l + '\n')
      .join('');
    assert.ok(older.length > 0, 'the predump has older lines');
  }
  const meta = readFixtureJson<Meta>(set, sc, 'meta.json');
  const f = meta.files.find((x) => x.name === 'dmesg-ramoops-0')!;
  const usec = /\.(\d{6})/.exec(f.mtime)![1];
  return { log: older + body, time: `${f.mtime_epoch}.${usec}`, reason: m[1].toLowerCase(), count: m[2] };
}

for (const [set, sc, predump, extra] of [
  ['kernel-6.1-full', 'nocompress-ecc16-exact', true, []],
  ['kernel-6.1', 'panic-nocompress', false, ['--kernel', 'debian-6.1']],
] as const) {
  test(`dump reproduces the kernel's image byte for byte: ${set}/${sc}`, async () => {
    const input = fixtureDumpInput(set, sc, predump);
    assert.equal(input.time, set === 'kernel-6.1-full' ? '1704067202.372553' : '1704067209.479520');
    const log = tmpFile('log.txt');
    writeFileSync(log, Buffer.from(input.log, 'latin1'));
    const copy = tmpFile('image.bin');
    const original = fixturePath(set, sc, 'image.bin');
    copyFileSync(original, copy);
    // Scramble zone 0's record bytes and their parity so the dump has to write them all.
    const bytes = readFileSync(copy);
    const used = bytes.readUInt32LE(8);
    for (let i = 12; i < 12 + used; i++) bytes[i] ^= 0xa5;
    const g = new RamoopsImage(new MemoryRegion(new Uint8Array(bytes)), { params: paramsFromObject(readFixtureJson(set, sc, 'params.json')) }).layout.zones[0].geometry;
    for (let i = g.parityOffset; i < g.parityOffset + Math.ceil(used / 128) * g.eccSize; i++) bytes[i] ^= 0x3c;
    writeFileSync(copy, bytes);
    assert.notEqual(sha(copy), sha(original));
    const r = await ok(['dump', copy, '--params', fixturePath(set, sc, 'params.json'), ...extra, '--reason', input.reason, '--count', input.count, '--log', log, '--time', input.time]);
    assert.match(r.out, /^dmesg-ramoops-0: Panic#1 Part1, \d+ bytes in the zone \(uncompressed\)/);
    assert.equal(sha(copy), sha(original), 'image byte for byte');
  });
}

// ---------------------------------------------------------------------------
// (2) create → dump → write → ls/cat/extract

const LAYOUT = ['--mem-size', '0x30000', '--record-size', '0x4000', '--console-size', '0x1000', '--pmsg-size', '0x1000', '--ftrace-size', '0x2000', '--ftrace-cpus', '2', '--max-reason', '2'];

function syslogLines(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `<${[6, 5, 4, 3][i % 4]}>[${String(1 + Math.floor(i / 7)).padStart(5)}.${String((i * 104729) % 1e6).padStart(6, '0')}] cli-write line ${i} the quick brown fox ${'z'.repeat(i % 23)}\n`;
  return s;
}

const FTRACE_TEXT = [
  'CPU:0 ts:256 ffffffff81129769  ffffffff81129c5d',
  'CPU:1 ts:513 ffffffff8112a000  ffffffff8112b0f0',
  'CPU:0 ts:768 ffffffff81129770  ffffffff81129c60',
].join('\n');

for (const ecc of [0, 16]) {
  for (const compress of ['none', 'deflate', 'lzo', 'lz4', 'lz4hc', '842', 'zstd']) {
    test(`create → dump → write → ls/cat/extract read back what was written: ecc ${ecc}, --compress ${compress}`, async () => {
      const img = tmpFile('rt.bin');
      const flags = [...LAYOUT, '--ecc', String(ecc)];
      const c = await ok(['create', img, ...flags]);
      assert.match(c.out, /created .* \(196608 bytes\)/);
      assert.equal(statSync(img).size, 0x30000);
      const empty = await ok(['ls', img, ...flags, '--json']);
      assert.deepEqual(JSON.parse(empty.out), []);

      const logText = syslogLines(40);
      const log = tmpFile('log.txt');
      writeFileSync(log, logText);
      const d = await ok(['dump', img, ...flags, '--reason', 'oops', '--reason', 'panic', '--reason', 'shutdown', '--log', log, '--time', '1700000000.123456', '--compress', compress]);
      assert.match(d.err, /--reason shutdown skipped: max_reason 2/);
      const reported = d.out.trim().split('\n');
      assert.equal(reported.length, 2, d.out);
      assert.match(reported[0], new RegExp(`^dmesg-ramoops-0: Oops#1 Part1, \\d+ bytes in the zone \\(${compress === 'none' ? 'uncompressed' : '.*-compressed'}`));
      assert.match(reported[1], /^dmesg-ramoops-1: Panic#2 Part1/);

      const console = tmpFile('console.txt');
      writeFileSync(console, 'console: hello\nconsole: world\n');
      const pmsg = tmpFile('pmsg.bin');
      const pmsgBytes = Buffer.concat([Buffer.from('pmsg text\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);
      writeFileSync(pmsg, pmsgBytes);
      const ft = tmpFile('ftrace.txt');
      writeFileSync(ft, FTRACE_TEXT + '\n');
      const w = await ok(['write', img, ...flags, '--console', console, '--pmsg', pmsg, '--ftrace', ft]);
      assert.match(w.out, /console: 30 bytes appended\npmsg: 266 bytes appended\nftrace: 3 records appended \(CPU 0, 1\)/);
      assert.equal(statSync(img).size, 0x30000, 'never shorter, never longer');

      const notice = ecc ? '\nECC: No errors detected\n' : '';
      const predicted: Record<string, Buffer> = {
        'dmesg-ramoops-0': Buffer.from('Oops#1 Part1\n' + logText + notice),
        'dmesg-ramoops-1': Buffer.from('Panic#2 Part1\n' + logText + notice),
        'console-ramoops-0': Buffer.from('console: hello\nconsole: world\n' + notice),
        'pmsg-ramoops-0': Buffer.concat([pmsgBytes, Buffer.from(notice)]),
      };
      const ls = await ok(['ls', img, ...flags, '--json']);
      const files = JSON.parse(ls.out) as Array<{ name: string; size: number; compressed: boolean; compression: string | null; mtime_epoch: number | null; mtime_nsec: number | null }>;
      assert.deepEqual(files.map((f) => f.name).sort(), [...Object.keys(predicted), 'ftrace-ramoops-0'].sort());
      for (const f of files.filter((x) => x.name.startsWith('dmesg'))) {
        assert.equal(f.compressed, compress !== 'none', f.name);
        // lz4hc writes the lz4 block format: a reader that is not told identifies it as lz4.
        assert.equal(f.compression, compress === 'none' ? null : compress === 'lz4hc' ? 'lz4' : compress, f.name);
        assert.equal(f.mtime_epoch, 1700000000);
        assert.equal(f.mtime_nsec, 123456000);
      }
      if (compress === 'lz4hc') {
        const told = JSON.parse((await ok(['ls', img, ...flags, '--json', '--compress', 'lz4hc'])).out) as typeof files;
        assert.equal(told.find((f) => f.name === 'dmesg-ramoops-0')!.compression, 'lz4hc');
      }
      for (const [name, bytes] of Object.entries(predicted)) {
        const r = await ok(['cat', img, name, ...flags]);
        assert.deepEqual(Buffer.from(r.bytes), bytes, `cat ${name}`);
      }
      // ftrace reads back as the records written (the decoding walk without the kernel's ECC-notice shift).
      const fcat = await ok(['cat', img, 'ftrace-ramoops-0', ...flags, '--ftrace-walk', 'correct']);
      const back = parseFtraceText(fcat.out.replace(/\nECC: .*\n$/, '\n'));
      const sent = parseFtraceText(FTRACE_TEXT);
      const key = (x: { cpu: number; ts: bigint; ip: bigint; parentIp: bigint }) => `${x.cpu}:${x.ts}:${x.ip}:${x.parentIp}`;
      assert.deepEqual(back.map(key).sort(), sent.map(key).sort());

      const dir = tmpFile('out');
      await ok(['extract', img, dir, ...flags, '-q']);
      for (const [name, bytes] of Object.entries(predicted)) assert.deepEqual(readFileSync(join(dir, name)), bytes, `extract ${name}`);
      assert.equal(Math.floor(statSync(join(dir, 'dmesg-ramoops-1')).mtimeMs), 1700000000123);
      assert.deepEqual(readdirSync(dir).sort(), files.map((f) => f.name).sort());
    });
  }
}

test('--kernel 6.12 writes deflate that reads back, and refuses other compressors before touching the file', async () => {
  const img = tmpFile('612.bin');
  const flags = ['--mem-size', '0x20000', '--record-size', '0x8000', '--kernel', '6.12'];
  await ok(['create', img, ...flags]);
  const log = tmpFile('log.txt');
  writeFileSync(log, syslogLines(50));
  const before = sha(img);
  const bad = await run(['dump', img, ...flags, '--reason', 'panic', '--log', log, '--compress', 'lz4']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^pstore: --compress lz4: Linux 6.12 .* deflate only.*\n$/);
  assert.equal(sha(img), before);
  await ok(['dump', img, ...flags, '--reason', 'panic', '--log', log, '--compress', 'deflate', '--time', '1']);
  const r = await ok(['cat', img, 'dmesg-ramoops-0', ...flags]);
  assert.equal(r.out, 'Panic#1 Part1\n' + syslogLines(50));
});

// ---------------------------------------------------------------------------
// (3) rm

test('rm removes exactly one record and leaves the others byte for byte', async () => {
  const img = tmpFile('rm.bin');
  const flags = [...LAYOUT, '--ecc', '16'];
  await ok(['create', img, ...flags]);
  const log = tmpFile('log.txt');
  writeFileSync(log, syslogLines(20));
  await ok(['dump', img, ...flags, '--reason', 'oops', '--reason', 'oops', '--reason', 'panic', '--log', log, '--time', '5']);
  const console = tmpFile('c.txt');
  writeFileSync(console, 'boot console\n');
  await ok(['write', img, ...flags, '--console', console]);
  const names = async () => (JSON.parse((await ok(['ls', img, ...flags, '--json'])).out) as Array<{ name: string }>).map((f) => f.name);
  const all = await names();
  assert.deepEqual(all, ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2', 'console-ramoops-0']);
  const keep = await Promise.all(['dmesg-ramoops-0', 'dmesg-ramoops-2', 'console-ramoops-0'].map(async (n) => (await ok(['cat', img, n, ...flags])).bytes));
  const r = await ok(['rm', img, 'dmesg-ramoops-1', ...flags]);
  assert.match(r.out, /^removed dmesg-ramoops-1 \(zapped ramoops:dmesg\(1\/\d+\)\)\n$/);
  assert.deepEqual(await names(), ['dmesg-ramoops-0', 'dmesg-ramoops-2', 'console-ramoops-0']);
  const after = await Promise.all(['dmesg-ramoops-0', 'dmesg-ramoops-2', 'console-ramoops-0'].map(async (n) => (await ok(['cat', img, n, ...flags])).bytes));
  assert.deepEqual(after, keep);
  const chk = await run(['check', img, ...flags]);
  assert.equal(chk.code, 0, chk.err + chk.out);
  await ok(['rm', img, 'console-ramoops-0', ...flags]);
  assert.deepEqual(await names(), ['dmesg-ramoops-0', 'dmesg-ramoops-2']);
  const before = sha(img);
  const missing = await run(['rm', img, 'dmesg-ramoops-1', ...flags]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^pstore: no record named 'dmesg-ramoops-1' \(records: dmesg-ramoops-0, dmesg-ramoops-2\)\n$/);
  assert.equal(sha(img), before);
});

// ---------------------------------------------------------------------------
// (4) bad input: one line, the right status, the file untouched

test('bad input gets one line and leaves the image byte for byte untouched', async () => {
  const img = tmpFile('bad.bin');
  const flags = ['--mem-size', '0x10000', '--record-size', '0x4000', '--ecc', '16'];
  await ok(['create', img, ...flags]);
  const log = tmpFile('log.txt');
  writeFileSync(log, syslogLines(5));
  await ok(['dump', img, ...flags, '--reason', 'panic', '--log', log, '--time', '1']);
  const before = sha(img);
  // The other way round: an ECC-less image read with --ecc 16.
  const plain = tmpFile('plain.bin');
  await ok(['create', plain, '--mem-size', '0x10000', '--record-size', '0x4000']);
  const plainSha = sha(plain);
  const e = await run(['dump', plain, '--record-size', '0x4000', '--ecc', '16', '--reason', 'panic', '--log', log]);
  assert.equal(e.code, 1);
  assert.match(e.err, /not a ramoops region with this layout/);
  assert.equal(sha(plain), plainSha);
  const cases: Array<[string[], number, RegExp]> = [
    [['dump', img, ...flags, '--reason', 'panic', '--log', join(tmp, 'no-such.log')], 2, /cannot read --log .*no-such\.log': no such file or directory/],
    [['dump', img, ...flags, '--reason', 'reboot', '--log', log], 2, /--reason: 'reboot' is not a kmsg_dump reason/],
    [['dump', img, ...flags, '--reason', 'panic', '--log', log, '--time', 'yesterday'], 2, /--time: 'yesterday' is not SEC\.USEC/],
    [['dump', img, ...flags, '--reason', 'panic', '--log', log, '--time', '12.3.4'], 2, /--time/],
    [['dump', img, ...flags, '--reason', 'panic', '--log', log, '--count', '0'], 2, /--count must be at least 1/],
    [['dump', img, ...flags, '--reason', 'panic', '--log', log, '--kmsg-bytes', '0'], 2, /--kmsg-bytes must be at least 1/],
    [['dump', img, ...flags, '--reason', 'panic', '--log', log, '--compress', 'gzip'], 2, /gzip/],
    [['dump', img, ...flags, '--log', log], 2, /at least one --reason/],
    [['dump', img, ...flags, '--reason', 'panic'], 2, /--log FILE is required/],
    [['dump', img, '--mem-size', '0x10000', '--record-size', '0x2000', '--ecc', '16', '--reason', 'panic', '--log', log], 1, /layout does not match the image|not a ramoops region/],
    [['dump', img, '--mem-size', '0x10000', '--record-size', '0x4000', '--reason', 'panic', '--log', log], 1, /its zones carry ECC parity \(ecc 16\) but the layout has ecc 0; give --ecc 16/],
    [['dump', img, '--mem-size', '0x10000', '--record-size', '0x4000', '--ecc', '16', '--console-size', '0x2000', '--reason', 'panic', '--log', log], 1, /layout does not match the image|not a ramoops region/],
    [['write', img, ...flags, '--console', join(tmp, 'nope.txt')], 2, /cannot read --console/],
    [['write', img, ...flags], 2, /nothing to write/],
    [['write', img, ...flags, '--ftrace', log], 2, /ftrace input line 1: expected 'CPU:N ts:N/],
    [['rm', img, 'dmesg-ramoops-3', ...flags], 1, /no record named 'dmesg-ramoops-3'/],
    [['create', img, ...flags], 1, /already holds a ramoops region with 1 record \(dmesg-ramoops-0\); use --force/],
  ];
  const noConsole = tmpFile('noconsole.bin');
  const nc = ['--mem-size', '0x10000', '--record-size', '0x4000', '--console-size', '0', '--pmsg-size', '0', '--ftrace-size', '0'];
  await ok(['create', noConsole, ...nc]);
  const ncSha = sha(noConsole);
  const w = await run(['write', noConsole, ...nc, '--pmsg', log]);
  assert.equal(w.code, 2);
  assert.equal(w.err, 'pstore: --pmsg: this layout has no pmsg zone (--pmsg-size 0)\n');
  assert.equal(sha(noConsole), ncSha);
  for (const [args, code, msg] of cases) {
    const r = await run(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg, args.join(' '));
    // Layout warnings aside (this layout leaves 4 bytes unused), one line.
    assert.equal(r.err.split('\n').filter((l) => l && !l.startsWith('pstore: warning:')).length, 1, `one line: ${r.err}`);
    assert.equal(r.err.includes('    at '), false, 'no stack trace');
    assert.equal(sha(img), before, `untouched by ${args.join(' ')}`);
  }
});

test('a file that is not a ramoops region is refused untouched; --force formats it', async () => {
  const img = tmpFile('random.bin');
  const junk = Buffer.alloc(0x10000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
  writeFileSync(img, junk);
  const flags = ['--record-size', '0x4000', '--ecc', '16'];
  const log = tmpFile('log.txt');
  writeFileSync(log, syslogLines(8));
  const r = await run(['dump', img, ...flags, '--reason', 'panic', '--log', log]);
  assert.equal(r.code, 1);
  assert.match(r.err, /\npstore: .*not a ramoops region with this layout.*--force.*\n$/);
  assert.deepEqual(readFileSync(img), junk);
  const w = await run(['write', img, ...flags, '--console', log]);
  assert.equal(w.code, 1);
  assert.deepEqual(readFileSync(img), junk);
  const f = await ok(['dump', img, ...flags, '--reason', 'panic', '--log', log, '--time', '7.5', '--force']);
  assert.match(f.err, /--force: formatted ramoops:dmesg\(0\/2\), ramoops:dmesg\(1\/2\)/);
  assert.equal(statSync(img).size, 0x10000);
  const cat = await ok(['cat', img, 'dmesg-ramoops-0', ...flags]);
  assert.equal(cat.out, 'Panic#1 Part1\n' + syslogLines(8) + '\nECC: No errors detected\n');
  const chk = await run(['check', img, ...flags]);
  assert.equal(chk.code, 0, chk.out + chk.err);
});

test('create: needs --mem-size for a new file, extends a smaller file and never shrinks a larger one', async () => {
  const missing = tmpFile('new.bin');
  const r = await run(['create', missing, '--record-size', '4K']);
  assert.equal(r.code, 2);
  assert.match(r.err, /does not exist: give --mem-size/);
  assert.throws(() => statSync(missing));

  const small = tmpFile('small.bin');
  writeFileSync(small, Buffer.alloc(0x1000, 0xee));
  const e = await ok(['create', small, '--mem-size', '0x8000', '--record-size', '0x2000']);
  assert.match(e.err, /extended '.*' from 4096 to 32768 bytes/);
  assert.equal(statSync(small).size, 0x8000);
  assert.deepEqual(JSON.parse((await ok(['ls', small, '--record-size', '0x2000', '--json'])).out), []);

  const big = tmpFile('big.bin');
  writeFileSync(big, Buffer.alloc(0x20000, 0x11));
  await ok(['create', big, '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000']);
  const bytes = readFileSync(big);
  assert.equal(bytes.length, 0x20000, 'not shrunk');
  assert.ok(bytes.subarray(0, 0x4000).every((b) => b === 0x11), 'bytes before --offset untouched');
  assert.ok(bytes.subarray(0xc000).every((b) => b === 0x11), 'bytes after the region untouched');
  // The region inside reads as empty; a dump then works in place.
  const log = tmpFile('log.txt');
  writeFileSync(log, '[    1.000000] dmesg form\nplain text\n');
  await ok(['dump', big, '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000', '--reason', 'oops', '--log', log, '--time', '1']);
  const cat = await ok(['cat', big, 'dmesg-ramoops-0', '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000']);
  // dmesg-form and plain lines take the default level (4); plain ones continue the previous time.
  assert.equal(cat.out, 'Oops#1 Part1\n<4>[    1.000000] dmesg form\n<4>[    1.000000] plain text\n');

  // A file with records is refused, then overwritten with --force.
  const before = sha(big);
  const again = await run(['create', big, '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000']);
  assert.equal(again.code, 1);
  assert.equal(sha(big), before);
  await ok(['create', big, '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000', '--force']);
  assert.deepEqual(JSON.parse((await ok(['ls', big, '--mem-size', '0x8000', '--offset', '0x4000', '--record-size', '0x2000', '--json'])).out), []);
});

test('help documents every write command with an example', async () => {
  const top = await ok(['--help']);
  for (const cmd of ['create', 'dump', 'write', 'rm']) {
    assert.match(top.out, new RegExp(`\\n  ${cmd} `), `pstore --help lists ${cmd}`);
    // `CMD --help`, not `help CMD`: commander's help command exits with process.exitCode, which node:test sets once a test fails.
    const h = await ok([cmd, '--help']);
    assert.match(h.out, /Example/);
    assert.match(h.out, new RegExp(`\\$ .*pstore ${cmd} `));
  }
  const d = await ok(['dump', '--help']);
  assert.match(d.out, /--compress <algorithm>\s+pstore\.compress \(default none:/);
  // pstore/blk devices too (test/cli-blk-write.test.ts has the rest).
  const blk = await ok(['create', tmpFile('blk.bin'), '--backend', 'blk', '--mem-size', '64K', '--kmsg-size', '16', '--pmsg-size', '0', '--console-size', '0', '--ftrace-size', '0']);
  assert.match(blk.out, /4 kmsg zones of 16 KiB/);
});

// ---------------------------------------------------------------------------
// (5) interruptions: a write that stops after N region writes

class FailAfter implements Region {
  writes = 0;
  constructor(
    readonly inner: Region,
    readonly limit: number,
  ) {}
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    if (this.writes >= this.limit) throw new Error(`power cut after ${this.limit} writes`);
    this.writes++;
    this.inner.write(offset, data);
  }
  sync(): void {}
}

const stripNotice = (b: Uint8Array) => Buffer.from(b).toString('latin1').replace(/\nECC: [^\n]*\n$/, '');

for (const ecc of [0, 16]) {
  test(`an interrupted dump never leaves an invalid zone or a record that was not written (every N, ecc ${ecc})`, async () => {
    const params = { mem_size: 0x6000, record_size: 0x2000, console_size: 0x1000, pmsg_size: 0, ftrace_size: 0, ecc, max_reason: 2 };
    const options = { params, force: false };
    const base = new MemoryRegion(new Uint8Array(0x6000));
    createImage(base, { params });
    // An old record in every dmesg zone, and an old console log.
    const oldPlan = await prepareDump({ reason: ['oops', 'oops'], log: writeLog(syslogLines(30)), time: '100.000001' }, NOW);
    dumpRegion(base, options, oldPlan);
    writeRegion(base, options, { console: new TextEncoder().encode('old console\n') });
    const oldFiles = new Map(new RamoopsImage(base, { params }).files().map((f) => [f.name, stripNotice(f.content)]));
    assert.equal(oldFiles.size, 3);

    const logText = syslogLines(60);
    const plan = await prepareDump({ reason: ['panic', 'oops'], log: writeLog(logText), time: '200.5' }, NOW);
    const newText = ['Panic#1 Part1\n' + logText, 'Oops#2 Part1\n' + logText];
    const counter = new FailAfter(new MemoryRegion(base.bytes.slice()), Infinity);
    dumpRegion(counter, options, plan);
    const total = counter.writes;
    assert.ok(total >= 6, `a dump makes several writes (${total})`);
    let badCuts = 0;
    for (let n = 0; n <= total; n++) {
      const mem = new MemoryRegion(base.bytes.slice());
      const faulty = new FailAfter(mem, n);
      if (n < total) assert.throws(() => dumpRegion(faulty, options, plan), /power cut/);
      else dumpRegion(faulty, options, plan);
      assert.equal(mem.size, 0x6000);
      const img = new RamoopsImage(mem, { params });
      for (const z of img.zones()) {
        assert.ok(z.attach.state === 'valid' || z.attach.state === 'empty', `N=${n}: ${z.zone.label} is ${z.attach.state}`);
        // Cut between a block's data and its parity, the kernel's order leaves that block unrecoverable
        // (beyond what the header claims, or ECC would have to fix claimed bytes): count, then check the text.
        if (z.attach.ecc?.badBlocks) badCuts++;
        if (n === total && z.attach.ecc) assert.equal(z.attach.ecc.badBlocks, 0, `${z.zone.label} after the whole dump`);
      }
      for (const f of img.files()) {
        const text = stripNotice(f.content);
        const id = f.type === 'dmesg' ? f.id : -1;
        const ok = text === oldFiles.get(f.name) || (id >= 0 && id < newText.length && newText[id].startsWith(text));
        assert.ok(ok, `N=${n}: ${f.name} is neither the old record nor a prefix of the new one: ${JSON.stringify(text.slice(0, 60))}`);
      }
      if (n === total) {
        assert.deepEqual(img.files().filter((f) => f.type === 'dmesg').map((f) => stripNotice(f.content)), newText);
        if (ecc) console.log(`ecc ${ecc}: ${total} writes per dump; ${badCuts} of ${total} cut points leave an ECC block unrecoverable`);
      }
    }
  });
}

const logs = new Map<string, string>();
function writeLog(text: string): string {
  let p = logs.get(text);
  if (!p) {
    p = tmpFile('log.txt');
    writeFileSync(p, text);
    logs.set(text, p);
  }
  return p;
}

test("write --ftrace takes the kernel's own `cat ftrace-ramoops-0` text back: the file reads back byte for byte", async () => {
  const sc = ['kernel-6.1-full', 'ftrace-percpu'] as const;
  const img = tmpFile('ftrace.bin');
  const params = fixturePath(...sc, 'params.json');
  await ok(['create', img, '--params', params, '--mem-size', '0x18000']);
  const w = await ok(['write', img, '--params', params, '--ftrace', fixturePath(...sc, 'expected', 'ftrace-ramoops-0')]);
  assert.match(w.out, /^ftrace: 47 records appended \(CPU 0, 1\)\n$/);
  const r = await ok(['cat', img, 'ftrace-ramoops-0', '--params', params, '--system-map', fixturePath(...sc, 'system-map-excerpt.txt')]);
  assert.deepEqual(Buffer.from(r.bytes), readFileSync(fixturePath(...sc, 'expected', 'ftrace-ramoops-0')));
});
