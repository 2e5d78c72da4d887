/**
 * pstore/blk's read path (fs/pstore/zone.c), condition by condition, on
 * hand-made devices. Lines are those of Debian's linux-source-6.1 and
 * linux-source-6.12 (the read functions are the same in both).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlkImage } from '../src/api/blkImage.js';
import { appendBlkFtrace, createBlk } from '../src/api/blkWrite.js';
import { blkDefaultParams } from '../src/api/blkImage.js';
import { kernelProfile } from '../src/core/kernel.js';
import { MemoryRegion } from '../src/region/region.js';
import { BLK_HANDMADE_PARAMS, T0, blankBlk, handmadeBlkEmptyCompressed, handmadeBlkEmptyPlainAndTime, pokeBlkKmsg, type HandmadeBlkImage } from './helpers/handmade.js';

const dec = new TextDecoder();

function read(h: HandmadeBlkImage, kernel: string): BlkImage {
  return new BlkImage(new MemoryRegion(h.image.slice()), { params: h.params, kernel, deviceSize: h.image.length });
}

test('psz_kmsg_read (fs/pstore/zone.c:970-997 in 6.1 and 6.12): a compressed dump with no data reads as 0 bytes and ends pstore_get_backend_records (platform.c:769 / 696)', () => {
  for (const kernel of ['6.1', '6.12', 'debian-6.12']) {
    const img = read(handmadeBlkEmptyCompressed(), kernel);
    assert.deepEqual(
      img.files().map((f) => f.name),
      ['dmesg-pstore_blk-0'],
      kernel,
    );
  }
});

test('psz_kmsg_read (zone.c:973-981): an uncompressed dump with no data is the `Oops: Total N times` line alone; tv_nsec 1.5e9 stays in the inode (zone.c:952)', () => {
  const img = read(handmadeBlkEmptyPlainAndTime(), '6.1');
  assert.deepEqual(
    img.files().map((f) => f.name),
    handmadeBlkEmptyPlainAndTime().expectNames,
  );
  assert.equal(dec.decode(img.file('dmesg-pstore_blk-0').content), 'Oops: Total 1 times\n');
  assert.deepEqual(img.file('dmesg-pstore_blk-0').mtime, { sec: T0 + 1, nsec: 1_500_000_000 });
  assert.equal(dec.decode(img.file('dmesg-pstore_blk-1').content), 'Panic: Total 3 times\n<0>[    2.000000] second\n');
});

test('psz_kmsg_read (zone.c:965-969): a kmsg zone without the header magic is cleared and skipped; the read goes on (psz_pstore_read, zone.c:1094)', () => {
  const { bytes, image } = blankBlk();
  pokeBlkKmsg(image, 0, { time: { sec: T0, nsec: 0 }, compressed: false }, 'x');
  // Break the magic of zone 0 (first bytes after the 12-byte psz_buffer header).
  bytes[image.layout.kmsg[0].offset + 12] ^= 0xff;
  pokeBlkKmsg(image, 1, { time: { sec: T0 + 1, nsec: 0 }, compressed: false }, 'second\n');
  const img = new BlkImage(new MemoryRegion(bytes), { params: { ...BLK_HANDMADE_PARAMS }, deviceSize: bytes.length });
  assert.deepEqual(
    img.files().map((f) => f.name),
    ['dmesg-pstore_blk-1'],
  );
});

test('psz_ftrace_read (zone.c:1001-1029) + pstore_ftrace_combine_log stub (internal.h:20): without CONFIG_PSTORE_FTRACE no ftrace file', () => {
  const params = { ...BLK_HANDMADE_PARAMS, ftrace_size: 8 };
  const names = (kernel: string): string[] => {
    const bytes = new Uint8Array(0x10000);
    const img = createBlk(new MemoryRegion(bytes), { params, deviceSize: bytes.length, ftraceCpus: 2 });
    appendBlkFtrace(img, [{ cpu: 1, ts: 5n, ip: 0xffffffff81000000n, parentIp: 0xffffffff81000010n }]);
    return new BlkImage(new MemoryRegion(bytes), { params, deviceSize: bytes.length, ftraceCpus: 2, kernel }).files().map((f) => f.name);
  };
  assert.deepEqual(names('6.1'), ['ftrace-pstore_blk-0']);
  assert.deepEqual(names('6.1:dmesg,console,pmsg'), []);
  assert.deepEqual(names('debian-6.12'), []);
});

test('__register_pstore_device (fs/pstore/blk.c verify_size): zone sizes of frontends the build lacks default to 0', () => {
  const d = blkDefaultParams(kernelProfile('debian-6.12'));
  assert.deepEqual([d.pmsg_size, d.console_size, d.ftrace_size], [0, 0, 0]);
  const c = blkDefaultParams(kernelProfile('6.12:dmesg,console'));
  assert.equal(c.pmsg_size, 0);
  assert.ok(c.console_size > 0);
  assert.equal(c.ftrace_size, 0);
});
