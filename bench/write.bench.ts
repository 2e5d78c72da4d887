/**
 * The write path: console appends (persistent_ram_write with ECC) and one
 * full dmesg dump. Baselines in the same process: the same bytes copied into
 * a plain ring without ECC.
 */
import { MemoryRegion } from '../src/region/region.js';
import { createImage } from '../src/api/writeImage.js';
import { LogBuffer, loadLog, DumperRegistry } from '../src/frontends/index.js';
import { Pstore } from '../src/core/platform.js';
import { PersistentRamZone } from '../src/zone/persistentRamZone.js';
import { opsPerSecond, type BenchCase } from './harness.js';

const line = new TextEncoder().encode('[   12.345678] console line of exactly sixty-four bytes........\n'.slice(0, 64));

function consoleZone(ecc: number): PersistentRamZone {
  const size = 0x40000;
  const region = new MemoryRegion(new Uint8Array(size));
  const z = new PersistentRamZone(region, 0, size, { sig: 0, eccSize: ecc, littleEndian: true, emptyRule: 'size-and-start', zapOld: true, label: 'ramoops:console' });
  z.format();
  return z;
}

function logOf(bytes: number): string {
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `<6>[${String(Math.floor(i / 100)).padStart(5)}.${String((i * 104729) % 1e6).padStart(6, '0')}] filler line ${i} the quick brown fox jumps over the lazy dog\n`;
  return s;
}

const cases: BenchCase[] = [
  {
    name: 'console-write-64B-ecc16',
    run() {
      const z = consoleZone(16);
      const value = opsPerSecond(() => z.write(line), 600);
      const plain = consoleZone(0);
      const baseline = opsPerSecond(() => plain.write(line), 600);
      return { name: 'console-write-64B-ecc16', unit: 'lines/s', value, baseline: { name: 'same zone without ECC', value: baseline } };
    },
  },
  {
    name: 'dump-64KiB-ecc16',
    run() {
      const params = { mem_size: 0x40000, record_size: 0x10000, console_size: 0, ftrace_size: 0, pmsg_size: 0, ecc: 16 };
      const region = new MemoryRegion(new Uint8Array(params.mem_size));
      const img = createImage(region, { params });
      const log = new LogBuffer();
      loadLog(log, logOf(200_000));
      const pstore = new Pstore(img.backend, { compress: 'none', kernel: img.layout.kernel, kmsgBytes: 0x10000 });
      const reg = new DumperRegistry(log);
      reg.register(pstore);
      const perSec = opsPerSecond(() => reg.kmsgDump(1), 800);
      // Baseline: formatting the same 64 KiB of log without ECC or zone writes.
      const reg2 = new DumperRegistry(log);
      const buf = new Uint8Array(0x10000);
      reg2.register({ dump: (_r, iter) => void iter.getBuffer(true, buf) });
      const basePerSec = opsPerSecond(() => reg2.kmsgDump(1), 800);
      return { name: 'dump-64KiB-ecc16', unit: 'ms', value: 1000 / perSec, baseline: { name: 'kmsg_dump_get_buffer alone', value: 1000 / basePerSec } };
    },
  },
];

export default cases;
