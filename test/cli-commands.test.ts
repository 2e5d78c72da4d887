/** ls, cat, check, layout and read on real images, run in-process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS } from '../src/backends/ramoops/layout.js';
import { przGeometry } from '../src/zone/eccLayout.js';
import { fixturePath, readFixtureJson, scenarios } from './helpers/fixtures.js';

const ecc16 = fixturePath('kernel-6.1', 'panic-ecc16', 'image.bin');
const ecc16Params = fixturePath('kernel-6.1', 'panic-ecc16', 'params.json');

async function run(args: string[]) {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), bytes: io.stdoutBytes(), err: io.stderrText() };
}

test('ls --json has every documented field with the kernel-shown values', async () => {
  for (const sc of scenarios('kernel-6.1')) {
    const r = await run(['ls', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json'), '--kernel', 'debian-6.1', '--json']);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as Array<Record<string, unknown>>;
    const meta = readFixtureJson<{ files: Array<{ name: string; size: number; mtime_epoch: number; mtime: string }> }>('kernel-6.1', sc, 'meta.json');
    assert.deepEqual(list.map((f) => f.name).sort(), meta.files.map((f) => f.name).sort(), sc);
    for (const f of list) {
      assert.deepEqual(Object.keys(f).sort(), ['compressed', 'compression', 'ecc', 'id', 'mtime', 'mtime_epoch', 'mtime_nsec', 'name', 'size', 'type'].sort());
      const m = meta.files.find((x) => x.name === f.name)!;
      assert.equal(f.size, m.size, `${sc}/${f.name} size`);
      assert.equal(f.type, String(f.name).split('-')[0]);
      if (f.type === 'dmesg') {
        assert.equal(f.mtime_epoch, m.mtime_epoch);
        assert.equal(f.mtime_nsec, Number(/\.(\d{9})/.exec(m.mtime)![1]));
        assert.equal(Date.parse(String(f.mtime)), m.mtime_epoch * 1000 + Math.floor(Number(f.mtime_nsec) / 1e6));
      } else {
        assert.equal(f.mtime, null);
      }
    }
  }
  const r = await run(['ls', ecc16, '--params', ecc16Params, '--json']);
  const [f] = JSON.parse(r.out);
  assert.deepEqual(f, {
    name: 'dmesg-ramoops-0',
    type: 'dmesg',
    id: 0,
    size: 27769,
    mtime: '2024-01-01T00:00:09.058434000Z',
    mtime_epoch: 1704067209,
    mtime_nsec: 58434000,
    compressed: true,
    compression: 'deflate',
    ecc: { corrected: 0, bad: 0 },
  });
});

test('ls --json shows .enc.z and corrected ECC bytes', async () => {
  const none = await run(['ls', fixturePath('kernel-6.1', 'panic-deflate', 'image.bin'), '--params', fixturePath('kernel-6.1', 'panic-deflate', 'params.json'), '--compress', 'none', '--json']);
  const [f] = JSON.parse(none.out);
  assert.equal(f.name, 'dmesg-ramoops-0.enc.z');
  assert.equal(f.compressed, true);
  assert.equal(f.compression, null);
  assert.equal(f.ecc, null);
  const sc = 'panic-ecc16-corrupt-correctable';
  const c = await run(['ls', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json'), '--json']);
  assert.deepEqual(JSON.parse(c.out)[0].ecc, { corrected: 3, bad: 0 });
  const table = await run(['ls', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json')]);
  assert.match(table.out, /^NAME +SIZE +MTIME \(UTC\) +COMPRESSED +ECC\n/);
  assert.match(table.out, /dmesg-ramoops-0 +27\d\d\d +2024-01-01 00:00:09\.\d{6} +deflate +3 corrected\n/);
});

test('cat writes exactly the bytes of each kernel-shown file', async () => {
  for (const sc of ['oops-oops-panic', 'synthetic-edge-cases', 'panic-ecc16-corrupt-correctable']) {
    const ls = await run(['ls', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json'), '--kernel', 'debian-6.1', '--json']);
    for (const { name } of JSON.parse(ls.out) as Array<{ name: string }>) {
      const r = await run(['cat', fixturePath('kernel-6.1', sc, 'image.bin'), name, '--params', fixturePath('kernel-6.1', sc, 'params.json'), '--kernel', 'debian-6.1']);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(Buffer.from(r.bytes), readFileSync(fixturePath('kernel-6.1', sc, 'expected', name)), `${sc}/${name}`);
    }
  }
});

test('cat of an ftrace file with ECC decodes correctly and says so; --ftrace-walk kernel gives the kernel walk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-cli-'));
  try {
    // A tiny image with ECC and one ftrace zone holding three records.
    const { MemoryRegion } = await import('../src/region/region.js');
    const { Ramoops } = await import('../src/backends/ramoops/ramoops.js');
    const { encodeFtraceRecord } = await import('../src/core/ftrace.js');
    const { archByName } = await import('../src/backends/ramoops/arch.js');
    const params = { ...RAMOOPS_DEFAULTS, mem_size: 0x4000, record_size: 0x1000, console_size: 0, pmsg_size: 0, ftrace_size: 0x1000, ecc: 16 };
    const layout = ramoopsLayout({ params, kernel: '6.1.192' });
    const region = new MemoryRegion(new Uint8Array(params.mem_size));
    const backend = new Ramoops(region, layout);
    backend.format();
    const arch = archByName('x86_64');
    for (let i = 0; i < 3; i++) {
      const data = encodeFtraceRecord({ ip: 0xffffffff81000000n + BigInt(i), parentIp: 0xffffffff82000000n, cpu: 0, ts: BigInt(i * 256) }, arch);
      backend.write({ type: 'ftrace', reason: 0, count: 0, part: 1, data, compressed: false, time: { sec: 0, nsec: 0 }, cpu: 0 });
    }
    const img = join(dir, 'ftrace.bin');
    writeFileSync(img, region.bytes);
    const flags = ['--mem-size', '0x4000', '--record-size', '0x1000', '--console-size', '0', '--pmsg-size', '0', '--ftrace-size', '0x1000', '--ecc', '16', '--kernel', '6.1.192'];
    const kernel = await run(['cat', img, 'ftrace-ramoops-0', ...flags, '--ftrace-walk', 'kernel']);
    assert.equal(kernel.code, 0, kernel.err);
    assert.match(kernel.err, /^pstore: note: .*--ftrace-walk correct/);
    // The kernel's bytes are what extract writes.
    const out = join(dir, 'out');
    assert.equal((await run(['extract', img, out, ...flags])).code, 0);
    assert.equal(readFileSync(join(out, 'ftrace-ramoops-0'), 'utf8'), kernel.out);
    const correct = await run(['cat', img, 'ftrace-ramoops-0', ...flags]);
    assert.equal(correct.code, 0, correct.err);
    assert.match(correct.err, /^pstore: note: ftrace records decoded correctly; .*kernel bug/);
    assert.equal(correct.out.split('\n').filter(Boolean).length, 3);
    assert.match(correct.out, /^CPU:0 ts:0 ffffffff81000000  ffffffff82000000  0xffffffff81000000 <- 0xffffffff82000000\n/);
    assert.notEqual(kernel.out, correct.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check: clean image exits 0; corrected bytes reported; 9 flipped bytes in a block exit 1', async () => {
  const clean = await run(['check', ecc16, '--params', ecc16Params, '--json']);
  assert.equal(clean.code, 0, clean.err);
  const rep = JSON.parse(clean.out);
  assert.equal(rep.ok, true);
  assert.equal(rep.zones.length, 16);
  assert.deepEqual(
    Object.keys(rep.zones[0]).sort(),
    ['bad_block_list', 'bad_blocks', 'capacity', 'corrected', 'header_ecc', 'label', 'no_record_header', 'offset', 'read_stops_here', 'signature', 'size', 'start', 'state', 'type', 'unread', 'used'].sort(),
  );
  assert.equal(rep.zones[0].state, 'valid');
  assert.equal(rep.zones[0].signature, 'ok');
  assert.equal(rep.zones[0].header_ecc, 'clean');
  assert.equal(rep.zones[1].state, 'empty');

  const sc = 'panic-ecc16-corrupt-correctable';
  const fixed = await run(['check', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json')]);
  assert.equal(fixed.code, 0);
  assert.match(fixed.out, /ECC 16: 3 corrected bytes, 0 unrecoverable blocks\n$/);

  const dir = mkdtempSync(join(tmpdir(), 'pstore-cli-'));
  try {
    const img = join(dir, 'bad.bin');
    copyFileSync(ecc16, img);
    const bytes = readFileSync(img);
    const g = przGeometry(0x10000, 16);
    const block = 5;
    for (let i = 0; i < 9; i++) bytes[g.dataOffset + block * g.blockSize + i * 3] ^= 0x5a;
    writeFileSync(img, bytes);
    const before = readFileSync(img);
    const bad = await run(['check', img, '--params', ecc16Params]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /ramoops:dmesg\(0\/15\).* 1 \(blocks 5\)\n/);
    assert.equal(bad.err, 'pstore: 1 unrecoverable block\n');
    const j = JSON.parse((await run(['check', img, '--params', ecc16Params, '--json'])).out);
    assert.equal(j.ok, false);
    assert.deepEqual(j.zones[0].bad_block_list, [5]);
    assert.deepEqual(readFileSync(img), before, 'check never modifies the image');
    // ls still works and reports the bad block.
    const ls = JSON.parse((await run(['ls', img, '--params', ecc16Params, '--json'])).out);
    assert.equal(ls[0].ecc.bad, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check without a signature: a zeroed image reports every zone unsigned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-cli-'));
  try {
    const img = join(dir, 'zero.bin');
    writeFileSync(img, new Uint8Array(0x4000));
    const r = await run(['check', img, '--record-size', '0x1000', '--json']);
    assert.equal(r.code, 0);
    const rep = JSON.parse(r.out);
    assert.ok(rep.zones.every((z: { signature: string; state: string }) => z.signature === 'bad' && z.state === 'no-signature'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('layout: zone map equals the fixture kernel zone_layout (6.12), json, dts and cmdline', async () => {
  const p612 = fixturePath('kernel-6.12', 'zone-order-612', 'params.json');
  const j = await run(['layout', '--params', p612, '--kernel', '6.12', '--json']);
  assert.equal(j.code, 0, j.err);
  const map = JSON.parse(j.out);
  const want = readFixtureJson<{ zone_layout: Array<{ type: string; offset: number; size: number; buffer_size?: number }> }>('kernel-6.12', 'zone-order-612', 'params.json').zone_layout;
  assert.deepEqual(
    map.zones.map((z: { type: string; offset: number; size: number }) => [z.type, z.offset, z.size]),
    want.map((z) => [z.type, z.offset, z.size]),
  );
  for (const [i, z] of want.entries()) if (z.buffer_size !== undefined) assert.equal(map.zones[i].data_size, z.buffer_size, `zone ${i} data size`);

  const t = await run(['layout', '--mem-size', '1M', '--record-size', '64K', '--console-size', '0', '--ftrace-size', '0', '--pmsg-size', '0', '--ecc', '16']);
  assert.equal(t.code, 0);
  assert.match(t.out, /^OFFSET +SIZE +DATA +PARITY +LABEL$/m);
  assert.match(t.out, /^0x0 +0x10000 +58228 +7296 +ramoops:dmesg\(0\/15\)$/m);
  assert.equal(t.err, '');

  const dts = await run(['layout', '--params', ecc16Params, '--dts']);
  assert.match(dts.out, /compatible = "ramoops";/);
  assert.match(dts.out, /reg = <0x0 0x10000000 0x0 0x100000>;/);
  for (const prop of ['record-size = <0x10000>', 'console-size = <0x0>', 'ftrace-size = <0x0>', 'pmsg-size = <0x0>', 'ecc-size = <16>', 'max-reason = <2>']) assert.ok(dts.out.includes(prop), prop);
  assert.equal(dts.err, '', 'mem_address comes from the params file');

  const cmd = await run(['layout', '--params', ecc16Params, '--cmdline']);
  assert.equal(
    cmd.out,
    'memmap=1M$0x10000000 ramoops.mem_address=0x10000000 ramoops.mem_size=0x100000 ramoops.record_size=0x10000 ramoops.console_size=0x0 ramoops.ftrace_size=0x0 ramoops.pmsg_size=0x0 ramoops.ecc=16 ramoops.max_reason=2\n',
  );
  const noAddr = await run(['layout', '--mem-size', '1M', '--cmdline']);
  assert.match(noAddr.err, /no --mem-address given; using 0x10000000/);
  const addr = await run(['layout', '--mem-size', '1M', '--cmdline', '--mem-address', '0x8000000']);
  assert.match(addr.out, /^memmap=1M\$0x8000000 ramoops\.mem_address=0x8000000 /);
});

test('layout warns where the kernel rounds, and fails where it refuses', async () => {
  const r = await run(['layout', '--mem-size', '1M', '--record-size', '3000']);
  assert.equal(r.code, 0);
  assert.match(r.err, /record_size 0xbb8 is not a power of two: the kernel rounds it down to 0x800/);
  const e1 = await run(['layout', '--mem-size', '1M', '--ecc', '1', '--json']);
  assert.equal(JSON.parse(e1.out).params.ecc, 16);
  assert.match(e1.err, /ecc=1 means 16/);
  const refuse = await run(['layout', '--mem-size', '0x1000', '--console-size', '0x2000']);
  assert.equal(refuse.code, 1);
  assert.match(refuse.err, /^pstore: .*exceed mem_size 0x1000\n$/);
  const none = await run(['layout']);
  assert.equal(none.code, 2);
  assert.match(none.err, /^pstore: layout needs --mem-size/);
  const two = await run(['layout', '--mem-size', '1M', '--dts', '--cmdline']);
  assert.equal(two.code, 2);
});

test('read: lists the records, then each with a header line; binary escaped', async () => {
  const r = await run(['read', ecc16, '--params', ecc16Params]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^.*panic-ecc16\/image\.bin: ramoops region of 0x100000 bytes, 16 dmesg zones, ecc 16, kernel 6\.1: 1 record\n/);
  assert.match(r.out, /\n===== dmesg-ramoops-0 \(27769 bytes, 2024-01-01 00:00:09\.058434 UTC, compressed: deflate, ECC ok\) =====\nPanic#1 Part1\n/);
  assert.ok(r.out.endsWith('\nECC: No errors detected\n'));
  const sc = 'synthetic-edge-cases';
  const s = await run(['read', fixturePath('kernel-6.1', sc, 'image.bin'), '--params', fixturePath('kernel-6.1', sc, 'params.json'), '--kernel', 'debian-6.1']);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /===== dmesg-ramoops-5\.enc\.z \(300 bytes, [^)]*binary bytes as \\xNN\) =====\n/);
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(s.out), 'no raw control bytes reach the terminal');
});

test('the sample image runs as npm start does', async () => {
  const r = await run(['read', 'sample/panic-ecc16.bin', '--params', 'sample/panic-ecc16.params.json']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Kernel panic - not syncing/);
  assert.deepEqual(readFileSync('sample/panic-ecc16.bin'), readFileSync(ecc16));
});

test('--help lists every command with examples; --version', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['read', 'ls', 'cat', 'extract', 'check', 'layout']) assert.match(r.out, new RegExp(`^  ${c} `, 'm'));
  assert.match(r.out, /Examples:/);
  const sub = await run(['extract', '--help']);
  assert.equal(sub.code, 0);
  for (const o of ['--mem-size', '--record-size', '--console-size', '--ftrace-size', '--pmsg-size', '--ecc', '--max-reason', '--ftrace-cpus', '--kernel', '--arch', '--offset', '--params', '--compress', '--system-map', '--force']) {
    assert.ok(sub.out.includes(o), o);
  }
  const v = await run(['--version']);
  assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
});

test('ls with a layout that does not fit the image says so and points at --auto', async () => {
  // Module defaults (4 KiB records) on an image written with 32 KiB records.
  const r = await run(['ls', fixturePath('kernel-6.1', 'oops-oops-panic', 'image.bin')]);
  assert.equal(r.code, 0);
  assert.equal(r.out, '');
  assert.match(r.err, /^pstore: no records: \d+ of 64 zones have no valid ramoops header .*--auto/);
  const fine = await run(['ls', fixturePath('kernel-6.1', 'oops-oops-panic', 'image.bin'), '--auto', '--kernel', 'debian-6.1']);
  assert.equal(fine.code, 0, fine.err);
  assert.match(fine.out, /dmesg-ramoops-2/);
});
