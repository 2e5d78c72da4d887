/**
 * The read-path behaviours through the command line: ls/ls --json/extract/
 * check on hand-made images (empty records end the list; record times kept
 * unnormalised), and `--frontends` / the params key `frontends`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { T0, handmadeHeaderOnly, handmadeUnnormalisedTimes, type HandmadeImage } from './helpers/handmade.js';
import { appendFtrace, createImage } from '../src/api/writeImage.js';
import { MemoryRegion } from '../src/region/region.js';

function withImage(h: HandmadeImage, fn: (dir: string, image: string, params: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-readpath-'));
  const image = join(dir, 'image.bin');
  const params = join(dir, 'params.json');
  writeFileSync(image, h.image);
  writeFileSync(params, JSON.stringify(h.params));
  return fn(dir, image, params).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: new TextDecoder().decode(io.stdoutBytes()), err: io.stderrText() };
}

test('ls --json: record times as stat shows them (unnormalised; the low 32 bits of tv_nsec, 6.1 and 6.12 alike)', () =>
  withImage(handmadeUnnormalisedTimes(), async (_d, image, params) => {
    const j61 = JSON.parse((await run(['ls', image, '--params', params, '--json'])).out) as { name: string; mtime: string; mtime_epoch: number; mtime_nsec: number }[];
    assert.deepEqual(
      j61.map((f) => [f.mtime_epoch, f.mtime_nsec]),
      [
        [T0 + 3, 1_234_567_000],
        [T0 + 4, 704],
        [T0 + 5, 4_294_966_296],
        [T0 + 6, 0],
      ],
    );
    assert.equal(j61[0].mtime, '2024-01-01T00:00:03.1234567000Z');
    const j612 = JSON.parse((await run(['ls', image, '--params', params, '--json', '--kernel', 'debian-6.12'])).out) as { mtime_nsec: number }[];
    assert.deepEqual(
      j612.map((f) => f.mtime_nsec),
      [1_234_567_000, 704, 4_294_966_296, 0],
    );
    const text = (await run(['ls', image, '--params', params])).out;
    assert.match(text, /dmesg-ramoops-0\s+\d+\s+2024-01-01 00:00:03\.1234567\b/);
  }));

test('extract: an unnormalised time gets the closest mtime utimensat accepts (same seconds, nanoseconds clamped to 999999999)', () =>
  withImage(handmadeUnnormalisedTimes(), async (dir, image, params) => {
    const out = join(dir, 'out');
    const r = await run(['extract', image, out, '--params', params]);
    assert.equal(r.code, 0, r.err);
    const st = (n: string) => statSync(join(out, n), { bigint: true });
    const s0 = st('dmesg-ramoops-0');
    assert.equal(s0.mtimeNs / 1_000_000_000n, BigInt(T0 + 3), 'seconds as the kernel keeps them');
    // touch (utimensat) gives the nanoseconds; without it the microsecond utimes still keeps the second.
    assert.ok(s0.mtimeNs % 1_000_000_000n >= 999_999_000n);
    const s2 = st('dmesg-ramoops-2').mtimeNs;
    assert.equal(s2 / 1_000_000_000n, BigInt(T0 + 5));
    assert.ok(s2 % 1_000_000_000n >= 999_999_000n);
    assert.equal(st('dmesg-ramoops-1').mtimeNs, BigInt(T0 + 4) * 1_000_000_000n + 704n, 'in range: exact (touch) nanoseconds');
  }));

test('ls / check: an empty record ends what Linux shows; check says where and what is hidden', () =>
  withImage(handmadeHeaderOnly(16), async (_d, image, params) => {
    const ls = await run(['ls', image, '--params', params, '--json']);
    assert.deepEqual(
      (JSON.parse(ls.out) as { name: string }[]).map((f) => f.name),
      ['dmesg-ramoops-0'],
    );
    const check = await run(['check', image, '--params', params]);
    assert.equal(check.code, 0, check.err);
    assert.match(check.out, /ramoops:dmesg\(1\/3\): record header and no data: Linux reads it as 0 bytes and shows no record from here on \(4 zones with data not shown\)/);
    assert.match(check.out, /\(empty record: read stops\)/);
    const json = JSON.parse((await run(['check', image, '--params', params, '--json'])).out) as { zones: { read_stops_here: boolean; unread: boolean }[] };
    assert.deepEqual(
      json.zones.map((z) => [z.read_stops_here, z.unread]),
      [
        [false, false],
        [true, false],
        [false, true],
        [false, true],
        [false, true],
        [false, true],
      ],
    );
  }));

test('--frontends and the params key `frontends`: per-CPU ftrace zones show nothing without ftrace; bad lists are usage errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-frontends-'));
  try {
    const p = { mem_size: 0x4000, record_size: 0x1000, console_size: 0, pmsg_size: 0, ftrace_size: 0x2000, ecc: 0, max_reason: 2 };
    const bytes = new Uint8Array(p.mem_size);
    const img = createImage(new MemoryRegion(bytes), { params: p, ftraceCpus: 2, ftracePerCpu: true });
    appendFtrace(img, [{ cpu: 1, ts: 5n, ip: 0xffffffff81000000n, parentIp: 0xffffffff81000010n }]);
    const image = join(dir, 'image.bin');
    writeFileSync(image, bytes);
    const base = ['ls', image, '--mem-size', '0x4000', '--record-size', '0x1000', '--console-size', '0', '--pmsg-size', '0', '--ftrace-size', '0x2000', '--ftrace-cpus', '2', '--json'];
    const names = async (extra: string[]): Promise<string[]> => {
      const r = await run([...base, ...extra]);
      assert.equal(r.code, 0, r.err);
      return (JSON.parse(r.out) as { name: string }[]).map((f) => f.name);
    };
    assert.deepEqual(await names([]), ['ftrace-ramoops-0']);
    assert.deepEqual(await names(['--frontends', 'dmesg,console,pmsg']), []);
    assert.deepEqual(await names(['--kernel', 'debian-6.1']), []);
    assert.deepEqual(await names(['--kernel', 'debian-6.1', '--frontends', 'all']), ['ftrace-ramoops-0']);
    const params = join(dir, 'p.json');
    writeFileSync(params, JSON.stringify({ ramoops: { mem_size: '0x4000', record_size: '0x1000', console_size: 0, pmsg_size: 0, ftrace_size: '0x2000' }, ftrace_cpus: 2, frontends: ['dmesg', 'console'] }));
    const r = await run(['ls', image, '--params', params, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), []);
    const bad = await run([...base, '--frontends', 'dmesg,kmsg']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--frontends: 'kmsg' is not a frontend/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract writes nothing past an empty record (no file for hidden records)', () =>
  withImage(handmadeHeaderOnly(0), async (dir, image, params) => {
    const out = join(dir, 'out');
    const r = await run(['extract', image, out, '--params', params]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(out), ['dmesg-ramoops-0']);
  }));

test('--auto takes --frontends (a scan cannot see a missing frontend) and prints it among the equivalent flags', async () => {
  const { fixturePath } = await import('./helpers/fixtures.js');
  const r = await run(['ls', fixturePath('kernel-6.1', 'panic-ecc16', 'image.bin'), '--auto', '--frontends', 'dmesg', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /same as: .*--frontends dmesg/);
  assert.ok((JSON.parse(r.out) as { name: string }[]).some((f) => f.name.startsWith('dmesg-ramoops-')));
});

test('check --backend blk: the empty compressed dump is where Linux stops; later zones are not read', async () => {
  const { handmadeBlkEmptyCompressed } = await import('./helpers/handmade.js');
  const h = handmadeBlkEmptyCompressed();
  const dir = mkdtempSync(join(tmpdir(), 'pstore-readpath-blk-'));
  try {
    const image = join(dir, 'disk.bin');
    writeFileSync(image, h.image);
    const args = ['--backend', 'blk', '--kmsg-size', '4', '--pmsg-size', '4', '--console-size', '4', '--ftrace-size', '0'];
    const json = JSON.parse((await run(['check', image, ...args, '--json'])).out) as { zones: { label: string; read_stops_here: boolean; unread: boolean }[] };
    assert.deepEqual(
      json.zones.filter((z) => z.read_stops_here).map((z) => z.label),
      [json.zones.find((z) => /^pstore_blk:dmesg\(1\//.test(z.label))!.label],
    );
    // Every zone but kmsg 0 and 1 comes after the stop in psz_read_next_zone's order.
    for (const z of json.zones) assert.equal(z.unread, !/^pstore_blk:dmesg\([01]\//.test(z.label), z.label);
    const text = await run(['check', image, ...args]);
    assert.match(text.out, /Linux reads it as 0 bytes and shows no record from here on \(3 zones with data not shown\)/);
    const ls = JSON.parse((await run(['ls', image, ...args, '--json'])).out) as { name: string }[];
    assert.deepEqual(
      ls.map((f) => f.name),
      ['dmesg-pstore_blk-0'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
