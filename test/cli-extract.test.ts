/**
 * `pstore extract` on every real kernel fixture: the directory must equal
 * what the kernel showed in /sys/fs/pstore: names, bytes, dmesg mtimes, mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixtureJson, scenarios } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  size: number;
  mtime: string;
  mtime_epoch: number;
  mode: string;
  /** Bytes a read returns, where it differs from the inode size (ftrace: text vs raw records). */
  read_length?: number;
}

/** `2024-01-01 00:00:09.058434000 +0000` → nanoseconds since the epoch. */
function metaMtimeNs(m: MetaFile): bigint {
  const frac = /\.(\d{9})/.exec(m.mtime);
  assert.ok(frac, `meta mtime ${m.mtime}`);
  return BigInt(m.mtime_epoch) * 1_000_000_000n + BigInt(frac[1]);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pstore-cli-'));
}

async function extractAndCompare(set: string, sc: string, expectedDir: string, metaFile: string, extra: string[]): Promise<void> {
  const out = join(tempDir(), 'out');
  try {
    const io = captureIo(new Date('2030-01-01T00:00:00Z'));
    const args = ['extract', fixturePath(set, sc, 'image.bin'), out, '--params', fixturePath(set, sc, 'params.json'), ...extra];
    const code = await runCli(args, io);
    assert.equal(code, 0, io.stderrText());
    const expected = readdirSync(fixturePath(set, sc, expectedDir)).sort();
    assert.deepEqual(readdirSync(out).sort(), expected, 'file names');
    const meta = readFixtureJson<{ files: MetaFile[] }>(set, sc, metaFile);
    for (const name of expected) {
      const path = join(out, name);
      assert.deepEqual(readFileSync(path), readFileSync(fixturePath(set, sc, expectedDir, name)), `${name} bytes`);
      const st = statSync(path, { bigint: true });
      assert.equal(Number(st.mode & 0o777n), 0o444, `${name} mode`);
      const m = meta.files.find((f) => f.name === name);
      assert.ok(m, `${name} in ${metaFile}`);
      assert.equal(Number(st.size), m.read_length ?? m.size);
      // Only dmesg files carry the record time; the others get the extraction time.
      if (name.startsWith('dmesg-')) assert.equal(st.mtimeNs, metaMtimeNs(m), `${name} mtime`);
      else assert.equal(st.mtimeMs, BigInt(Date.parse('2030-01-01T00:00:00Z')), `${name} mtime = now`);
    }
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
}

for (const sc of scenarios('kernel-6.1')) {
  test(`extract kernel-6.1/${sc} equals /sys/fs/pstore`, () => extractAndCompare('kernel-6.1', sc, 'expected', 'meta.json', ['--kernel', 'debian-6.1']));
  if (existsSync(fixturePath('kernel-6.1', sc, 'expected-read-compress-none'))) {
    test(`extract kernel-6.1/${sc} --compress none equals a reading kernel without compression`, () =>
      extractAndCompare('kernel-6.1', sc, 'expected-read-compress-none', 'meta-read-compress-none.json', ['--kernel', 'debian-6.1', '--compress', 'none']));
  }
}

for (const sc of scenarios('kernel-6.12')) {
  test(`extract kernel-6.12/${sc} equals /sys/fs/pstore`, () => extractAndCompare('kernel-6.12', sc, 'expected', 'meta.json', ['--kernel', '6.12']));
  if (existsSync(fixturePath('kernel-6.12', sc, 'expected-read-compress-none'))) {
    test(`extract kernel-6.12/${sc} --compress none`, () =>
      extractAndCompare('kernel-6.12', sc, 'expected-read-compress-none', 'meta-read-compress-none.json', ['--kernel', '6.12', '--compress', 'none']));
  }
}

test('extract the U-Boot ARM image gives the documented files (defaults, --arch arm)', async () => {
  const dir = tempDir();
  try {
    const io = captureIo();
    const code = await runCli(['extract', fixturePath('u-boot', 'image.bin'), dir, '--arch', 'arm', '--quiet'], io);
    assert.equal(code, 0, io.stderrText());
    assert.equal(io.stdoutText(), '', '--quiet lists nothing');
    const want: Record<string, [number, string]> = {
      'dmesg-ramoops-0': [3798, '8059335ab4cfa62c77324c491659c503'],
      'dmesg-ramoops-1': [4035, '3ff30df3429d81939c75d0070b5187b9'],
      'console-ramoops-0': [4084, 'bb44de4a9b8ebd9b17ae98003287325b'],
    };
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(want).sort());
    for (const [name, [size, md5]] of Object.entries(want)) {
      const data = readFileSync(join(dir, name));
      assert.equal(data.length, size, name);
      assert.equal(createHash('md5').update(data).digest('hex'), md5, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The full-feature 6.1 build: every compressor, console/pmsg, per-CPU ftrace symbolised with System.map.
for (const sc of scenarios('kernel-6.1-full').filter((s) => !s.startsWith('pstore-blk'))) {
  const map = fixturePath('kernel-6.1-full', sc, 'system-map-excerpt.txt');
  const extra = existsSync(map) ? ['--system-map', map] : [];
  test(`extract kernel-6.1-full/${sc} equals /sys/fs/pstore`, () => extractAndCompare('kernel-6.1-full', sc, 'expected', 'meta.json', ['--kernel', '6.1', ...extra]));
}
