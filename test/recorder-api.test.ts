import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { openImageFile } from '../src/node/fileRegion.js';
import { MemoryRegion, WindowRegion, type Region } from '../src/region/region.js';
import { loadMmapBinding, openMmapRegion } from '../src/node/mmapRegion.js';
import { PersistentRamZone } from '../src/zone/persistentRamZone.js';
import { ramoopsLayout } from '../src/backends/ramoops/layout.js';
import { przOptions } from '../src/backends/ramoops/ramoops.js';
import { ConsoleZoneWriter } from '../src/recorder/consoleWriter.js';
import { isKernelSpace } from '../src/recorder/deflate.js';
import { nodeDeflate } from '../src/node/deflate.js';
import {
  acceptWorkerLogs,
  ImageLockedError,
  KMSG_DUMP_OOPS,
  KMSG_DUMP_PANIC,
  KMSG_DUMP_SHUTDOWN,
  makeRecorderImage,
  openRecorder,
  pstoreDestination,
  recorderParams,
} from '../src/recorder/index.js';
import { fixturePath } from './helpers/fixtures.js';
import { LayoutError, UsageError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'pstore-recorder-api-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(dir, `img-${n++}.bin`);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const clock = () => ({ sec: 1704067200, nsec: 5000 });

function readBack(path: string, params = recorderParams()): RamoopsImage {
  return new RamoopsImage(openImageFile(path), { params });
}

test('a kernel fixture image is refused (foreign layout), and left byte-for-byte untouched', () => {
  const path = fresh();
  copyFileSync(fixturePath('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin'), path);
  const before = readFileSync(path);
  // Same size as the image but a different zone map: signatures are not where this layout puts them.
  const size = before.length;
  assert.throws(() => openRecorder(path, { params: { mem_size: size, record_size: 0x2000, console_size: 0x4000, pmsg_size: 0x2000, ecc: 16 } }), (e: unknown) => e instanceof LayoutError && /does not match the recorder layout/.test((e as Error).message) && /overwrite: true/.test((e as Error).message));
  assert.throws(() => openRecorder(path), /bytes but this layout needs/);
  assert.deepEqual(readFileSync(path), before);
  assert.equal(statSync(`${path}`).size, size);
  // With the kernel's own parameters it attaches like the kernel and shows what the kernel showed.
  const params = JSON.parse(readFileSync(fixturePath('kernel-6.1-full', 'console-pmsg-ecc16', 'params.json'), 'utf8')).ramoops;
  const rec = openRecorder(path, { params: { mem_size: Number(params.mem_size), record_size: Number(params.record_size), console_size: Number(params.console_size), pmsg_size: Number(params.pmsg_size), ftrace_size: 0, ecc: 16 } });
  const names = rec.previous().map((p) => p.name);
  rec.close();
  assert.ok(names.includes('console-ramoops-0') && names.includes('dmesg-ramoops-0'), names.join(','));
  const expectedConsole = readFileSync(fixturePath('kernel-6.1-full', 'console-pmsg-ecc16', 'expected', 'console-ramoops-0'));
  const img = readBack(path, { mem_size: Number(params.mem_size), record_size: Number(params.record_size), console_size: Number(params.console_size), pmsg_size: Number(params.pmsg_size), ftrace_size: 0, ecc: 16, max_reason: 2 });
  // Attaching zapped the console zone, as the kernel does: nothing to show next time.
  assert.equal(img.files().find((f) => f.name === 'console-ramoops-0'), undefined);
  assert.ok(expectedConsole.length > 0);
});

test('overwrite reformats a foreign image of the right size; a larger file is never shrunk', () => {
  const path = fresh();
  const size = recorderParams().mem_size;
  writeFileSync(path, Buffer.alloc(size, 0x5a));
  assert.throws(() => openRecorder(path), /no zone signature/);
  const rec = openRecorder(path, { overwrite: true });
  assert.deepEqual(rec.previous(), []);
  rec.close();
  assert.deepEqual(readBack(path).files(), []);
  const big = fresh();
  writeFileSync(big, Buffer.alloc(size + 4096));
  assert.throws(() => openRecorder(big, { overwrite: true }), /refusing to shrink/);
  assert.equal(statSync(big).size, size + 4096);
});

test('lifecycle: lines, pmsg and a Panic dump; reopening reports them as previous() and resets console and pmsg like the kernel', () => {
  const path = fresh();
  const rec = openRecorder(path, { clock, uptimeNs: (() => { let t = 1e9; return () => (t += 1e6); })() });
  assert.equal(statSync(path).size, recorderParams().mem_size);
  rec.log('info', 'service started');
  rec.log('warn', 'disk almost full');
  rec.console.write('raw stdout bytes\n');
  rec.pmsg.write(new Uint8Array([0, 1, 2, 255]));
  assert.equal(rec.dump(KMSG_DUMP_SHUTDOWN), false, 'max_reason 2 refuses Shutdown');
  assert.equal(rec.dump(KMSG_DUMP_PANIC), true);
  assert.throws(() => openRecorder(path), ImageLockedError);
  rec.close();
  assert.throws(() => rec.log(6, 'x'), /closed/);

  const rec2 = openRecorder(path, { clock });
  const prev = rec2.previous();
  const byName = new Map(prev.map((p) => [p.name, p]));
  const panic = byName.get('dmesg-ramoops-0')!;
  assert.equal(panic.reason, KMSG_DUMP_PANIC);
  assert.equal(panic.reasonName, 'Panic');
  assert.equal(panic.count, 1);
  assert.deepEqual(panic.time, { sec: 1704067200, nsec: 5000 - (5000 % 1000) });
  assert.equal(panic.text, 'Panic#1 Part1\n<14>[    1.001000] service started\n<12>[    1.002000] disk almost full\n<14>[    1.003000] raw stdout bytes\n');
  assert.equal(byName.get('console-ramoops-0')!.text, '[    1.001000] service started\n[    1.002000] disk almost full\nraw stdout bytes\n');
  assert.deepEqual([...byName.get('pmsg-ramoops-0')!.bytes], [0, 1, 2, 255]);
  assert.deepEqual(panic.ecc, { corrected: 0, bad: 0 });
  rec2.log(6, 'second run');
  rec2.dump(KMSG_DUMP_OOPS);
  rec2.close();
  // Second run: dump_write_cnt restarts at zone 0 (the kernel overwrites -0); console shows only the new run.
  const files = readBack(path).files();
  assert.deepEqual(files.map((f) => f.name), ['dmesg-ramoops-0', 'console-ramoops-0']);
  assert.match(dec(files[0].content), /^Oops#1 Part1\n<14>\[\s*\d+\.\d{6}\] second run\n\nECC: No errors detected\n$/);
  assert.match(dec(files[1].content), /^\[\s*\d+\.\d{6}\] second run\n\nECC: No errors detected\n$/);
});

test('extract-equivalent: previous() and RamoopsImage.files() agree on every record of a fixture image made by the recorder', () => {
  const path = fresh();
  const info = makeRecorderImage(path, { lines: ['alpha', [3, 'bravo error'], 'charlie'], pmsg: 'pmsg event', console: 'tail without newline' });
  assert.match(info.cmdline(0x100000), /ramoops.mem_size=0x90000 ramoops.record_size=0x10000 ramoops.console_size=0x40000 ramoops.ftrace_size=0x0 ramoops.pmsg_size=0x10000 ramoops.ecc=16 ramoops.max_reason=2/);
  const files = readBack(path).files();
  const rec = openRecorder(path);
  const prev = rec.previous();
  rec.close();
  assert.deepEqual(prev.map((p) => p.name), files.map((f) => f.name));
  for (const [i, f] of files.entries()) {
    const notice = f.record.eccNotice;
    assert.equal(dec(f.content), prev[i].text + notice);
  }
  assert.equal(prev[0].text, 'Panic#1 Part1\n<14>[    1.001000] alpha\n<11>[    1.002000] bravo error\n<14>[    1.003000] charlie\n<14>[    1.004000] tail without newline\n');
  assert.deepEqual(prev[0].time, { sec: 1704067200, nsec: 0 });
});

test('ConsoleZoneWriter leaves exactly the bytes PersistentRamZone (persistent_ram_write) leaves, for any write sequence, in place (memory, mapping) and by positioned writes', () => {
  const params = { ...recorderParams(), console_size: 0x1000, record_size: 0x1000, pmsg_size: 0x1000, mem_size: 0x3000 };
  const mapped = join(dir, 'console-writer.map');
  writeFileSync(mapped, new Uint8Array(params.mem_size));
  const mmap = openMmapRegion(mapped, { write: true });
  const kinds = ['memory', 'window', ...(mmap ? ['mmap'] : [])] as const;
  for (const ecc of [16, 0, 8]) {
    const layout = ramoopsLayout({ params: { ...params, ecc }, kernel: '6.1' });
    const zone = layout.zones.find((z) => z.type === 'console')!;
    const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 }));
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.array(fc.oneof(text, fc.uint8Array({ maxLength: 5000 })), { maxLength: 40 }), (kind, writes) => {
        const a = new MemoryRegion(new Uint8Array(params.mem_size));
        const mem = new MemoryRegion(new Uint8Array(params.mem_size));
        // WindowRegion has no addressable bytes: the positioned-write path.
        const b: Region = kind === 'mmap' ? mmap! : kind === 'window' ? new WindowRegion(mem, 0, params.mem_size) : mem;
        b.write(0, new Uint8Array(params.mem_size));
        new PersistentRamZone(a, zone.offset, zone.size, przOptions(layout, zone, 0)).format();
        new PersistentRamZone(b, zone.offset, zone.size, przOptions(layout, zone, 0)).format();
        const ref = new PersistentRamZone(a, zone.offset, zone.size, przOptions(layout, zone, 0));
        const ours = new ConsoleZoneWriter(b, zone, przOptions(layout, zone, 0));
        assert.equal(ours.inPlace, kind !== 'window');
        for (const w of writes) {
          const bytes = typeof w === 'string' ? new TextEncoder().encode(w) : w;
          if (bytes.length) ref.write(bytes);
          if (typeof w === 'string') assert.deepEqual(ours.encoded.subarray(0, ours.writeEncoded(w)), bytes);
          else ours.write(w);
        }
        assert.deepEqual(b.read(0, params.mem_size), a.bytes);
      }),
      { numRuns: 60 },
    );
  }
  mmap?.close();
});

