/**
 * The table-driven inflater against two references: node:zlib and a small
 * bit-at-a-time decoder written here (canonical-code walk, no tables, no
 * read-ahead) that states the acceptance rules plainly. On every input both
 * must give the same bytes and consumed count, or the same error and the
 * same `truncated` flag. Hand-built streams with random complete codes of
 * every shape (up to 15 bits) reach the sub-table paths that zlib's own
 * output rarely does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { InflateFail, inflateRaw } from '../src/core/compress/inflate.js';

const RUNS = Number(process.env.PSTORE_FUZZ_RUNS ?? 200);

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// ---------------------------------------------------------------- reference

class RefFail {
  constructor(
    readonly why: string,
    readonly truncated = false,
  ) {}
}

interface RefCode {
  count: number[];
  symbols: number[];
  maxLen: number;
  /** Unused codes at the longest length; -1 when over-subscribed. */
  left: number;
  nonzero: number;
}

function refCode(lengths: number[]): RefCode {
  const count = new Array<number>(16).fill(0);
  for (const l of lengths) count[l]++;
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - count[len];
    if (left < 0) break;
  }
  const symbols: number[] = [];
  for (let len = 1; len <= 15; len++) lengths.forEach((l, s) => l === len && symbols.push(s));
  let maxLen = 0;
  for (let len = 1; len <= 15; len++) if (count[len]) maxLen = len;
  return { count, symbols, maxLen, left: left < 0 ? -1 : left, nonzero: symbols.length };
}

/** zlib takes an incomplete set only when it is one code of one bit. */
const refAcceptable = (c: RefCode): boolean => c.left === 0 || (c.left > 0 && c.nonzero === 1 && c.count[1] === 1);

