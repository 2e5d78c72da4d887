/**
 * Android pmsg → logcat (`pstore cat --format logcat`). Test data is built
 * from liblog's framing (pmsg_writer.cpp, android_logger.h) into a ramoops
 * pmsg zone with the write API, then decoded through the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { appendPmsg, createImage } from '../src/api/writeImage.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import {
  decodePmsg,
  encodePmsgRecord,
  eventPayload,
  formatThreadtime,
  LogId,
  LogPriority as P,
  textPayload,
  type PmsgRecordFields,
} from '../src/core/logcat.js';
import { MemoryRegion } from '../src/region/region.js';
import { fixturePath } from './helpers/fixtures.js';

const enc = new TextEncoder();
const T0 = 1704067200; // 2024-01-01 00:00:00 UTC
const f = (over: Partial<PmsgRecordFields>): PmsgRecordFields => ({ logId: LogId.MAIN, uid: 10001, pid: 1234, tid: 1240, sec: T0, nsec: 500_000_000, ...over });

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const GARBAGE = concat([enc.encode('GARBAGE!'), new Uint8Array([0x6c, 0x03, 0x00]), enc.encode('xyz')]);

const RECORDS: Uint8Array[] = [
  encodePmsgRecord(f({}), textPayload(P.VERBOSE, 'ActivityManager', 'Start proc 42')),
  encodePmsgRecord(f({ nsec: 501_999_999, tid: 1 }), textPayload(P.DEBUG, 'dbg', 'a\nb\n')),
  encodePmsgRecord(f({ sec: T0 + 61, nsec: 7_000_000, pid: 1, tid: 1, logId: LogId.SYSTEM }), textPayload(P.INFO, 'init', "starting service 'logd'...")),
  encodePmsgRecord(f({ sec: T0 + 3600 * 25, nsec: 0, pid: 65535, tid: 65535 }), textPayload(P.WARN, 'wm', '')),
  GARBAGE,
  encodePmsgRecord(f({ logId: LogId.CRASH, pid: 4321, tid: 4321 }), textPayload(P.ERROR, 'libc', 'Fatal signal 11 (SIGSEGV)')),
  encodePmsgRecord(f({ logId: LogId.CRASH, pid: 4321, tid: 4330 }), textPayload(P.FATAL, 'DEBUG', '*** *** ***\nbacktrace:\n  #00 pc 0000')),
  encodePmsgRecord(
    f({ logId: LogId.EVENTS, pid: 900, tid: 901 }),
    eventPayload(2718, { list: [{ int: 5 }, { string: 'hi' }, { long: -7n }, { float: 1.5 }] }),
  ),
  encodePmsgRecord(f({ logId: LogId.SECURITY, pid: 900, tid: 902 }), eventPayload(210001, { int: 1 })),
];

const EXPECTED = [
  '01-01 00:00:00.500  1234  1240 V ActivityManager: Start proc 42',
  '01-01 00:00:00.501  1234     1 D dbg     : a',
  '01-01 00:00:00.501  1234     1 D dbg     : b',
  "01-01 00:01:01.007     1     1 I init    : starting service 'logd'...",
  '01-02 01:00:00.000 65535 65535 W wm      : ',
  '01-01 00:00:00.500  4321  4321 E libc    : Fatal signal 11 (SIGSEGV)',
  '01-01 00:00:00.500  4321  4330 F DEBUG   : *** *** ***',
  '01-01 00:00:00.500  4321  4330 F DEBUG   : backtrace:',
  '01-01 00:00:00.500  4321  4330 F DEBUG   :   #00 pc 0000',
  '01-01 00:00:00.500   900   901 I [2718]  : [5,hi,-7,1.500000]',
  '01-01 00:00:00.500   900   902 W [210001]: 1',
].join('\n') + '\n';

const tmp = mkdtempSync(join(tmpdir(), 'pstore-logcat-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const LAYOUT = ['--record-size', '4K', '--console-size', '0', '--ftrace-size', '0', '--pmsg-size', '8K', '--ecc', '16'];

function ramoopsWithPmsg(chunks: Uint8Array[], pmsgSize = 0x2000): string {
  const region = new MemoryRegion(new Uint8Array(0x4000));
  const image = createImage(region, { params: { mem_size: 0x4000, record_size: 0x1000, console_size: 0, ftrace_size: 0, pmsg_size: pmsgSize, ecc: 16 } });
  // One write() per record, as liblog's writev does.
  for (const c of chunks) appendPmsg(image, c);
  const path = join(tmp, `img-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, region.read(0, region.size));
  return path;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string; bytes: Uint8Array }> {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText(), bytes: io.stdoutBytes() };
}

test('cat --format logcat: text records V..F, multi-line messages, events, a corrupt stretch in the middle', async () => {
  const path = ramoopsWithPmsg(RECORDS);
  const r = await cli(['cat', path, 'pmsg-ramoops-0', '--format', 'logcat', ...LAYOUT]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, EXPECTED);
  // Skipped bytes are reported once; the ECC notice is not decoded as data but mentioned.
  assert.match(r.err, /skipped 14 bytes that hold no logger record \(1 run, first at offset \d+/);
  assert.match(r.err, /ECC: No errors detected/);
  assert.equal(r.err.split('\n').filter(Boolean).length, 2);
});

test('cat without --format stays the raw bytes', async () => {
  const path = ramoopsWithPmsg(RECORDS);
  const r = await cli(['cat', path, 'pmsg-ramoops-0', ...LAYOUT]);
  assert.equal(r.code, 0, r.err);
  const raw = concat(RECORDS);
  assert.deepEqual(r.bytes.subarray(0, raw.length), raw);
  assert.equal(new TextDecoder().decode(r.bytes.subarray(raw.length)), '\nECC: No errors detected\n');
});

test('a wrapped pmsg ring starts mid-record: the torn head is skipped, the rest decodes', async () => {
  const many = Array.from({ length: 40 }, (_, i) => encodePmsgRecord(f({ nsec: i * 1_000_000 }), textPayload(P.INFO, 'wrap', `message number ${i}`)));
  const path = ramoopsWithPmsg(many, 0x400);
  const r = await cli(['cat', path, 'pmsg-ramoops-0', '--format', 'logcat', ...LAYOUT.slice(0, -4), '--pmsg-size', '1K', '--ecc', '16']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines.at(-1), '01-01 00:00:00.039  1234  1240 I wrap    : message number 39');
  assert.ok(lines.length > 5 && lines.length < 40);
  assert.match(r.err, /skipped \d+ bytes?/);
});

test('--format logcat on a non-pmsg file is a usage error; on text pmsg it finds no records', async () => {
  const path = ramoopsWithPmsg(RECORDS);
  const r = await cli(['cat', path, 'dmesg-ramoops-0', '--format', 'logcat', ...LAYOUT]);
  assert.notEqual(r.code, 0);
  const blk = fixturePath('kernel-6.1-full', 'pstore-blk-full');
  const t = await cli(['cat', join(blk, 'image.bin'), 'pmsg-pstore_blk-0', '--backend', 'blk', '--format', 'logcat']);
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out, '');
  assert.match(t.err, /no Android logger records/);
});

test('decoder: PmsgRead acceptance rules', () => {
  const ok = encodePmsgRecord(f({}), textPayload(P.INFO, 't', 'm'));
  assert.equal(decodePmsg(ok).entries.length, 1);
  const bad = (edit: (b: Uint8Array) => void): number => {
    const b = ok.slice();
    edit(b);
    return decodePmsg(b).entries.length;
  };
  assert.equal(bad((b) => (b[0] = 0x4c)), 0, 'magic');
  assert.equal(bad((b) => (b[7] = 8)), 0, 'log id >= LOG_ID_MAX');
  assert.equal(bad((b) => new DataView(b.buffer).setUint32(14, 1_000_000_000, true)), 0, 'tv_nsec');
  for (const prio of [0, 1, 8, 200]) assert.equal(bad((b) => (b[18] = prio)), 0, `prio ${prio}`);
  assert.equal(bad((b) => new DataView(b.buffer).setUint16(1, 19, true)), 0, 'len <= header + prio');
  assert.equal(bad((b) => new DataView(b.buffer).setUint16(1, b.length + 1, true)), 0, 'len past the end');
  // Events and security skip the priority check (their first payload byte is the tag).
  const ev = encodePmsgRecord(f({ logId: LogId.EVENTS }), eventPayload(0, { int: -1 }));
  assert.equal(formatThreadtime(decodePmsg(ev).entries[0]), '01-01 00:00:00.500  1234  1240 I [0]     : -1\n');
});

test('decoder: malformed events are marked as logcat marks them', () => {
  const cut = eventPayload(7, { list: [{ int: 1 }, { string: 'abcdef' }] });
  const e = decodePmsg(encodePmsgRecord(f({ logId: LogId.EVENTS }), cut.subarray(0, cut.length - 3))).entries[0];
  assert.equal(e.message, '[1,abc!');
  const unknownType = decodePmsg(encodePmsgRecord(f({ logId: LogId.EVENTS }), new Uint8Array([7, 0, 0, 0, 9, 1]))).entries[0];
  assert.equal(unknownType.message, '!');
});

test('property: any bytes decode without throwing; records survive arbitrary garbage between them', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
      const r = decodePmsg(junk);
      assert.ok(r.skippedBytes <= junk.length);
      for (const e of r.entries) formatThreadtime(e);
    }),
    { numRuns: 300 },
  );
  const rec = fc.record({
    prio: fc.integer({ min: 2, max: 7 }),
    tag: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.]{0,15}$/),
    msg: fc.stringMatching(/^[ -~]{0,40}$/),
    pid: fc.integer({ min: 0, max: 65535 }),
  });
  fc.assert(
    fc.property(fc.array(rec, { minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 30 }), (recs, junk) => {
      // Junk without an 'l' cannot hide a record boundary.
      const clean = junk.filter((b) => b !== 0x6c);
      const bytes = concat(recs.flatMap((x) => [encodePmsgRecord(f({ pid: x.pid }), textPayload(x.prio, x.tag, x.msg)), clean]));
      const r = decodePmsg(bytes);
      assert.deepEqual(
        r.entries.map((e) => [e.priority, e.tag, e.message, e.pid]),
        recs.map((x) => [x.prio, x.tag, x.msg, x.pid]),
      );
      assert.equal(r.skippedBytes, clean.length * recs.length);
    }),
    { numRuns: 200 },
  );
});
