/**
 * Deterministic, structure-aware mutation. Every input is a pure function of
 * (campaign seed, target, input index): a failure found in a long run is
 * reproduced by its index alone, and the corpus file is only a convenience.
 */

/** mulberry32: small, fast, good enough to drive mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 .. n-1 (0 when n <= 0). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const w = this.u32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = w >>> (8 * k);
    }
    return out;
  }
}

/** One seed per (campaign, target, index), well mixed. */
export function inputSeed(campaign: number, target: number, index: number): number {
  let h = Math.imul(campaign ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(target + 1, 0xc2b2ae35) ^ Math.imul(index, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A header field worth aiming at: where, how wide, and the values near its limits. */
export interface Field {
  offset: number;
  width: 1 | 2 | 4 | 8;
  /** Values that sit on a boundary for this field (sizes of the zone, its buffer, …). */
  edges: readonly number[];
  /** Text fields (the ramoops `====sec.usec-C\n` header): bytes to rewrite as text. */
  text?: number;
}

const GENERIC_EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x0d, 0x0b, 0x2d, 0x43, 0x44, 0x3d];
const HEADER_TEXTS = [
  '====',
  '====1704067207.639613-C\n',
  '====1704067207.639613-D\n',
  '====1704067207.639613\n',
  '====99999999999999999999.999999999999-C\n',
  '====-1.-1-C\n',
  '====0.0-X\n',
  '====4294967296.4294967296-D\n',
  '====1.1-C',
  '=====\n',
  '====1.2-C\n\n\n\n',
  '====\t 1 . 2 -C\n',
];

export function writeUint(b: Uint8Array, at: number, width: number, value: number): void {
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  for (let i = 0; i < width && at + i < b.length; i++) {
    if (at + i >= 0) b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** A field value: a boundary of the field, a generic edge, off by one, or random. */
function fieldValue(rng: Rng, f: Field): number {
  const r = rng.int(5);
  const edge = f.edges.length && r < 2 ? rng.pick(f.edges) : rng.pick(GENERIC_EDGES);
  if (r === 2) return edge + 1;
  if (r === 3) return edge - 1;
  if (r === 4 && rng.chance(0.3)) return rng.u32();
  return edge;
}

export interface MutationContext {
  fields: readonly Field[];
  /** Another input of the same family, for splicing. */
  other: () => Uint8Array;
  /** Re-compute integrity data (ECC parity) after a mutation, as a crafted image would. */
  resign?: (b: Uint8Array) => void;
}

/** Names of the mutation operators, for statistics and corpus notes. */
export const OPS = ['flip', 'byte', 'field', 'text', 'truncate', 'extend', 'splice', 'insert', 'delete', 'fill', 'copy', 'random'] as const;
export type Op = (typeof OPS)[number];

function mutateOnce(rng: Rng, b: Uint8Array, ctx: MutationContext, op: Op): Uint8Array {
  const n = b.length;
  const near = (): number => {
    // Half the time aim near a field: that is where the parsers branch.
    if (ctx.fields.length && rng.chance(0.5)) {
      const f = rng.pick(ctx.fields);
      return Math.max(0, Math.min(n - 1, f.offset + rng.int(f.width + 16) - 4));
    }
    return rng.int(n);
  };
  switch (op) {
    case 'flip': {
      const k = 1 + rng.int(rng.chance(0.2) ? 64 : 4);
      for (let i = 0; i < k && n; i++) b[near()] ^= 1 << rng.int(8);
      return b;
    }
    case 'byte': {
      const k = 1 + rng.int(8);
      for (let i = 0; i < k && n; i++) b[near()] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      return b;
    }
    case 'field': {
      if (!ctx.fields.length) return b;
      const k = 1 + rng.int(3);
      for (let i = 0; i < k; i++) {
        const f = rng.pick(ctx.fields);
        writeUint(b, f.offset, f.width, fieldValue(rng, f));
      }
      return b;
    }
    case 'text': {
      const texts = ctx.fields.filter((f) => f.text);
      if (!texts.length) return b;
      const f = rng.pick(texts);
      if (f.offset >= n) return b;
      if (rng.chance(0.5)) {
        const s = new TextEncoder().encode(rng.pick(HEADER_TEXTS));
        b.set(s.subarray(0, Math.max(0, n - f.offset)), f.offset);
      } else {
        const at = f.offset + rng.int(f.text ?? 1);
        if (at < n) b[at] = rng.pick([0x30 + rng.int(10), 0x2e, 0x2d, 0x43, 0x44, 0x0a, 0x3d, 0x20, 0x00]);
      }
      return b;
    }
    case 'truncate': {
      const cut = ctx.fields.length && rng.chance(0.4) ? rng.pick(ctx.fields).offset + rng.int(8) : rng.int(n + 1);
      return b.slice(0, Math.min(n, cut));
    }
    case 'extend': {
      const more = rng.chance(0.5) ? rng.bytes(1 + rng.int(64)) : new Uint8Array(1 + rng.int(4096));
      const out = new Uint8Array(n + more.length);
      out.set(b);
      out.set(more, n);
      return out;
    }
    case 'splice': {
      const o = ctx.other();
      if (!o.length || !n) return b;
      const len = 1 + rng.int(Math.min(o.length, n));
      const from = rng.int(o.length - len + 1);
      const to = rng.chance(0.5) ? Math.min(from, n - len) : rng.int(n - len + 1);
      b.set(o.subarray(from, from + len), to);
      return b;
    }
    case 'insert': {
      const at = near();
      const ins = rng.bytes(1 + rng.int(16));
      const out = new Uint8Array(n + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      return out;
    }
    case 'delete': {
      if (!n) return b;
      const at = near();
      const len = 1 + rng.int(Math.min(64, n - at));
      const out = new Uint8Array(n - len);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + len), at);
      return out;
    }
    case 'fill': {
      if (!n) return b;
      const at = near();
      const len = 1 + rng.int(Math.min(n - at, rng.chance(0.5) ? 16 : 4096));
      b.fill(rng.pick([0, 0xff, rng.int(256)]), at, at + len);
      return b;
    }
    case 'copy': {
      if (n < 2) return b;
      const len = 1 + rng.int(Math.min(256, n >> 1));
      const from = rng.int(n - len + 1);
      b.copyWithin(rng.int(n - len + 1), from, from + len);
      return b;
    }
    case 'random':
      return rng.chance(0.5) ? rng.bytes(n) : rng.bytes(rng.int(2 * n + 1));
  }
}

/**
 * One mutated input from `base`: 1 to 8 operators; after field rewrites the
 * integrity data is re-signed half the time, so the mutated headers get past
 * the ECC check and reach the parsers behind it.
 */
export function mutate(rng: Rng, base: Uint8Array, ctx: MutationContext): { bytes: Uint8Array; ops: Op[] } {
  let b: Uint8Array = base.slice();
  const ops: Op[] = [];
  const count = 1 + (rng.chance(0.7) ? rng.int(2) : rng.int(8));
  for (let i = 0; i < count; i++) {
    const op = rng.chance(0.03) ? 'random' : rng.pick(OPS.slice(0, -1));
    ops.push(op);
    b = mutateOnce(rng, b, ctx, op);
  }
  if (ctx.resign && rng.chance(0.5)) ctx.resign(b);
  return { bytes: b, ops };
}
