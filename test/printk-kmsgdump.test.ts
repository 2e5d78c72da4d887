import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fixturePath, readFixture } from './helpers/fixtures.js';
import {
  DumperRegistry,
  formatLog,
  KMSG_DUMP_EMERG,
  KMSG_DUMP_MAX,
  KMSG_DUMP_OOPS,
  KMSG_DUMP_PANIC,
  KMSG_DUMP_SHUTDOWN,
  KMSG_DUMP_UNDEF,
  KmsgDumpIter,
  kmsgDumpReasonString,
  LogBuffer,
  loadLog,
  parseKmsgDumpReason,
  parseLog,
  recordPrintTextSize,
  type KmsgDumper,
  type ParsedLogLine,
} from '../src/frontends/index.js';

const ECC_NOTICE = '\nECC: No errors detected\n';
const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

/** ramoops dmesg zone -> persistent_ram data area (ram_core.c), as psinfo->bufsize. */
function ramoopsBufsize(zoneSize: number, eccSize: number): number {
  const bufferSize = zoneSize - 12;
  if (!eccSize) return bufferSize;
  const blocks = Math.ceil((bufferSize - eccSize) / (128 + eccSize));
  return bufferSize - (blocks + 1) * eccSize;
}

/** zbufsize_deflate (platform.c, 6.1). */
function zbufsizeDeflate(size: number): number {
  const cmpr = size >= 1000 && size <= 2000 ? 56 : size <= 3000 && size > 2000 ? 54 : size <= 3999 && size > 3000 ? 52 : size >= 4000 && size <= 10000 ? 45 : 60;
  return Math.floor((size * 100) / cmpr);
}

/** Splits a kernel dmesg record into its `Reason#N PartM\n` header and the log text. */
function splitDump(file: Uint8Array, eccNotice: boolean): { header: Uint8Array; body: Uint8Array } {
  let end = file.length;
  if (eccNotice) {
    assert.equal(dec.decode(file.subarray(end - ECC_NOTICE.length)), ECC_NOTICE);
    end -= ECC_NOTICE.length;
  }
  const nl = file.indexOf(0x0a) + 1;
  return { header: file.subarray(0, nl), body: file.subarray(nl, end) };
}

function logFrom(lines: ParsedLogLine[]): LogBuffer {
  const log = new LogBuffer();
  for (const l of lines) log.append(l);
  return log;
}

/** What pstore_dump's loop asks for: blocks of `size`, newest first. */
function dumpBlocks(iter: KmsgDumpIter, size: number, max = 1000): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(size);
  for (let i = 0; i < max; i++) {
    const n = iter.getBuffer(true, buf, size);
    if (n === false) break;
    out.push(buf.slice(0, n));
  }
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const lineKey = (l: ParsedLogLine): string => `${l.tsNsec}|${dec.decode(l.text)}`;