function refInflate(src: Uint8Array, maxOut: number): { data: Uint8Array; consumed: number } | RefFail {
  let pos = 0;
  let bitBuf = 0;
  let bitCnt = 0;
  const out: number[] = [];
  const bits = (n: number): number => {
    while (bitCnt < n) {
      if (pos >= src.length) throw new RefFail('unexpected end of input', true);
      bitBuf |= src[pos++] << bitCnt;
      bitCnt += 8;
    }
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCnt -= n;
    return v;
  };
  // Walk the canonical code one bit at a time, as far as its longest code.
  const decode = (c: RefCode): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= c.maxLen; len++) {
      code |= bits(1);
      const n = c.count[len];
      if (code - first < n) return c.symbols[index + code - first];
      index += n;
      first = (first + n) << 1;
      code <<= 1;
    }
    throw new RefFail('invalid Huffman code');
  };
  const fixedLit = refCode([...new Array(144).fill(8), ...new Array(112).fill(9), ...new Array(24).fill(7), ...new Array(8).fill(8)]);
  const fixedDist = refCode(new Array(30).fill(5));
  try {
    let last = 0;
    do {
      last = bits(1);
      const type = bits(2);
      if (type === 0) {
        bitBuf = 0;
        bitCnt = 0;
        if (src.length - pos < 4) throw new RefFail('unexpected end of input', true);
        const len = src[pos] | (src[pos + 1] << 8);
        if (len !== (~(src[pos + 2] | (src[pos + 3] << 8)) & 0xffff)) throw new RefFail('invalid stored block lengths');
        pos += 4;
        if (src.length - pos < len) throw new RefFail('unexpected end of input', true);
        if (out.length + len > maxOut) throw new RefFail(`output larger than ${maxOut} bytes`);
        for (let i = 0; i < len; i++) out.push(src[pos++]);
        continue;
      }
      if (type === 3) throw new RefFail('invalid block type');
      let lit = fixedLit;
      let dist = fixedDist;
      if (type === 2) {
        const nlen = bits(5) + 257;
        const ndist = bits(5) + 1;
        const ncode = bits(4) + 4;
        if (nlen > 286 || ndist > 30) throw new RefFail('too many length or distance symbols');
        const cl = new Array<number>(19).fill(0);
        for (let i = 0; i < ncode; i++) cl[CLEN_ORDER[i]] = bits(3);
        const clc = refCode(cl);
        if (clc.left !== 0) throw new RefFail('invalid code lengths set');
        const lens: number[] = [];
        while (lens.length < nlen + ndist) {
          const sym = decode(clc);
          if (sym < 16) {
            lens.push(sym);
            continue;
          }
          if (sym === 16 && lens.length === 0) throw new RefFail('invalid bit length repeat');
          const value = sym === 16 ? lens[lens.length - 1] : 0;
          const rep = sym === 16 ? 3 + bits(2) : sym === 17 ? 3 + bits(3) : 11 + bits(7);
          if (lens.length + rep > nlen + ndist) throw new RefFail('invalid bit length repeat');
          for (let i = 0; i < rep; i++) lens.push(value);
        }
        if (lens[256] === 0) throw new RefFail('invalid code -- missing end-of-block');
        lit = refCode(lens.slice(0, nlen));
        if (!refAcceptable(lit)) throw new RefFail('invalid literal/lengths set');
        dist = refCode(lens.slice(nlen));
        if (dist.nonzero !== 0 && !refAcceptable(dist)) throw new RefFail('invalid distances set');
      }
      for (;;) {
        const sym = decode(lit);
        if (sym < 256) {
          if (out.length >= maxOut) throw new RefFail(`output larger than ${maxOut} bytes`);
          out.push(sym);
          continue;
        }
        if (sym === 256) break;
        if (sym > 285) throw new RefFail('invalid literal/length code');
        const len = LEN_BASE[sym - 257] + bits(LEN_EXTRA[sym - 257]);
        const ds = decode(dist);
        if (ds >= 30) throw new RefFail('invalid distance code');
        const d = DIST_BASE[ds] + bits(DIST_EXTRA[ds]);
        if (d > out.length) throw new RefFail('invalid distance too far back');
        if (out.length + len > maxOut) throw new RefFail(`output larger than ${maxOut} bytes`);
        for (let i = 0; i < len; i++) out.push(out[out.length - d]);
      }
    } while (!last);
  } catch (e) {
    if (e instanceof RefFail) return e;
    throw e;
  }
  return { data: Uint8Array.from(out), consumed: pos };
}

/** inflateRaw and the reference agree on `src`. */
function agree(src: Uint8Array, maxOut: number): void {
  const want = refInflate(src, maxOut);
  let got: { data: Uint8Array; consumed: number } | RefFail;
  try {
    got = inflateRaw(src, maxOut);
  } catch (e) {
    if (!(e instanceof InflateFail)) throw e;
    assert.ok(e.at >= 0 && e.at <= src.length, `offset ${e.at} inside the input`);
    got = new RefFail(e.why, e.truncated);
  }
  if (want instanceof RefFail) {
    assert.ok(got instanceof RefFail, `reference fails with "${want.why}", inflateRaw gave ${got instanceof RefFail ? '' : (got as { data: Uint8Array }).data.length} bytes`);
    assert.deepEqual({ why: got.why, truncated: got.truncated }, { why: want.why, truncated: want.truncated });
  } else {
    assert.ok(!(got instanceof RefFail), `inflateRaw fails with "${(got as RefFail).why}"`);
    assert.equal(got.consumed, want.consumed);
    assert.deepEqual(got.data, want.data);
  }
}

/** What node:zlib makes of `src` with the same output limit: the bytes, or null on any error. */
function zlibResult(src: Uint8Array, maxOut: number): Uint8Array | null {
  try {
    return new Uint8Array(inflateRawSync(src, { maxOutputLength: Math.max(1, maxOut) })).subarray(0, maxOut === 0 ? 0 : undefined);
  } catch {
    return null;
  }
}

function ourResult(src: Uint8Array, maxOut: number): Uint8Array | null {
  try {
    return inflateRaw(src, maxOut).data;
  } catch (e) {
    if (!(e instanceof InflateFail)) throw e;
    return null;
  }
}

