/**
 * Differential comparison of our decoders with the kernel's C on the same
 * inputs: Reed-Solomon decode_rs8 as ram_core calls it, zlib_inflate as
 * 6.1's crypto deflate and 6.6+'s pstore call it, lzo1x_decompress_safe and
 * LZ4_decompress_safe as the crypto API calls them. Inputs are generated
 * deterministically (seed, index) from real payloads and encoder output,
 * mutated by the fuzz campaign's operators.
 *
 * Compared: RS — return value (corrected count or -EBADMSG) and every data
 * and parity byte afterwards; decompressors — accepted or not, and the bytes
 * on success. Where the kernel rejects, only its verdict is visible to pstore
 * (the crypto API turns every failure into -EINVAL), so codes are not compared.
 */
import { deflateRawSync, constants as Z } from 'node:zlib';
import { reedSolomon, RS_UNCORRECTABLE, EBADMSG } from '../../src/ecc/index.js';
import { deflateDecompress } from '../../src/core/compress/deflate.js';
import { inflateRaw, InflateFail, looksLikeZlib } from '../../src/core/compress/inflate.js';
import { lzo1xCompress, lzo1xDecompress } from '../../src/core/compress/lzo.js';
import { lz4CompressBlock, lz4DecompressBlock, lz4hcCompressBlock } from '../../src/core/compress/lz4.js';
import { DecompressError } from '../../src/errors.js';
import { inputSeed, mutate, Rng } from '../../fuzz/mutate.js';
import { allSeeds } from '../../fuzz/seeds.js';
import { KernelDecoders, Op, type Request, type Response } from './kernelDriver.js';

export type Decoder = 'rs' | 'inflate-6.1' | 'inflate-6.6' | 'lzo' | 'lz4';

export interface DiffCase {
  request: Request;
  /** Our answer in the kernel's terms. */
  ours: () => Response;
  /** Names a documented difference for this input given the kernel's answer, or null. */
  explain?: (kernel: Response, ours: Response) => string | null;
}

export interface DiffResult {
  decoder: Decoder;
  compared: number;
  /** Inputs the kernel accepted (decoded, or RS: corrected or clean). */
  kernelAccepted: number;
  /** Documented differences by name (each a quirk we reproduce on purpose or an extension). */
  documented: Record<string, number>;
  /** Unexplained differences (first few kept with their inputs). */
  differences: number;
  examples: Array<{ index: number; request: Request; kernel: Response; ours: Response }>;
}

const enc = new TextEncoder();
const sample = (rng: Rng): Uint8Array => {
  const lines: string[] = [];
  const n = 1 + rng.int(rng.chance(0.2) ? 2000 : 200);
  for (let i = 0; i < n; i++) {
    const kind = rng.int(4);
    if (kind === 0) lines.push(`<${rng.int(8)}>[${rng.int(100000)}.${rng.int(1e6)}] ${'abcdefgh'.repeat(1 + rng.int(8))}\n`);
    else if (kind === 1) lines.push(`Call Trace: ${rng.u32().toString(16)} ${rng.u32().toString(16)}\n`);
    else if (kind === 2) lines.push(String.fromCharCode(...rng.bytes(1 + rng.int(40))));
    else lines.push('x'.repeat(rng.int(300)));
  }
  return enc.encode(lines.join(''));
};

// ---------------------------------------------------------------- Reed-Solomon

const RS_ROOTS = [16, 16, 16, 8, 32, 64, 4, 2, 128, 200];

function rsCase(rng: Rng): DiffCase {
  const nroots = rng.pick(RS_ROOTS);
  const maxLen = 255 - nroots;
  const len = rng.chance(0.5) ? Math.min(128, maxLen) : rng.chance(0.3) ? Math.min(12, maxLen) : 1 + rng.int(maxLen);
  const rs = reedSolomon(nroots);
  const block = new Uint8Array(len + nroots);
  block.set(rng.chance(0.1) ? new Uint8Array(len) : rng.bytes(len));
  rs.encode(block, 0, len, block, len);
  if (rng.chance(0.03)) block.set(rng.bytes(nroots), len);
  // Errors: mostly within capacity (nroots / 2), sometimes just beyond, sometimes far beyond.
  const t = nroots >> 1;
  const r = rng.int(10);
  const k = r < 6 ? rng.int(t + 1) : r < 9 ? t + 1 + rng.int(2) : rng.int(Math.min(len + nroots, 2 * nroots) + 1);
  for (let i = 0; i < k; i++) block[rng.int(len + nroots)] ^= 1 + rng.int(255);
  const payload = block;
  return {
    request: { op: Op.Rs, a: nroots, b: len, payload },
    ours: () => {
      const b = payload.slice();
      const ret = rs.decode(b, 0, len, b, len);
      return { ret: ret === RS_UNCORRECTABLE ? -EBADMSG : ret, aux1: len, aux2: 0, out: b };
    },
  };
}

