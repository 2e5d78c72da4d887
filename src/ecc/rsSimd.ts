/**
 * Reed-Solomon parity in WebAssembly SIMD, for up to 64 roots (the parity
 * register is 1, 2 or 4 v128 values). The parity LFSR is linear over GF(2),
 * so 16 input bytes at a time fold into the register with 16 table lookups
 * (CRC "slicing"): with x = (low 16 register bytes) ^ (16 input bytes),
 * r' = (r shifted down 16 bytes) ^ XOR_k T_k[x_k], where T_k[v] is the
 * register after 16 zero-input steps from a register holding only v in
 * byte k. A one-byte table handles the last length % 16 bytes.
 *
 * Each codec gets its own small module, written byte by byte at load
 * (wasmEmit.ts), with its tables at address 0 so every lookup is one load
 * with a constant offset. Where WebAssembly or SIMD is missing,
 * SimdParity.create() returns null and callers keep their TypeScript path.
 */
import { emitModule, FuncBody, I32, Op, Simd, V128, VOID } from './wasmEmit.js';

/** Input bytes folded per step. */
const SLICE = 16;
const PAGE = 65536;
/** Blocks copied into the module per call of the batch check, at most. */
const MAX_CHUNK_BLOCKS = 2048;
/** Most parity symbols handled here (four v128 registers). */
export const SIMD_MAX_ROOTS = 64;

/** Bytes at the end of a long block that encode runs as a second chain. */
const SPLIT = 64;

const ZERO16 = new Array<number>(16).fill(0);
const SHIFT1 = Array.from({ length: 16 }, (_, i) => i + 1);

/** Memory map of one codec's module. */
interface Layout {
  nroots: number;
  /** v128 registers in the parity register: 1, 2 or 4. */
  regs: number;
  /** log2 of a table entry's size (16 * regs bytes). */
  entryShift: number;
  /** Bytes of one 256-entry table. */
  table: number;
  /** Offset of the one-byte-step table (the 16 slicing tables come first). */
  step1: number;
  /**
   * Offset of the 16 "advance by SPLIT zero bytes" tables (single-register
   * codecs only, else -1): encode runs the last SPLIT bytes of a long block
   * as a second, independent chain and joins the two with them.
   */
  adv: number;
  /** First byte after the tables: scratch for inputs and outputs. */
  io: number;
}

function layout(nroots: number): Layout {
  const regs = nroots <= 16 ? 1 : nroots <= 32 ? 2 : 4;
  const entryShift = 4 + Math.log2(regs);
  const table = 256 << entryShift;
  const step1 = SLICE * table;
  const adv = regs === 1 ? step1 + table : -1;
  return { nroots, regs, entryShift, table, step1, adv, io: regs === 1 ? adv + SLICE * table : step1 + table };
}

/**
 * The LFSR over [p_c, p_c + len) from a zero register into registers sts[c],
 * for each chain c at once: chains are independent, so the CPU overlaps
 * their table loads, where one chain alone waits on its own. The p_c advance.
 * `init` false continues from the registers as they are; `tail` false skips
 * the byte-at-a-time end (len known to be a multiple of 16).
 */
