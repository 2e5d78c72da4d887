/**
 * Proof tests for the crash flight recorder: children killed with SIGKILL at
 * random moments keep every line whose write returned; a child that throws
 * leaves a Panic record ending with its stack trace; an unhandled rejection an
 * Oops; SIGTERM with max_reason 4 a Shutdown. The child is bundled once with
 * esbuild (tsx's own dependency) so each run starts in tens of milliseconds.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { openImageFile } from '../src/node/fileRegion.js';
import { loadMmapBinding, mmapUnavailableReason } from '../src/node/mmapRegion.js';
import { recorderParams } from '../src/recorder/index.js';
import { ROOT } from './helpers/fixtures.js';

const KILL_RUNS = Number(process.env.PSTORE_KILL_RUNS ?? 100);
const BATCH = 8;
let child = '';
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pstore-recorder-'));
  // Inside node_modules so the bundle's bare imports (fflate, ...) resolve.
  const out = join(ROOT, 'node_modules', '.cache', 'pstore-recorder-test');
  mkdirSync(out, { recursive: true });
  child = join(out, `child-${process.pid}.mjs`);
  buildSync({ entryPoints: [join(ROOT, 'test', 'helpers', 'recorderChild.ts')], bundle: true, platform: 'node', format: 'esm', outfile: child, packages: 'external', logLevel: 'error' });
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(child, { force: true });
  });
});

function readImage(path: string): RamoopsImage {
  return new RamoopsImage(openImageFile(path), { params: recorderParams() });
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface KillResult {
  lastReturned: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Whether a live process has `path` mapped (the recorder's mmap path) — Linux /proc. */
function hasMapped(pid: number, path: string): boolean | null {
  try {
    return readFileSync(`/proc/${pid}/maps`, 'utf8').includes(path);
  } catch {
    return null;
  }
}

