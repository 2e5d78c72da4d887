/**
 * Decompression throughput on the real 6.1 records (about 18 KB of text
 * each), with node:zlib's C inflate as the baseline for deflate and fflate's
 * JS inflate as a second reference.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { inflateSync } from 'fflate';
import { getCompressor, initZstd } from '../src/core/compress/registry.js';
import type { CompressorName } from '../src/core/compress/types.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { type BenchCase, opsPerSecond } from './harness.js';

function payload(alg: string): { z: Uint8Array; n: number } {
  const img = new Uint8Array(readFileSync(fixturePath('kernel-6.1-full', `compress-${alg}`, 'image.bin')));
  const size = new DataView(img.buffer).getUint32(8, true);
  const data = img.subarray(12, 12 + size);
  const z = data.subarray(data.indexOf(10) + 1);
  return { z, n: readFileSync(fixturePath('kernel-6.1-full', `compress-${alg}`, 'expected', 'dmesg-ramoops-0')).length };
}

const mbps = (ops: number, n: number): number => Math.round((ops * n) / 1e4) / 100;

/**
 * Ours and the reference measured in turns, best of `rounds` each: on a busy
 * machine one sequential pair can differ by 2x from load alone.
 */
function paired(ours: () => void, ref: () => void, rounds = 3): [number, number] {
  let a = 0;
  let b = 0;
  for (let i = 0; i < rounds; i++) {
    a = Math.max(a, opsPerSecond(ours, 200));
    b = Math.max(b, opsPerSecond(ref, 200));
  }
  return [a, b];
}

const cases: BenchCase[] = (['deflate', 'lzo', 'lz4', 'zstd', '842'] as CompressorName[]).map((alg) => ({
  name: `decompress ${alg} (6.1 record)`,
  run: async () => {
    await initZstd();
    const { z, n } = payload(alg);
    const c = getCompressor(alg);
    if (alg === 'deflate') {
      const [ours, zlib] = paired(() => c.decompress(z, 1 << 20), () => inflateRawSync(z));
      return { name: `decompress ${alg} (6.1 record)`, unit: 'MB/s out', value: mbps(ours, n), baseline: { name: 'node:zlib inflateRawSync', value: mbps(zlib, n) } };
    }
    return { name: `decompress ${alg} (6.1 record)`, unit: 'MB/s out', value: mbps(opsPerSecond(() => c.decompress(z, 1 << 20)), n) };
  },
}));

cases.push({
  name: 'decompress deflate vs fflate',
  run: () => {
    const { z, n } = payload('deflate');
    const [ours, fflate] = paired(() => getCompressor('deflate').decompress(z, 1 << 20), () => inflateSync(z));
    return { name: 'decompress deflate vs fflate', unit: 'MB/s out', value: mbps(ours, n), baseline: { name: 'fflate inflateSync', value: mbps(fflate, n) } };
  },
});

const text = new TextEncoder().encode(readFileSync(fixturePath('kernel-6.1-full', 'compress-lz4', 'expected', 'dmesg-ramoops-0'), 'utf8'));
for (const alg of ['lzo', 'lz4', 'lz4hc', 'zstd'] as CompressorName[]) {
  cases.push({
    name: `compress ${alg} (18 KB log)`,
    run: async () => {
      await initZstd();
      const c = getCompressor(alg);
      return { name: `compress ${alg} (18 KB log)`, unit: 'MB/s in', value: mbps(opsPerSecond(() => c.compress(text, 1 << 20)), text.length) };
    },
  });
}

export default cases;