describe('kmsg_dump_get_buffer against real kernel dumps', () => {
  it('nocompress-ecc16-exact: predump log + panic lines give the dumped text byte for byte', (t) => {
    const dir = fixturePath('kernel-6.1-full', 'nocompress-ecc16-exact');
    if (!existsSync(dir)) return t.skip('fixture missing');
    const { header, body } = splitDump(readFixture('kernel-6.1-full', 'nocompress-ecc16-exact', 'expected', 'dmesg-ramoops-0'), true);
    assert.equal(dec.decode(header), 'Panic#1 Part1\n');
    const pre = parseLog(readFixture('kernel-6.1-full', 'nocompress-ecc16-exact', 'crash-dmesg-predump.txt'));
    const dumped = parseLog(body);
    // The dump's oldest line is somewhere in the predump; the predump's tail must match the dump.
    const start = pre.findIndex((l) => lineKey(l) === lineKey(dumped[0]));
    assert.ok(start > 0, 'dump starts inside the predump log');
    const overlap = pre.length - start;
    for (let i = 0; i < overlap; i++) assert.equal(lineKey(pre[start + i]), lineKey(dumped[i]));
    const full = [...pre, ...dumped.slice(overlap)];
    const log = logFrom(full);

    const bufsize = ramoopsBufsize(0x4000, 16);
    assert.equal(bufsize, 14532); // what the fixture's meta reports as buffer_size
    const iter = new KmsgDumpIter(log);
    const size = bufsize - header.length;
    const buf = new Uint8Array(size);
    const n = iter.getBuffer(true, buf, size);
    assert.notEqual(n, false);
    assert.equal(n, body.length);
    assert.deepEqual(buf.subarray(0, n as number), body);
    // The line just older did not fit in size - 1 bytes.
    assert.ok((n as number) + recordPrintTextSize(log.get(start - 1)!, { syslog: true }) > size - 1);
    assert.equal(iter.nextSeq, start);
  });

  it('panic-nocompress: the whole log fits one 64 KiB record', (t) => {
    if (!existsSync(fixturePath('kernel-6.1', 'panic-nocompress'))) return t.skip('fixture missing');
    const { header, body } = splitDump(readFixture('kernel-6.1', 'panic-nocompress', 'expected', 'dmesg-ramoops-0'), false);
    const log = logFrom(parseLog(body));
    const size = ramoopsBufsize(0x10000, 0) - header.length;
    const iter = new KmsgDumpIter(log);
    const blocks = dumpBlocks(iter, size);
    assert.equal(blocks.length, 1);
    assert.deepEqual(blocks[0], body);
  });

  it('small-records-deflate: big_oops_buf-sized block keeps the newest lines that fit', (t) => {
    if (!existsSync(fixturePath('kernel-6.1', 'small-records-deflate'))) return t.skip('fixture missing');
    const { header, body } = splitDump(readFixture('kernel-6.1', 'small-records-deflate', 'expected', 'dmesg-ramoops-0'), false);
    const dumped = parseLog(body);
    const first = dumped[0];
    const firstText = dec.decode(first.text);
    assert.match(firstText, /filler 130\/200/);
    // The harness wrote 200 identical-length filler lines; rebuild the 129 older ones.
    const older: ParsedLogLine[] = [];
    for (let i = 1; i < 130; i++) {
      const text = firstText.replace('130/200', `${i}/200`);
      older.push({ ...first, tsNsec: first.tsNsec - BigInt(130 - i) * 1000n, text: enc.encode(text) });
    }
    const log = logFrom([...older, ...dumped]);
    const size = zbufsizeDeflate(ramoopsBufsize(0x1000, 0)) - header.length;
    const iter = new KmsgDumpIter(log);
    const n = iter.getBuffer(true, new Uint8Array(size), size);
    assert.equal(n, body.length);
    const again = new KmsgDumpIter(log).getBufferBytes(true, size);
    assert.deepEqual(again, body);
  });

  it('oops-oops-panic: each earlier dump of the boot is a prefix of the later log', (t) => {
    if (!existsSync(fixturePath('kernel-6.1', 'oops-oops-panic'))) return t.skip('fixture missing');
    const files = ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2'].map(
      (f) => splitDump(readFixture('kernel-6.1', 'oops-oops-panic', 'expected', f), false).body,
    );
    const panicLog = logFrom(parseLog(files[2]));
    for (const f of files.slice(0, 2)) {
      const n = parseLog(f).length;
      const prefix = formatLog([...panicLog.records()].slice(0, n), { syslog: true });
      assert.deepEqual(prefix, f);
    }
  });
});

describe('kmsg_dump_get_buffer properties', () => {
  const lineArb = fc.record({
    level: fc.integer({ min: 0, max: 7 }),
    facility: fc.constantFrom(0, 0, 1, 3),
    text: fc.string({ maxLength: 120 }).map((s) => s.replace(/\n/g, ' ')),
    dt: fc.integer({ min: 0, max: 5_000_000_000 }),
  });
  const logArb = fc.array(lineArb, { maxLength: 120 });

  const build = (lines: { level: number; facility: number; text: string; dt: number }[]): LogBuffer => {
    const log = new LogBuffer({ logBufShift: 14 });
    let ts = 0;
    for (const l of lines) {
      ts += l.dt;
      log.append({ tsNsec: ts, level: l.level, facility: l.facility, text: l.text });
    }
    return log;
  };

  it('blocks in reverse order rebuild the full formatted log; each fits size - 1', () => {
    fc.assert(
      fc.property(logArb, fc.integer({ min: 1, max: 3000 }), (lines, extra) => {
        const log = build(lines);
        const all = formatLog(log.records(), { syslog: true });
        let longest = 0;
        for (const r of log.records()) longest = Math.max(longest, recordPrintTextSize(r, { syslog: true }));
        const size = longest + extra;
        const iter = new KmsgDumpIter(log);
        const blocks = dumpBlocks(iter, size);
        for (const b of blocks) {
          assert.ok(b.length <= size - 1);
          assert.ok(b.length > 0);
        }
        assert.deepEqual(concat(blocks.reverse()), all);
        assert.equal(iter.getBuffer(true, new Uint8Array(size)), false);
      }),
    );
  });

  it('rewind restarts; a fresh iterator gives the same blocks', () => {
    fc.assert(
      fc.property(logArb, fc.integer({ min: 200, max: 2000 }), (lines, size) => {
        const log = build(lines);
        const iter = new KmsgDumpIter(log);
        const a = dumpBlocks(iter, size);
        iter.rewind();
        const b = dumpBlocks(iter, size);
        assert.deepEqual(b, a);
        assert.deepEqual(dumpBlocks(new KmsgDumpIter(log), size), a);
      }),
    );
  });

  it('get_line walks oldest to newest and matches formatRecord', () => {
    fc.assert(
      fc.property(logArb, fc.boolean(), (lines, syslog) => {
        const log = build(lines);
        const iter = new KmsgDumpIter(log);
        const parts: Uint8Array[] = [];
        const buf = new Uint8Array(2048);
        for (;;) {
          const n = iter.getLine(syslog, buf);
          if (n === false) break;
          parts.push(buf.slice(0, n));
        }
        assert.equal(parts.length, log.length);
        assert.deepEqual(concat(parts), formatLog(log.records(), { syslog }));
      }),
    );
  });
});