test('io mmap and io pwrite leave byte-identical images for the same run (lines, raw writes, pmsg, wrap, dump)', { skip: loadMmapBinding() ? false : 'mmap addon not built' }, () => {
  const paths = { mmap: fresh(), pwrite: fresh() };
  for (const io of ['mmap', 'pwrite'] as const) {
    let t = 1_000_000_000;
    const rec = openRecorder(paths[io], { io, clock, uptimeNs: () => (t += 1_234_567), params: { console_size: 0x2000 } });
    assert.equal(rec.io, io);
    for (let i = 0; i < 400; i++) {
      if (i % 3) rec.log(i % 8, `line ${i} ${'é'.repeat(i % 7)}`);
      else rec.console.write(i % 2 ? `raw ${i}\npartial ` : new TextEncoder().encode(`bytes ${i}\n`));
      if (i % 50 === 0) rec.pmsg.write(`event ${i}`);
    }
    rec.dump(KMSG_DUMP_PANIC);
    rec.close();
  }
  assert.deepEqual(readFileSync(paths.mmap), readFileSync(paths.pwrite));
  // And a second run attaches to the mapped image like to any other.
  const again = openRecorder(paths.mmap, { io: 'mmap', params: { console_size: 0x2000 } });
  assert.deepEqual(again.previous().map((p) => p.name).sort(), ['console-ramoops-0', 'dmesg-ramoops-0', 'pmsg-ramoops-0']);
  assert.ok(again.previous().some((p) => p.name === 'dmesg-ramoops-0' && p.text.startsWith('Panic#1 Part1\n')));
  again.close();
});

