/** FileRegion: positioned I/O on demand, read-only by default, one-line errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { TruncatedImageError, UsageError } from '../src/errors.js';
import { FileAccessError, openImageFile } from '../src/node/fileRegion.js';
import { fixturePath, readFixture } from './helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pstore-region-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('read-only region reads ranges and refuses writes; read-write writes in place', () => {
  const p = join(dir, 'a.bin');
  writeFileSync(p, Uint8Array.from({ length: 256 }, (_, i) => i));
  const ro = openImageFile(p);
  assert.equal(ro.size, 256);
  assert.deepEqual(ro.read(250, 6), Uint8Array.from([250, 251, 252, 253, 254, 255]));
  assert.throws(() => ro.read(250, 7), TruncatedImageError);
  assert.throws(() => ro.write(0, new Uint8Array(1)), UsageError);
  ro.close();
  ro.close(); // idempotent
  const rw = openImageFile(p, { write: true });
  rw.write(10, Uint8Array.from([0xaa, 0xbb]));
  rw.sync();
  rw.close();
  const bytes = readFileSync(p);
  assert.equal(bytes[10], 0xaa);
  assert.equal(bytes[11], 0xbb);
  assert.equal(bytes.length, 256);
});

test('a file that shrinks under a reader gives TruncatedImageError, not a hang', () => {
  const p = join(dir, 'shrink.bin');
  writeFileSync(p, new Uint8Array(4096));
  const r = openImageFile(p);
  truncateSync(p, 100);
  assert.throws(() => r.read(0, 4096), TruncatedImageError);
  r.close();
});

test('open errors are FileAccessErrors with one-line messages', () => {
  assert.throws(() => openImageFile(join(dir, 'missing')), (e: unknown) => e instanceof FileAccessError && e.code === 'ENOENT' && !e.message.includes('\n'));
  assert.throws(() => openImageFile(dir), /is a directory/);
});

test('a region inside a sparse 3 GiB "RAM dump" is read on demand (--offset)', async () => {
  const p = join(dir, 'ram.dump');
  const offset = 0x10000000; // where memmap= placed it in the fixtures
  const fd = openSync(p, 'w');
  try {
    writeSync(fd, readFixture('kernel-6.1', 'panic-ecc16', 'image.bin'), 0, 0x100000, offset);
  } finally {
    closeSync(fd);
  }
  truncateSync(p, 3 * 1024 ** 3);
  const io = captureIo();
  const before = process.memoryUsage().rss;
  const code = await runCli(['cat', p, 'dmesg-ramoops-0', '--offset', '0x10000000', '--mem-size', '1M', '--record-size', '64K', '--ecc', '16', '--console-size', '0', '--ftrace-size', '0', '--pmsg-size', '0'], io);
  assert.equal(code, 0, io.stderrText());
  assert.deepEqual(Buffer.from(io.stdoutBytes()), readFileSync(fixturePath('kernel-6.1', 'panic-ecc16', 'expected', 'dmesg-ramoops-0')));
  assert.ok(process.memoryUsage().rss - before < 256 * 1024 ** 2, 'the dump is not loaded whole');
});
