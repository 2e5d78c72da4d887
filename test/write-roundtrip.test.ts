import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryRegion } from '../src/region/region.js';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { appendConsole, appendFtrace, appendPmsg, createImage, dumpToImage, openForWrite, removeRecord } from '../src/api/writeImage.js';
import { installNodeDeflate } from '../src/node/deflate.js';
import { attachPrz } from '../src/zone/persistentRamZone.js';
import { przOptions } from '../src/backends/ramoops/ramoops.js';

installNodeDeflate('6.1');
const runs = Number(process.env.PSTORE_FC_RUNS ?? 60);
const enc = new TextEncoder();

function logLines(n: number, seed: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `<6>[${String(Math.floor(i / 10)).padStart(5)}.${String((i * 7919 + seed) % 1e6).padStart(6, '0')}] line ${i} seed ${seed} ${'x'.repeat((i * 13 + seed) % 90)}\n`;
  return s;
}

test('create: every zone signed, empty and ECC-clean; reading shows no record', () => {
  const region = new MemoryRegion(new Uint8Array(0x20000).fill(0xa5));
  const params = { mem_size: 0x20000, record_size: 0x4000, console_size: 0x2000, ftrace_size: 0x2000, pmsg_size: 0x2000, ecc: 16 };
  createImage(region, { params, ftraceCpus: 2 });
  const img = new RamoopsImage(region, { params, ftraceCpus: 2 });
  assert.deepEqual(img.files(), []);
  for (const r of img.zones()) {
    assert.equal(r.attach.state, 'empty', r.zone.label);
    assert.equal(r.attach.ecc?.header, 0);
    assert.equal(r.attach.modified, false, `${r.zone.label}: kernel attach would change nothing`);
  }
});

test('openForWrite refuses a region that is not ramoops, and leaves it untouched', () => {
  const bytes = new Uint8Array(0x10000).fill(7);
  const region = new MemoryRegion(bytes);
  assert.throws(() => openForWrite(region, { params: { record_size: 0x4000 } }), /not a ramoops region/);
  assert.ok(bytes.every((b) => b === 7));
  openForWrite(region, { params: { record_size: 0x4000 }, force: true });
  assert.ok(bytes.some((b) => b !== 7));
});