test('io option: pwrite is honoured, a bad value is a UsageError', () => {
  const rec = openRecorder(fresh(), { io: 'pwrite' });
  assert.equal(rec.io, 'pwrite');
  rec.close();
  assert.throws(() => openRecorder(fresh(), { io: 'fast' as 'mmap' }), UsageError);
  const auto = openRecorder(fresh());
  assert.equal(auto.io, loadMmapBinding() ? 'mmap' : 'pwrite');
  auto.close();
});

test('dump compressor: never starts a record with a byte the kernel header parser skips, and still inflates', () => {
  const c = nodeDeflate('6.1');
  let fixedUp = 0;
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 400 }), (s) => {
      const src = new TextEncoder().encode(`Panic#1 Part1\n${s}`);
      const out = c.compress(src, 4096);
      assert.ok(out);
      assert.ok(!isKernelSpace(out[0]), `first byte 0x${out[0].toString(16)}`);
      if (out[0] === 0) fixedUp++;
      assert.deepEqual(new Uint8Array(inflateRawSync(out)), src);
      assert.deepEqual(c.decompress(out, 8192), src);
    }),
    { numRuns: 200 },
  );
  assert.ok(fixedUp > 0, 'the fix-up path ran');
});

test('log buffer: partial writes are joined into one line (at the most severe level of its pieces); levels and facility land in the dump prefix', () => {
  const path = fresh();
  const rec = openRecorder(path, { compress: 'none', clock, uptimeNs: () => 2_500_000_000 });
  rec.console.write('par');
  rec.console.write(new TextEncoder().encode('tial line\nnext'), 'err');
  rec.console.write('\n');
  rec.log(0, 'multi\nline');
  rec.dump(KMSG_DUMP_PANIC);
  rec.close();
  const f = readBack(path).file('dmesg-ramoops-0');
  assert.equal(f.compressed, false);
  assert.equal(dec(f.content), 'Panic#1 Part1\n<11>[    2.500000] partial line\n<11>[    2.500000] next\n<8>[    2.500000] multi\n<8>[    2.500000] line\n\nECC: No errors detected\n');
});