// ---------------------------------------------------------- stream builder

/** LSB-first bit writer, as deflate packs its fields. */
class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(value: number, n: number): this {
    for (let i = 0; i < n; i++) {
      this.acc |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
    return this;
  }
  /** A Huffman code, most significant bit first. */
  code(code: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.put((code >>> i) & 1, 1);
    return this;
  }
  /** Skip to the next byte boundary (stored blocks). */
  align(): this {
    return this.n ? this.put(0, 8 - this.n) : this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.n ? [...this.bytes, this.acc] : this.bytes);
  }
}

/** Canonical codes for `lengths` (RFC 1951 3.2.2). */
function canonical(lengths: number[]): number[] {
  const count = new Array<number>(17).fill(0);
  for (const l of lengths) if (l) count[l]++;
  const next = new Array<number>(17).fill(0);
  for (let len = 1, code = 0; len <= 16; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  return lengths.map((l) => (l ? next[l]++ : 0));
}

type Token = number | { len: number; dist: number };

/**
 * One dynamic block with the given code lengths; the code-lengths code is
 * sixteen 4-bit codes for 0..15 (complete), so every length is sent as is.
 */
function dynamicBlock(w: BitWriter, final: boolean, lit: number[], dist: number[], tokens: Token[]): void {
  w.put(final ? 1 : 0, 1).put(2, 2);
  w.put(lit.length - 257, 5).put(dist.length - 1, 5).put(19 - 4, 4);
  for (const s of CLEN_ORDER) w.put(s < 16 ? 4 : 0, 3);
  for (const l of [...lit, ...dist]) w.code(l, 4);
  const lc = canonical(lit);
  const dc = canonical(dist);
  const sym = (s: number): void => {
    assert.ok(lit[s], `symbol ${s} has a code`);
    w.code(lc[s], lit[s]);
  };
  for (const t of tokens) {
    if (typeof t === 'number') {
      sym(t);
      continue;
    }
    let li = 28;
    while (LEN_BASE[li] > t.len) li--;
    sym(257 + li);
    w.put(t.len - LEN_BASE[li], LEN_EXTRA[li]);
    let di = 29;
    while (DIST_BASE[di] > t.dist) di--;
    assert.ok(dist[di], `distance code ${di} has a code`);
    w.code(dc[di], dist[di]).put(t.dist - DIST_BASE[di], DIST_EXTRA[di]);
  }
  sym(256);
}

/** Random complete prefix code over `n` symbols, lengths capped at 15: split leaves of a binary tree. */
const completeLengths = (n: number, minUsed: number): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 15 }),
      fc.array(fc.nat(), { minLength: Math.max(0, minUsed - 2), maxLength: Math.min(n, 60) - 16 }),
      fc.array(fc.nat(), { minLength: n, maxLength: n }),
    )
    .map(([depth, splits, perm]) => {
      // A chain 1, 2, .., depth, depth reaches the longest codes; random splits then fill in.
      let leaves = [...Array.from({ length: depth }, (_, i) => i + 1), depth];
      for (const r of splits) {
        const cands = leaves.map((l, i) => [l, i]).filter(([l]) => l < 15);
        if (!cands.length) break;
        const [l, i] = cands[r % cands.length];
        leaves = [...leaves.slice(0, i), l + 1, l + 1, ...leaves.slice(i + 1)];
      }
      if (leaves.length === 1) leaves = [1, 1];
      // Scatter the leaves over symbols in a random order.
      const order = perm.map((p, i) => [p, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
      const lengths = new Array<number>(n).fill(0);
      leaves.forEach((l, k) => (lengths[order[k]] = l));
      return lengths;
    });

// ------------------------------------------------------------------- tests

const WORDS = ['kernel', ' panic', '\n', '[    1.234567] ', 'RIP: 0010:', '0000', 'ffffffff', ' Call Trace:', '\u0000\u0000\u0000\u0000'];
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.array(fc.constantFrom(...WORDS), { maxLength: 800 }).map((w) => new TextEncoder().encode(w.join(''))),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 70000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
);
const zlibStream = fc
  .tuple(
    payload,
    fc.integer({ min: 0, max: 9 }),
    fc.constantFrom(constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED),
    fc.integer({ min: 9, max: 15 }),
  )
  .map(([x, level, strategy, windowBits]) => ({ x, z: new Uint8Array(deflateRawSync(x, { level, strategy, windowBits })) }));

test('inflateRaw agrees with the bit-at-a-time reference on zlib streams, cut, mutated, under any maxOut', () => {
  fc.assert(
    fc.property(
      zlibStream,
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
      fc.nat(),
      ({ x, z }, cut, flips, room) => {
        const maxOut = room % (x.length + 2) === x.length + 1 ? x.length : room % (x.length + 2);
        const m = z.slice(0, z.length - (cut % 3 === 0 ? cut % (z.length + 1) : 0));
        for (const [at, xor] of flips) if (m.length) m[at % m.length] ^= xor;
        agree(m, maxOut);
        agree(z, x.length);
        if (x.length) agree(z, x.length - 1);
      },
    ),
    { numRuns: RUNS },
  );
});

test('inflateRaw agrees with the reference on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 5000 }), (x, maxOut) => agree(x, maxOut)),
    { numRuns: RUNS * 10 },
  );
});

