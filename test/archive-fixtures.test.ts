/**
 * `pstore archive` on every kernel fixture, from a directory laid out like
 * /sys/fs/pstore (the kernel's files with their mtimes, removed afterwards)
 * and from the image: every original kept byte for byte with its mtime,
 * exactly once; dmesg.txt the dump's parts joined oldest first; `.enc.z`
 * records decoded; crash.json naming the reason, count, kernel and trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CrashJson } from '../src/archive/crashRecord.js';
import { setExactFileTime, utimesSeconds } from '../src/node/fileTime.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixtureJson, scenarios } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  mtime: string;
  mtime_epoch: number;
}

function metaNs(m: MetaFile): bigint {
  const frac = /\.(\d{9})/.exec(m.mtime);
  return BigInt(m.mtime_epoch) * 1_000_000_000n + BigInt(frac ? frac[1] : '0');
}

/** The fixture's files in a directory, with the mtimes the kernel gave them. */
export function pstoreDirFromFixture(set: string, sc: string, into: string, expectedDir = 'expected', metaName = 'meta.json'): Map<string, bigint> {
  mkdirSync(into, { recursive: true });
  const meta = readFixtureJson<{ files: MetaFile[] }>(set, sc, metaName);
  const times = new Map<string, bigint>();
  for (const name of readdirSync(fixturePath(set, sc, expectedDir))) {
    const dst = join(into, name);
    copyFileSync(fixturePath(set, sc, expectedDir, name), dst);
    const m = meta.files.find((f) => f.name === name);
    assert.ok(m, `${name} in meta`);
    const ns = metaNs(m);
    const sec = Number(ns / 1_000_000_000n);
    const nsec = Number(ns % 1_000_000_000n);
    utimesSync(dst, utimesSeconds({ sec, nsec }), utimesSeconds({ sec, nsec }));
    if (nsec % 1000) setExactFileTime(dst, { sec, nsec });
    times.set(name, ns);
  }
  return times;
}

interface Crash {
  dir: string;
  json: CrashJson;
}

function readArchive(out: string): Crash[] {
  return readdirSync(out)
    .filter((n) => !n.startsWith('.'))
    .sort()
    .map((n) => ({ dir: join(out, n), json: JSON.parse(readFileSync(join(out, n, 'crash.json'), 'utf8')) as CrashJson }));
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const HEADER = /^([A-Z][a-z]+)#(\d+) Part(\d+)\n/;
const ECC = /\nECC: (No errors detected|\d+ Corrected bytes, \d+ unrecoverable blocks)\n$/;

/** What dmesg.txt must hold: the parts' texts without header and ECC notice, highest part (oldest text) first. */
function expectedJoin(texts: string[]): string {
  const parts = texts.map((t) => {
    const h = HEADER.exec(t);
    assert.ok(h, 'dmesg file starts with Reason#N PartM');
    return { part: Number(h[3]), body: t.slice(h[0].length).replace(ECC, '') };
  });
  return parts
    .sort((a, b) => b.part - a.part)
    .map((p) => p.body)
    .join('');
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'pstore-archive-'));
}

/** Every crash's originals equal the source files; each source file is in exactly one crash. */
function checkOriginals(crashes: Crash[], source: (name: string) => Uint8Array, names: string[], mtimes?: Map<string, bigint>): void {
  const seen = new Map<string, number>();
  for (const c of crashes) {
    for (const f of c.json.files) {
      seen.set(f.name, (seen.get(f.name) ?? 0) + 1);
      assert.deepEqual(new Uint8Array(readFileSync(join(c.dir, f.name))), source(f.name), `${f.name} byte for byte`);
      if (mtimes) assert.equal(statSync(join(c.dir, f.name), { bigint: true }).mtimeNs, mtimes.get(f.name), `${f.name} mtime`);
    }
  }
  assert.deepEqual([...seen.keys()].sort(), [...names].sort(), 'every file archived');
  for (const [name, n] of seen) assert.equal(n, 1, `${name} archived once`);
}

/** dmesg.txt of each crash is its parts joined; reason and count come from the header. */
function checkJoins(crashes: Crash[], text: (name: string) => string | null): void {
  for (const c of crashes) {
    const dmesg = c.json.files.filter((f) => f.type === 'dmesg');
    if (!dmesg.length) {
      assert.ok(!existsSync(join(c.dir, 'dmesg.txt')));
      continue;
    }
    const texts = dmesg.map((f) => text(f.name));
    if (texts.some((t) => t === null || !HEADER.test(t))) continue;
    assert.equal(readFileSync(join(c.dir, 'dmesg.txt'), 'latin1'), expectedJoin(texts as string[]), `${c.dir} dmesg.txt`);
    const h = HEADER.exec(texts[0] as string);
    assert.equal(c.json.reason, h?.[1]);
    assert.equal(c.json.count, Number(h?.[2]));
    assert.match(c.json.signature, /^kernel-[A-Za-z0-9_]+-[0-9a-f]{8}$/);
  }
}

const SETS: [string, string[]][] = [
  ['kernel-6.1', ['--kernel', 'debian-6.1']],
  ['kernel-6.12', ['--kernel', '6.12']],
  ['kernel-6.1-full', ['--kernel', '6.1']],
  ['kernel-6.1-blk', ['--kernel', 'debian-6.1']],
];

