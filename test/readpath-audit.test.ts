/**
 * Linux's read path, condition by condition (ramoops and the pstore core).
 * Each test names the kernel function and the line it mirrors in Debian's
 * linux-source-6.1 and linux-source-6.12; the images are hand-made
 * (test/helpers/handmade.ts) because no kernel writes these headers itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { appendFtrace, createImage } from '../src/api/writeImage.js';
import { parseKmsgHeader } from '../src/backends/ramoops/kmsgHeader.js';
import { kernelProfile } from '../src/core/kernel.js';
import { pstoreFiles, statTime } from '../src/core/pstoreFs.js';
import type { PstoreBackend } from '../src/core/backend.js';
import type { BackendRecord } from '../src/core/record.js';
import { archByName } from '../src/backends/ramoops/arch.js';
import { MemoryRegion } from '../src/region/region.js';
import {
  T0,
  blankRamoops,
  dumpRecord,
  handmadeHeaderOnly,
  handmadeHeaderOnlyFirst,
  handmadeHeaderVariants,
  handmadeParams,
  handmadeUnnormalisedTimes,
  handmadeZapThenStop,
  pokeZone,
  type HandmadeImage,
} from './helpers/handmade.js';

const dec = new TextDecoder();
const KERNELS = ['6.1', '6.12', 'debian-6.1', 'debian-6.12'];

function read(h: HandmadeImage, kernel: string): RamoopsImage {
  return new RamoopsImage(new MemoryRegion(h.image.slice()), { params: h.params, kernel });
}
const names = (img: RamoopsImage): string[] => img.files().map((f) => f.name);
const text = (img: RamoopsImage, name: string): string => dec.decode(img.file(name).content);

test('pstore_get_backend_records (fs/pstore/platform.c:769 in 6.1, 696 in 6.12): a record read as 0 bytes ends the enumeration', () => {
  for (const kernel of KERNELS) {
    const img = read(handmadeHeaderOnly(0), kernel);
    assert.deepEqual(names(img), ['dmesg-ramoops-0'], kernel);
    const zones = img.zones();
    const dmesg = zones.filter((z) => z.zone.type === 'dmesg');
    assert.equal(dmesg[1].emptyRecord, true);
    assert.deepEqual(
      dmesg.map((z) => z.unread),
      [false, false, true, true],
    );
    // Zone 3 has no header, but the read never gets there: it is not zapped.
    assert.equal(dmesg[3].noKmsgHeader, false);
    assert.ok(zones.filter((z) => z.zone.type !== 'dmesg').every((z) => z.unread));
  }
});

test('ramoops_pstore_read (fs/pstore/ram.c:265,268 in 6.1, 271,274 in 6.12): the size returned excludes the ECC notice, so ECC does not keep an empty record alive', () => {
  const img = read(handmadeHeaderOnly(16), '6.12');
  assert.deepEqual(names(img), ['dmesg-ramoops-0']);
  assert.match(text(img, 'dmesg-ramoops-0'), /before the empty record\n\nECC: No errors detected\n$/);
});

test('pstore_get_backend_records (platform.c:769 in 6.1, 696 in 6.12): an empty record in zone 0 hides every record, console and pmsg included', () => {
  for (const kernel of KERNELS) assert.deepEqual(names(read(handmadeHeaderOnlyFirst(), kernel)), [], kernel);
  // The header's trailing white space (the `\n` of the format) is all of the record.
  const hdr = `====${T0}.5-D  \n\t `;
  assert.equal(parseKmsgHeader(new TextEncoder().encode(hdr))?.length, hdr.length);
});

test('ramoops_pstore_read (ram.c:201-206 in 6.1, 207-212 in 6.12): a dmesg zone without a header is zapped and skipped; the read goes on', () => {
  const params = handmadeParams(0);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, 'no header\n');
  pokeZone(image, 'dmesg', 1, dumpRecord(T0 + 1, 'shown'));
  pokeZone(image, 'console', 0, 'console\n');
  const img = new RamoopsImage(new MemoryRegion(bytes), { params });
  assert.deepEqual(names(img), ['dmesg-ramoops-1', 'console-ramoops-0']);
  assert.equal(img.zones()[0].noKmsgHeader, true);
  // Zapped before the empty record of zone 1 stops the read.
  const stop = read(handmadeZapThenStop(), '6.1');
  assert.deepEqual(names(stop), []);
  assert.deepEqual(
    stop.zones().slice(0, 3).map((z) => [z.noKmsgHeader, z.emptyRecord, z.unread]),
    [
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ],
  );
});

test('ramoops_get_next_prz (ram.c:134 in 6.1, 140 in 6.12): an empty zone is skipped, not an end; console (ram.c:210/216) then pmsg (213/219)', () => {
  const params = handmadeParams(0);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 2, dumpRecord(T0 + 1, 'third zone'));
  pokeZone(image, 'pmsg', 0, 'pmsg only\n');
  const img = new RamoopsImage(new MemoryRegion(bytes), { params });
  assert.deepEqual(names(img), ['dmesg-ramoops-2', 'pmsg-ramoops-0']);
});

test('ramoops_read_kmsg_hdr (ram.c:149-152 in 6.1, 155-158 in 6.12): %lu microseconds times 1000 in a long, never normalised', () => {
  const enc = new TextEncoder();
  const t = (h: string) => parseKmsgHeader(enc.encode(h))?.time;
  assert.deepEqual(t('====1704067203.1234567-D\n'), { sec: 1704067203, nsec: 1_234_567_000 });
  assert.deepEqual(t('====1704067204.4294968-D\n'), { sec: 1704067204, nsec: 4_294_968_000 });
  assert.deepEqual(t('====1704067205.18446744073709551615-D\n'), { sec: 1704067205, nsec: -1000 }); // 2^64-1 µs wraps to -1
});

test('pstore_mkfile (fs/pstore/inode.c:381-382 in 6.1, 380-382 in 6.12): the inode takes tv_nsec unnormalised; stat shows its low 32 bits (seen on Debian 6.1 under QEMU: 1234567000, 704, 4294966296)', () => {
  for (const kernel of KERNELS) {
    assert.deepEqual(
      read(handmadeUnnormalisedTimes(), kernel).files().map((f) => f.mtime),
      [
        { sec: T0 + 3, nsec: 1_234_567_000 },
        { sec: T0 + 4, nsec: 704 },
        { sec: T0 + 5, nsec: 4_294_966_296 },
        { sec: T0 + 6, nsec: 0 },
      ],
      kernel,
    );
  }
  assert.deepEqual(statTime({ sec: 1, nsec: 2 ** 32 + 5 }), { sec: 1, nsec: 5 });
  assert.deepEqual(statTime({ sec: 1, nsec: 999_999_999 }), { sec: 1, nsec: 999_999_999 });
});

test('ramoops_read_kmsg_hdr (ram.c:157-160 in 6.1, 163-166 in 6.12): the legacy header `====sec.usec\\n` is an uncompressed record', () => {
  const img = read(handmadeUnnormalisedTimes(), '6.1');
  assert.equal(text(img, 'dmesg-ramoops-3'), 'legacy header\n');
  assert.equal(img.file('dmesg-ramoops-3').compressed, false);
});

test('ramoops_read_kmsg_hdr (ram.c:149 in 6.1, 155 in 6.12): white space before numbers is skipped; the format `\\n` eats none or all of the blanks after the type', () => {
  const img = read(handmadeHeaderVariants(), '6.1');
  assert.equal(text(img, 'dmesg-ramoops-0'), 'text right after the type\n');
  assert.deepEqual(img.file('dmesg-ramoops-0').mtime, { sec: T0 + 7, nsec: 7000 });
  assert.equal(text(img, 'dmesg-ramoops-1'), 'indented text\n');
});

test("ramoops_read_kmsg_hdr (ram.c:153 in 6.1, 159 in 6.12): only 'C' marks a record compressed; one that does not decompress stays .enc.z (decompress_record, platform.c:705-710 in 6.1, 624-629 in 6.12)", () => {
  const img = read(handmadeHeaderVariants(), '6.12');
  assert.equal(img.file('dmesg-ramoops-1').compressed, false);
  const z = img.file('dmesg-ramoops-4.enc.z');
  assert.equal(z.compressed, true);
  assert.equal(dec.decode(z.content), 'not a deflate stream\n');
});

test('pstore_mkfile (inode.c:381 in 6.1, 380 in 6.12): a record time with second 0 leaves the mount time; a negative second is kept', () => {
  const img = read(handmadeHeaderVariants(), '6.1');
  assert.equal(img.file('dmesg-ramoops-2').mtime, null);
  assert.deepEqual(img.file('dmesg-ramoops-3').mtime, { sec: -5, nsec: 10_000 });
});

test('ramoops_read_kmsg_hdr (ram.c:149-165 in 6.1, 155-171 in 6.12): vsscanf refuses a `+` sign (no header: zapped, ram.c:205/211)', () => {
  const img = read(handmadeHeaderVariants(), '6.1');
  assert.deepEqual(names(img), handmadeHeaderVariants().expectNames);
  assert.equal(img.zones()[5].noKmsgHeader, true);
});

test('ramoops_read_kmsg_hdr (ram.c:149 in 6.1, 155 in 6.12; lib/vsprintf.c vsscanf): %c fails on a NUL, the legacy format then ends the header before the `-`', () => {
  const h = parseKmsgHeader(new Uint8Array([...new TextEncoder().encode('====5.5-'), 0, 0x41]));
  assert.deepEqual(h, { time: { sec: 5, nsec: 5000 }, compressed: false, length: 7 });
  // Digits wrap modulo 2^64 (simple_strntoull has no overflow check).
  const w = parseKmsgHeader(new TextEncoder().encode('====1.18446744073709551617-D\n'));
  assert.equal(w?.time.nsec, 1000);
});

test('pstore_mkfile (inode.c:351-354): a second record with the same type and id is dropped (-EEXIST)', () => {
  const rec = (data: string): BackendRecord => ({ type: 'dmesg', id: 0, data: new TextEncoder().encode(data), eccNotice: '', ecc: null, time: null, compressed: false, zones: [] });
  const backend: PstoreBackend = {
    name: 'fake',
    bufsize: 4096,
    flags: { dmesg: true, console: false, ftrace: false, pmsg: false },
    maxReason: 2,
    read: () => [rec('first'), rec('second')],
    write: () => false,
    erase: () => undefined,
  };
  const files = pstoreFiles(backend, { decompress: null, maxUnzipped: 0, arch: archByName() });
  assert.deepEqual(
    files.map((f) => [f.name, dec.decode(f.content)]),
    [['dmesg-fake-0', 'first']],
  );
});

test('ramoops_pstore_read (ram.c:218-258 in 6.1, 224-264 in 6.12) + pstore_ftrace_combine_log stub (internal.h:20): without CONFIG_PSTORE_FTRACE per-CPU ftrace zones show nothing', () => {
  const params = { mem_size: 0x6000, record_size: 0x1000, console_size: 0, pmsg_size: 0, ftrace_size: 0x2000, ecc: 0, max_reason: 2 };
  const opts = { params, ftraceCpus: 2, ftracePerCpu: true };
  // Written by a kernel of the same version (the ftrace zone signature is LINUX_VERSION_CODE), read by `kernel`.
  const with_ = (kernel: string): string[] => {
    const bytes = new Uint8Array(params.mem_size);
    const img = createImage(new MemoryRegion(bytes), { ...opts, kernel: kernel.replace(/^debian-/, '').split(':')[0] });
    appendFtrace(img, [
      { cpu: 0, ts: 10n, ip: 0xffffffff81000000n, parentIp: 0xffffffff81000010n },
      { cpu: 1, ts: 11n, ip: 0xffffffff81000020n, parentIp: 0xffffffff81000030n },
    ]);
    return new RamoopsImage(new MemoryRegion(bytes), { ...opts, kernel }).files().map((f) => f.name);
  };
  assert.deepEqual(with_('6.1'), ['ftrace-ramoops-0']);
  assert.deepEqual(with_('6.12:dmesg,console,pmsg,ftrace'), ['ftrace-ramoops-0']);
  assert.deepEqual(with_('6.1:dmesg,console,pmsg'), []);
  assert.deepEqual(with_('debian-6.1'), []);
  assert.deepEqual(with_('debian-6.12'), []);
});

test('kernel profiles: version and frontends are separate (debian-6.1 and debian-6.12 build dmesg only)', () => {
  const d = kernelProfile('debian-6.12');
  assert.deepEqual([d.major, d.minor, d.compression, d.zoneOrder], [6, 12, 'zlib', 'dmesg,console,pmsg,ftrace']);
  assert.deepEqual(d.frontends, { console: false, pmsg: false, ftrace: false });
  assert.deepEqual(kernelProfile('debian-6.1').frontends, kernelProfile('6.1:dmesg').frontends);
  assert.deepEqual(kernelProfile('6.12').frontends, { console: true, pmsg: true, ftrace: true });
  assert.deepEqual(kernelProfile('6.12:dmesg,pmsg').frontends, { console: false, pmsg: true, ftrace: false });
  assert.throws(() => kernelProfile('6.12:kmsg'), /not a frontend/);
  assert.throws(() => kernelProfile('suse-6.1'), /not a kernel version/);
});
