/**
 * The writers under faults, in-process: EIO and short writes injected into
 * node:fs (the functions every module imports are swapped and
 * syncBuiltinESMExports() makes the ESM bindings follow), a truncated image
 * at open, and a concurrent writer. Each gives one clear line and exit 1,
 * never touches the records already there (read back), never changes the
 * image size. ENOSPC and read-only file systems need root (tmpfs mounts):
 * test/faults/ (npm run test:faults).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs, { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { PstoreError } from '../src/errors.js';
import { MemoryRegion } from '../src/region/region.js';
import { openRecorder } from '../src/recorder/recorder.js';

const tmp = mkdtempSync(join(tmpdir(), 'pstore-faults-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const tmpFile = (name: string): string => join(tmp, `${seq++}-${name}`);

const PARAMS = { mem_size: 0x20000, record_size: 0x4000, console_size: 0x4000, pmsg_size: 0x2000, ftrace_size: 0, ecc: 16 };
const FLAGS = ['--mem-size', '0x20000', '--record-size', '0x4000', '--console-size', '0x4000', '--pmsg-size', '0x2000', '--ftrace-size', '0', '--ecc', '16'];
const NOW = new Date('2030-01-01T00:00:00Z');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(NOW);
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

async function ok(args: string[]): Promise<void> {
  const r = await run(args);
  assert.equal(r.code, 0, `pstore ${args.join(' ')}: ${r.err}`);
}

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function files(path: string): Map<string, string> {
  const img = new RamoopsImage(new MemoryRegion(new Uint8Array(readFileSync(path))), { params: PARAMS, kernel: '6.1' });
  return new Map(img.files().map((f) => [f.name, Buffer.from(f.content).toString('latin1')]));
}

/** An image with two dumps, a console and a pmsg record: what the faults must not destroy. */
async function populated(): Promise<string> {
  const img = tmpFile('image.bin');
  await ok(['create', img, ...FLAGS]);
  const log = tmpFile('log.txt');
  writeFileSync(log, Array.from({ length: 40 }, (_, i) => `<6>[  ${i}.000000] line ${i}\n`).join(''));
  await ok(['dump', img, ...FLAGS, '--reason', 'oops', '--reason', 'panic', '--log', log, '--time', '5']);
  const c = tmpFile('console.txt');
  writeFileSync(c, 'console before the fault\n');
  await ok(['write', img, ...FLAGS, '--console', c]);
  return img;
}

type WriteSync = typeof fs.writeSync;

/** Runs `body` with fs.writeSync replaced; the original is back afterwards whatever happens. */
async function withWriteSync<T>(fake: (original: WriteSync) => WriteSync, body: () => Promise<T>): Promise<T> {
  const original = fs.writeSync;
  fs.writeSync = fake(original);
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    fs.writeSync = original;
    syncBuiltinESMExports();
  }
}

/** writeSync that fails with `code` from the `after`-th call on. */
function failingAfter(after: number, code: string): (original: WriteSync) => WriteSync {
  return (original) => {
    let calls = 0;
    return ((...args: Parameters<WriteSync>) => {
      if (++calls > after) throw Object.assign(new Error(`${code}: injected, write`), { code, errno: -5, syscall: 'write' });
      return (original as (...a: unknown[]) => number)(...args);
    }) as WriteSync;
  };
}

/** Zones whose bytes differ between two images of the layout. */
function changedZones(before: Uint8Array, after: Uint8Array): string[] {
  const img = new RamoopsImage(new MemoryRegion(before), { params: PARAMS, kernel: '6.1' });
  return img.layout.zones.filter((z) => Buffer.compare(before.subarray(z.offset, z.offset + z.size), after.subarray(z.offset, z.offset + z.size)) !== 0).map((z) => z.label);
}

/** The error is one line (layout warnings and what --repair found aside). */
function oneLine(err: string): string {
  const lines = err.split('\n').filter((l) => l && !l.startsWith('pstore: warning:') && !l.startsWith('pstore: --repair: '));
  assert.equal(lines.length, 1, err);
  assert.match(lines[0], /^pstore: /);
  return lines[0];
}

for (const [what, args] of [
  ['dump', (log: string) => ['dump', ...FLAGS, '--reason', 'panic', '--log', log, '--time', '9']],
  ['write --pmsg', (log: string) => ['write', ...FLAGS, '--pmsg', log]],
  ['rm', () => ['rm', ...FLAGS, 'dmesg-ramoops-0']],
] as const) {
  test(`${what}: EIO part way through is one line, exit 1; other records and the size stay`, async () => {
    const img = await populated();
    const log = tmpFile('log2.txt');
    writeFileSync(log, 'new text\n'.repeat(200));
    const before = new Uint8Array(readFileSync(img));
    const recordsBefore = files(img);
    const a = args(log);
    const r = await withWriteSync(failingAfter(1, 'EIO'), () => run([a[0], img, ...a.slice(1)]));
    assert.equal(r.code, 1, r.err);
    assert.match(oneLine(r.err), /cannot write '.*': input\/output error/);
    assert.equal(statSync(img).size, before.length, 'never truncated or extended');
    const after = new Uint8Array(readFileSync(img));
    const touched = changedZones(before, after);
    assert.ok(touched.length <= 1, `only the zone being written may differ: ${touched.join(', ')}`);
    const recordsAfter = files(img);
    for (const [name, content] of recordsBefore) {
      const zoneOf = name.startsWith('dmesg') ? `ramoops:dmesg(${name.split('-').pop()}` : `ramoops:${name.split('-')[0]}`;
      if (touched.some((t) => t.startsWith(zoneOf))) continue;
      assert.equal(recordsAfter.get(name), content, `${name} reads back unchanged`);
    }
    // And the lock is gone: the next command works.
    await ok(['ls', img, ...FLAGS]);
    await ok([a[0], img, ...a.slice(1)]);
  });
}