test('inflateRaw accepts exactly what node:zlib accepts, with the same bytes', () => {
  fc.assert(
    fc.property(zlibStream, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 2 }), fc.nat(), ({ x, z }, flips, room) => {
      const m = z.slice();
      for (const [at, xor] of flips) if (m.length) m[at % m.length] ^= xor;
      const maxOut = 1 + (room % (x.length + 100));
      assert.deepEqual(ourResult(m, maxOut), zlibResult(m, maxOut));
    }),
    { numRuns: RUNS },
  );
});

test('hand-built blocks with random complete codes up to 15 bits: same bytes as zlib and the reference', () => {
  fc.assert(
    fc.property(
      completeLengths(286, 3),
      completeLengths(30, 1),
      fc.array(fc.oneof(fc.nat(), fc.record({ len: fc.integer({ min: 3, max: 258 }), dist: fc.integer({ min: 1, max: 32768 }) })), { maxLength: 300 }),
      fc.uint8Array({ maxLength: 40 }),
      (lit, dist, picks, stored) => {
        // Keep end-of-block coded, then map picks onto symbols that have codes.
        if (!lit[256]) {
          const s = lit.findIndex((l) => l > 0);
          lit[256] = lit[s];
          lit[s] = 0;
        }
        const bytes = lit.map((l, s) => (l && s < 256 ? s : -1)).filter((s) => s >= 0);
        const lens = lit.map((l, s) => (l && s > 256 ? s : -1)).filter((s) => s >= 0);
        const dists = dist.map((l, s) => (l ? s : -1)).filter((s) => s >= 0);
        const tokens: Token[] = [];
        // A stored block first when `stored` is not empty, so that matches reach into it.
        let produced = stored.length;
        for (const p of picks) {
          if (typeof p === 'number' || !lens.length || produced === 0) {
            if (!bytes.length) continue;
            tokens.push(bytes[(typeof p === 'number' ? p : p.len) % bytes.length]);
            produced++;
            continue;
          }
          const li = lens[p.len % lens.length] - 257;
          // Code 284 with all extra bits set would mean 258, which encoders write as 285.
          const len = Math.min(li === 27 ? 257 : 258, LEN_BASE[li] + (p.len % (1 << LEN_EXTRA[li])));
          const di = dists[p.dist % dists.length];
          const d = DIST_BASE[di] + (p.dist % (1 << DIST_EXTRA[di]));
          if (d > produced) continue;
          tokens.push({ len, dist: d });
          produced += len;
        }
        const w = new BitWriter();
        if (stored.length) {
          w.put(0, 1).put(0, 2).align().put(stored.length, 16).put(~stored.length & 0xffff, 16);
          for (const b of stored) w.put(b, 8);
        }
        dynamicBlock(w, true, lit, dist, tokens);
        const z = w.finish();
        const want = zlibResult(z, 1 << 24);
        assert.ok(want, 'zlib reads the hand-built stream');
        assert.equal(want.length, produced);
        assert.deepEqual(inflateRaw(z, produced).data, want);
        agree(z, produced);
        if (produced) agree(z, produced - 1);
      },
    ),
    { numRuns: RUNS },
  );
});