// ---------------------------------------------------------------- inflate

interface PayloadSeed {
  bytes: Uint8Array;
  /** Its decompressed length (for boundary output limits). */
  plainLength: number;
}

let deflateSeeds: PayloadSeed[] | null = null;
function deflateSeedList(): PayloadSeed[] {
  if (deflateSeeds) return deflateSeeds;
  const out: PayloadSeed[] = [];
  for (const s of allSeeds()) {
    if (s.ctx.kind !== 'payload' || s.ctx.algorithm !== 'deflate') continue;
    try {
      out.push({ bytes: s.bytes, plainLength: inflateRaw(s.bytes, 1 << 24).data.length });
    } catch {
      out.push({ bytes: s.bytes, plainLength: 0x10000 }); // the synthetic fixture's bad stream: a seed all the same
    }
  }
  const rng = new Rng(0xdef1a7e);
  const strategies = [Z.Z_DEFAULT_STRATEGY, Z.Z_FILTERED, Z.Z_HUFFMAN_ONLY, Z.Z_RLE, Z.Z_FIXED];
  for (let i = 0; i < 60; i++) {
    const plain = sample(rng);
    const bytes = new Uint8Array(
      deflateRawSync(plain, { level: rng.pick([0, 1, 6, 9]), windowBits: rng.pick([9, 11, 15]), memLevel: rng.pick([1, 8, 9]), strategy: rng.pick(strategies) }),
    );
    out.push({ bytes, plainLength: plain.length });
  }
  deflateSeeds = out;
  return out;
}

function outputLimit(rng: Rng, plainLength: number): number {
  switch (rng.int(6)) {
    case 0:
      return plainLength;
    case 1:
      return Math.max(0, plainLength - 1 - rng.int(3));
    case 2:
      return plainLength + 1;
    case 3:
      return 1 + rng.int(Math.max(1, plainLength));
    default:
      return Math.max(plainLength * 2, 0x10000);
  }
}

function mutatedPayload(rng: Rng, seeds: readonly PayloadSeed[]): { bytes: Uint8Array; limit: number } {
  const seed = rng.pick(seeds);
  const limit = outputLimit(rng, seed.plainLength);
  if (rng.int(10) === 0) return { bytes: seed.bytes, limit };
  return { bytes: mutate(rng, seed.bytes, { fields: [], other: () => rng.pick(seeds).bytes }).bytes, limit };
}

function ourInflate(src: Uint8Array, limit: number, modern: boolean): Response {
  try {
    const data = deflateDecompress(src, limit, { zeroByteRetry: !modern });
    return { ret: 0, aux1: 0, aux2: 0, out: data };
  } catch (e) {
    if (!(e instanceof DecompressError)) throw e;
    return { ret: -22, aux1: 0, aux2: 0, out: new Uint8Array(0) };
  }
}

/** Did our reader accept only through a path the compared kernel does not have? */
function inflateExplain(src: Uint8Array, limit: number, modern: boolean): (k: Response, o: Response) => string | null {
  return (k, o) => {
    if (k.ret === 0 || o.ret !== 0) return null;
    let rawOk = false;
    let truncated = false;
    try {
      inflateRaw(src, limit);
      rawOk = true;
    } catch (e) {
      if (!(e instanceof InflateFail)) throw e;
      truncated = e.truncated;
    }
    // Records of pstore 3.11-4.18 are zlib-wrapped; we read them, these kernels do not.
    if (!rawOk && looksLikeZlib(src) && !truncated) return 'zlib-wrapped record (pstore 3.11-4.18) read by us only';
    if (!rawOk && looksLikeZlib(src)) return 'zlib-wrapped record (pstore 3.11-4.18) read by us only';
    return null;
  };
}

function inflateCase(rng: Rng, modern: boolean): DiffCase {
  const { bytes, limit } = mutatedPayload(rng, deflateSeedList());
  return {
    request: { op: modern ? Op.Inflate66 : Op.Inflate61, a: 0, b: limit, payload: bytes },
    ours: () => ourInflate(bytes, limit, modern),
    explain: inflateExplain(bytes, limit, modern),
  };
}

// ---------------------------------------------------------------- LZO, LZ4

