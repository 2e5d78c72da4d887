/**
 * "Never lose a record", proved by injecting the faults: a SIGKILL at every
 * step followed by a rerun archives each record exactly once; ENOSPC and EIO
 * leave the source untouched and fail; a read-only source is archived and
 * kept; two runs at once are serialised by the lock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runArchive } from '../src/archive/archive.js';
import type { ArchiveFs } from '../src/archive/archiveFs.js';
import type { CrashJson } from '../src/archive/crashRecord.js';
import { dirSource } from '../src/archive/source.js';
import { ArchiveWriteError } from '../src/archive/store.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, ROOT } from './helpers/fixtures.js';

const CHILD = join(ROOT, 'test', 'helpers', 'archiveChild.ts');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'pstore-archive-faults-'));
}

/** A source with `files` from fixtures: [set, scenario, name]. Returns name → bytes. */
function makeSource(dir: string, files: [string, string, string][]): Map<string, Buffer> {
  mkdirSync(dir, { recursive: true });
  const m = new Map<string, Buffer>();
  for (const [set, sc, name] of files) {
    copyFileSync(fixturePath(set, sc, 'expected', name), join(dir, name));
    m.set(name, readFileSync(join(dir, name)));
  }
  return m;
}

const TWO_OOPSES: [string, string, string][] = [
  ['kernel-6.1', 'oops-oops-panic', 'dmesg-ramoops-0'],
  ['kernel-6.1', 'oops-oops-panic', 'dmesg-ramoops-1'],
];

interface Crash {
  dir: string;
  json: CrashJson;
}

/** Complete crash directories (a crash.json whose files are all there with their hashes). */
function completeCrashes(out: string): Crash[] {
  if (!existsSync(out)) return [];
  const crashes: Crash[] = [];
  for (const n of readdirSync(out)) {
    if (n.startsWith('.')) continue;
    const json = JSON.parse(readFileSync(join(out, n, 'crash.json'), 'utf8')) as CrashJson;
    for (const f of json.files) assert.ok(existsSync(join(out, n, f.name)), `${n}/${f.name} present`);
    crashes.push({ dir: join(out, n), json });
  }
  return crashes;
}

/** Each original is in the source or in a complete crash (never lost); `exactlyOnce`: in exactly one crash. */
function checkNothingLost(src: string, out: string, originals: Map<string, Buffer>, exactlyOnce: boolean): void {
  const crashes = completeCrashes(out);
  for (const [name, bytes] of originals) {
    const inSource = existsSync(join(src, name)) && readFileSync(join(src, name)).equals(bytes);
    const copies = crashes.filter((c) => c.json.files.some((f) => f.name === name) && readFileSync(join(c.dir, name)).equals(bytes)).length;
    assert.ok(inSource || copies > 0, `${name} is somewhere`);
    if (exactlyOnce) assert.equal(copies, 1, `${name} archived exactly once`);
  }
}