test('code set rules: single one-bit distance code, empty distance set, incomplete and over-subscribed sets', () => {
  const lit = new Array<number>(258).fill(0);
  lit[97] = 1;
  lit[256] = 2;
  lit[257] = 2;
  const run = (dist: number[], tokens: Token[], litLens = lit): Uint8Array => {
    const w = new BitWriter();
    dynamicBlock(w, true, litLens, dist, tokens);
    return w.finish();
  };
  // One distance code of one bit: zlib takes it.
  const one = run([1], [97, { len: 3, dist: 1 }]);
  assert.deepEqual(inflateRaw(one, 10).data, new TextEncoder().encode('aaaa'));
  assert.deepEqual(zlibResult(one, 10), new TextEncoder().encode('aaaa'));
  // Its unused pattern (bit 1) is an invalid code, not an end of input.
  const unused = new BitWriter();
  unused.put(1, 1).put(2, 2).put(1, 5).put(0, 5).put(15, 4);
  for (const s of CLEN_ORDER) unused.put(s < 16 ? 4 : 0, 3);
  for (const l of [...lit, 1]) unused.code(l, 4);
  unused.code(0, 1).code(3, 2).code(1, 1); // 'a', length 3, distance pattern 1
  assert.throws(() => inflateRaw(unused.finish(), 10), (e: InflateFail) => e.why === 'invalid Huffman code' && !e.truncated);
  // Ending just before that distance code is an end of input, not a bad code:
  // 3 + 14 + 19 * 3 + 259 * 4 header bits, eight 1-bit 'a's and the 2-bit length end on a byte.
  const cut = new BitWriter();
  cut.put(1, 1).put(2, 2).put(1, 5).put(0, 5).put(15, 4);
  for (const s of CLEN_ORDER) cut.put(s < 16 ? 4 : 0, 3);
  for (const l of [...lit, 1]) cut.code(l, 4);
  for (let i = 0; i < 8; i++) cut.code(0, 1);
  cut.code(3, 2);
  const cutZ = cut.finish();
  assert.equal((3 + 14 + 19 * 3 + 259 * 4 + 8 + 2) % 8, 0);
  assert.throws(() => inflateRaw(cutZ, 20), (e: InflateFail) => e.truncated);
  agree(cutZ, 20);
  // No distance codes at all is fine while no match comes.
  assert.deepEqual(inflateRaw(run([0], [97, 97]), 10).data, new TextEncoder().encode('aa'));
  // One code of two bits, or three of one bit: rejected, as zlib does.
  for (const bad of [[2], [1, 1, 1]]) {
    assert.throws(() => inflateRaw(run(bad, [97]), 10), /invalid distances set/);
    assert.equal(zlibResult(run(bad, [97]), 10), null);
  }
  const incomplete = lit.slice();
  incomplete[257] = 0;
  assert.throws(() => inflateRaw(run([1], [97], incomplete), 10), /invalid literal\/lengths set/);
  // Too far back: the first match may not reach before the output start.
  assert.throws(() => inflateRaw(run([0, 1], [97, { len: 3, dist: 2 }]), 10), /too far back/);
});