test('property: dumps, console/pmsg/ftrace appends read back as written (any ECC, wrap, oversize, empty)', () => {
  fc.assert(
    fc.property(
      fc.record({
        ecc: fc.constantFrom(0, 8, 16, 32),
        recordShift: fc.integer({ min: 11, max: 14 }),
        consoleShift: fc.integer({ min: 10, max: 13 }),
        pmsgShift: fc.integer({ min: 10, max: 12 }),
        cpus: fc.integer({ min: 1, max: 3 }),
        kernel: fc.constantFrom('6.1', '6.12', '5.10'),
        compress: fc.constantFrom('none' as const, 'deflate' as const),
        lines: fc.integer({ min: 1, max: 400 }),
        dumps: fc.integer({ min: 1, max: 5 }),
        console: fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }),
        pmsg: fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 4 }),
        ftrace: fc.integer({ min: 0, max: 200 }),
        seed: fc.nat(1000),
      }),
      (c) => {
        const params = {
          mem_size: (1 << c.recordShift) * 4 + (1 << c.consoleShift) + (1 << c.pmsgShift) + 0x2000,
          record_size: 1 << c.recordShift,
          console_size: 1 << c.consoleShift,
          ftrace_size: 0x2000,
          pmsg_size: 1 << c.pmsgShift,
          ecc: c.ecc,
          max_reason: 4,
        };
        const opts = { params, ftraceCpus: c.cpus, kernel: c.kernel };
        const region = new MemoryRegion(new Uint8Array(params.mem_size));
        const img = createImage(region, opts);
        const time = { sec: 1704067200 + c.seed, nsec: 123456000 };
        dumpToImage(img, { log: logLines(c.lines, c.seed), reasons: Array(c.dumps).fill(2), time, compress: c.compress });
        const expectConsole: number[] = [];
        for (const chunk of c.console) {
          appendConsole(img, chunk);
          expectConsole.push(...chunk);
        }
        const expectPmsg: number[] = [];
        for (const chunk of c.pmsg) {
          appendPmsg(img, chunk);
          expectPmsg.push(...chunk);
        }
        const recs = Array.from({ length: c.ftrace }, (_, i) => ({ cpu: i % c.cpus, ts: BigInt(i), ip: 0xffffffff81000000n + BigInt(i), parentIp: 0xffffffff82000000n }));
        appendFtrace(img, recs);

        // ftrace decoded correctly (the kernel's own walk is off by the ECC notice length).
        const back = new RamoopsImage(region, { ...opts, ftraceWalk: 'correct' });
        const files = back.files();
        const dmesgZones = back.layout.dmesgCount;
        const dmesg = files.filter((f) => f.type === 'dmesg');
        assert.equal(dmesg.length, Math.min(c.dumps, dmesgZones));
        const notice = c.ecc ? '\nECC: No errors detected\n' : '';
        for (const f of dmesg) {
          const text = new TextDecoder('latin1').decode(f.content);
          assert.match(text, /^Oops#\d+ Part1\n/);
          assert.ok(text.endsWith(notice));
          assert.deepEqual(f.mtime, time);
          if (c.compress === 'none' && f.compressed === false) {
            // Uncompressed text: the newest lines, cut to the zone.
            assert.ok(f.content.length - notice.length <= back.layout.bufsize);
          }
        }
        const bufOf = (type: string) => files.find((f) => f.type === type);
        const tail = (all: number[], cap: number) => all.slice(Math.max(0, all.length - cap));
        const con = bufOf('console');
        const conCap = back.layout.zones.find((z) => z.type === 'console')!.geometry.dataSize;
        if (expectConsole.length) assert.deepEqual([...con!.content.subarray(0, con!.content.length - notice.length)], tail(expectConsole, conCap));
        else assert.equal(con, undefined);
        const pm = bufOf('pmsg');
        const pmCap = back.layout.zones.find((z) => z.type === 'pmsg')!.geometry.dataSize;
        if (expectPmsg.length) assert.deepEqual([...pm!.content.subarray(0, pm!.content.length - notice.length)], tail(expectPmsg, pmCap));
        else assert.equal(pm, undefined);
        const ft = bufOf('ftrace');
        if (c.ftrace) {
          const lines = new TextDecoder().decode(ft!.content).split('\n').filter(Boolean);
          const zoneCap = Math.floor(back.layout.zones.find((z) => z.type === 'ftrace')!.geometry.dataSize / 24);
          // Per CPU the newest records that fit; merged by timestamp.
          const kept = recs.filter((r) => recs.filter((q) => q.cpu === r.cpu && q.ts > r.ts).length < zoneCap);
          assert.deepEqual(
            lines,
            kept.map((r) => `CPU:${r.cpu} ts:${r.ts} ${r.ip.toString(16)}  ${r.parentIp.toString(16)}  0x${r.ip.toString(16)} <- 0x${r.parentIp.toString(16)}`),
          );
        } else assert.equal(ft, undefined);
        // Every zone the writer touched is ECC-clean and the kernel would change nothing on attach.
        for (const r of back.zones()) {
          if (r.attach.ecc) assert.equal(r.attach.ecc.badBlocks + r.attach.ecc.correctedBytes, 0, r.zone.label);
          assert.notEqual(r.attach.state, 'invalid');
          const again = attachPrz(region.read(r.zone.offset, r.zone.size), przOptions(back.layout, r.zone, back.backend.ftraceSig));
          assert.equal(again.state, r.attach.state);
        }
      },
    ),
    { numRuns: runs },
  );
});

test('rm erases exactly the named record', () => {
  const params = { mem_size: 0x10000, record_size: 0x2000, console_size: 0x1000, ftrace_size: 0, pmsg_size: 0x1000, ecc: 16 };
  const region = new MemoryRegion(new Uint8Array(params.mem_size));
  const img = createImage(region, { params });
  dumpToImage(img, { log: logLines(30, 1), reasons: [1, 2, 2], time: { sec: 1, nsec: 0 } });
  appendConsole(img, enc.encode('hello console\n'));
  const before = new RamoopsImage(region, { params }).files().map((f) => f.name);
  assert.deepEqual(before, ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2', 'console-ramoops-0']);
  removeRecord(new RamoopsImage(region, { params }), 'dmesg-ramoops-1');
  assert.deepEqual(new RamoopsImage(region, { params }).files().map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-2', 'console-ramoops-0']);
  assert.throws(() => removeRecord(new RamoopsImage(region, { params }), 'dmesg-ramoops-9'), /no record named/);
});