test('SIGKILL at every step, then a rerun: every record archived exactly once, nothing left behind', async () => {
  const root = tmp();
  try {
    // How many steps a clean run takes.
    const probe = join(root, 'probe');
    makeSource(join(probe, 'src'), TWO_OOPSES);
    const clean = spawnSync(process.execPath, ['--import', 'tsx', CHILD, join(probe, 'src'), join(probe, 'out')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(clean.status, 0, clean.stderr);
    const steps = (JSON.parse(clean.stdout) as { steps: number }).steps;
    assert.ok(steps >= 20, `a run of two crashes has ${steps} steps`);
    for (let k = 1; k <= steps; k++) {
      const dir = join(root, `k${k}`);
      const src = join(dir, 'src');
      const out = join(dir, 'out');
      const originals = makeSource(src, TWO_OOPSES);
      const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, src, out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PSTORE_ARCHIVE_KILL_AT: String(k) } });
      assert.equal(r.signal, 'SIGKILL', `killed at step ${k}`);
      checkNothingLost(src, out, originals, false);
      // The rerun (in this process) finishes the job.
      const again = runArchive({ source: dirSource(src), to: out, unlink: true });
      assert.deepEqual(readdirSync(src), [], `step ${k}: source emptied`);
      checkNothingLost(src, out, originals, true);
      assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], `step ${k}: no temp dir or lock left`);
      assert.equal(completeCrashes(out).length, 2, `step ${k}: two crashes`);
      assert.ok(again.archived.length <= 2);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the CLI kill hook (PSTORE_ARCHIVE_KILL_AT) and a rerun through the CLI', async () => {
  const root = tmp();
  try {
    const src = join(root, 'src');
    const out = join(root, 'out');
    const originals = makeSource(src, TWO_OOPSES);
    const args = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'archive', src, '--to', out, '--unlink', '--no-config'];
    // Step 12 is inside the second crash: the first is complete, the second is a temp dir.
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PSTORE_ARCHIVE_KILL_AT: '12' } });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(completeCrashes(out).length, 1);
    assert.ok(readdirSync(out).some((n) => n.startsWith('.tmp-')), 'a temp dir of the killed run');
    const io = captureIo();
    assert.equal(await runCli(['archive', src, '--to', out, '--unlink', '--no-config'], io), 0, io.stderrText());
    checkNothingLost(src, out, originals, true);
    assert.match(io.stderrText(), /archived 1 crash; 1 file\(s\) were archived before; removed 2 file\(s\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** node:fs with one operation replaced. */
function faultyFs(over: Partial<ArchiveFs>): ArchiveFs {
  return { ...fs, ...over } as ArchiveFs;
}

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

test('ENOSPC while writing: exit non-zero, source untouched, no partial crash; a rerun with space completes', async () => {
  for (const budget of [100, 5000, 40_000]) {
    const root = tmp();
    try {
      const src = join(root, 'src');
      const out = join(root, 'out');
      const originals = makeSource(src, TWO_OOPSES);
      let written = 0;
      const full = faultyFs({
        writeSync: ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
          const n = len ?? buf.length;
          if (written + n > budget) throw errno('ENOSPC');
          written += n;
          return fs.writeSync(fd, buf, off, n);
        }) as ArchiveFs['writeSync'],
      });
      assert.throws(() => runArchive({ source: dirSource(src), to: out, unlink: true, fs: full }), (e: unknown) => e instanceof ArchiveWriteError && /ENOSPC/.test((e as Error).message));
      for (const [name, bytes] of originals) assert.ok(readFileSync(join(src, name)).equals(bytes), `${name} untouched (budget ${budget})`);
      assert.deepEqual(readdirSync(out).filter((n) => n.startsWith('.')), [], 'no temp dir, lock released');
      runArchive({ source: dirSource(src), to: out, unlink: true });
      checkNothingLost(src, out, originals, true);
      assert.deepEqual(readdirSync(src), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
});

test('EIO reading a source file, or on fsync: exit non-zero through the CLI path, nothing removed', () => {
  const root = tmp();
  try {
    const src = join(root, 'src');
    const out = join(root, 'out');
    const originals = makeSource(src, TWO_OOPSES);
    const badRead = faultyFs({
      readFileSync: ((p: fs.PathOrFileDescriptor, o?: unknown) => {
        if (String(p).endsWith('dmesg-ramoops-1')) throw errno('EIO');
        return fs.readFileSync(p, o as never);
      }) as ArchiveFs['readFileSync'],
    });
    assert.throws(() => runArchive({ source: dirSource(src), to: out, unlink: true, fs: badRead }), /EIO/);
    const badSync = faultyFs({
      fsyncSync: () => {
        throw errno('EIO');
      },
    });
    assert.throws(() => runArchive({ source: dirSource(src), to: out, unlink: true, fs: badSync }), /EIO/);
    for (const [name, bytes] of originals) assert.ok(readFileSync(join(src, name)).equals(bytes));
    assert.deepEqual(completeCrashes(out), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a read-only source is archived without removal and says so', async () => {
  const root = tmp();
  try {
    const src = join(root, 'src');
    const out = join(root, 'out');
    const originals = makeSource(src, TWO_OOPSES);
    const ro = faultyFs({
      accessSync: () => {
        throw errno('EROFS');
      },
      unlinkSync: () => {
        throw errno('EROFS');
      },
    });
    const r = runArchive({ source: dirSource(src), to: out, unlink: true, fs: ro });
    assert.equal(r.readOnlySource, true);
    assert.equal(r.archived.length, 2);
    assert.deepEqual(r.unlinked, []);
    checkNothingLost(src, out, originals, true);
    assert.equal(readdirSync(src).length, 2);
    // Unlink refused at the first file although access() said yes (e.g. EPERM from the backend).
    const out2 = join(root, 'out2');
    const denied = faultyFs({
      unlinkSync: () => {
        throw errno('EPERM');
      },
    });
    const r2 = runArchive({ source: dirSource(src), to: out2, unlink: true, fs: denied });
    assert.equal(r2.readOnlySource, true);
    // A rerun on a read-only source archives nothing twice.
    const r3 = runArchive({ source: dirSource(src), to: out, unlink: true, fs: ro });
    assert.equal(r3.archived.length, 0);
    assert.equal(r3.alreadyArchived.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a real read-only mount and a real full tmpfs (root only: mount -t tmpfs)', async (t) => {
  if (process.getuid?.() !== 0) {
    // CI runs as root: there a skip would hide the real-mount proof.
    assert.ok(!process.env.CI, 'CI must run as root to mount tmpfs');
    t.skip('needs root to mount tmpfs; the injected-fault tests above cover the same paths');
    return;
  }
  const root = tmp();
  const ro = join(root, 'ro');
  const small = join(root, 'small');
  mkdirSync(ro);
  mkdirSync(small);
  const mounted: string[] = [];
  try {
    const m = (args: string[]): void => {
      const r = spawnSync('mount', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `mount ${args.join(' ')}: ${r.stderr}`);
    };
    m(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', ro]);
    mounted.push(ro);
    const originals = makeSource(ro, TWO_OOPSES);
    m(['-o', 'remount,ro', ro]);
    const io = captureIo();
    assert.equal(await runCli(['archive', ro, '--to', join(root, 'out'), '--unlink', '--no-config'], io), 0, io.stderrText());
    assert.match(io.stderrText(), /is read-only: archived without removing anything/);
    checkNothingLost(ro, join(root, 'out'), originals, true);
    assert.equal(readdirSync(ro).length, 2);

    // 16 KiB cannot hold the two crashes (≈ 2 × (12 KB original + 12 KB dmesg.txt)).
    m(['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', small]);
    mounted.push(small);
    const src = join(root, 'src');
    const originals2 = makeSource(src, TWO_OOPSES);
    const io2 = captureIo();
    assert.equal(await runCli(['archive', src, '--to', join(small, 'pstore'), '--unlink', '--no-config'], io2), 1);
    assert.match(io2.stderrText(), /ENOSPC/);
    for (const [name, bytes] of originals2) assert.ok(readFileSync(join(src, name)).equals(bytes), `${name} untouched`);
    assert.deepEqual(readdirSync(join(small, 'pstore')).filter((n) => n.startsWith('.')), []);
  } finally {
    for (const p of mounted.reverse()) spawnSync('umount', [p]);
    rmSync(root, { recursive: true, force: true });
  }
});

test('two runs at once are serialised by the lock: each record once, both succeed; a stale lock is taken over', async () => {
  const root = tmp();
  try {
    const src = join(root, 'src');
    const out = join(root, 'out');
    const originals = makeSource(src, TWO_OOPSES);
    const run = (): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', CHILD, src, out], { cwd: ROOT });
        let o = '';
        let e = '';
        c.stdout.on('data', (d: Buffer) => (o += d.toString()));
        c.stderr.on('data', (d: Buffer) => (e += d.toString()));
        c.on('close', (code) => resolve({ code, out: o, err: e }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    const total = [a, b].map((x) => (JSON.parse(x.out) as { archived: number }).archived);
    assert.equal(total[0] + total[1], 2, `the crashes were archived once between both runs (${total.join('+')})`);
    checkNothingLost(src, out, originals, true);

    // A lock left by a killed run (dead pid) does not block the next run.
    const src2 = join(root, 'src2');
    makeSource(src2, [['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0']]);
    writeFileSync(join(out, '.archive.lock'), '999999999 ' + (await import('node:os')).hostname() + ' - -\n');
    const r = runArchive({ source: dirSource(src2), to: out, unlink: true, lockWaitMs: 1000 });
    assert.equal(r.archived.length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
