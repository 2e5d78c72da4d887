/**
 * `pstore layout --backend blk`: the zone map pstore/zone builds, checked
 * against the zones the fixtures' kernels wrote (meta.json device_zones),
 * --json, --cmdline (the fixture's own pstore_blk.* command line), the
 * kernel's rounding warnings and refusals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixtureJson } from './helpers/fixtures.js';

const OOPS = ['kernel-6.1-blk', 'pstore-blk-oops'] as const;
const FULL = ['kernel-6.1-full', 'pstore-blk-full'] as const;
const FULL_FLAGS = ['--backend', 'blk', '--mem-size', '4M', '--kmsg-size', '64', '--pmsg-size', '64', '--console-size', '64', '--ftrace-size', '64'];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

interface JsonLayout {
  backend: string;
  total_size: number;
  kmsg_zones: number;
  zones: Array<{ type: string; index: number; offset: number; size: number; data_size: number; sig: number; label: string }>;
  warnings: string[];
}

test('pstore-blk-full: table and --json give the offsets the kernel used (pmsg 0, console 0x10000, ftrace 0x20000, kmsg from 0x30000)', async () => {
  const meta = readFixtureJson<{ device_zones: Array<{ type: string; offset: number; size: number; sig: string; buffer_size: number }>; device_zone_count: Record<string, number> }>(...FULL, 'meta.json');
  const t = await cli(['layout', ...FULL_FLAGS]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^pstore\/blk layout: device 0x400000 bytes, kmsg_size 64, pmsg_size 64, console_size 64, ftrace_size 64 \(KiB\)/);
  assert.match(t.out, /\n0x0 +0x10000 +65524 +pstore_blk:pmsg\(0\/0\)\n0x10000 +0x10000 +65524 +pstore_blk:console\(0\/0\)\n0x20000 +0x10000 +65524 +pstore_blk:ftrace\(0\/0\)\n0x30000 +0x10000 +65524 +pstore_blk:dmesg\(0\/60\)\n/);
  assert.match(t.out, /64 zones \(61 kmsg\), 0x400000 of 0x400000 bytes used\n$/);
  assert.equal(t.err, '');

  const j = await cli(['layout', ...FULL_FLAGS, '--json']);
  assert.equal(j.code, 0, j.err);
  const L = JSON.parse(j.out) as JsonLayout;
  assert.equal(L.backend, 'blk');
  assert.equal(L.kmsg_zones, meta.device_zone_count.kmsg);
  for (const z of meta.device_zones) {
    const mine = L.zones.find((x) => x.type === z.type && x.index === 0);
    assert.ok(mine, z.type);
    assert.equal(mine.offset, z.offset, `${z.type} offset`);
    assert.equal(mine.size, z.size);
    assert.equal(mine.data_size, z.buffer_size);
    assert.equal(mine.sig, parseInt(z.sig, 16), `${z.type} sig`);
  }
  // The params file and the image give the same map.
  const p = await cli(['layout', fixturePath(...FULL, 'image.bin'), '--params', fixturePath(...FULL, 'params.json'), '--json']);
  assert.equal(p.code, 0, p.err);
  assert.deepEqual((JSON.parse(p.out) as JsonLayout).zones, L.zones);
});

test('pstore-blk-oops: 4 kmsg zones of 64 KiB from 0 on the 256 KiB disk (Debian kernel: no pmsg/console/ftrace)', async () => {
  const r = await cli(['layout', fixturePath(...OOPS, 'image.bin'), '--params', fixturePath(...OOPS, 'params.json'), '--kernel', 'debian-6.1', '--json']);
  assert.equal(r.code, 0, r.err);
  const L = JSON.parse(r.out) as JsonLayout;
  assert.equal(L.total_size, 0x40000);
  assert.deepEqual(L.zones.map((z) => [z.type, z.offset, z.size]), [
    ['dmesg', 0, 0x10000],
    ['dmesg', 0x10000, 0x10000],
    ['dmesg', 0x20000, 0x10000],
    ['dmesg', 0x30000, 0x10000],
  ]);
});

test('--cmdline: the pstore_blk module parameters the fixture kernel was booted with; placeholder and note without --blkdev', async () => {
  const params = readFixtureJson<{ crash_cmdline: string }>(...FULL, 'params.json');
  const want = params.crash_cmdline.split(' ').filter((w) => w.startsWith('pstore_blk.')).sort();
  const r = await cli(['layout', ...FULL_FLAGS, '--cmdline', '--blkdev', '/dev/vda']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split(' ').sort(), want);
  assert.match(r.err, /panic_write/);

  const p = await cli(['layout', ...FULL_FLAGS, '--cmdline']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /^pstore_blk\.blkdev=BLKDEV pstore_blk\.kmsg_size=64 /);
  assert.match(p.err, /note: no --blkdev given; replace BLKDEV/);
});

test('--dts, --mem-address and ramoops-only flags are usage errors for blk; --blkdev is one for ramoops', async () => {
  for (const [args, re] of [
    [['--dts'], /--dts is for ramoops: pstore\/blk has no device-tree node/],
    [['--cmdline', '--mem-address', '0x10000000'], /--mem-address is a ramoops parameter/],
    [['--record-size', '4K'], /--record-size is a ramoops parameter/],
    [['--ecc', '16'], /--ecc is a ramoops parameter/],
  ] as const) {
    const r = await cli(['layout', ...FULL_FLAGS, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, re);
    assert.equal(r.out, '');
  }
  const ram = await cli(['layout', '--mem-size', '1M', '--blkdev', '/dev/vda', '--cmdline']);
  assert.equal(ram.code, 2);
  assert.match(ram.err, /--blkdev is a pstore_blk parameter/);
  const none = await cli(['layout', '--backend', 'blk']);
  assert.equal(none.code, 2);
  assert.match(none.err, /needs the device size/);
});

test('the kernel rounding (kmsg_size=6 -> ALIGN(6, 4096) = 4096 bytes), the 128 MiB cap and refusals', async () => {
  const r = await cli(['layout', '--backend', 'blk', '--mem-size', '64K', '--kmsg-size', '6', '--pmsg-size', '0', '--console-size', '0', '--ftrace-size', '0', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /warning: kmsg_size=6 is not a multiple of 4 KiB: pstore_blk logs "kmsg_size must align to 4096" and uses ALIGN\(6, 4096\) = 4096 bytes/);
  const L = JSON.parse(r.out) as JsonLayout;
  assert.equal(L.zones.length, 16);
  assert.ok(L.zones.every((z) => z.size === 4096));
  assert.equal(L.warnings.length, 1);

  const big = await cli(['layout', ...FULL_FLAGS.slice(0, 2), '--mem-size', '256M', '--json']);
  assert.equal(big.code, 0, big.err);
  assert.match(big.err, /capping size to 128MiB/);
  assert.equal((JSON.parse(big.out) as JsonLayout).total_size, 128 << 20);

  for (const [args, re] of [
    [['--mem-size', '0x1800', '--kmsg-size', '4'], /total_size must be (>= 4096|a multiple of 4096)/],
    [['--mem-size', '1M', '--kmsg-size', '0', '--pmsg-size', '0', '--console-size', '0', '--ftrace-size', '0'], /at least one record size must be non-zero/],
    [['--mem-size', '64K', '--kmsg-size', '64', '--pmsg-size', '64'], /no room for/],
  ] as const) {
    const e = await cli(['layout', '--backend', 'blk', ...args]);
    assert.equal(e.code, 1, `${args.join(' ')}: ${e.err}`);
    assert.match(e.err, re);
    assert.equal(e.err.split('\n').filter(Boolean).length, 1, e.err);
  }
});

test('ftrace split over 3 CPUs: zones of ftrace_size/3, kmsg right after them', async () => {
  const r = await cli(['layout', '--backend', 'blk', '--mem-size', '1M', '--kmsg-size', '8', '--pmsg-size', '0', '--console-size', '0', '--ftrace-size', '64', '--ftrace-cpus', '3', '--json']);
  assert.equal(r.code, 0, r.err);
  const L = JSON.parse(r.out) as JsonLayout;
  assert.deepEqual(L.zones.filter((z) => z.type === 'ftrace').map((z) => [z.offset, z.size]), [
    [0, 21845],
    [21845, 21845],
    [43690, 21845],
  ]);
  assert.equal(L.zones.find((z) => z.type === 'dmesg')?.offset, 65535);
});