test('fixed blocks: codes 286/287 and distance codes 30/31 are errors; maxOut is exact across buffer growth', () => {
  // Fixed literal/length 286 is 8 bits 11000110 (280 + 6).
  const w = new BitWriter().put(1, 1).put(1, 2).code(0x30 + 97, 8).code(0xc0 + 6, 8).code(0, 7);
  assert.throws(() => inflateRaw(w.finish(), 10), (e: InflateFail) => e.why === 'invalid literal/length code' && !e.truncated);
  const d30 = new BitWriter().put(1, 1).put(1, 2).code(0x30 + 97, 8).code(1, 7).code(30, 5).code(0, 7);
  assert.throws(() => inflateRaw(d30.finish(), 10), (e: InflateFail) => !e.truncated);
  assert.equal(zlibResult(d30.finish(), 10), null);
  // Input ending inside a distance code is truncated, whether or not the code would be valid.
  // Header, k 9-bit literals and a 7-bit length code, then `have` bits of the 5-bit distance code.
  const ninths = (k: number): BitWriter => {
    const w2 = new BitWriter().put(1, 1).put(1, 2);
    for (let i = 0; i < k; i++) w2.code(0x190, 9);
    return w2.code(1, 7);
  };
  for (const [k, have] of [[3, 3], [2, 4]]) {
    for (const d of [30, 29]) {
      const cut = ninths(k).code(d >> (5 - have), have).finish();
      assert.equal(cut.length * 8, 3 + 9 * k + 7 + have, 'ends on a byte boundary');
      assert.throws(() => inflateRaw(cut, 10), (e: InflateFail) => e.truncated);
      agree(cut, 10);
    }
  }
  const full = ninths(3).code(30, 5).finish();
  assert.throws(() => inflateRaw(full, 10), (e: InflateFail) => e.why === 'invalid Huffman code' && !e.truncated);
  agree(full, 10);
  // Output far beyond the first buffer guess (8x the input): a stored block and a long run.
  const big = new Uint8Array(300000).map((_, i) => (i * 2654435761) >>> 24);
  const zs = new Uint8Array(deflateRawSync(big, { level: 0 }));
  assert.deepEqual(inflateRaw(zs, big.length).data, big);
  assert.throws(() => inflateRaw(zs, big.length - 1), /output larger than 299999 bytes/);
  const zeros = new Uint8Array(deflateRawSync(new Uint8Array(200000)));
  assert.equal(inflateRaw(zeros, 200000).data.length, 200000);
  assert.throws(() => inflateRaw(zeros, 199999), /output larger than 199999 bytes/);
  assert.equal(inflateRaw(zeros, 200000).consumed, zeros.length);
  // Zero room: only an empty stream fits.
  assert.deepEqual(inflateRaw(Uint8Array.of(3, 0), 0).data, new Uint8Array(0));
  assert.throws(() => inflateRaw(zeros, 0), /output larger than 0 bytes/);
});

test('every prefix of a real stream is truncated; bytes after the end are not consumed', () => {
  const x = new TextEncoder().encode('[    0.000000] Linux version 6.1.0 (gcc) #1 SMP PREEMPT_DYNAMIC\n'.repeat(30));
  for (const z of [deflateRawSync(x, { windowBits: 11, memLevel: 9 }), deflateRawSync(x, { strategy: constants.Z_FIXED })]) {
    const u = new Uint8Array(z);
    for (let i = 0; i < u.length; i++) {
      try {
        inflateRaw(u.subarray(0, i), x.length);
        // The 6.1 zero-byte workaround exists because a last all-zero byte may be missing.
        assert.ok(i === u.length - 1 && u[i] === 0, `prefix ${i} of ${u.length} inflated`);
      } catch (e) {
        assert.ok(e instanceof InflateFail && e.truncated, `prefix ${i}: ${(e as Error).message}`);
      }
      agree(u.subarray(0, i), x.length);
    }
    const tail = new Uint8Array([...u, 0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual(inflateRaw(tail, x.length), { data: x, consumed: u.length });
  }
});