describe('kmsg_dump_get_buffer edge cases', () => {
  const mk = (texts: string[]): LogBuffer => {
    const log = new LogBuffer();
    texts.forEach((text, i) => log.append({ tsNsec: i * 1_000_000, level: 6, text }));
    return log;
  };

  it('a block is the newest whole lines within size - 1 bytes', () => {
    const log = mk(['aaaa', 'bbbb', 'cccc']);
    // each line: "<6>[    0.00X000] xxxx\n" = 3 + 14 + 1 + 4 + 1 = 23 bytes
    const line = recordPrintTextSize(log.get(0)!, { syslog: true });
    assert.equal(line, 23);
    const iter = new KmsgDumpIter(log);
    // size 46 -> 45 usable: one line; size 47 -> 46 usable: two lines.
    assert.equal(iter.getBuffer(true, new Uint8Array(46)), 23);
    iter.rewind();
    const buf = new Uint8Array(47);
    assert.equal(iter.getBuffer(true, buf), 46);
    assert.equal(dec.decode(buf.subarray(0, 46)), '<6>[    0.001000] bbbb\n<6>[    0.002000] cccc\n');
    assert.equal(buf[46], 0, 'NUL terminator like record_print_text');
    assert.equal(iter.getBuffer(true, buf), 23);
    assert.equal(dec.decode(buf.subarray(0, 23)), '<6>[    0.000000] aaaa\n');
    assert.equal(iter.getBuffer(true, buf), false);
  });

  it('a record longer than the buffer yields empty blocks and the iterator stays put (kernel 6.1)', () => {
    const log = mk(['old', 'x'.repeat(200), 'new']);
    const iter = new KmsgDumpIter(log);
    const buf = new Uint8Array(60);
    assert.equal(iter.getBuffer(true, buf), 22); // "<6>[    0.002000] new\n"
    assert.equal(iter.nextSeq, 2);
    assert.equal(iter.getBuffer(true, buf), 0);
    assert.equal(iter.nextSeq, 2);
    assert.equal(iter.getBuffer(true, buf), 0);
  });

  it('size 0 and an empty log return false', () => {
    assert.equal(new KmsgDumpIter(mk(['a'])).getBuffer(true, new Uint8Array(0)), false);
    assert.equal(new KmsgDumpIter(new LogBuffer()).getBuffer(true, new Uint8Array(100)), false);
  });

  it('clear() (dmesg -C) hides older records from dumps', () => {
    const log = mk(['a', 'b']);
    log.clear();
    log.append({ tsNsec: 5_000_000, level: 6, text: 'c' });
    const out = new KmsgDumpIter(log).getBufferBytes(true, 1000);
    assert.equal(dec.decode(out!), '<6>[    0.005000] c\n');
  });

  it('records evicted from the ring after the iterator was rewound are skipped', () => {
    const log = new LogBuffer({ logBufShift: 10 });
    for (let i = 0; i < 10; i++) log.append({ tsNsec: i, text: 'y'.repeat(40) });
    const iter = new KmsgDumpIter(log);
    for (let i = 0; i < 40; i++) log.append({ tsNsec: 100 + i, text: 'z'.repeat(40) });
    assert.ok(log.firstSeq > 10);
    // nextSeq still 10: everything dumpable is gone.
    assert.equal(iter.getBuffer(true, new Uint8Array(4096)), false);
  });

  it('syslog=false and printk.time=0 prefixes', () => {
    const log = mk(['a', 'b']);
    assert.equal(dec.decode(new KmsgDumpIter(log).getBufferBytes(false, 100)!), '[    0.000000] a\n[    0.001000] b\n');
    assert.equal(dec.decode(new KmsgDumpIter(log, { time: false }).getBufferBytes(true, 100)!), '<6>a\n<6>b\n');
  });
});