function emitLfsr(f: FuncBody, L: Layout, ps: number[], len: number, sts: number[][], init = true, tail = true): void {
  const { regs, entryShift: sh } = L;
  const end = f.local(I32);
  const x = f.local(V128);
  const words = [0, 1, 2, 3].map(() => f.local(I32));
  const ix = Array.from({ length: SLICE }, () => f.local(I32));
  const fb = f.local(I32);
  if (init) for (const st of sts) for (const r of st) f.v128Const(ZERO16).set(r);
  // end = p0 + (len & ~15): where the whole 16-byte steps stop.
  f.get(ps[0]).get(len).i32(~(SLICE - 1)).op(Op.I32And).op(Op.I32Add).set(end);
  f.op(Op.Block, VOID, Op.Loop, VOID);
  f.get(ps[0]).get(end).op(Op.I32GeU).br(Op.BrIf, 1);
  for (let c = 0; c < ps.length; c++) {
    const st = sts[c];
    f.get(st[0]).get(ps[c]).simdMem(Simd.Load, 0).simd(Simd.Xor).set(x);
    emitFold(f, L, x, words, ix, st, 0);
    f.get(ps[c]).i32(SLICE).op(Op.I32Add).set(ps[c]);
  }
  f.br(Op.Br, 0);
  f.op(Op.End, Op.End);
  if (!tail) return;
  // The last len % 16 bytes, one at a time: p0 now sits at the first of them.
  f.get(ps[0]).get(len).i32(SLICE - 1).op(Op.I32And).op(Op.I32Add).set(end);
  f.op(Op.Block, VOID, Op.Loop, VOID);
  f.get(ps[0]).get(end).op(Op.I32GeU).br(Op.BrIf, 1);
  for (let c = 0; c < ps.length; c++) {
    const st = sts[c];
    f.get(st[0]).simdLane(Simd.I8x16ExtractLaneU, 0).get(ps[c]).mem(Op.I32Load8U, 0).op(Op.I32Xor).i32(sh).op(Op.I32Shl).set(fb);
    for (let r = 0; r < regs; r++) {
      f.get(st[r]);
      if (r + 1 < regs) f.get(st[r + 1]);
      else f.v128Const(ZERO16);
      f.shuffle(SHIFT1);
      f.get(fb).simdMem(Simd.Load, 0, L.step1 + 16 * r).simd(Simd.Xor).set(st[r]);
    }
    f.get(ps[c]).i32(1).op(Op.I32Add).set(ps[c]);
  }
  f.br(Op.Br, 0);
  f.op(Op.End, Op.End);
}

/**
 * st = (st shifted down 16 bytes) ^ XOR_k T_k[x_k], T the 16 tables at
 * `base`: one slicing step once x holds register ^ input.
 */
function emitFold(f: FuncBody, L: Layout, x: number, words: number[], ix: number[], st: number[], base: number): void {
  const { regs, entryShift: sh, table } = L;
  // Byte k of x, times the entry size: scalar shifts of 32-bit lanes are
  // cheaper than one vector-to-scalar move per byte.
  for (let j = 0; j < 4; j++) f.get(x).simdLane(Simd.I32x4ExtractLane, j).set(words[j]);
  for (let k = 0; k < SLICE; k++) {
    const s = 8 * (k & 3) - sh;
    f.get(words[k >> 2]);
    if (s < 0) f.i32(-s).op(Op.I32Shl);
    else if (s > 0) f.i32(s).op(Op.I32ShrU);
    f.i32(0xff << sh).op(Op.I32And).set(ix[k]);
  }
  for (let r = 0; r < regs; r++) {
    // Balanced XOR tree: a linear chain would serialise the loads.
    const tree = (from: number, to: number): void => {
      if (to - from === 1) {
        f.get(ix[from]).simdMem(Simd.Load, 0, base + from * table + 16 * r);
        return;
      }
      const mid = (from + to) >> 1;
      tree(from, mid);
      tree(mid, to);
      f.simd(Simd.Xor);
    };
    tree(0, SLICE);
    if (r + 1 < regs) f.get(st[r + 1]).simd(Simd.Xor);
    f.set(st[r]);
  }
}

/** Leaves 1 on the stack when register st differs from the nroots parity bytes at par + offset. */
function emitMismatch(f: FuncBody, L: Layout, st: number[], par: number, offset: number): void {
  for (let r = 0; r * 16 < L.nroots; r++) {
    // Only the first nroots register bytes are parity; the rest of the v128s are padding.
    const bytes = Math.min(16, L.nroots - 16 * r);
    f.get(st[r]).get(par).simdMem(Simd.Load, 0, offset + 16 * r).simd(Simd.Xor);
    if (bytes < 16) f.v128Const(ZERO16.map((_, i) => (i < bytes ? 0xff : 0))).simd(Simd.And);
    if (r > 0) f.simd(Simd.Or);
  }
  f.simd(Simd.AnyTrue);
}

