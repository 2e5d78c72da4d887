/**
 * pstore/blk through the CLI (`--backend blk`): every pstore-blk fixture
 * extracted byte for byte with the kernel's dmesg mtimes, ls --json, check,
 * and hostile headers turned into one-line errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { PSZ_SIG } from '../src/backends/blk/layout.js';
import { encodeKmsgHeader, encodePszBuffer, BLK_ARCH_X86_64, PSTORE_KMSG_HEADER_MAGIC } from '../src/backends/blk/zoneFormat.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixture, readFixtureJson } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  size: number;
  mtime: string;
  mtime_epoch: number;
}

const OOPS = ['kernel-6.1-blk', 'pstore-blk-oops'] as const;
const FULL = ['kernel-6.1-full', 'pstore-blk-full'] as const;
/** Debian's kernel builds no pmsg/console/ftrace frontend: their pstore_blk sizes are off. */
const EXTRA: Record<string, string[]> = {
  'pstore-blk-oops': ['--kernel', 'debian-6.1'],
  'pstore-blk-full': ['--system-map', fixturePath(...FULL, 'system-map-excerpt.txt')],
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

function metaMtimeNs(m: MetaFile): bigint {
  const frac = /\.(\d{9})/.exec(m.mtime);
  assert.ok(frac);
  return BigInt(m.mtime_epoch) * 1_000_000_000n + BigInt(frac[1]);
}

const tmp = mkdtempSync(join(tmpdir(), 'pstore-blk-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

for (const [set, sc] of [OOPS, FULL]) {
  test(`${sc}: extract --backend blk equals expected/ byte for byte, dmesg mtimes included`, async () => {
    const out = join(tmp, `${sc}-out`);
    const r = await cli(['extract', fixturePath(set, sc, 'image.bin'), out, '--backend', 'blk', '--params', fixturePath(set, sc, 'params.json'), ...EXTRA[sc]]);
    assert.equal(r.code, 0, r.err);
    const expected = readdirSync(fixturePath(set, sc, 'expected')).sort();
    assert.deepEqual(readdirSync(out).sort(), expected);
    const meta = readFixtureJson<{ files: MetaFile[] }>(set, sc, 'meta.json');
    for (const name of expected) {
      const path = join(out, name);
      assert.ok(readFileSync(path).equals(readFileSync(fixturePath(set, sc, 'expected', name))), `${name} bytes`);
      const st = statSync(path, { bigint: true });
      assert.equal(Number(st.mode & 0o777n), 0o444);
      if (name.startsWith('dmesg-')) assert.equal(st.mtimeNs, metaMtimeNs(meta.files.find((f) => f.name === name)!), `${name} mtime`);
    }
  });
}

test('pstore-blk-oops: explicit KiB flags give the same layout as the params file', async () => {
  const img = fixturePath(...OOPS, 'image.bin');
  for (const args of [
    ['--backend', 'blk', '--kmsg-size', '64', '--pmsg-size', '0', '--console-size', '0', '--ftrace-size', '0'],
    ['--backend', 'blk', '--kmsg-size', '64K', '--kernel', 'debian-6.1'],
  ]) {
    const r = await cli(['cat', img, 'dmesg-pstore_blk-1', ...args]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, readFileSync(fixturePath(...OOPS, 'expected', 'dmesg-pstore_blk-1'), 'utf8'));
  }
});

test('a params file with only a pstore_blk section selects the blk backend by itself', async () => {
  const r = await cli(['ls', fixturePath(...FULL, 'image.bin'), '--params', fixturePath(...FULL, 'params.json'), '--json']);
  assert.equal(r.code, 0, r.err);
  const files = JSON.parse(r.out) as { name: string; compression: string | null; mtime_epoch: number | null; size: number }[];
  assert.deepEqual(
    files.map((f) => f.name),
    ['dmesg-pstore_blk-0', 'ftrace-pstore_blk-0', 'pmsg-pstore_blk-0', 'console-pstore_blk-0'],
  );
  assert.equal(files[0].compression, 'deflate');
  assert.equal(files[0].mtime_epoch, 1704067203);
  assert.equal(files[0].size, 19438);
  assert.equal(files[2].mtime_epoch, null);
});

test('check --backend blk: zone states and dump headers, exit 0', async () => {
  const r = await cli(['check', fixturePath(...OOPS, 'image.bin'), '--backend', 'blk', '--kernel', 'debian-6.1', '--json']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { ok: boolean; zones: { label: string; state: string; signature: string; used: number; dump: { reason: string; counter: number } | null }[] };
  assert.equal(rep.ok, true);
  assert.deepEqual(
    rep.zones.map((z) => [z.label, z.state, z.signature]),
    [
      ['pstore_blk:dmesg(0/3)', 'valid', 'ok'],
      ['pstore_blk:dmesg(1/3)', 'valid', 'ok'],
      ['pstore_blk:dmesg(2/3)', 'blank', 'none'],
      ['pstore_blk:dmesg(3/3)', 'blank', 'none'],
    ],
  );
  assert.deepEqual(rep.zones[0].dump && [rep.zones[0].dump.reason, rep.zones[0].dump.counter], ['Oops', 1]);
  assert.equal(rep.zones[1].used, 12044);
  const t = await cli(['check', fixturePath(...OOPS, 'image.bin'), '--backend', 'blk', '--kernel', 'debian-6.1']);
  assert.match(t.out, /pstore_blk:dmesg\(1\/3\)\s+0x10000\s+0x10000\s+ok\s+valid\s+0\s+12044\/65524\s+Oops#2 compressed/);
});

test('read --backend blk describes the device', async () => {
  const r = await cli(['read', fixturePath(...FULL, 'image.bin'), '--backend', 'blk']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out.split('\n')[0], /pstore_blk device of 0x400000 bytes, 61 kmsg zones of 64 KiB, pmsg 64 KiB, console 64 KiB, ftrace 64 KiB, max_reason 2, kernel 6\.1: 4 records$/);
});

// ---- hostile input ----

const SIZE = 64 * 1024;
const KMSG = ['--backend', 'blk', '--kmsg-size', '16', '--pmsg-size', '4', '--console-size', '0', '--ftrace-size', '0'];
/** pmsg 4 KiB at 0, then three 16 KiB kmsg zones from 0x1000. */
function hostile(edit: (img: Uint8Array) => void): string {
  const img = new Uint8Array(SIZE);
  // One valid uncompressed Oops in kmsg zone 0 and a pmsg ring.
  const z0 = 0x1000;
  const text = new TextEncoder().encode('Oops#1 Part1\n<4>[    1.000000] hello\n');
  encodePszBuffer({ sig: PSZ_SIG, datalen: 40 + text.length, start: 0 }, BLK_ARCH_X86_64, img, z0);
  encodeKmsgHeader({ magic: PSTORE_KMSG_HEADER_MAGIC, time: { sec: 1704067200, nsec: 5 }, compressed: false, counter: 1, reason: 2 }, BLK_ARCH_X86_64, img, z0 + 12);
  img.set(text, z0 + 52);
  encodePszBuffer({ sig: (PSZ_SIG ^ 7) >>> 0, datalen: 5, start: 5 }, BLK_ARCH_X86_64, img, 0);
  img.set(new TextEncoder().encode('pmsg!'), 12);
  edit(img);
  const path = join(tmp, `hostile-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, img);
  return path;
}

test('hostile: a well-formed synthetic device reads back', async () => {
  const r = await cli(['ls', hostile(() => {}), ...KMSG, '--json']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual((JSON.parse(r.out) as { name: string }[]).map((f) => f.name), ['dmesg-pstore_blk-0', 'pmsg-pstore_blk-0']);
  const c = await cli(['cat', hostile(() => {}), 'dmesg-pstore_blk-0', ...KMSG]);
  assert.equal(c.out, 'Oops: Total 1 times\nOops#1 Part1\n<4>[    1.000000] hello\n');
});

function oneLine(all: string): void {
  // Layout warnings may come first; the error itself is one line.
  const err = all.replace(/^pstore: warning: [^\n]*\n/gm, '');
  assert.match(err, /^pstore: [^\n]+\n$/, `one line: ${JSON.stringify(err)}`);
  assert.doesNotMatch(err, /internal error|    at /);
}

test('hostile: ring zone start > datalen fails the recovery → one-line error, exit 1; check exit 1', async () => {
  const path = hostile((img) => encodePszBuffer({ sig: (PSZ_SIG ^ 7) >>> 0, datalen: 5, start: 9 }, BLK_ARCH_X86_64, img, 0));
  const r = await cli(['ls', path, ...KMSG]);
  assert.equal(r.code, 1);
  oneLine(r.err);
  assert.match(r.err, /pstore_blk:pmsg\(0\/0\) at offset 0x8: zone start 9 > datalen 5/);
  const c = await cli(['check', path, ...KMSG]);
  assert.equal(c.code, 1);
  assert.match(c.out, /recovery fails/);
});

test('hostile: overtop datalen, short datalen and bad magic are skipped like the kernel does', async () => {
  for (const edit of [
    (img: Uint8Array) => encodePszBuffer({ sig: PSZ_SIG, datalen: 0xffffffff, start: 0 }, BLK_ARCH_X86_64, img, 0x1000),
    (img: Uint8Array) => encodePszBuffer({ sig: PSZ_SIG, datalen: 10, start: 0 }, BLK_ARCH_X86_64, img, 0x1000),
    (img: Uint8Array) => img.fill(0x41, 0x1000 + 12, 0x1000 + 16),
    (img: Uint8Array) => encodePszBuffer({ sig: (PSZ_SIG ^ 7) >>> 0, datalen: 0x7fffffff, start: 0 }, BLK_ARCH_X86_64, img, 0),
  ]) {
    const r = await cli(['ls', hostile(edit), ...KMSG, '--json']);
    assert.equal(r.code, 0, r.err);
    const names = (JSON.parse(r.out) as { name: string }[]).map((f) => f.name);
    assert.ok(!names.includes('dmesg-pstore_blk-0') || !names.includes('pmsg-pstore_blk-0'), names.join());
  }
});

test('hostile: a compressed dump that no compressor accepts stays .enc.z; a real deflate one decompresses', async () => {
  const garbage = hostile((img) => {
    img[0x1000 + 12 + 24] = 1; // compressed = true
  });
  const r = await cli(['ls', garbage, ...KMSG, '--json']);
  assert.equal(r.code, 0, r.err);
  assert.ok((JSON.parse(r.out) as { name: string }[]).some((f) => f.name === 'dmesg-pstore_blk-0.enc.z'));
  const text = 'Panic#1 Part1\n<0>[    2.000000] Kernel panic\n';
  const z = deflateSync(new TextEncoder().encode(text));
  const good = hostile((img) => {
    encodePszBuffer({ sig: PSZ_SIG, datalen: 40 + z.length, start: 0 }, BLK_ARCH_X86_64, img, 0x1000);
    img[0x1000 + 12 + 24] = 1;
    img.set(z, 0x1000 + 52);
  });
  const c = await cli(['cat', good, 'dmesg-pstore_blk-0', ...KMSG]);
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out, text);
});

test('hostile: truncated or empty device, wrong flags → one-line errors', async () => {
  const small = join(tmp, 'small.bin');
  writeFileSync(small, new Uint8Array(8192));
  const empty = join(tmp, 'empty.bin');
  writeFileSync(empty, new Uint8Array(0));
  const cases: [string[], number][] = [
    [['ls', small, '--backend', 'blk', '--kmsg-size', '64'], 1],
    [['ls', empty, '--backend', 'blk'], 1],
    [['ls', hostile(() => {}), '--backend', 'blk', '--record-size', '4K'], 2],
    [['ls', hostile(() => {}), '--backend', 'blk', '--ecc', '16'], 2],
    [['ls', hostile(() => {}), '--kmsg-size', '16'], 2],
    [['ls', hostile(() => {}), '--backend', 'blk', '--kmsg-size', '1.5'], 2],
    [['ls', hostile(() => {}), '--backend', 'blk', '--kmsg-size', '3'], 1],
    [['ls', hostile(() => {}), '--backend', 'zone'], 2],
    [['cat', hostile(() => {}), 'dmesg-pstore_blk-7', ...KMSG], 1],
  ];
  for (const [args, code] of cases) {
    const r = await cli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    oneLine(r.err);
  }
});

test('property: random corruption of a real blk device never escapes as a crash', async () => {
  const base = readFixture(...OOPS, 'image.bin');
  const path = join(tmp, 'mutant.bin');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ at: fc.nat({ max: 0x20000 + 63 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 24 }),
      async (edits) => {
        const img = base.slice();
        // Aim at the headers of the two written zones most of the time.
        for (const e of edits) img[e.at < 0x20000 ? (e.at & 63) + (e.at & 0x10000) : e.at] = e.value;
        writeFileSync(path, img);
        for (const cmd of ['ls', 'check']) {
          const r = await cli([cmd, path, '--backend', 'blk', '--kernel', 'debian-6.1', '--json']);
          assert.ok(r.code === 0 || r.code === 1, r.err);
          if (r.code) oneLine(r.err.split('\n').filter(Boolean).slice(-1)[0] + '\n');
          assert.doesNotMatch(r.err, /internal error/);
        }
      },
    ),
    { numRuns: Number(process.env.PSTORE_FUZZ_RUNS ?? 60) },
  );
});
