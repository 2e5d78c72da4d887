/**
 * `--auto` on the read commands: every kernel fixture embedded at an odd
 * offset inside random or zero data is found, said on one stderr line, and
 * extracted exactly as the kernel showed it; nothing found is one line and
 * exit 1; layout flags beside --auto are a usage error (--kernel overrides).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { viewCommand } from '../src/cli/commands/view.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixture, scenarios } from './helpers/fixtures.js';
import { noise } from './helpers/noise.js';

const tmp = mkdtempSync(join(tmpdir(), 'pstore-cli-auto-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]) {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), bytes: io.stdoutBytes(), err: io.stderrText() };
}

interface Case {
  set: string;
  name: string;
  /** What a user passes beside --auto: the reading kernel (a scan cannot tell Debian's 6.1 apart) and its System.map. */
  extra: string[];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const set of ['kernel-6.1', 'kernel-6.12', 'kernel-6.1-full']) {
    for (const name of scenarios(set)) {
      if (name.startsWith('pstore-blk')) continue;
      const extra = set === 'kernel-6.1' ? ['--kernel', 'debian-6.1'] : [];
      const map = fixturePath(set, name, 'system-map-excerpt.txt');
      if (existsSync(map)) extra.push('--system-map', map);
      out.push({ set, name, extra });
    }
  }
  return out;
}

const AUTO_LINE = /^pstore: --auto: ramoops region at offset (0x[0-9a-f]+) \(confidence (\d\.\d\d)\): mem_size 0x[0-9a-f]+, .*; same as: (--offset .*)\n/;

for (const [i, c] of cases().entries()) {
  test(`--auto ${c.set}/${c.name}: found at an odd offset in ${i % 2 ? 'zero' : 'random'} data; extract equals expected/, ls and check agree with the explicit layout`, async () => {
    const image = readFixture(c.set, c.name, 'image.bin');
    const before = 4096 * (2 + i) + 2 * i + 1; // odd
    const dump = i % 2 ? new Uint8Array(before + image.length + 40_001) : noise(before + image.length + 40_001, 77 + i);
    dump.set(image, before);
    const path = join(tmp, `${c.set}-${c.name}.dump`);
    writeFileSync(path, dump);

    const out = join(tmp, `${c.set}-${c.name}-out`);
    const r = await run(['extract', path, out, '--auto', '-q', ...c.extra]);
    assert.equal(r.code, 0, r.err);
    const m = AUTO_LINE.exec(r.err);
    assert.ok(m, `one line saying what was inferred: ${r.err}`);
    // Besides it, only the layout warnings the explicit flags give too.
    assert.equal(r.err.replace(/^pstore: warning: [^\n]*\n/gm, ''), m[0], 'one line on stderr');
    assert.equal(Number(m[1]), before, 'offset');
    assert.ok(Number(m[2]) >= 0.4, 'confidence');
    if (c.set === 'kernel-6.1') assert.match(r.err, /kernel debian-6\.1 \(--kernel; inferred 6\.1\)/);
    const expected = readdirSync(fixturePath(c.set, c.name, 'expected')).sort();
    assert.deepEqual(readdirSync(out).sort(), expected);
    for (const name of expected) assert.ok(readFileSync(join(out, name)).equals(readFileSync(fixturePath(c.set, c.name, 'expected', name))), `${name} bytes`);

    // The printed flags are the layout: the same command with them instead of --auto gives the same listing.
    const flags = m[3].split(' ');
    const auto = await run(['ls', path, '--auto', '--json', ...c.extra]);
    const explicit = await run(['ls', path, '--json', ...flags.filter((f, k) => !(f === '--kernel' || flags[k - 1] === '--kernel')), ...(c.extra.includes('--kernel') ? [] : ['--kernel', flags[flags.indexOf('--kernel') + 1]]), ...c.extra]);
    assert.equal(auto.code, 0, auto.err);
    assert.equal(explicit.code, 0, explicit.err);
    assert.equal(auto.out, explicit.out);
    assert.deepEqual((JSON.parse(auto.out) as { name: string }[]).map((f) => f.name).sort(), expected);

    const chk = await run(['check', path, '--auto', '--json', ...c.extra]);
    const ref = await run(['check', fixturePath(c.set, c.name, 'image.bin'), '--params', fixturePath(c.set, c.name, 'params.json'), '--json', ...c.extra]);
    assert.equal(chk.code, ref.code, `check exit status: ${chk.err}`);
    assert.equal(chk.out, ref.out, 'check --auto reports what check with the fixture params reports');
  });
}