test('short writes (3 bytes per write call) give byte-identical images', async () => {
  const a = await populated();
  const b = await populated();
  const log = tmpFile('log3.txt');
  writeFileSync(log, '<4>[ 1.5] short writes\n'.repeat(50));
  const steps = (img: string): string[][] => [
    ['dump', img, ...FLAGS, '--reason', 'oops', '--log', log, '--time', '7'],
    ['write', img, ...FLAGS, '--pmsg', log],
    ['rm', img, ...FLAGS, 'dmesg-ramoops-1'],
  ];
  for (const s of steps(a)) await ok(s);
  const short = (original: WriteSync): WriteSync =>
    ((fd: number, buf: Uint8Array, off?: number, len?: number, pos?: number) =>
      typeof buf === 'string' ? (original as (...x: unknown[]) => number)(fd, buf, off, len) : original(fd, buf, off ?? 0, Math.min(len ?? buf.length - (off ?? 0), 3), pos)) as WriteSync;
  await withWriteSync(short, async () => {
    for (const s of steps(b)) await ok(s);
  });
  assert.equal(sha(b), sha(a));
});

test('a truncated image at open: one line, exit 1, the file untouched', async () => {
  const img = await populated();
  truncateSync(img, 0x18000);
  const before = sha(img);
  const log = tmpFile('log4.txt');
  writeFileSync(log, 'x\n');
  for (const args of [
    ['dump', img, ...FLAGS, '--reason', 'panic', '--log', log],
    ['write', img, ...FLAGS, '--console', log],
    ['rm', img, ...FLAGS, 'dmesg-ramoops-0'],
    ['check', img, ...FLAGS, '--repair'],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 1, `${args[0]}: ${r.err}`);
    assert.match(oneLine(r.err), /truncated image/);
    assert.equal(sha(img), before);
    assert.equal(statSync(img).size, 0x18000);
  }
});

test('a concurrent writer: while the flight recorder has the image, every write command is refused untouched', async () => {
  const img = await populated();
  const rec = openRecorder(img, { params: PARAMS, io: 'pwrite' });
  rec.log('info', 'recorder line');
  // A correctable error in dmesg zone 0 (behind the recorder's back), so check --repair has something to write.
  const fd = fs.openSync(img, 'r+');
  fs.writeSync(fd, Uint8Array.of(0x5a), 0, 1, 100);
  fs.closeSync(fd);
  const before = sha(img);
  const log = tmpFile('log5.txt');
  writeFileSync(log, 'x\n');
  try {
    for (const args of [
      ['dump', img, ...FLAGS, '--reason', 'panic', '--log', log],
      ['write', img, ...FLAGS, '--console', log],
      ['rm', img, ...FLAGS, 'dmesg-ramoops-0'],
      ['create', img, ...FLAGS],
      ['check', img, ...FLAGS, '--repair'],
    ]) {
      const r = await run(args);
      assert.equal(sha(img), before, `${args[0]} left the image untouched`);
      if (args[0] === 'create') continue; // it refuses an existing region anyway
      assert.equal(r.code, 1, `${args[0]}: ${r.err}`);
      assert.match(oneLine(r.err), /is (already )?open for writing/);
    }
  } finally {
    rec.close();
  }
  assert.match(files(img).get('console-ramoops-0') ?? '', /recorder line/);
  await ok(['dump', img, ...FLAGS, '--reason', 'panic', '--log', log]);
});

test('the recorder (positioned writes) under EIO: a typed error per write, earlier lines read back, size unchanged', async () => {
  const img = tmpFile('rec.bin');
  const rec = openRecorder(img, { params: PARAMS, io: 'pwrite' });
  rec.log('info', 'before the fault');
  const size = statSync(img).size;
  await withWriteSync(failingAfter(0, 'EIO'), async () => {
    assert.throws(() => rec.log('info', 'during the fault'), (e: unknown) => e instanceof PstoreError && /input\/output error/.test((e as Error).message));
  });
  rec.close();
  assert.equal(statSync(img).size, size);
  const text = files(img).get('console-ramoops-0') ?? '';
  assert.match(text, /before the fault/);
});
