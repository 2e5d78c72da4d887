/**
 * The writers on a full and on a read-only file system (`npm run test:faults`;
 * needs root for tmpfs mounts — CI runs as root; without root it fails, it
 * never skips). Each case: one clear line, exit 1, the image byte for byte
 * as before (read back), never truncated; no temporary file left behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { captureIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { PstoreError } from '../../src/errors.js';
import { mmapUnavailableReason } from '../../src/node/mmapRegion.js';
import { openRecorder } from '../../src/recorder/recorder.js';

const FLAGS = ['--mem-size', '0x20000', '--record-size', '0x4000', '--console-size', '0x4000', '--pmsg-size', '0x2000', '--ftrace-size', '0', '--ecc', '16'];
const PARAMS = { mem_size: 0x20000, record_size: 0x4000, console_size: 0x4000, pmsg_size: 0x2000, ftrace_size: 0, ecc: 16 };
const mounts: string[] = [];

before(() => {
  if (process.getuid?.() !== 0) throw new Error('test:faults needs root (it mounts tmpfs file systems); CI runs it as root');
});
after(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already gone
    }
    rmSync(m, { recursive: true, force: true });
  }
});

/** A fresh tmpfs of `size` bytes. */
function tmpfs(size: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-fs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the file system: a filler file grows until ENOSPC. */
function fill(dir: string): void {
  const chunk = new Uint8Array(4096).fill(1);
  const fd = nodeFs.openSync(join(dir, 'filler'), 'w');
  try {
    for (;;) nodeFs.writeSync(fd, chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    nodeFs.closeSync(fd);
  }
}

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, err: io.stderrText() };
}

function oneLine(err: string): string {
  const lines = err.split('\n').filter((l) => l && !l.startsWith('pstore: warning:') && !l.startsWith('pstore: --repair: '));
  assert.equal(lines.length, 1, err);
  return lines[0];
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

async function populated(dir: string): Promise<string> {
  const img = join(dir, 'image.bin');
  assert.equal((await run(['create', img, ...FLAGS])).code, 0);
  const log = join(dir, 'log.txt');
  writeFileSync(log, Array.from({ length: 30 }, (_, i) => `<6>[  ${i}.000000] line ${i}\n`).join(''));
  assert.equal((await run(['dump', img, ...FLAGS, '--reason', 'panic', '--log', log])).code, 0);
  rmSync(log);
  return img;
}

test('full file system: create of a new image is one ENOSPC line and leaves no partial file', async () => {
  const dir = tmpfs(64 * 1024);
  const img = join(dir, 'new.bin');
  const r = await run(['create', img, ...FLAGS]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.err), /cannot allocate '.*new\.bin': no space left on device/);
  assert.equal(existsSync(img), false);
});

test('full file system: check --repair cannot make its copy: one line, the image untouched, no temporary file', async () => {
  const dir = tmpfs(512 * 1024);
  const img = await populated(dir);
  // A correctable error, so there is something to repair.
  const fd = nodeFs.openSync(img, 'r+');
  nodeFs.writeSync(fd, Uint8Array.of(0x5a), 0, 1, 100);
  nodeFs.closeSync(fd);
  fill(dir);
  const before = sha(img);
  const r = await run(['check', img, ...FLAGS, '--repair']);
  assert.equal(r.code, 1, r.err);
  assert.match(oneLine(r.err), /^pstore: cannot [a-z ]+ '.*image\.bin(\.lock)?': no space left on device$/);
  assert.equal(sha(img), before);
  assert.deepEqual(readdirSync(dir).sort(), ['filler', 'image.bin']);
});

test('full file system: the recorder refuses a sparse image at open (one error) instead of dying of SIGBUS in a mapped write', () => {
  const dir = tmpfs(256 * 1024);
  const img = join(dir, 'rec.bin');
  writeFileSync(img, '');
  truncateSync(img, PARAMS.mem_size); // sparse: no blocks yet
  fill(dir);
  const io = mmapUnavailableReason() ? 'pwrite' : 'mmap';
  assert.throws(
    () => openRecorder(img, { params: PARAMS, io, overwrite: true }),
    (e: unknown) => e instanceof PstoreError && /no space left on device/.test((e as Error).message),
  );
  assert.equal(statSync(img).size, PARAMS.mem_size, 'never truncated');
  assert.equal(existsSync(`${img}.lock`), false, 'lock released');
});

test('read-only file system: every write command is one EROFS line, the image byte for byte as before', async () => {
  const dir = tmpfs(1024 * 1024);
  const img = await populated(dir);
  const log = join(dir, 'in.txt');
  writeFileSync(log, 'x\n');
  const fd = nodeFs.openSync(img, 'r+');
  nodeFs.writeSync(fd, Uint8Array.of(0x5a), 0, 1, 100);
  nodeFs.closeSync(fd);
  const before = sha(img);
  execFileSync('mount', ['-o', 'remount,ro', dir]);
  for (const args of [
    ['dump', img, ...FLAGS, '--reason', 'panic', '--log', log],
    ['write', img, ...FLAGS, '--console', log],
    ['rm', img, ...FLAGS, 'dmesg-ramoops-0'],
    ['check', img, ...FLAGS, '--repair'],
    ['create', join(dir, 'other.bin'), ...FLAGS],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 1, `${args[0]}: ${r.err}`);
    assert.match(oneLine(r.err), /read-only file system/, args[0]);
    assert.equal(sha(img), before, `${args[0]} left the image untouched`);
  }
  assert.throws(() => openRecorder(img, { params: PARAMS }), (e: unknown) => e instanceof PstoreError && /read-only file system/.test((e as Error).message));
  assert.equal(sha(img), before);
});
