/**
 * No flags means infer: the read commands on a recorder image of any layout
 * it accepts, the issue's failing cases (recorder image, a zero last zone in
 * random data, sizes the kernel rounds, pstore/blk without frontends read
 * with explicit flags), each with no flags or with flags that do not fit.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createBlk, dumpToBlkImage } from '../src/api/blkWrite.js';
import { createImage, dumpToImage } from '../src/api/writeImage.js';
import { viewCommand } from '../src/cli/commands/view.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { MemoryRegion } from '../src/region/region.js';
import { makeRecorderImage, type RecorderOptions } from '../src/recorder/index.js';
import { scanDump } from '../src/scan/index.js';
import { noise } from './helpers/noise.js';

const tmp = mkdtempSync(join(tmpdir(), 'pstore-noflags-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const INFERRED = /^pstore: no layout flags: inferred ramoops region at offset 0x0 \(confidence (\d\.\d\d)\): [^\n]*; same as: (--offset [^\n]*)\n/;

const LAYOUTS: Array<[string, RecorderOptions]> = [
  ['default (4 x 64 KiB dmesg, 256 KiB console, 64 KiB pmsg, ECC 16)', {}],
  ['8 x 8 KiB dmesg, 32 KiB console, 16 KiB pmsg, no ECC', { dmesgCount: 8, params: { record_size: 0x2000, console_size: 0x8000, pmsg_size: 0x4000, ecc: 0 } }],
  ['2 x 16 KiB dmesg, 64 KiB console, 4 KiB pmsg, ECC 32, kernel 6.12', { dmesgCount: 2, kernel: '6.12', params: { record_size: 0x4000, console_size: 0x10000, pmsg_size: 0x1000, ecc: 32 } }],
  ['1 x 64 KiB dmesg, 8 KiB console, 128 KiB pmsg, ECC 8', { dmesgCount: 1, params: { record_size: 0x10000, console_size: 0x2000, pmsg_size: 0x20000, ecc: 8 } }],
];

for (const [i, [what, options]] of LAYOUTS.entries()) {
  test(`recorder image, ${what}: ls, extract and view with no flags show its dmesg, console and pmsg records`, async () => {
    const path = join(tmp, `app-${i}.img`);
    const info = makeRecorderImage(path, { lines: ['service starting', 'handling request 42', 'fatal: out of cheese'], console: 'last console line\n', pmsg: 'pmsg bytes\n', options });
    const ls = await run(['ls', path]);
    assert.equal(ls.code, 0, ls.err);
    const m = INFERRED.exec(ls.err);
    assert.ok(m, `one line saying what was inferred: ${ls.err}`);
    assert.equal(ls.err, m[0], 'nothing else on stderr');
    assert.ok(Number(m[1]) >= 0.9, `confidence ${m[1]}`);
    const p = info.params;
    assert.match(m[2], new RegExp(`--mem-size 0x${p.mem_size.toString(16)} --record-size 0x${p.record_size.toString(16)} --console-size 0x${p.console_size.toString(16)} --ftrace-size 0x0 --pmsg-size 0x${p.pmsg_size.toString(16)} --ecc ${p.ecc}`));
    for (const name of ['dmesg-ramoops-0', 'console-ramoops-0', 'pmsg-ramoops-0']) assert.match(ls.out, new RegExp(`^${name} `, 'm'));

    // extract with no flags = extract with the recorder's own layout.
    const out = join(tmp, `out-${i}`);
    const ref = join(tmp, `ref-${i}`);
    assert.equal((await run(['extract', path, out, '-q'])).code, 0);
    const explicit = ['--mem-size', String(p.mem_size), '--record-size', String(p.record_size), '--console-size', String(p.console_size), '--pmsg-size', String(p.pmsg_size), '--ftrace-size', '0', '--ecc', String(p.ecc), '--kernel', info.kernel];
    const e = await run(['extract', path, ref, '-q', ...explicit]);
    assert.equal(e.code, 0, e.err);
    assert.equal(e.err, '', 'the recorder layout fits its image: no warning');
    const names = readdirSync(ref).sort();
    assert.deepEqual(readdirSync(out).sort(), names);
    for (const n of names) assert.ok(readFileSync(join(out, n)).equals(readFileSync(join(ref, n))), n);

    // view with no flags: the page starts on the inferred layout.
    const viewer = join(tmp, `viewer-${i}`);
    mkdirSync(join(viewer, 'assets'), { recursive: true });
    writeFileSync(join(viewer, 'index.html'), '<!doctype html><title>x</title>');
    const io = captureIo();
    const v = await viewCommand(path, { open: false }, io, { viewerDir: viewer });
    try {
      assert.match(io.stderrText(), /^pstore: no layout flags: inferred ramoops region at offset 0x0 /);
      const served = (await (await fetch(`${v.url}api/options`)).json()) as { choice: { params: Record<string, number> } | null };
      assert.ok(served.choice);
      assert.equal(served.choice.params.console_size, p.console_size);
      assert.equal(served.choice.params.pmsg_size, p.pmsg_size);
      assert.equal(served.choice.params.mem_size, p.mem_size);
    } finally {
      await v.close();
    }
  });
}

test('issue case: the recorder image explains all 6 headers (4 dmesg, console 0x40000, pmsg 0x10000), not 9 dmesg zones', () => {
  const path = join(tmp, 'issue-recorder.img');
  makeRecorderImage(path, { lines: ['x'], dump: null });
  const r = scanDump(new Uint8Array(readFileSync(path))).regions[0];
  assert.deepEqual(r.params, { mem_size: 0x90000, record_size: 0x10000, console_size: 0x40000, ftrace_size: 0, pmsg_size: 0x10000, ecc: 16 });
  assert.equal(r.zonesFound, 6);
  assert.equal(r.zones.length, 6);
  assert.equal(r.ambiguous, false);
  assert.ok(r.confidence >= 0.95, `confidence ${r.confidence}`);
});

/** 8 dmesg zones of 0x2000, three dumps, written as the kernel does. */
function eightZones(lastZero: boolean): Uint8Array {
  const bytes = new Uint8Array(8 * 0x2000);
  const image = createImage(new MemoryRegion(bytes), { params: { mem_size: bytes.length, record_size: 0x2000, console_size: 0, pmsg_size: 0, ftrace_size: 0, ecc: 0 } });
  dumpToImage(image, { log: 'a line\nanother line\n', reasons: [2, 2, 2, 2, 2, 2], time: { sec: 1_700_000_000, nsec: 0 } });
  // Zones 1, 3, 4, 6 erased (rm), as a user who kept 0, 2, 5.
  for (const n of [1, 3, 4, 6]) image.backend.erase('dmesg', n);
  if (lastZero) bytes.fill(0, 7 * 0x2000);
  return bytes;
}