/** The module's bytes: exports memory, encode and check. */
function buildModule(L: Layout): Uint8Array<ArrayBuffer> {
  const regs = L.regs;
  const newReg = (f: FuncBody): number[] => Array.from({ length: regs }, () => f.local(V128));

  // encode(p, len, out): parity register of [p, p+len) stored at out (16 * regs bytes).
  const enc = new FuncBody([I32, I32, I32], []);
  {
    const [p, len, out] = [0, 1, 2];
    const st = newReg(enc);
    if (L.adv >= 0) {
      // One block is one dependent chain of table loads. From 2 * SPLIT bytes
      // on, the last SPLIT bytes run as a second chain B beside the first
      // bytes of A; then A finishes, is advanced over SPLIT zero bytes
      // (tables at L.adv) and XORed with B: the LFSR is linear.
      const stB = newReg(enc);
      const q = enc.local(I32);
      const n = enc.local(I32);
      const split = enc.local(I32);
      const x = enc.local(V128);
      const words = [0, 1, 2, 3].map(() => enc.local(I32));
      const ix = Array.from({ length: SLICE }, () => enc.local(I32));
      enc.get(len).set(n);
      enc.get(len).i32(2 * SPLIT).op(Op.I32GeU).tee(split).op(Op.If, VOID);
      enc.get(p).get(len).op(Op.I32Add).i32(SPLIT).op(Op.I32Sub).set(q);
      enc.i32(SPLIT).set(n);
      emitLfsr(enc, L, [p, q], n, [st, stB], true, false);
      enc.get(len).i32(2 * SPLIT).op(Op.I32Sub).set(n);
      enc.op(Op.End);
      // Locals start at zero: without the split, A is the whole block.
      emitLfsr(enc, L, [p], n, [st], false);
      enc.get(split).op(Op.If, VOID);
      enc.get(st[0]).set(x);
      emitFold(enc, L, x, words, ix, st, L.adv);
      enc.get(st[0]).get(stB[0]).simd(Simd.Xor).set(st[0]);
      enc.op(Op.End);
    } else {
      emitLfsr(enc, L, [p], len, [st]);
    }
    for (let r = 0; r < regs; r++) enc.get(out).get(st[r]).simdMem(Simd.Store, 0, 16 * r);
  }

  // check(p, dataLen, blockSize, par) -> first block whose parity differs, or
  // -1. Blocks are blockSize bytes, the last one may be shorter; parity is
  // packed, nroots bytes per block, with 16 * regs readable bytes after it.
  const lanes = 4 / regs;
  const chk = new FuncBody([I32, I32, I32, I32], [I32]);
  {
    const [p, dataLen, bs, par] = [0, 1, 2, 3];
    const b = chk.local(I32);
    const len = chk.local(I32);
    const qs = Array.from({ length: lanes }, () => chk.local(I32));
    const sts = Array.from({ length: lanes }, () => newReg(chk));
    chk.i32(0).set(b);
    // `lanes` whole blocks side by side.
    chk.op(Op.Block, VOID, Op.Loop, VOID);
    // (Only for block sizes that are whole 16-byte steps, such as ramoops' 128.)
    chk.get(dataLen).get(bs).i32(lanes).op(Op.I32Mul).op(Op.I32LtU);
    chk.get(bs).i32(SLICE - 1).op(Op.I32And).op(Op.I32Or).br(Op.BrIf, 1);
    for (let i = 0; i < lanes; i++) chk.get(p).get(bs).i32(i).op(Op.I32Mul).op(Op.I32Add).set(qs[i]);
    emitLfsr(chk, L, qs, bs, sts, true, false);
    for (let i = 0; i < lanes; i++) {
      emitMismatch(chk, L, sts[i], par, i * L.nroots);
      chk.op(Op.If, VOID).get(b).i32(i).op(Op.I32Add).op(Op.Return).op(Op.End);
    }
    chk.get(b).i32(lanes).op(Op.I32Add).set(b);
    chk.get(par).i32(lanes * L.nroots).op(Op.I32Add).set(par);
    chk.get(p).get(bs).i32(lanes).op(Op.I32Mul).op(Op.I32Add).set(p);
    chk.get(dataLen).get(bs).i32(lanes).op(Op.I32Mul).op(Op.I32Sub).set(dataLen);
    chk.br(Op.Br, 0);
    chk.op(Op.End, Op.End);
    // The rest one block at a time.
    chk.op(Op.Block, VOID, Op.Loop, VOID);
    chk.get(dataLen).op(Op.I32Eqz).br(Op.BrIf, 1);
    // len = min(bs, dataLen)
    chk.get(bs).get(dataLen).get(bs).get(dataLen).op(Op.I32LeU).op(Op.Select).set(len);
    // encode (function 0) into the scratch bytes at L.io, then compare.
    chk.get(p).get(len).i32(L.io).op(Op.Call, 0);
    for (let r = 0; r < regs; r++) chk.i32(0).simdMem(Simd.Load, 0, L.io + 16 * r).set(sts[0][r]);
    emitMismatch(chk, L, sts[0], par, 0);
    chk.op(Op.If, VOID).get(b).op(Op.Return).op(Op.End);
    chk.get(b).i32(1).op(Op.I32Add).set(b);
    chk.get(p).get(bs).op(Op.I32Add).set(p);
    chk.get(par).i32(L.nroots).op(Op.I32Add).set(par);
    chk.get(dataLen).get(len).op(Op.I32Sub).set(dataLen);
    chk.br(Op.Br, 0);
    chk.op(Op.End, Op.End);
    chk.i32(-1);
  }
  return emitModule(
    [
      { name: 'encode', body: enc },
      { name: 'check', body: chk },
    ],
    Math.ceil((L.io + 4096) / PAGE),
  );
}