/** Start a `lines` child, SIGKILL it `delayMs` after it is ready, report the last line whose write returned. */
function killRun(image: string, delayMs: number, prefill: number, io: 'mmap' | 'pwrite'): Promise<KillResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, 'lines', image, String(prefill)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PSTORE_IO: io, PSTORE_MMAP_ADDON: ADDON_PATH } });
    let mapped: boolean | null = null;
    let buf = '';
    let last = -1;
    let armed = false;
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const end = buf.lastIndexOf('\n');
      if (end < 0) return;
      if (!armed && buf.includes('ready')) {
        armed = true;
        setTimeout(() => {
          mapped = hasMapped(p.pid!, image);
          p.kill('SIGKILL');
        }, delayMs);
      }
      // Only the newest complete number matters.
      const lines = buf.slice(0, end).split('\n').filter((l) => l && l !== 'ready');
      if (lines.length) last = Number(lines[lines.length - 1]);
      buf = buf.slice(end + 1);
    });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended with ${code}/${signal}: ${err}`));
      else if (mapped !== null && mapped !== (io === 'mmap')) reject(new Error(`child with PSTORE_IO=${io} ${mapped ? 'had' : 'did not have'} the image mapped`));
      else resolve({ lastReturned: last, code, signal });
    });
  });
}

const MMAP = loadMmapBinding() !== null;
// The child is a bundle under node_modules/.cache: tell it where the addon is.
const ADDON_PATH = join(ROOT, 'native', 'build', 'Release', 'pstore_mmap.node');
// mmap (the default when the addon is built) gets the full run; positioned writes a smaller one.
const PWRITE_RUNS = MMAP ? Math.max(BATCH, Math.ceil(KILL_RUNS / 4)) : KILL_RUNS;

test(`SIGKILL at random moments, mmap (${KILL_RUNS} runs): every returned line is in the console record, in order`, { skip: MMAP ? false : `mmap addon not built (${mmapUnavailableReason()})` }, async (t) => {
  await killRuns(t, KILL_RUNS, 'mmap');
});

test(`SIGKILL at random moments, pwrite (${PWRITE_RUNS} runs): every returned line is in the console record, in order`, async (t) => {
  await killRuns(t, PWRITE_RUNS, 'pwrite');
});

async function killRuns(t: { diagnostic(msg: string): void }, KILL_RUNS: number, io: 'mmap' | 'pwrite'): Promise<void> {
  let wrapped = 0;
  const notices = new Map<string, number>();
  for (let start = 0; start < KILL_RUNS; start += BATCH) {
    const runs = [];
    for (let i = start; i < Math.min(KILL_RUNS, start + BATCH); i++) {
      const image = join(dir, `kill-${io}-${i}.img`);
      // Every fifth run prefills past the 256 KiB ring so it wraps; kills land 0-40 ms after ready.
      const prefill = i % 5 === 4 ? 12000 : 0;
      runs.push(killRun(image, Math.floor(Math.random() * 40), prefill, io).then((r) => ({ r, image })));
    }
    for (const { r, image } of await Promise.all(runs)) {
      const img = readImage(image);
      const files = img.files(); // must not throw
      const con = files.find((f) => f.name === 'console-ramoops-0');
      if (r.lastReturned < 0) {
        if (!con) continue; // killed before the first line
      }
      assert.ok(con, `${image}: no console record (last returned ${r.lastReturned})`);
      const notice = con.record.eccNotice;
      notices.set(notice.trim(), (notices.get(notice.trim()) ?? 0) + 1);
      // A kill between a line's data write and its parity write leaves the blocks that line
      // touched failing ECC (the kernel shows the same after a crash mid-printk); a short
      // line touches at most two blocks. Committed text is never affected (checked below).
      assert.ok((con.ecc?.bad ?? 0) <= 2, `${image}: ${notice}`);
      const body = text(con.content.subarray(0, con.content.length - notice.length));
      const lines = body.split('\n');
      assert.equal(lines.pop(), '', 'console record ends with a newline');
      const cons = img.zones().find((z) => z.zone.type === 'console')!;
      const full = cons.attach.header.size === cons.zone.geometry.dataSize;
      const LINE = /^\[\s*\d+\.\d{6}\] line (\d+)$/;
      let skip = 0;
      if (full) {
        wrapped++;
        // The ring's oldest bytes: a line cut by the wrap, and (when the kill came between
        // the data and header writes) the in-flight line written over them. Nothing else.
        let from = lines.length;
        while (from > 0 && LINE.test(lines[from - 1]) && (from === lines.length || Number(LINE.exec(lines[from - 1])![1]) + 1 === Number(LINE.exec(lines[from])![1]))) from--;
        skip = from;
        const dropped = lines.slice(0, skip).join('\n').length;
        assert.ok(skip <= 2 && dropped <= 80, `${image}: ${skip} leading lines (${dropped} bytes) are not a consecutive run: ${JSON.stringify(body.slice(0, 120))}`);
      }
      const nums = lines.slice(skip).map((l) => {
        const m = LINE.exec(l);
        assert.ok(m, `${image}: unexpected console line ${JSON.stringify(l)} (${notice.trim()})`);
        return Number(m[1]);
      });
      if (!full) assert.equal(nums[0], 0, 'an unwrapped ring starts with line 0');
      for (let k = 1; k < nums.length; k++) assert.equal(nums[k], nums[k - 1] + 1, `${image}: line ${nums[k - 1]} then ${nums[k]}`);
      const lastInImage = nums.length ? nums[nums.length - 1] : -1;
      assert.ok(lastInImage >= r.lastReturned, `${image}: line ${r.lastReturned} returned but the record ends at ${lastInImage}`);
      // At most the line being written when the kill came is extra.
      assert.ok(lastInImage <= r.lastReturned + 1, `${image}: record has ${lastInImage}, child reported ${r.lastReturned}`);
      rmSync(image, { force: true });
      rmSync(`${image}.lock`, { force: true });
    }
  }
  assert.ok(wrapped > 0, 'some runs wrapped the console ring');
  t.diagnostic(`${io}: ECC notices: ${JSON.stringify([...notices])}; wrapped runs: ${wrapped}`);
}

test('a child that throws leaves dmesg-ramoops-0 = Panic#1 Part1 … last lines … stack trace; Node still exits 1 with the error on stderr', () => {
  const image = join(dir, 'throw.img');
  const r = spawnSync(process.execPath, [child, 'throw', image], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /TypeError: boom from the child/);
  const img = readImage(image);
  const names = img.files().map((f) => f.name);
  assert.ok(names.includes('dmesg-ramoops-0'), names.join(','));
  const f = img.file('dmesg-ramoops-0');
  assert.equal(f.compressed, true, 'stored deflate-compressed like the kernel default');
  const t = text(f.content);
  assert.ok(t.startsWith('Panic#1 Part1\n'), t.slice(0, 40));
  assert.match(t, /<14>\[\s*\d+\.\d{6}\] working 49\n<12>\[\s*\d+\.\d{6}\] about to fail\n/);
  assert.match(t, /<8>\[\s*\d+\.\d{6}\] Uncaught exception: TypeError: boom from the child\n/);
  assert.match(t, /at Timeout\._onTimeout .*\n(<8>\[[^\]]+\] .*\n)*\nECC: No errors detected\n$/);
  const lines = t.split('\n');
  assert.match(lines[lines.length - 4], /^<8>\[\s*\d+\.\d{6}\] {5}at /, 'ends with the stack trace');
  // Reopening attaches: the panic is kept as a previous record, console reset.
  const again = spawnSync(process.execPath, [child, 'lock', image], { encoding: 'utf8' });
  assert.equal(again.stdout.trim(), 'opened');
});

test('an unhandled rejection leaves an Oops record; Node still exits 1', () => {
  const image = join(dir, 'reject.img');
  const r = spawnSync(process.execPath, [child, 'reject', image], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /RangeError: rejected in the child/);
  const t = text(readImage(image).file('dmesg-ramoops-0').content);
  assert.ok(t.startsWith('Oops#1 Part1\n'), t.slice(0, 40));
  assert.match(t, /Unhandled promise rejection: RangeError: rejected in the child/);
});

test('SIGTERM with max_reason 4: Shutdown record, and the process still dies by SIGTERM', async () => {
  const image = join(dir, 'term.img');
  const p = spawn(process.execPath, [child, 'term', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => p.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && res()));
  p.kill('SIGTERM');
  const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on('close', (c, s) => res([c, s])));
  assert.equal(signal, 'SIGTERM', `exit ${code}`);
  const params = { ...recorderParams(), max_reason: 4 };
  const t = text(new RamoopsImage(openImageFile(image), { params }).file('dmesg-ramoops-0').content);
  assert.ok(t.startsWith('Shutdown#1 Part1\n'), t.slice(0, 40));
  assert.match(t, /received SIGTERM/);
});

test('a second writer in another process gets a clear lock error', async () => {
  const image = join(dir, 'locked.img');
  const holder = spawn(process.execPath, [child, 'hold', image], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && res()));
  try {
    const r = spawnSync(process.execPath, [child, 'lock', image], { encoding: 'utf8' });
    assert.match(r.stdout, new RegExp(`^ImageLockedError: '.*locked\\.img' is open for writing by process ${holder.pid}; lock file .*locked\\.img\\.lock`));
  } finally {
    holder.kill('SIGKILL');
    await new Promise((res) => holder.on('close', res));
  }
  // The holder died without releasing: its lock is stale and taken over.
  const r = spawnSync(process.execPath, [child, 'lock', image], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'opened');
});
