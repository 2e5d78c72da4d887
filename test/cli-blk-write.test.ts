/**
 * The write commands on pstore/blk devices (`--backend blk`): create, dump,
 * write and rm through the CLI, read back with ls/cat/extract/check, the
 * kernel's pstore-blk-oops device reproduced in structure, and the safety
 * rules of the ramoops path (bad input leaves the file byte for byte).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PSZ_SIG } from '../src/backends/blk/layout.js';
import { BLK_ARCH_X86_64, encodePszBuffer } from '../src/backends/blk/zoneFormat.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixtureJson } from './helpers/fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'pstore-blk-write-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const tmpFile = (name: string) => join(tmp, `${seq++}-${name}`);

async function run(args: string[]) {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), bytes: io.stdoutBytes(), err: io.stderrText() };
}

async function ok(args: string[]) {
  const r = await run(args);
  assert.equal(r.code, 0, `pstore ${args.join(' ')}: ${r.err}`);
  return r;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function oneLine(err: string): void {
  assert.match(err, /^pstore: [^\n]+\n$/, `one line: ${JSON.stringify(err)}`);
  assert.doesNotMatch(err, /internal error|    at /);
}

const LOG = Array.from({ length: 30 }, (_, i) => `<${i % 7}>[ ${(10 + i).toString().padStart(4, ' ')}.${String(i * 1111).padStart(6, '0')}] blk line ${i}`).join('\n') + '\n';
const FTRACE = 'CPU:0 ts:12 ffffffff81129769  ffffffff81129c5d\nCPU:0 ts:13 ffffffff8112a000  ffffffff8112b000\n';

interface LsEntry {
  name: string;
  size: number;
  mtime_epoch: number | null;
  compressed: boolean;
  compression: string | null;
}

test('create --backend blk → dump oops, oops, panic → write console/pmsg/ftrace → ls/cat/extract → rm', async () => {
  const img = tmpFile('dev.img');
  const L = ['--backend', 'blk', '--kmsg-size', '64'];
  const c = await ok(['create', img, '--backend', 'blk', '--mem-size', '256K', '--kmsg-size', '64']);
  assert.match(c.out, /created '.*' \(262144 bytes\)/);
  assert.match(c.out, /formatted 0x40000 bytes at offset 0x0 \(fill 0x0\): pstore_blk device of 0x40000 bytes, 1 kmsg zone of 64 KiB, pmsg 64 KiB, console 64 KiB, ftrace 64 KiB/);
  assert.ok(readFileSync(img).every((b) => b === 0), 'a new device is blank');
  const fresh = await ok(['ls', img, ...L, '--json']);
  assert.deepEqual(JSON.parse(fresh.out), []);

  const log = tmpFile('log.txt');
  writeFileSync(log, LOG);
  const d = await ok(['dump', img, ...L, '--reason', 'oops', '--reason', 'oops', '--reason', 'panic', '--log', log, '--time', '1704067300.25']);
  // One kmsg zone: the second Oops replaces the first, the panic never reaches a best-effort device.
  assert.match(d.out, /^dmesg-pstore_blk-0: Oops#2 Part1, \d+ bytes in the zone \(uncompressed\) in pstore_blk:dmesg\(0\/0\) at 0x30000\n$/);
  assert.match(d.err, /^pstore: warning: not written: panic \(best-effort pstore\/blk has no panic_write/m);

  const consoleIn = tmpFile('console.txt');
  const pmsgIn = tmpFile('pmsg.bin');
  const ftraceIn = tmpFile('ftrace.txt');
  writeFileSync(consoleIn, 'console says hello\n');
  writeFileSync(pmsgIn, new Uint8Array([1, 2, 3, 0, 255, 10]));
  writeFileSync(ftraceIn, FTRACE);
  const w = await ok(['write', img, ...L, '--console', consoleIn, '--pmsg', pmsgIn, '--ftrace', ftraceIn]);
  assert.match(w.out, /^console: 19 bytes written/m);
  assert.match(w.out, /^pmsg: 6 bytes written/m);
  assert.match(w.out, /^ftrace: 2 records written \(CPU 0\)$/m);

  const ls = JSON.parse((await ok(['ls', img, ...L, '--json'])).out) as LsEntry[];
  assert.deepEqual(ls.map((f) => f.name).sort(), ['console-pstore_blk-0', 'dmesg-pstore_blk-0', 'ftrace-pstore_blk-0', 'pmsg-pstore_blk-0']);
  assert.equal(ls.find((f) => f.name === 'dmesg-pstore_blk-0')?.mtime_epoch, 1704067300);

  const out = tmpFile('out');
  await ok(['extract', img, out, ...L, '-q']);
  const dmesg = readFileSync(join(out, 'dmesg-pstore_blk-0'), 'latin1');
  assert.ok(dmesg.startsWith('Oops: Total 2 times\nOops#2 Part1\n'), dmesg.slice(0, 40));
  assert.ok(dmesg.endsWith('blk line 29\n'));
  assert.equal(readFileSync(join(out, 'console-pstore_blk-0'), 'utf8'), 'console says hello\n');
  assert.deepEqual([...readFileSync(join(out, 'pmsg-pstore_blk-0'))], [1, 2, 3, 0, 255, 10]);
  const ftrace = readFileSync(join(out, 'ftrace-pstore_blk-0'), 'utf8').split('\n').filter(Boolean);
  assert.equal(ftrace.length, 2);
  assert.match(ftrace[0], /^CPU:0 ts:12 ffffffff81129769 {2}ffffffff81129c5d/);
  assert.equal(statSync(join(out, 'dmesg-pstore_blk-0')).mtime.getTime(), 1704067300250);
  const cat = await ok(['cat', img, 'console-pstore_blk-0', ...L]);
  assert.equal(cat.out, 'console says hello\n');

  // A CPU the layout has no zone for: refused before anything is written.
  const before = sha(img);
  const cpu3 = tmpFile('cpu3.txt');
  writeFileSync(cpu3, 'CPU:3 ts:1 ffffffff81000000  ffffffff81000010\n');
  const bad = await run(['write', img, ...L, '--ftrace', cpu3]);
  assert.equal(bad.code, 2);
  oneLine(bad.err);
  assert.match(bad.err, /record for CPU 3, but the layout has 1 per-CPU zone/);
  assert.equal(sha(img), before);

  const rm = await ok(['rm', img, 'dmesg-pstore_blk-0', ...L]);
  assert.equal(rm.out, 'removed dmesg-pstore_blk-0 (zapped pstore_blk:dmesg(0/0))\n');
  const after = JSON.parse((await ok(['ls', img, ...L, '--json'])).out) as LsEntry[];
  assert.deepEqual(after.map((f) => f.name).sort(), ['console-pstore_blk-0', 'ftrace-pstore_blk-0', 'pmsg-pstore_blk-0']);
  const chk = JSON.parse((await ok(['check', img, ...L, '--json'])).out) as { ok: boolean; zones: { label: string; state: string }[] };
  assert.equal(chk.ok, true);
  assert.equal(chk.zones.find((z) => z.label === 'pstore_blk:dmesg(0/0)')?.state, 'erased');
  await ok(['rm', img, 'console-pstore_blk-0', ...L]);
  assert.deepEqual(
    (JSON.parse((await ok(['ls', img, ...L, '--json'])).out) as LsEntry[]).map((f) => f.name).sort(),
    ['ftrace-pstore_blk-0', 'pmsg-pstore_blk-0'],
  );
});

test('pstore-blk-oops: create with the fixture params on a zeroed disk + the same dumps read like the kernel device', async () => {
  const set = ['kernel-6.1-blk', 'pstore-blk-oops'] as const;
  const params = fixturePath(...set, 'params.json');
  const pj = readFixtureJson<{ disk_size: number }>(...set, 'params.json');
  const img = tmpFile('oops.img');
  writeFileSync(img, new Uint8Array(pj.disk_size));
  // Debian's 6.1 builds no pmsg/console/ftrace frontend: --kernel debian-6.1, as for reading the fixture.
  const L = ['--params', params, '--kernel', 'debian-6.1'];
  const c = await ok(['create', img, ...L]);
  assert.match(c.out, /4 kmsg zones of 64 KiB, max_reason 2, kernel debian-6.1/);
  assert.equal(statSync(img).size, pj.disk_size, 'never resized');

  // The kernel's own log as the --log input: the lines of its second Oops record.
  const expected1 = readFileSync(fixturePath(...set, 'expected', 'dmesg-pstore_blk-1'), 'latin1');
  const log = tmpFile('oops-log.txt');
  writeFileSync(log, expected1.slice(expected1.indexOf('\n') + 1), 'latin1');
  const d = await ok(['dump', img, ...L, '--reason', 'oops', '--reason', 'oops', '--reason', 'panic', '--compress', 'deflate', '--log', log, '--time', '1704067207.639613']);
  assert.deepEqual(
    d.out.split('\n').filter(Boolean).map((l) => l.replace(/, \d+ bytes.*/, '')),
    ['dmesg-pstore_blk-0: Oops#1 Part1', 'dmesg-pstore_blk-1: Oops#2 Part1'],
  );
  assert.match(d.err, /not written: panic/);

  const fixture = ['--backend', 'blk', '--params', params, '--kernel', 'debian-6.1'];
  const ours = JSON.parse((await ok(['ls', img, ...fixture, '--json'])).out) as LsEntry[];
  const theirs = JSON.parse((await ok(['ls', fixturePath(...set, 'image.bin'), ...fixture, '--json'])).out) as LsEntry[];
  const shape = (l: LsEntry[]) => l.map((f) => [f.name, f.compressed, f.compression]);
  assert.deepEqual(shape(ours), shape(theirs));
  assert.deepEqual(
    ours.map((f) => f.name),
    readdirSync(fixturePath(...set, 'expected')).sort(),
  );

  type Check = { ok: boolean; zones: { label: string; offset: number; size: number; signature: string; state: string; capacity: number; dump: { reason: string; counter: number; compressed: boolean } | null }[] };
  const zoneShape = (r: Check) => r.zones.map((z) => [z.label, z.offset, z.size, z.signature, z.state, z.capacity, z.dump && [z.dump.reason, z.dump.counter, z.dump.compressed]]);
  const ourCheck = JSON.parse((await ok(['check', img, ...fixture, '--json'])).out) as Check;
  const theirCheck = JSON.parse((await ok(['check', fixturePath(...set, 'image.bin'), ...fixture, '--json'])).out) as Check;
  assert.deepEqual(zoneShape(ourCheck), zoneShape(theirCheck));

  // Each record holds the log's tail as the kernel's does: same header line, same last line.
  const out = tmpFile('oops-out');
  await ok(['extract', img, out, ...fixture, '-q']);
  for (const name of ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']) {
    const mine = readFileSync(join(out, name), 'latin1');
    const kernel = readFileSync(fixturePath(...set, 'expected', name), 'latin1');
    assert.equal(mine.split('\n')[0], kernel.split('\n')[0], `${name}: header`);
    assert.equal(mine.trimEnd().split('\n').at(-1), expected1.trimEnd().split('\n').at(-1), `${name}: last line`);
  }
  // The second Oops had the same log: compressed by us, read back by us, it is the kernel's file byte for byte.
  assert.ok(readFileSync(join(out, 'dmesg-pstore_blk-1')).equals(readFileSync(fixturePath(...set, 'expected', 'dmesg-pstore_blk-1'))), 'dmesg-pstore_blk-1 bytes');
});