test('--auto on the other read commands: read and cat', async () => {
  const image = readFixture('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin');
  const dump = noise(image.length + 9001, 5);
  dump.set(image, 4097);
  const path = join(tmp, 'read.dump');
  writeFileSync(path, dump);
  const r = await run(['read', path, '--auto']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /ramoops region of 0x10000 bytes/);
  assert.match(r.err, /^pstore: --auto: ramoops region at offset 0x1001 .*same as: --offset 0x1001 --mem-size 0x10000 --record-size 0x4000 --console-size 0x4000 --ftrace-size 0x0 --pmsg-size 0x2000 --ecc 16 --kernel 6\.1\n$/);
  const c = await run(['cat', path, 'console-ramoops-0', '--auto']);
  assert.equal(c.code, 0, c.err);
  assert.ok(Buffer.from(c.bytes).equals(readFileSync(fixturePath('kernel-6.1-full', 'console-pmsg-ecc16', 'expected', 'console-ramoops-0'))));
});

test('--auto with nothing to find: one line, exit 1, no output', async () => {
  const rnd = join(tmp, 'random.bin');
  writeFileSync(rnd, noise(1 << 20, 99));
  const zero = join(tmp, 'zero.bin');
  writeFileSync(zero, new Uint8Array(1 << 16));
  for (const path of [rnd, zero]) {
    for (const args of [['ls', path, '--auto', '--json'], ['check', path, '--auto'], ['extract', path, join(tmp, 'never'), '--auto'], ['cat', path, 'dmesg-ramoops-0', '--auto']]) {
      const r = await run(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, /^pstore: --auto: no ramoops region found in '[^']+' with confidence >= 0\.4 [^\n]*\n$/);
      assert.equal(r.out, '');
    }
  }
  assert.ok(!existsSync(join(tmp, 'never')), 'extract made no directory');
  const missing = await run(['ls', join(tmp, 'missing.bin'), '--auto']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^pstore: [^\n]*missing\.bin[^\n]*\n$/);
  assert.doesNotMatch(missing.err, /internal error/);
});

test('--auto with layout flags is a usage error (exit 2); --kernel overrides only the profile', async () => {
  const image = readFixture('kernel-6.12', 'zone-order-612', 'image.bin');
  const path = join(tmp, 'flags.dump');
  const dump = new Uint8Array(image.length + 3001);
  dump.set(image, 3001);
  writeFileSync(path, dump);
  for (const extra of [['--ecc', '16'], ['--offset', '3001'], ['--params', fixturePath('kernel-6.12', 'zone-order-612', 'params.json')], ['--backend', 'blk'], ['--record-size', '4K', '--mem-size', '1M']]) {
    const r = await run(['ls', path, '--auto', ...extra]);
    assert.equal(r.code, 2, extra.join(' '));
    assert.match(r.err, /^pstore: --auto infers the layout: drop --[a-z-]+(, --[a-z-]+)* \(or drop --auto\)[^\n]*\n$/);
  }
  const ok = await run(['ls', path, '--auto', '--kernel', '6.12', '--compress', 'auto', '--ftrace-walk', 'correct']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /kernel 6\.12; same as: --offset 0xbb9 /);
  // Writing never guesses.
  const w = await run(['dump', path, '--auto', '--reason', 'oops', '--log', path]);
  assert.equal(w.code, 2);
});

test('view --auto serves the inferred layout to the page', async () => {
  const viewer = join(tmp, 'viewer');
  mkdirSync(join(viewer, 'assets'), { recursive: true });
  writeFileSync(join(viewer, 'index.html'), '<!doctype html><title>x</title>');
  const image = readFixture('kernel-6.1-full', 'ftrace-percpu', 'image.bin');
  const dump = noise(image.length + 20_001, 11);
  dump.set(image, 10_001);
  const path = join(tmp, 'view.dump');
  writeFileSync(path, dump);
  const io = captureIo();
  const v = await viewCommand(path, { auto: true, open: false }, io, { viewerDir: viewer });
  try {
    assert.match(io.stderrText(), /^pstore: --auto: ramoops region at offset 0x2711 /);
    const info = (await (await fetch(`${v.url}api/options`)).json()) as { choice: { offset: number; params: Record<string, number>; ftraceCpus: number } | null };
    assert.ok(info.choice);
    assert.equal(info.choice.offset, 10_001);
    assert.equal(info.choice.params.mem_size, image.length);
    assert.ok(info.choice.ftraceCpus > 1, 'per-CPU ftrace zones inferred');
  } finally {
    await v.close();
  }
});

test('help lists --auto on the read commands', async () => {
  for (const cmd of ['ls', 'cat', 'extract', 'check', 'read', 'view']) {
    const r = await run([cmd, '--help']);
    assert.match(r.out, /--auto/, cmd);
  }
  for (const cmd of ['create', 'dump', 'write', 'rm']) {
    const r = await run([cmd, '--help']);
    assert.doesNotMatch(r.out, /--auto/, cmd);
  }
});
