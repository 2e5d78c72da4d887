/**
 * 842 encoder that makes the same choices as lib/842/842_compress.c, so its
 * output matches the kernel's byte for byte: per 8-byte block, REPEAT for a
 * run of identical blocks, ZEROS for a zero block, else the first template
 * (in the kernel's preference order) whose index actions all hit the rings,
 * D8 as the fallback; a SHORT_DATA tail; END; crc32_be; zero padding to a
 * multiple of 8 bytes.
 */
import { crc32Be } from './crc32be.js';
import {
  ACT_INDEX,
  CRC_BITS,
  I2_BITS,
  I4_BITS,
  I8_BITS,
  OP_BITS,
  OP_END,
  OP_REPEAT,
  OP_SHORT_DATA,
  OP_ZEROS,
  REPEAT_BITS,
  REPEAT_MAX,
  SHORT_DATA_BITS,
  TEMPLATES,
  TEMPLATE_PREFERENCE,
} from './format.js';

/**
 * Recently seen values, one slot per ring position, found by value. Like the
 * kernel's hashtable of ring nodes, a lookup returns the slot whose value was
 * stored most recently among those holding that value; that choice is
 * visible in the output, so buckets are kept as newest-first chains.
 */
class RingDictionary {
  private readonly keyHi: Uint32Array;
  private readonly keyLo: Uint32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly bucketOf: Int32Array;
  private readonly head: Int32Array;
  private readonly shift: number;

  constructor(slots: number, bucketBits: number) {
    this.keyHi = new Uint32Array(slots);
    this.keyLo = new Uint32Array(slots);
    this.next = new Int32Array(slots);
    this.prev = new Int32Array(slots);
    this.bucketOf = new Int32Array(slots).fill(-1);
    this.head = new Int32Array(1 << bucketBits).fill(-1);
    this.shift = 32 - bucketBits;
  }

  private bucket(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Slot holding (hi, lo), newest first, or -1. */
  find(hi: number, lo: number): number {
    for (let n = this.head[this.bucket(hi, lo)]; n >= 0; n = this.next[n]) {
      if (this.keyLo[n] === lo && this.keyHi[n] === hi) return n;
    }
    return -1;
  }

  /** Put (hi, lo) in `slot`, making it the newest holder of that value. */
  store(slot: number, hi: number, lo: number): void {
    const old = this.bucketOf[slot];
    if (old >= 0) {
      const p = this.prev[slot];
      const n = this.next[slot];
      if (p >= 0) this.next[p] = n;
      else this.head[old] = n;
      if (n >= 0) this.prev[n] = p;
    }
    this.keyHi[slot] = hi;
    this.keyLo[slot] = lo;
    const b = this.bucket(hi, lo);
    const first = this.head[b];
    this.next[slot] = first;
    this.prev[slot] = -1;
    if (first >= 0) this.prev[first] = slot;
    this.head[b] = slot;
    this.bucketOf[slot] = b;
  }
}

/** Thrown inside the encoder when the output would pass its limit. */
const FULL = Symbol('sw842 output full');

class BitWriter {
  readonly buf: Uint8Array;
  pos = 0;
  private acc = 0;
  private nbits = 0;

  constructor(readonly limit: number) {
    this.buf = new Uint8Array(limit);
  }

  /** Append the low n (0..24) bits of v, most significant first. */
  put(v: number, n: number): void {
    this.acc = (this.acc << n) | v;
    this.nbits += n;
    while (this.nbits >= 8) {
      this.nbits -= 8;
      if (this.pos >= this.limit) throw FULL;
      this.buf[this.pos++] = (this.acc >>> this.nbits) & 0xff;
    }
    this.acc &= (1 << this.nbits) - 1;
  }

  put32(v: number): void {
    this.put(v >>> 16, 16);
    this.put(v & 0xffff, 16);
  }

  /** Flush a partial byte, zero-filled. */
  alignToByte(): void {
    if (this.nbits > 0) this.put(0, 8 - this.nbits);
  }
}

/** Largest possible 842 stream for n input bytes (every block as D8). */
export function sw842Bound(n: number): number {
  const blocks = Math.floor(n / 8);
  const bits = blocks * (OP_BITS + 64) + (OP_BITS + SHORT_DATA_BITS + 7 * 8) + OP_BITS + CRC_BITS;
  return Math.ceil(Math.ceil(bits / 8) / 8) * 8;
}

/** Bits of the "ring hit" mask: which of the block's words are in a ring. */
const HIT8 = 1;
const HIT4 = 2; // << k for 4-byte word k (0, 1)
const HIT2 = 8; // << k for 2-byte word k (0..3)

/**
 * For every hit mask, the template the kernel would pick: the first in
 * preference order whose index actions all hit. Lookups have no side effects,
 * so deciding from all seven up front gives the kernel's lazy choice.
 */
const CHOICE: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let mask = 0; mask < 128; mask++) {
    for (const code of TEMPLATE_PREFERENCE) {
      let ok = true;
      for (let a = 0, at = 0; a < 4; a++) {
        const act = TEMPLATES[code * 4 + a];
        const size = act & 0x0f;
        if (act & ACT_INDEX) {
          const bit = size === 2 ? HIT2 << (at >> 1) : size === 4 ? HIT4 << (at >> 2) : HIT8;
          if (!(mask & bit)) ok = false;
        }
        at += size;
      }
      if (ok) {
        t[mask] = code;
        break;
      }
    }
  }
  return t;
})();