/** The module for `nroots` (1..64) roots, for inspection and tests. */
export function simdModuleBytes(nroots: number): Uint8Array<ArrayBuffer> {
  return buildModule(layout(nroots));
}

interface KernelExports {
  memory: WebAssembly.Memory;
  encode(p: number, len: number, out: number): void;
  check(p: number, dataLen: number, blockSize: number, par: number): number;
}

/** Register after `steps` zero-input LFSR steps, in place (reg is zero padded past nroots). */
function zeroSteps(reg: Uint8Array, steps: number, nroots: number, contrib: Uint8Array, stride: number): void {
  const last = reg.length - 1;
  for (let step = 0; step < steps; step++) {
    const f = reg[0];
    reg.copyWithin(0, 1);
    reg[last] = 0;
    if (f) for (let m = 0; m < nroots; m++) reg[m] ^= contrib[f * stride + m];
  }
}

/**
 * Tables k = 0..15 at `at`: entry v of table k is the register after `steps`
 * zero-input steps from one holding only v in byte k. Linear in v, so only
 * the 8 single-bit values are simulated.
 */
function advanceTables(out: Uint8Array, at: number, L: Layout, steps: number, contrib: Uint8Array, stride: number): void {
  const width = 16 * L.regs;
  const reg = new Uint8Array(width);
  for (let k = 0; k < SLICE; k++) {
    const base = at + k * L.table;
    for (let bit = 0; bit < 8; bit++) {
      reg.fill(0);
      reg[k] = 1 << bit;
      zeroSteps(reg, steps, L.nroots, contrib, stride);
      out.set(reg, base + ((1 << bit) << L.entryShift));
    }
    for (let v = 3; v < 256; v++) {
      if ((v & (v - 1)) === 0) continue;
      const hi = 1 << (31 - Math.clz32(v));
      const e = base + (v << L.entryShift);
      const a = base + (hi << L.entryShift);
      const b = base + ((v ^ hi) << L.entryShift);
      for (let i = 0; i < width; i++) out[e + i] = out[a + i] ^ out[b + i];
    }
  }
}

/** Slicing tables, the one-byte table and the advance tables, as laid out in the module. */
function buildTables(L: Layout, contrib: Uint8Array, stride: number): Uint8Array {
  const out = new Uint8Array(L.io);
  advanceTables(out, 0, L, SLICE, contrib, stride);
  for (let f = 0; f < 256; f++) out.set(contrib.subarray(f * stride, f * stride + L.nroots), L.step1 + (f << L.entryShift));
  if (L.adv >= 0) advanceTables(out, L.adv, L, SPLIT, contrib, stride);
  return out;
}

/**
 * One codec's parity in its own SIMD module. Inputs are copied into the
 * module's memory (a memcpy: far cheaper than the LFSR it feeds).
 */
export class SimdParity {
  private u8: Uint8Array;
  private readonly io: number;