describe('dumper registry', () => {
  it('default max_reason is Oops; always_kmsg_dump admits everything', () => {
    const log = new LogBuffer();
    log.append({ tsNsec: 0, text: 'hello' });
    const seen: number[] = [];
    const d: KmsgDumper = { dump: (r) => void seen.push(r) };
    const reg = new DumperRegistry(log);
    assert.equal(reg.register(d), true);
    assert.equal(reg.register(d), false);
    for (const r of [KMSG_DUMP_PANIC, KMSG_DUMP_OOPS, KMSG_DUMP_EMERG, KMSG_DUMP_SHUTDOWN]) reg.kmsgDump(r);
    assert.deepEqual(seen, [KMSG_DUMP_PANIC, KMSG_DUMP_OOPS]);
    seen.length = 0;
    reg.alwaysKmsgDump = true;
    for (const r of [KMSG_DUMP_PANIC, KMSG_DUMP_SHUTDOWN, KMSG_DUMP_MAX]) reg.kmsgDump(r);
    assert.deepEqual(seen, [KMSG_DUMP_PANIC, KMSG_DUMP_SHUTDOWN, KMSG_DUMP_MAX]);
    assert.equal(reg.unregister(d), true);
    assert.equal(reg.unregister(d), false);
    reg.kmsgDump(KMSG_DUMP_PANIC);
    assert.equal(seen.length, 3);
  });

  it('explicit max_reason wins over always_kmsg_dump; each dumper gets a rewound iterator', () => {
    const log = new LogBuffer();
    log.append({ tsNsec: 0, level: 6, text: 'x' });
    const got: string[] = [];
    const mk = (name: string, maxReason?: number): KmsgDumper => ({
      maxReason,
      dump: (_r, iter) => {
        got.push(`${name}:${dec.decode(iter.getBufferBytes(true, 100) ?? new Uint8Array())}`);
        assert.equal(iter.getBufferBytes(true, 100), null);
      },
    });
    const reg = new DumperRegistry(log, { alwaysKmsgDump: true });
    reg.register(mk('a', KMSG_DUMP_PANIC));
    reg.register(mk('b', KMSG_DUMP_SHUTDOWN));
    reg.register(mk('c'));
    reg.kmsgDump(KMSG_DUMP_OOPS);
    assert.deepEqual(got, ['b:<6>[    0.000000] x\n', 'c:<6>[    0.000000] x\n']);
  });

  it('reason names (6.1) and old names when decoding', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 99].map(kmsgDumpReasonString),
      ['Unknown', 'Panic', 'Oops', 'Emergency', 'Shutdown', 'Unknown', 'Unknown'],
    );
    assert.equal(parseKmsgDumpReason('PANIC'), KMSG_DUMP_PANIC);
    assert.equal(parseKmsgDumpReason('oops'), KMSG_DUMP_OOPS);
    assert.equal(parseKmsgDumpReason('Emergency'), KMSG_DUMP_EMERG);
    for (const old of ['Restart', 'Halt', 'Poweroff', 'Shutdown']) assert.equal(parseKmsgDumpReason(old), KMSG_DUMP_SHUTDOWN);
    assert.equal(parseKmsgDumpReason('Unknown'), KMSG_DUMP_UNDEF);
    assert.equal(parseKmsgDumpReason('Crash'), undefined);
  });

  it('loadLog + registry reproduce a pstore-style part loop', () => {
    const log = new LogBuffer();
    loadLog(log, '<6>[    1.000000] one\n<4>[    2.000000] two\n');
    const parts: string[] = [];
    const reg = new DumperRegistry(log);
    reg.register({
      maxReason: KMSG_DUMP_OOPS,
      dump(reason, iter) {
        const bufsize = 40;
        for (let part = 1; part < 10; part++) {
          const hdr = enc.encode(`${kmsgDumpReasonString(reason)}#1 Part${part}\n`);
          const buf = new Uint8Array(bufsize);
          buf.set(hdr);
          const n = iter.getBuffer(true, buf.subarray(hdr.length), bufsize - hdr.length);
          if (n === false) break;
          parts.push(dec.decode(buf.subarray(0, hdr.length + n)));
        }
      },
    });
    reg.kmsgDump(KMSG_DUMP_PANIC);
    assert.deepEqual(parts, ['Panic#1 Part1\n<4>[    2.000000] two\n', 'Panic#1 Part2\n<6>[    1.000000] one\n']);
  });
});