test('issue case: 8 dmesg zones, the last one all zero, inside random data: records keep their names (-0, -2, -5)', async () => {
  const region = eightZones(true);
  const dump = noise(0x3001 + region.length + 0x5003, 99);
  dump.set(region, 0x3001);
  const path = join(tmp, 'eight.dump');
  writeFileSync(path, dump);
  const r = await run(['ls', path]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /inferred ramoops region at offset 0x3001 /);
  const names = r.out.split('\n').slice(1).filter(Boolean).map((l) => l.split(' ')[0]);
  assert.deepEqual(names, ['dmesg-ramoops-0', 'dmesg-ramoops-2', 'dmesg-ramoops-5']);
});

test('issue case: sizes the kernel rounds (record, console, pmsg not powers of two, odd mem_size) are inferred as the kernel laid them out', () => {
  const params = { mem_size: 0x2d00b, record_size: 0x3000, console_size: 0x5000, pmsg_size: 0x1800, ftrace_size: 0, ecc: 16 };
  const bytes = new Uint8Array(params.mem_size);
  const image = createImage(new MemoryRegion(bytes), { params });
  dumpToImage(image, { log: 'rounded\n', reasons: [2], time: { sec: 1_700_000_000, nsec: 0 } });
  const dump = noise(0x777 + bytes.length + 0x999, 5);
  dump.set(bytes, 0x777);
  const r = scanDump(dump).regions.find((x) => x.offset === 0x777);
  assert.ok(r);
  const l = image.layout;
  // Same zones as the kernel's: dmesg zone size from ALIGN_DOWN of what is left, console and pmsg rounded down.
  assert.deepEqual(r.zones.map((z) => [z.type, z.offset - 0x777, z.size]), l.zones.map((z) => [z.type, z.offset, z.size]));
  assert.equal(r.ambiguous, false);
});

test('issue case: pstore/blk without console/pmsg/ftrace frontends read with explicit --kmsg-size 64: a warning with the layout it fits; check exits 1', async () => {
  const bytes = new Uint8Array(0x40000);
  const image = createBlk(new MemoryRegion(bytes), { params: { kmsg_size: 64, pmsg_size: 0, console_size: 0, ftrace_size: 0 }, kernel: 'debian-6.1', panicWrite: true });
  dumpToBlkImage(image, { log: 'blk line\n', reasons: [2, 2, 2], time: { sec: 1_700_000_000, nsec: 0 } });
  const path = join(tmp, 'disk.img');
  writeFileSync(path, bytes);
  const ls = await run(['ls', path, '--backend', 'blk', '--kmsg-size', '64']);
  assert.equal(ls.code, 0);
  assert.match(ls.err, /^pstore: warning: the layout does not fit the image: \d+ of \d+ zones hold another zone's header or other bytes, \d+ their own; the image fits: --backend blk --offset 0x0 --mem-size 0x40000 --kmsg-size 64 --console-size 0 --ftrace-size 0 --pmsg-size 0 /m);
  const check = await run(['check', path, '--backend', 'blk', '--kmsg-size', '64']);
  assert.equal(check.code, 1);
  assert.match(check.err, /the layout does not fit the image/);
  // With no flags at all it is read right.
  const auto = await run(['ls', path]);
  assert.equal(auto.code, 0, auto.err);
  assert.match(auto.err, /^pstore: no layout flags: inferred pstore\/blk device at offset 0x0 /);
  assert.match(auto.out, /dmesg-pstore_blk-2/);
});

test('npm start: read with --params still reads the sample, no warning', async () => {
  const r = await run(['read', 'sample/panic-ecc16.bin', '--params', 'sample/panic-ecc16.params.json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.ok(r.out.length > 100);
});
