/**
 * Just enough of a WebAssembly binary writer to build the Reed-Solomon SIMD
 * kernel at module load: no build step, no toolchain, and the same bytes in
 * Node and browsers. Only the opcodes the kernel uses are named here.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

/** Core opcodes (one byte each). */
export const enum Op {
  Block = 0x02,
  Loop = 0x03,
  If = 0x04,
  Else = 0x05,
  End = 0x0b,
  Br = 0x0c,
  BrIf = 0x0d,
  Return = 0x0f,
  Call = 0x10,
  Select = 0x1b,
  LocalGet = 0x20,
  LocalSet = 0x21,
  LocalTee = 0x22,
  I32Load8U = 0x2d,
  I32Const = 0x41,
  I32Eqz = 0x45,
  I32Eq = 0x46,
  I32Ne = 0x47,
  I32LtU = 0x49,
  I32GtU = 0x4b,
  I32LeU = 0x4d,
  I32GeU = 0x4f,
  I32Add = 0x6a,
  I32Sub = 0x6b,
  I32Mul = 0x6c,
  I32And = 0x71,
  I32Or = 0x72,
  I32Xor = 0x73,
  I32Shl = 0x74,
  I32ShrU = 0x76,
}

/** SIMD opcodes (after the 0xfd prefix, LEB128 encoded). */
export const enum Simd {
  Load = 0x00,
  Store = 0x0b,
  Const = 0x0c,
  Shuffle = 0x0d,
  I8x16ExtractLaneU = 0x16,
  I16x8ExtractLaneU = 0x19,
  I32x4ExtractLane = 0x1b,
  And = 0x4e,
  Or = 0x50,
  Xor = 0x51,
  AnyTrue = 0x53,
  Load64Zero = 0x5d,
  I16x8ExtendLowI8x16U = 0x89,
  I16x8ExtendHighI8x16U = 0x8a,
  I16x8Shl = 0x8b,
}

/** Block type "no result". */
export const VOID = 0x40;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction. */
export class FuncBody {
  readonly code: number[] = [];
  /** Declared locals beyond the parameters, in order: one type per local. */
  readonly locals: number[] = [];

  constructor(readonly params: number[], readonly results: number[]) {}

  /** A new local of `type`; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(...ops: number[]): this {
    for (const o of ops) this.code.push(o);
    return this;
  }
  get(i: number): this {
    return this.op(Op.LocalGet, i);
  }
  set(i: number): this {
    return this.op(Op.LocalSet, i);
  }
  tee(i: number): this {
    return this.op(Op.LocalTee, i);
  }
  i32(v: number): this {
    this.code.push(Op.I32Const);
    sleb(this.code, v | 0);
    return this;
  }
  /** Memory access with natural alignment `align` (log2) and a constant offset. */
  mem(op: Op, align: number, offset = 0): this {
    this.code.push(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  simd(op: Simd): this {
    this.code.push(0xfd);
    uleb(this.code, op);
    return this;
  }
  simdMem(op: Simd, align: number, offset = 0): this {
    this.simd(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  simdLane(op: Simd, lane: number): this {
    return this.simd(op).op(lane);
  }
  v128Const(bytes: ArrayLike<number>): this {
    this.simd(Simd.Const);
    for (let i = 0; i < 16; i++) this.code.push(bytes[i] & 0xff);
    return this;
  }
  shuffle(lanes: ArrayLike<number>): this {
    this.simd(Simd.Shuffle);
    for (let i = 0; i < 16; i++) this.code.push(lanes[i]);
    return this;
  }
  /** Branch depth operand for br/br_if. */
  br(op: Op.Br | Op.BrIf, depth: number): this {
    this.code.push(op);
    uleb(this.code, depth);
    return this;
  }
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * A module with one exported memory ("memory", `pages` initial 64 KiB pages)
 * and the given exported functions, in order.
 */
export function emitModule(funcs: { name: string; body: FuncBody }[], pages: number): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  const types: number[] = [];
  uleb(types, funcs.length);
  for (const { body } of funcs) {
    types.push(0x60);
    uleb(types, body.params.length);
    types.push(...body.params);
    uleb(types, body.results.length);
    types.push(...body.results);
  }
  section(out, 1, types);

  const fnsec: number[] = [];
  uleb(fnsec, funcs.length);
  for (let i = 0; i < funcs.length; i++) uleb(fnsec, i);
  section(out, 3, fnsec);

  const memsec: number[] = [1, 0x00];
  uleb(memsec, pages);
  section(out, 5, memsec);

  const exp: number[] = [];
  uleb(exp, funcs.length + 1);
  name(exp, 'memory');
  exp.push(0x02, 0x00);
  funcs.forEach(({ name: n }, i) => {
    name(exp, n);
    exp.push(0x00);
    uleb(exp, i);
  });
  section(out, 7, exp);

  const code: number[] = [];
  uleb(code, funcs.length);
  for (const { body } of funcs) {
    const fn: number[] = [];
    uleb(fn, body.locals.length);
    for (const t of body.locals) fn.push(1, t);
    for (const b of body.code) fn.push(b);
    fn.push(Op.End);
    uleb(code, fn.length);
    for (const b of fn) code.push(b);
  }
  section(out, 10, code);
  return Uint8Array.from(out);
}