for (const [set, kernelFlags] of SETS) {
  for (const sc of scenarios(set)) {
    test(`archive ${set}/${sc} from a pstore-like directory: originals once, joined dmesg.txt, source emptied`, async () => {
      const root = tmp();
      try {
        const src = join(root, 'pstore');
        const mtimes = pstoreDirFromFixture(set, sc, src);
        const names = [...mtimes.keys()];
        const io = captureIo();
        const code = await runCli(['archive', src, '--to', join(root, 'out'), '--unlink', '--no-config'], io);
        assert.equal(code, 0, io.stderrText());
        assert.deepEqual(readdirSync(src), [], 'source emptied');
        const crashes = readArchive(join(root, 'out'));
        const orig = (n: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(set, sc, 'expected', n)));
        checkOriginals(crashes, orig, names, mtimes);
        checkJoins(crashes, (n) => (n.endsWith('.enc.z') ? null : latin1(orig(n))));
        const dumps = names.filter((n) => n.startsWith('dmesg-')).length;
        // ramoops and pstore/blk write Part1 only: one crash per dmesg file.
        if (dumps) assert.equal(crashes.length, dumps);
        for (const c of crashes) {
          if (c.json.files.some((f) => f.name.startsWith('console-'))) assert.ok(existsSync(join(c.dir, 'console.txt')));
          if (c.json.files.some((f) => f.name.startsWith('ftrace-'))) assert.ok(existsSync(join(c.dir, 'ftrace.txt')));
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    test(`archive ${set}/${sc} from the image: the kernel's files, nothing changed in the image`, async () => {
      const root = tmp();
      try {
        const image = fixturePath(set, sc, 'image.bin');
        const before = readFileSync(image);
        const map = fixturePath(set, sc, 'system-map-excerpt.txt');
        const extra = existsSync(map) ? ['--system-map', map] : [];
        const io = captureIo();
        const code = await runCli(['archive', image, '--to', join(root, 'out'), '--params', fixturePath(set, sc, 'params.json'), ...kernelFlags, ...extra, '--no-config'], io);
        assert.equal(code, 0, io.stderrText());
        assert.deepEqual(readFileSync(image), before, 'image untouched');
        const crashes = readArchive(join(root, 'out'));
        const names = readdirSync(fixturePath(set, sc, 'expected'));
        checkOriginals(crashes, (n) => new Uint8Array(readFileSync(fixturePath(set, sc, 'expected', n))), names);
        assert.ok(crashes.every((c) => c.json.source === image));
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
}

for (const sc of ['efi-panic', 'efi-two-panics', 'efi-erase']) {
  test(`archive efi-6.1/${sc}: the per-part variables of one dump joined into one crash`, async () => {
    const root = tmp();
    try {
      const src = join(root, 'pstore');
      const mtimes = pstoreDirFromFixture('efi-6.1', sc, src);
      const io = captureIo();
      const code = await runCli(['archive', src, '--to', join(root, 'out'), '--unlink', '--no-config', '--json'], io);
      assert.equal(code, 0, io.stderrText());
      const crashes = readArchive(join(root, 'out'));
      assert.equal(crashes.length, sc === 'efi-two-panics' ? 2 : 1, 'one crash per dump');
      const orig = (n: string): Uint8Array => new Uint8Array(readFileSync(fixturePath('efi-6.1', sc, 'expected', n)));
      checkOriginals(crashes, orig, [...mtimes.keys()], mtimes);
      checkJoins(crashes, (n) => latin1(orig(n)));
      for (const c of crashes) {
        assert.equal(c.json.backend, 'efi');
        assert.equal(c.json.parts, c.json.files.length);
        assert.equal(c.json.signature, 'kernel-sysrq_handle_crash-6a79b15a', 'the same sysrq panic as on ramoops');
        assert.equal(c.json.kernel.version, '6.1.0-57-amd64');
        // The log ends with the panic (Part1 is the newest text).
        assert.match(readFileSync(join(c.dir, 'dmesg.txt'), 'latin1'), /Kernel Offset: [^\n]*\n?$/);
      }
      const lines = io.stdoutText().trim().split('\n').map((l) => JSON.parse(l) as CrashJson & { dir: string; paths: string[] });
      assert.equal(lines.length, crashes.length, 'one JSON line per crash');
      assert.ok(lines.every((l) => l.paths.every((p) => existsSync(p))));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('archive decodes .enc.z records the reading kernel left compressed (every compressor tried)', async () => {
  for (const [set, sc] of [
    ['kernel-6.1', 'panic-deflate'],
    ['kernel-6.12', 'panic-deflate-612'],
  ]) {
    const root = tmp();
    try {
      const src = join(root, 'pstore');
      pstoreDirFromFixture(set, sc, src, 'expected-read-compress-none', 'meta-read-compress-none.json');
      const io = captureIo();
      assert.equal(await runCli(['archive', src, '--to', join(root, 'out'), '--no-config'], io), 0, io.stderrText());
      const [c] = readArchive(join(root, 'out'));
      const plain = latin1(new Uint8Array(readFileSync(fixturePath(set, sc, 'expected', 'dmesg-ramoops-0'))));
      assert.equal(readFileSync(join(c.dir, 'dmesg.txt'), 'latin1'), expectedJoin([plain]), `${sc}: decoded text = what a deflate kernel showed`);
      assert.equal(c.json.files[0].decodedWith, 'deflate');
      assert.equal(c.json.reason, 'Panic');
      assert.ok(existsSync(join(c.dir, 'dmesg-ramoops-0.enc.z')), 'the original .enc.z kept');
      assert.deepEqual(readdirSync(src).length, 1, 'not a live mount and no --unlink: source kept');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});
