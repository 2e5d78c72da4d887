/**
 * The differential tier (`npm run test:diff`): our Reed-Solomon decoder and
 * decompressors against the kernel's own C (linux-source-6.1) on the same
 * generated inputs. PSTORE_DIFF_INPUTS sets the inputs per decoder (default
 * 20000, about a minute in all; the README's figures used 1000000);
 * PSTORE_DIFF_SEED the campaign seed; PSTORE_DIFF_REPORT a JSON-lines file
 * for the figures. Any difference not documented in differential.ts fails,
 * with the first inputs printed for a regression test.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { runDifferential, type Decoder } from './differential.js';
import { KernelDecoders } from './kernelDriver.js';

const COUNT = Number(process.env.PSTORE_DIFF_INPUTS ?? 20000);
const SEED = Number(process.env.PSTORE_DIFF_SEED ?? 1);
let kernel: KernelDecoders;

before(() => {
  kernel = new KernelDecoders();
});
after(() => kernel.close());

const DECODERS: Array<[Decoder, string]> = [
  ['rs', 'decode_rs8 (lib/reed_solomon) as ram_core calls it: return value and corrected data'],
  ['inflate-6.1', "zlib_inflate as 6.1's crypto deflate calls it (raw, 11 window bits, Z_SYNC_FLUSH + one zero byte)"],
  ['inflate-6.6', 'zlib_inflate as 6.6+ pstore calls it (raw, 15 window bits, one Z_FINISH)'],
  ['lzo', 'lzo1x_decompress_safe (lib/lzo) as the crypto API calls it'],
  ['lz4', 'LZ4_decompress_safe (lib/lz4) as the crypto API calls it'],
];

for (const [decoder, what] of DECODERS) {
  test(`${decoder}: ${COUNT} inputs, same answers as ${what}`, { timeout: Infinity }, async (t) => {
    const t0 = Date.now();
    const r = await runDifferential(kernel, decoder, COUNT, SEED);
    const seconds = (Date.now() - t0) / 1000;
    t.diagnostic(`${decoder}: ${r.compared} compared in ${seconds.toFixed(0)} s, kernel accepted ${r.kernelAccepted}, documented ${JSON.stringify(r.documented)}, differences ${r.differences}`);
    if (process.env.PSTORE_DIFF_REPORT) appendFileSync(process.env.PSTORE_DIFF_REPORT, JSON.stringify({ seed: SEED, seconds, ...r, examples: r.examples.map((e) => e.index) }) + '\n');
    for (const e of r.examples) {
      t.diagnostic(`difference at index ${e.index}: op ${e.request.op} a=${e.request.a} b=${e.request.b} payload=${Buffer.from(e.request.payload).toString('base64')} kernel ret ${e.kernel.ret} (${e.kernel.out.length} bytes), ours ret ${e.ours.ret} (${e.ours.out.length} bytes)`);
    }
    assert.equal(r.compared, COUNT);
    assert.equal(r.differences, 0, `${r.differences} unexplained differences from the kernel`);
  });
}