/**
 * Compress src as the kernel's sw842_compress would. Returns null when the
 * stream (including its padding to 8 bytes) needs more than maxOut bytes.
 */
export function sw842Compress(src: Uint8Array, maxOut: number): Uint8Array | null {
  if (!Number.isSafeInteger(maxOut) || maxOut < 0) return null;
  const w = new BitWriter(Math.min(maxOut, sw842Bound(src.length)));
  try {
    encode(src, w);
  } catch (e) {
    if (e === FULL) return null;
    throw e;
  }
  return w.pos === w.buf.length ? w.buf : w.buf.slice(0, w.pos);
}

function encode(src: Uint8Array, w: BitWriter): void {
  const dict8 = new RingDictionary(1 << I8_BITS, 10);
  const dict4 = new RingDictionary(1 << I4_BITS, 11);
  const dict2 = new RingDictionary(1 << I2_BITS, 10);
  // This block as 2- and 4-byte big-endian words, and the ring slot of each
  // (-1 when absent).
  const d2 = new Uint32Array(4);
  const d4 = new Uint32Array(2);
  const idx2 = new Int32Array(4);
  const idx4 = new Int32Array(2);
  let idx8 = -1;
  let hi = 0;
  let lo = 0;

  const emitTemplate = (code: number): void => {
    w.put(code, OP_BITS);
    let at = 0;
    for (let a = 0; a < 4; a++) {
      const act = TEMPLATES[code * 4 + a];
      if (act === 0) break;
      const size = act & 0x0f;
      if (act & ACT_INDEX) {
        if (size === 2) w.put(idx2[at >> 1], I2_BITS);
        else if (size === 4) w.put(idx4[at >> 2], I4_BITS);
        else w.put(idx8, I8_BITS);
      } else if (size === 2) {
        w.put(d2[at >> 1], 16);
      } else if (size === 4) {
        // Data may start mid-block (I2 D4 I2): take the bytes where they are.
        if (at === 2) w.put32(((d2[1] << 16) | d2[2]) >>> 0);
        else w.put32(d4[at >> 2]);
      } else {
        w.put32(hi);
        w.put32(lo);
      }
      at += size;
    }
  };

  const emitRepeat = (blocks: number): void => {
    w.put(OP_REPEAT, OP_BITS);
    w.put(blocks - 1, REPEAT_BITS);
  };

  const full = src.length - (src.length % 8);
  let run = 0;
  let lastHi = 0;
  let lastLo = 0;
  for (let pos = 0; pos < full; pos += 8) {
    hi = ((src[pos] << 24) | (src[pos + 1] << 16) | (src[pos + 2] << 8) | src[pos + 3]) >>> 0;
    lo = ((src[pos + 4] << 24) | (src[pos + 5] << 16) | (src[pos + 6] << 8) | src[pos + 7]) >>> 0;
    d4[0] = hi;
    d4[1] = lo;
    d2[0] = hi >>> 16;
    d2[1] = hi & 0xffff;
    d2[2] = lo >>> 16;
    d2[3] = lo & 0xffff;

    const same = pos > 0 && hi === lastHi && lo === lastLo;
    let covered = false;
    if (same && ++run < REPEAT_MAX) {
      covered = true;
    } else if (run > 0) {
      // A full run includes this block; a broken run does not.
      emitRepeat(run);
      run = 0;
      covered = same;
    }
    if (!covered) {
      if (hi === 0 && lo === 0) {
        w.put(OP_ZEROS, OP_BITS);
      } else {
        let mask = 0;
        idx8 = dict8.find(hi, lo);
        if (idx8 >= 0) mask |= HIT8;
        for (let k = 0; k < 2; k++) {
          idx4[k] = dict4.find(0, d4[k]);
          if (idx4[k] >= 0) mask |= HIT4 << k;
        }
        for (let k = 0; k < 4; k++) {
          idx2[k] = dict2.find(0, d2[k]);
          if (idx2[k] >= 0) mask |= HIT2 << k;
        }
        emitTemplate(CHOICE[mask]);
      }
    }

    lastHi = hi;
    lastLo = lo;
    // Every block, repeated or not, takes its ring slots (it is in the output).
    const s8 = (pos >>> 3) % (1 << I8_BITS);
    const s4 = (pos >>> 2) % (1 << I4_BITS);
    const s2 = (pos >>> 1) % (1 << I2_BITS);
    dict8.store(s8, hi, lo);
    dict4.store(s4, 0, d4[0]);
    dict4.store(s4 + 1, 0, d4[1]);
    for (let k = 0; k < 4; k++) dict2.store(s2 + k, 0, d2[k]);
  }
  if (run > 0) emitRepeat(run);

  const tail = src.length - full;
  if (tail > 0) {
    w.put(OP_SHORT_DATA, OP_BITS);
    w.put(tail, SHORT_DATA_BITS);
    for (let i = full; i < src.length; i++) w.put(src[i], 8);
  }
  w.put(OP_END, OP_BITS);
  w.put32(crc32Be(0, src));
  w.alignToByte();
  while (w.pos % 8 !== 0) w.put(0, 8);
}