function codecSeeds(algorithm: 'lzo' | 'lz4', compress: Array<(s: Uint8Array, max: number) => Uint8Array | null>, decompress: (s: Uint8Array, max: number) => Uint8Array): PayloadSeed[] {
  const out: PayloadSeed[] = [];
  for (const s of allSeeds()) {
    if (s.ctx.kind !== 'payload' || !(s.ctx.algorithm === algorithm || (algorithm === 'lz4' && s.ctx.algorithm === 'lz4hc'))) continue;
    try {
      out.push({ bytes: s.bytes, plainLength: decompress(s.bytes, 1 << 24).length });
    } catch {
      out.push({ bytes: s.bytes, plainLength: 0x10000 });
    }
  }
  const rng = new Rng(algorithm === 'lzo' ? 0x1a0 : 0x1a4);
  for (let i = 0; i < 60; i++) {
    const plain = sample(rng);
    const c = rng.pick(compress)(plain, 1 << 24);
    if (c) out.push({ bytes: c, plainLength: plain.length });
  }
  return out;
}

let lzoSeeds: PayloadSeed[] | null = null;
let lz4Seeds: PayloadSeed[] | null = null;

function verdictOf(f: () => Uint8Array): Response {
  try {
    const out = f();
    return { ret: 0, aux1: 0, aux2: 0, out };
  } catch (e) {
    if (!(e instanceof DecompressError)) throw e;
    return { ret: -1, aux1: 0, aux2: 0, out: new Uint8Array(0) };
  }
}

function lzoCase(rng: Rng): DiffCase {
  lzoSeeds ??= codecSeeds('lzo', [lzo1xCompress], lzo1xDecompress);
  const { bytes, limit } = mutatedPayload(rng, lzoSeeds);
  return { request: { op: Op.Lzo, a: 0, b: limit, payload: bytes }, ours: () => verdictOf(() => lzo1xDecompress(bytes, limit)) };
}

function lz4Case(rng: Rng): DiffCase {
  lz4Seeds ??= codecSeeds('lz4', [lz4CompressBlock, lz4hcCompressBlock], (s, m) => lz4DecompressBlock(s, m));
  const { bytes, limit } = mutatedPayload(rng, lz4Seeds);
  return {
    request: { op: Op.Lz4, a: 0, b: limit, payload: bytes },
    ours: () => verdictOf(() => lz4DecompressBlock(bytes, limit)),
  };
}


// ---------------------------------------------------------------- comparison

const CASES: Record<Decoder, (rng: Rng) => DiffCase> = {
  rs: rsCase,
  'inflate-6.1': (rng) => inflateCase(rng, false),
  'inflate-6.6': (rng) => inflateCase(rng, true),
  lzo: lzoCase,
  lz4: lz4Case,
};
const DECODER_IDS: Record<Decoder, number> = { rs: 101, 'inflate-6.1': 102, 'inflate-6.6': 103, lzo: 104, lz4: 105 };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Kernel and ours agree when both accept with the same bytes, or both reject (RS: same return value and bytes). */
function agree(decoder: Decoder, k: Response, o: Response): boolean {
  // RS: ram_core hands decode_rs8 a copy of the parity and discards it, so only the data bytes are visible.
  if (decoder === 'rs') return k.ret === o.ret && sameBytes(k.out.subarray(0, k.out.length - (o.out.length - o.aux1)), o.out.subarray(0, o.aux1));
  const kOk = decoder === 'lz4' ? k.ret >= 0 : k.ret === 0;
  const oOk = o.ret === 0;
  if (kOk !== oOk) return false;
  return !kOk || sameBytes(k.out, o.out);
}

/** Runs `count` inputs (indexes start..start+count) through both sides. */
export async function runDifferential(kernel: KernelDecoders, decoder: Decoder, count: number, seed = 1, start = 0, batch = 2048): Promise<DiffResult> {
  const result: DiffResult = { decoder, compared: 0, kernelAccepted: 0, documented: {}, differences: 0, examples: [] };
  for (let i = start; i < start + count; i += batch) {
    const n = Math.min(batch, start + count - i);
    const cases: DiffCase[] = [];
    for (let j = 0; j < n; j++) cases.push(CASES[decoder](new Rng(inputSeed(seed, DECODER_IDS[decoder], i + j))));
    const answers = await kernel.run(cases.map((c) => c.request));
    for (let j = 0; j < n; j++) {
      const k = answers[j];
      const o = cases[j].ours();
      result.compared++;
      if (decoder === 'rs' ? k.ret >= 0 : decoder === 'lz4' ? k.ret >= 0 : k.ret === 0) result.kernelAccepted++;
      if (agree(decoder, k, o)) continue;
      const why = cases[j].explain?.(k, o) ?? null;
      if (why) {
        result.documented[why] = (result.documented[why] ?? 0) + 1;
        continue;
      }
      result.differences++;
      if (result.examples.length < 5) result.examples.push({ index: i + j, request: cases[j].request, kernel: k, ours: o });
    }
  }
  return result;
}