test('a second open from a worker thread of the same process gets a clear lock error; worker lines reach the image through the main thread', async () => {
  const path = fresh();
  const rec = openRecorder(path, { compress: 'none' });
  const stop = acceptWorkerLogs(rec);
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    require('tsx/cjs');
    const { openRecorder, workerLogger } = require(workerData.index);
    let msg = 'opened';
    try { openRecorder(workerData.path); } catch (e) { msg = e.name + ': ' + e.message; }
    const w = workerLogger();
    w.log(6, 'from the worker');
    w.close();
    parentPort.postMessage(msg);`;
  const worker = new Worker(src, { eval: true, workerData: { path, index: new URL('../src/recorder/index.ts', import.meta.url).pathname } });
  const msg = await new Promise<string>((res, rej) => {
    worker.on('message', res);
    worker.on('error', rej);
  });
  await new Promise((r) => worker.on('exit', r));
  await new Promise((r) => setTimeout(r, 50));
  assert.match(msg, /^ImageLockedError: '.*' is open for writing by this process \(pid \d+, another thread\)/);
  stop();
  rec.close();
  const con = dec(readBack(path).file('console-ramoops-0').content);
  assert.match(con, /\] from the worker\n/);
});

test('pino destination: lines go to the console zone with pino levels mapped to syslog, and are forwarded', () => {
  const path = fresh();
  const rec = openRecorder(path, { compress: 'none', clock });
  const forwarded: string[] = [];
  const dest = pstoreDestination({ recorder: rec, forward: { write: (s: string) => forwarded.push(s) } });
  dest.write('{"level":30,"time":1,"msg":"hello"}\n');
  dest.write('{"level":50,"time":2,"msg":"failed"}\n');
  dest.write('{"level":60,"time":3,"msg":"fatal"}\n');
  rec.dump(KMSG_DUMP_PANIC);
  rec.close();
  assert.equal(forwarded.length, 3);
  const img = readBack(path);
  assert.equal(dec(img.file('console-ramoops-0').content), `${forwarded.join('')}\nECC: No errors detected\n`);
  const dmesg = dec(img.file('dmesg-ramoops-0').content);
  assert.match(dmesg, /<14>\[[^\]]+\] \{"level":30.*\n<11>\[[^\]]+\] \{"level":50.*\n<8>\[[^\]]+\] \{"level":60/);
});

test('crash hooks install and uninstall cleanly', () => {
  const path = fresh();
  const rec = openRecorder(path, { params: { max_reason: 4 } });
  const before = [process.listenerCount('uncaughtExceptionMonitor'), process.listenerCount('SIGTERM'), process.listenerCount('exit')];
  const off = rec.installCrashHooks();
  assert.deepEqual([process.listenerCount('uncaughtExceptionMonitor'), process.listenerCount('SIGTERM'), process.listenerCount('exit')], before.map((x) => x + 1));
  off();
  assert.deepEqual([process.listenerCount('uncaughtExceptionMonitor'), process.listenerCount('SIGTERM'), process.listenerCount('exit')], before);
  rec.installCrashHooks();
  rec.close(); // close uninstalls too
  assert.deepEqual([process.listenerCount('uncaughtExceptionMonitor'), process.listenerCount('SIGTERM'), process.listenerCount('exit')], before);
  const quiet = openRecorder(fresh());
  quiet.installCrashHooks();
  assert.equal(process.listenerCount('SIGTERM'), before[1], 'max_reason 2: no signal handler, Node keeps its default');
  quiet.close();
});

test('previous(): an empty record ends the records as in Linux (pstore_get_backend_records); zones after it are not zapped on attach', async () => {
  const { handmadeHeaderOnly } = await import('./helpers/handmade.js');
  const h = handmadeHeaderOnly(16);
  const path = fresh();
  writeFileSync(path, h.image);
  const rec = openRecorder(path, { params: h.params, io: 'pwrite' });
  assert.deepEqual(
    rec.previous().map((p) => p.name),
    ['dmesg-ramoops-0'],
  );
  rec.close();
  // dmesg zone 3 holds no record header, but the kernel's read never reaches it: it keeps its bytes.
  const z3 = new RamoopsImage(new MemoryRegion(h.image.slice()), { params: h.params }).layout.zones.find((z) => z.type === 'dmesg' && z.index === 3)!;
  assert.deepEqual(readFileSync(path).subarray(z3.offset, z3.offset + z3.size), Buffer.from(h.image.subarray(z3.offset, z3.offset + z3.size)));
});