/** A 52 KiB device: pmsg 4 KiB at 0, three 16 KiB kmsg zones from 0x1000, written through the CLI. */
const SMALL = ['--backend', 'blk', '--kmsg-size', '16', '--pmsg-size', '4', '--console-size', '0', '--ftrace-size', '0'];

async function smallDevice(): Promise<string> {
  const img = tmpFile('small.img');
  await ok(['create', img, ...SMALL, '--mem-size', '52K']);
  const log = tmpFile('small-log.txt');
  // Long enough that the dump (kmsg_bytes 10240) fills most of kmsg zone 0.
  writeFileSync(log, Array.from({ length: 400 }, (_, i) => `<6>[ ${String(i).padStart(4, ' ')}.000000] a longer line of the log, number ${i}`).join('\n') + '\n');
  await ok(['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--time', '1704067300']);
  const pmsg = tmpFile('small-pmsg.txt');
  writeFileSync(pmsg, 'pmsg before\n');
  await ok(['write', img, ...SMALL, '--pmsg', pmsg]);
  return img;
}

test('bad input: one line, and the device is left byte for byte untouched', async () => {
  const img = await smallDevice();
  const before = sha(img);
  const log = tmpFile('bad-log.txt');
  writeFileSync(log, LOG);
  const text = tmpFile('bad-text.txt');
  writeFileSync(text, 'x\n');
  const ftrace = tmpFile('bad-ftrace.txt');
  writeFileSync(ftrace, 'CPU:3 ts:1 ffffffff81000000  ffffffff81000010\n');
  const junk = tmpFile('junk.txt');
  writeFileSync(junk, 'not a trace line\n');
  const cases: [string[], number, RegExp][] = [
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--record-size', '4K'], 2, /--record-size is a ramoops parameter/],
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--ecc', '16'], 2, /pstore\/blk has no ECC/],
    [['dump', img, ...SMALL, '--reason', 'reboot', '--log', log], 2, /not a kmsg_dump reason/],
    [['dump', img, ...SMALL, '--reason', 'oops'], 2, /--log FILE is required/],
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', tmpFile('missing.txt')], 2, /--log/],
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--kernel', '6.12', '--compress', 'lz4'], 2, /deflate only/],
    // Wrong zone size: zone boundaries fall inside the data of written zones.
    [['dump', img, '--backend', 'blk', '--kmsg-size', '8', '--pmsg-size', '4', '--console-size', '0', '--ftrace-size', '0', '--reason', 'oops', '--log', log], 1, /layout does not match the device/],
    [['write', img, ...SMALL, '--console', text], 2, /no console zone/],
    [['write', img, ...SMALL, '--pmsg', text, '--ftrace', junk], 2, /ftrace input line 1/],
    [['write', img, ...SMALL, '--ftrace', ftrace], 2, /no ftrace zone/],
    [['write', img, ...SMALL], 2, /nothing to write/],
    [['rm', img, 'dmesg-pstore_blk-2', ...SMALL], 1, /no record named 'dmesg-pstore_blk-2' \(records: dmesg-pstore_blk-0, pmsg-pstore_blk-0\)/],
    [['create', img, ...SMALL], 1, /already holds a pstore\/blk device with 2 records/],
    [['create', img, ...SMALL, '--fill', '0x55'], 2, /--fill/],
    [['create', img, '--fill', '0xff', '--mem-size', '64K'], 2, /--fill is for pstore\/blk/],
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--mem-size', '1M'], 2, /does not fit/],
    [['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--params', tmpFile('none.json')], 2, /--params/],
  ];
  for (const [args, code, msg] of cases) {
    const r = await run(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    oneLine(r.err);
    assert.match(r.err, msg, args.join(' '));
    assert.equal(sha(img), before, `${args.join(' ')} left the device untouched`);
  }
});

test('a file that is not a pstore/blk device is refused untouched; --force writes over it', async () => {
  const img = tmpFile('random.img');
  const bytes = new Uint8Array(52 * 1024);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  writeFileSync(img, bytes);
  const before = sha(img);
  const log = tmpFile('r-log.txt');
  writeFileSync(log, LOG);
  const r = await run(['dump', img, ...SMALL, '--reason', 'oops', '--log', log]);
  assert.equal(r.code, 1);
  oneLine(r.err);
  assert.match(r.err, /not a pstore\/blk device with this layout/);
  assert.equal(sha(img), before);
  const f = await ok(['dump', img, ...SMALL, '--reason', 'oops', '--log', log, '--force', '--time', '1704067300']);
  assert.match(f.err, /--force: every zone holds other bytes/);
  assert.notEqual(sha(img), before);
  assert.equal(statSync(img).size, bytes.length, 'never truncated or extended');
  const ls = JSON.parse((await ok(['ls', img, ...SMALL, '--json'])).out) as LsEntry[];
  assert.deepEqual(
    ls.map((e) => e.name),
    ['dmesg-pstore_blk-0'],
  );
});

test('a device whose recovery fails (ring start > datalen) is refused untouched; --force blanks that header', async () => {
  const img = await smallDevice();
  const dev = new Uint8Array(readFileSync(img));
  encodePszBuffer({ sig: (PSZ_SIG ^ 7) >>> 0, datalen: 5, start: 9 }, BLK_ARCH_X86_64, dev, 0);
  writeFileSync(img, dev);
  const before = sha(img);
  const text = tmpFile('p.txt');
  writeFileSync(text, 'pmsg after\n');
  const r = await run(['write', img, ...SMALL, '--pmsg', text]);
  assert.equal(r.code, 1);
  oneLine(r.err);
  assert.match(r.err, /zone start 9 > datalen 5.*use --force/);
  assert.equal(sha(img), before);
  const rm = await run(['rm', img, 'dmesg-pstore_blk-0', ...SMALL, '--force']);
  assert.notEqual(rm.code, 0, 'rm takes no --force');
  assert.equal(sha(img), before);
  const f = await ok(['write', img, ...SMALL, '--pmsg', text, '--force']);
  assert.match(f.err, /--force: blanked the header of pstore_blk:pmsg\(0\/0\)/);
  const out = await ok(['cat', img, 'pmsg-pstore_blk-0', ...SMALL]);
  assert.equal(out.out, 'pmsg after\n');
  // The Oops dump survived.
  assert.match((await ok(['cat', img, 'dmesg-pstore_blk-0', ...SMALL])).out, /Oops#1 Part1/);
});

test('create --backend blk: --fill 0xff for flash, --mem-size needed for a new file, an --offset window, never shrinks', async () => {
  const flash = tmpFile('flash.img');
  await ok(['create', flash, ...SMALL, '--mem-size', '52K', '--fill', '0xff']);
  assert.ok(readFileSync(flash).every((b) => b === 0xff));
  assert.deepEqual(JSON.parse((await ok(['ls', flash, ...SMALL, '--json'])).out), []);

  const none = await run(['create', tmpFile('new.img'), ...SMALL]);
  assert.equal(none.code, 2);
  assert.match(none.err, /give --mem-size/);
  const tooSmall = tmpFile('too-small.img');
  const ts = await run(['create', tooSmall, '--backend', 'blk', '--mem-size', '64K']);
  assert.equal(ts.code, 1);
  oneLine(ts.err);
  assert.match(ts.err, /a device of 0x10000 bytes cannot hold this layout: no room for console/);
  assert.ok(!existsSync(tooSmall), 'nothing created');

  // A device inside a larger file: bytes outside the window are left alone.
  const big = tmpFile('big.img');
  writeFileSync(big, new Uint8Array(200 * 1024).fill(0xaa));
  await ok(['create', big, ...SMALL, '--offset', '0x8000', '--mem-size', '52K']);
  const b = readFileSync(big);
  assert.equal(b.length, 200 * 1024);
  assert.ok(b.subarray(0, 0x8000).every((x) => x === 0xaa));
  assert.ok(b.subarray(0x8000, 0x15000).every((x) => x === 0));
  assert.ok(b.subarray(0x15000).every((x) => x === 0xaa));
  const log = tmpFile('w-log.txt');
  writeFileSync(log, LOG);
  await ok(['dump', big, ...SMALL, '--offset', '0x8000', '--mem-size', '52K', '--reason', 'oops', '--log', log]);
  const after = readFileSync(big);
  assert.ok(after.subarray(0, 0x8000).every((x) => x === 0xaa));
  assert.ok(after.subarray(0x15000).every((x) => x === 0xaa));
  assert.deepEqual(
    (JSON.parse((await ok(['ls', big, ...SMALL, '--offset', '0x8000', '--mem-size', '52K', '--json'])).out) as LsEntry[]).map((e) => e.name),
    ['dmesg-pstore_blk-0'],
  );

  // A smaller existing file is extended to offset + size.
  const small = tmpFile('small.img');
  writeFileSync(small, new Uint8Array(1000));
  const e = await ok(['create', small, ...SMALL, '--mem-size', '52K']);
  assert.match(e.err, /extended '.*' from 1000 to 53248 bytes/);
  assert.equal(statSync(small).size, 53248);
});

test('help of the write commands mentions --backend blk with an example', async () => {
  for (const cmd of ['create', 'dump', 'write', 'rm']) {
    const r = await run([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /--backend blk/, cmd);
  }
});

test('the package entry exports the blk write, any-image, logcat and scan API, browser-safe', async () => {
  const api = await import('../src/index.js');
  for (const name of ['BlkImage', 'createBlk', 'openBlkForWrite', 'dumpToBlkImage', 'appendBlkConsole', 'removeBlkRecord', 'dumpToAnyImage', 'removeRecordAny', 'pmsgToLogcat', 'decodePmsg', 'scanDump', 'inferLayout', 'bestRegion', 'regionImageOptions']) {
    assert.equal(typeof (api as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(api.AUTO_MIN_CONFIDENCE, 0.4);
  // The blk write path through the package entry alone, on a MemoryRegion.
  const region = new api.MemoryRegion(new Uint8Array(52 * 1024));
  const params = { kmsg_size: 16, pmsg_size: 4, console_size: 0, ftrace_size: 0 };
  const image = api.createBlk(region, { params });
  const s = api.dumpToAnyImage(image, { log: LOG, reasons: [api.KMSG_DUMP_OOPS, api.KMSG_DUMP_PANIC], time: { sec: 1704067300, nsec: 0 } });
  assert.deepEqual(s, { dumped: 2, skipped: [], notWritten: [api.KMSG_DUMP_PANIC] });
  assert.deepEqual(
    new api.BlkImage(region, { params }).files().map((f) => f.name),
    ['dmesg-pstore_blk-0'],
  );
  assert.doesNotMatch(readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8'), /from 'node:/);
});
