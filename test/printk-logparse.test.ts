import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fixturePath, readFixture } from './helpers/fixtures.js';
import { formatLog, formatRecord, LogBuffer, loadLog, parseLog, parseLogLine } from '../src/frontends/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

/** Parses, stores and prints again with the form the lines had. */
function roundTrip(text: Uint8Array, syslog: boolean, time = true): Uint8Array {
  const log = new LogBuffer({ maxTextLen: 1 << 20 });
  loadLog(log, text);
  return formatLog(log.records(), { syslog, time });
}

describe('parse real kernel logs', () => {
  it('crash-dmesg-predump (dmesg -r) round-trips byte for byte', (t) => {
    if (!existsSync(fixturePath('kernel-6.1-full', 'nocompress-ecc16-exact'))) return t.skip('fixture missing');
    const raw = readFixture('kernel-6.1-full', 'nocompress-ecc16-exact', 'crash-dmesg-predump.txt');
    const lines = parseLog(raw);
    assert.ok(lines.length > 100);
    assert.ok(lines.every((l) => l.syslog && l.time));
    assert.equal(lines[0].level, 5);
    assert.equal(lines[0].facility, 0);
    assert.match(dec.decode(lines[0].text), /^Linux version 6\.1\.192/);
    const user = lines.find((l) => l.facility === 1);
    assert.ok(user, 'has /dev/kmsg lines of facility user');
    assert.deepEqual(roundTrip(raw, true), raw);
  });

  it('every kernel dmesg record body round-trips (syslog form)', (t) => {
    const files: [string, string, string][] = [
      ['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0'],
      ['kernel-6.1', 'oops-oops-panic', 'dmesg-ramoops-2'],
      ['kernel-6.1', 'shutdown', 'dmesg-ramoops-0'],
      ['kernel-6.1-full', 'compress-deflate', 'dmesg-ramoops-0'],
    ];
    let checked = 0;
    for (const [set, sc, f] of files) {
      if (!existsSync(fixturePath(set, sc, 'expected', f))) continue;
      const file = readFixture(set, sc, 'expected', f);
      let body = file.subarray(file.indexOf(0x0a) + 1);
      const notice = body.lastIndexOf(0x0a, body.length - 2);
      if (dec.decode(body.subarray(notice)).startsWith('\nECC:')) body = body.subarray(0, notice);
      assert.deepEqual(roundTrip(body, true), body, `${set}/${sc}/${f}`);
      checked++;
    }
    if (!checked) t.skip('fixtures missing');
  });

  it('dmesg form of the same log round-trips without the <N> prefix', (t) => {
    if (!existsSync(fixturePath('kernel-6.1-full', 'nocompress-ecc16-exact'))) return t.skip('fixture missing');
    const raw = dec.decode(readFixture('kernel-6.1-full', 'nocompress-ecc16-exact', 'crash-dmesg-predump.txt'));
    const plain = enc.encode(raw.replace(/^<\d+>/gm, ''));
    const lines = parseLog(plain);
    assert.ok(lines.every((l) => !l.syslog && l.time && l.level === 4 && l.facility === 0));
    assert.deepEqual(roundTrip(plain, false), plain);
  });
});

describe('parseLogLine forms', () => {
  it('syslog, dmesg, level-only and plain lines', () => {
    const a = parseLogLine('<14>[    2.645747] harness: filler');
    assert.deepEqual([a.facility, a.level, a.tsNsec, dec.decode(a.text), a.syslog, a.time], [1, 6, 2_645_747_000n, 'harness: filler', true, true]);
    const b = parseLogLine('[   12.345678] text here');
    assert.deepEqual([b.facility, b.level, b.tsNsec, dec.decode(b.text), b.syslog], [0, 4, 12_345_678_000n, 'text here', false]);
    const c = parseLogLine('<3>no time', 7n);
    assert.deepEqual([c.level, c.tsNsec, dec.decode(c.text), c.time], [3, 7n, 'no time', false]);
    const d = parseLogLine('just words', 99n);
    assert.deepEqual([d.level, d.facility, d.tsNsec, dec.decode(d.text)], [4, 0, 99n, 'just words']);
  });

  it('caller ids and wide timestamps', () => {
    const a = parseLogLine('<6>[    0.000000][    T1] x');
    assert.equal(a.callerId, 1);
    assert.equal(dec.decode(a.text), 'x');
    const b = parseLogLine('[123456.000001][    C3] y');
    assert.equal(b.callerId, 0x80000003);
    assert.equal(b.tsNsec, 123_456_000_001_000n);
  });

  it('look-alikes stay text', () => {
    for (const s of ['<>x', '<9999>x', '<12 x', '[ 1.23] x', '[abc] x', '[    1.000000 x', '<6>[ 1.1234567] x']) {
      const p = parseLogLine(s);
      assert.ok(!p.time, s);
    }
    assert.equal(dec.decode(parseLogLine('<9999>x').text), '<9999>x');
    assert.equal(dec.decode(parseLogLine('<6>[ 1.1234567] x').text), '[ 1.1234567] x');
  });

  it('CRLF, empty lines and missing final newline', () => {
    const lines = parseLog('<6>[    1.000000] a\r\n\r\n[    2.000000] b\r\nplain');
    assert.deepEqual(
      lines.map((l) => [dec.decode(l.text), l.tsNsec]),
      [
        ['a', 1_000_000_000n],
        ['', 1_000_000_000n],
        ['b', 2_000_000_000n],
        ['plain', 2_000_000_000n],
      ],
    );
    assert.equal(parseLog('').length, 0);
    assert.equal(parseLog('x\n').length, 1);
  });

  it('bytes that are not UTF-8 are kept', () => {
    const line = Uint8Array.from([...enc.encode('<6>[    1.000000] '), 0xff, 0xfe, 0x80]);
    assert.deepEqual(parseLogLine(line).text, Uint8Array.from([0xff, 0xfe, 0x80]));
  });
});

describe('round-trip properties', () => {
  const textArb = fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => (x === 0x0a || x === 0x0d ? 0x20 : x)));
  const recArb = fc.record({
    ts: fc.bigInt({ min: 0n, max: 18_446_744_073_709_551_615n }),
    facility: fc.integer({ min: 0, max: 255 }),
    level: fc.integer({ min: 0, max: 7 }),
    text: textArb,
  });

  it('format(parse(line)) == line and parse(format(rec)) == rec, both forms', () => {
    fc.assert(
      fc.property(recArb, fc.boolean(), ({ ts, facility, level, text }, syslog) => {
        const log = new LogBuffer();
        const r = log.get(log.append({ tsNsec: ts, facility, level, text }))!;
        const line = formatRecord(r, { syslog });
        const p = parseLogLine(line.subarray(0, line.length - 1));
        assert.equal(p.tsNsec, (ts / 1000n) * 1000n);
        assert.deepEqual(p.text, r.text);
        if (syslog) assert.deepEqual([p.facility, p.level], [facility, level]);
        const log2 = new LogBuffer();
        const r2 = log2.get(log2.append(p))!;
        assert.deepEqual(formatRecord(r2, { syslog }), line);
      }),
    );
  });
});