  private constructor(
    private readonly exp: KernelExports,
    readonly nroots: number,
    L: Layout,
    contrib: Uint8Array,
    stride: number,
  ) {
    this.io = L.io;
    this.u8 = new Uint8Array(exp.memory.buffer);
    this.u8.set(buildTables(L, contrib, stride), 0);
  }

  /**
   * For `nroots` ≤ 64 where the engine has WebAssembly SIMD, else null.
   * `contrib` is the one-byte step: 256 entries `stride` bytes apart, entry
   * f = what feedback byte f XORs into register bytes 0..nroots-1.
   */
  static create(nroots: number, contrib: Uint8Array, stride: number): SimdParity | null {
    if (nroots < 1 || nroots > SIMD_MAX_ROOTS || typeof WebAssembly !== 'object') return null;
    try {
      const L = layout(nroots);
      const bytes = buildModule(L);
      if (!WebAssembly.validate(bytes)) return null;
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      return new SimdParity(inst.exports as unknown as KernelExports, nroots, L, contrib, stride);
    } catch {
      return null;
    }
  }

  /** Make module memory [0, end) addressable. */
  private reserve(end: number): Uint8Array {
    const mem = this.exp.memory;
    const have = mem.buffer.byteLength;
    if (end > have) {
      mem.grow(Math.ceil((end - have) / PAGE));
      this.u8 = new Uint8Array(mem.buffer);
    }
    return this.u8;
  }

  /** Parity of data[off, off+len) into parity[poff, poff+nroots). Arguments already validated (len ≤ 255). */
  encode(data: Uint8Array, off: number, len: number, parity: Uint8Array, poff: number): void {
    const io = this.io;
    const u8 = this.u8;
    copyIn(u8, io + 256, data, off, len);
    this.exp.encode(io + 256, len, io);
    const n = this.nroots;
    for (let i = 0; i < n; i++) parity[poff + i] = u8[io + i];
  }

  /** True when the parity of data[off, off+len) equals parity[poff, poff+nroots). */
  check(data: Uint8Array, off: number, len: number, parity: Uint8Array, poff: number): boolean {
    const io = this.io;
    const u8 = this.u8;
    copyIn(u8, io + 256, data, off, len);
    this.exp.encode(io + 256, len, io);
    const n = this.nroots;
    for (let i = 0; i < n; i++) if (parity[poff + i] !== u8[io + i]) return false;
    return true;
  }

  /**
   * First block of [dataOffset, dataOffset+dataLength) (blocks of blockSize,
   * parity packed from parityOffset) that is not a codeword, or -1.
   * Arguments already validated.
   */
  checkBlocks(zone: Uint8Array, dataOffset: number, dataLength: number, blockSize: number, parityOffset: number): number {
    const n = this.nroots;
    const blocks = Math.ceil(dataLength / blockSize);
    // Small first chunk, growing: a zone full of bad blocks is re-entered after
    // each one and must not re-copy the whole zone every time.
    let chunk = 16;
    for (let b = 0; b < blocks; ) {
      const nb = Math.min(chunk, blocks - b);
      chunk = Math.min(chunk * 2, MAX_CHUNK_BLOCKS);
      const from = dataOffset + b * blockSize;
      const len = Math.min(nb * blockSize, dataLength - b * blockSize);
      const plen = nb * n;
      const dataAt = this.io + 64;
      const parAt = (dataAt + len + 15) & ~15;
      const u8 = this.reserve(parAt + plen + 64);
      u8.set(zone.subarray(from, from + len), dataAt);
      const pfrom = parityOffset + b * n;
      u8.set(zone.subarray(pfrom, pfrom + plen), parAt);
      const r = this.exp.check(dataAt, len, blockSize, parAt);
      if (r >= 0) return b + r;
      b += nb;
    }
    return -1;
  }
}

/** Copy a block into the module: short ones by hand, longer ones with set() (a subarray costs an allocation). */
function copyIn(u8: Uint8Array, at: number, src: Uint8Array, off: number, len: number): void {
  if (len < 16) {
    for (let i = 0; i < len; i++) u8[at + i] = src[off + i];
  } else {
    u8.set(src.subarray(off, off + len), at);
  }
}
