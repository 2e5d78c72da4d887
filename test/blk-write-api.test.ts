/**
 * The pstore/blk write helpers (src/api/blkWrite.ts): the same operations as
 * the ramoops write API, through the same pstore core, read back through
 * BlkImage and the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BlkImage } from '../src/api/blkImage.js';
import { appendBlkConsole, appendBlkFtrace, appendBlkPmsg, createBlk, dumpToBlkImage, openBlkForWrite, removeBlkRecord } from '../src/api/blkWrite.js';
import { PSZ_SIG } from '../src/backends/blk/layout.js';
import { BLK_ARCH_X86_64, encodePszBuffer } from '../src/backends/blk/zoneFormat.js';
import { KmsgDumpReason } from '../src/core/backend.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { CorruptImageError } from '../src/errors.js';
import { installNodeDeflate } from '../src/node/deflate.js';
import { MemoryRegion } from '../src/region/region.js';

installNodeDeflate();

const PARAMS = { kmsg_size: 16, pmsg_size: 8, console_size: 8, ftrace_size: 8, max_reason: 2 };
const LOG = Array.from({ length: 40 }, (_, i) => `<6>[    ${(i + 1).toString().padStart(2, ' ')}.000000] line ${i}`).join('\n') + '\n';
const T = { sec: 1704067300, nsec: 123456789 };

function fresh(opts: { panicWrite?: boolean } = {}): { region: MemoryRegion; image: BlkImage } {
  const region = new MemoryRegion(new Uint8Array(128 * 1024));
  return { region, image: createBlk(region, { params: PARAMS, ...opts }) };
}

test('dump: Oopses land in kmsg zones 0, 1 with counters, reason prefix and the record time; the panic is not written (best effort)', () => {
  const { region, image } = fresh();
  const s = dumpToBlkImage(image, { log: LOG, reasons: [KmsgDumpReason.OOPS, KmsgDumpReason.OOPS, KmsgDumpReason.PANIC], time: T });
  assert.deepEqual(s, { dumped: 3, skipped: [], notWritten: [KmsgDumpReason.PANIC] });
  const files = new BlkImage(region, { params: PARAMS }).files();
  assert.deepEqual(
    files.map((f) => f.name),
    ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1'],
  );
  const text = new TextDecoder().decode(files[1].content);
  assert.ok(text.startsWith('Oops: Total 2 times\nOops#2 Part1\n'), text.slice(0, 60));
  assert.ok(text.endsWith('line 39\n'));
  assert.deepEqual(files[0].mtime, T);
});

test('dump with a panic_write device (not best effort) keeps the panic; max_reason skips shutdown', () => {
  const { region, image } = fresh({ panicWrite: true });
  const s = dumpToBlkImage(image, { log: LOG, reasons: [KmsgDumpReason.SHUTDOWN, KmsgDumpReason.PANIC], time: T, compress: 'deflate' });
  assert.deepEqual(s, { dumped: 1, skipped: [KmsgDumpReason.SHUTDOWN], notWritten: [] });
  const [f] = new BlkImage(region, { params: PARAMS }).files();
  assert.equal(f.name, 'dmesg-pstore_blk-0');
  assert.equal(f.compression, 'deflate');
  // Compressed dumps get no "Total" prefix (psz_kmsg_read adds it to uncompressed ones only).
  assert.ok(new TextDecoder().decode(f.content).startsWith('Panic#1 Part1\n'));
});

test('a new boot continues after the newest dump and its counter', () => {
  const { region, image } = fresh();
  dumpToBlkImage(image, { log: LOG, reasons: [KmsgDumpReason.OOPS], time: T });
  const again = openBlkForWrite(region, { params: PARAMS });
  dumpToBlkImage(again, { log: LOG, reasons: [KmsgDumpReason.OOPS], time: { sec: T.sec + 1, nsec: 0 } });
  const files = new BlkImage(region, { params: PARAMS }).files();
  assert.deepEqual(files.map((f) => [f.name, f.record.count]), [
    ['dmesg-pstore_blk-0', 1],
    ['dmesg-pstore_blk-1', 2],
  ]);
});

test('console, pmsg, ftrace appends and rm', () => {
  const { region, image } = fresh();
  appendBlkConsole(image, new TextEncoder().encode('console line\n'));
  appendBlkPmsg(image, new Uint8Array([1, 2, 3, 0xff]));
  appendBlkFtrace(image, [{ cpu: 0, ts: 256n, ip: 0xffffffff81129769n, parentIp: 0xffffffff81129c5dn }]);
  dumpToBlkImage(image, { log: LOG, reasons: [KmsgDumpReason.OOPS], time: T });
  const img = new BlkImage(region, { params: PARAMS });
  const byName = new Map(img.files().map((f) => [f.name, f]));
  assert.deepEqual([...byName.keys()].sort(), ['console-pstore_blk-0', 'dmesg-pstore_blk-0', 'ftrace-pstore_blk-0', 'pmsg-pstore_blk-0']);
  assert.equal(new TextDecoder().decode(byName.get('console-pstore_blk-0')!.content), 'console line\n');
  assert.deepEqual([...byName.get('pmsg-pstore_blk-0')!.content], [1, 2, 3, 0xff]);
  assert.match(new TextDecoder().decode(byName.get('ftrace-pstore_blk-0')!.content), /^CPU:0 ts:256 ffffffff81129769  ffffffff81129c5d/);
  removeBlkRecord(img, 'dmesg-pstore_blk-0');
  removeBlkRecord(img, 'pmsg-pstore_blk-0');
  assert.deepEqual(
    new BlkImage(region, { params: PARAMS }).files().map((f) => f.name).sort(),
    ['console-pstore_blk-0', 'ftrace-pstore_blk-0'],
  );
  assert.throws(() => removeBlkRecord(img, 'dmesg-pstore_blk-5'), /no record named/);
});

test('openBlkForWrite refuses a device whose recovery fails, unless force', () => {
  const region = new MemoryRegion(new Uint8Array(128 * 1024));
  const hdr = encodePszBuffer({ sig: (PSZ_SIG ^ 7) >>> 0, datalen: 4, start: 8 }, BLK_ARCH_X86_64);
  region.write(0, hdr);
  assert.throws(() => openBlkForWrite(region, { params: PARAMS }), (e: unknown) => e instanceof CorruptImageError && /use --force to blank/.test(e.message));
  const img = openBlkForWrite(region, { params: PARAMS, force: true });
  appendBlkPmsg(img, new Uint8Array([7, 7]));
  // The broken header was blanked, so this boot could write; the next boot reads it.
  assert.deepEqual([...new BlkImage(region, { params: PARAMS }).file('pmsg-pstore_blk-0').content], [7, 7]);
});

test('written images read back through the CLI with --backend blk', async () => {
  const { region, image } = fresh();
  dumpToBlkImage(image, { log: LOG, reasons: [KmsgDumpReason.OOPS], time: T });
  const dir = mkdtempSync(join(tmpdir(), 'pstore-blkw-'));
  try {
    const path = join(dir, 'dev.bin');
    writeFileSync(path, region.read(0, region.size));
    const io = captureIo();
    const code = await runCli(['ls', path, '--backend', 'blk', '--kmsg-size', '16', '--pmsg-size', '8', '--console-size', '8', '--ftrace-size', '8', '--json'], io);
    assert.equal(code, 0, io.stderrText());
    const [f] = JSON.parse(io.stdoutText()) as { name: string; mtime: string }[];
    assert.equal(f.name, 'dmesg-pstore_blk-0');
    assert.equal(f.mtime, '2024-01-01T00:01:40.123456789Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
