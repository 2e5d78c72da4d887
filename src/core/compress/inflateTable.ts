/**
 * Huffman decoding tables for the raw-deflate inflater, in the two-level
 * shape zlib's inflate_table builds: a root table indexed by the next `root`
 * input bits (LSB first) and, for longer codes, sub-tables linked from it.
 *
 * One Int32 per entry, so a lookup yields everything the decode loop needs:
 *   bits 0..3   bits to drop at this level
 *   bits 4..10  op: LIT (value = byte), EOB, BAD (a symbol that may be coded
 *               but is invalid: lit/len 286-287), NONE (no code uses this
 *               pattern: the only entry that drops 0 bits), BASE + extra-bit count
 *               (value = length or distance base), LINK + sub-table bits
 *               (value = sub-table offset)
 *   bits 16..31 value
 */

export const OP_LIT = 0;
export const OP_EOB = 1;
export const OP_BAD = 2;
export const OP_NONE = 3;
/** The entry for a bit pattern no code uses. */
export const UNUSED = OP_NONE << 4;
/** op = OP_BASE + number of extra bits (0..13). */
export const OP_BASE = 16;
/** op = OP_LINK + sub-table index bits. */
export const OP_LINK = 64;

export const MAXBITS = 15;
/** Root bits: 10 covers all but the rarest literal/length codes; 8 covers most distances. */
export const LIT_ROOT = 10;
export const DIST_ROOT = 8;
export const CLEN_ROOT = 7;

/*
 * Worst-case sizes: a sub-table hangs off a root entry only for codes longer
 * than `root`, each sub-table holds at most 2^(15 - root) entries, and there
 * are never more sub-tables than such codes.
 */
export const LIT_TABLE_SIZE = (1 << LIT_ROOT) + 288 * (1 << (MAXBITS - LIT_ROOT));
export const DIST_TABLE_SIZE = (1 << DIST_ROOT) + 32 * (1 << (MAXBITS - DIST_ROOT));
export const CLEN_TABLE_SIZE = 1 << CLEN_ROOT;

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** Entry for each symbol, without its code length. */
export const LIT_SYMS = new Int32Array(288);
export const DIST_SYMS = new Int32Array(32);
export const CLEN_SYMS = new Int32Array(19);
for (let s = 0; s < 288; s++) {
  if (s < 256) LIT_SYMS[s] = (s << 16) | (OP_LIT << 4);
  else if (s === 256) LIT_SYMS[s] = OP_EOB << 4;
  else if (s < 286) LIT_SYMS[s] = (LEN_BASE[s - 257] << 16) | ((OP_BASE + LEN_EXTRA[s - 257]) << 4);
  else LIT_SYMS[s] = OP_BAD << 4;
}
for (let s = 0; s < 32; s++) DIST_SYMS[s] = s < 30 ? (DIST_BASE[s] << 16) | ((OP_BASE + DIST_EXTRA[s]) << 4) : OP_BAD << 4;
for (let s = 0; s < 19; s++) CLEN_SYMS[s] = s << 16;

/** Bit-reversal of every byte: deflate sends Huffman codes MSB first, we index LSB first. */
const REV8 = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) r |= ((i >> b) & 1) << (7 - b);
  REV8[i] = r;
}

/** Scratch for the builder (the inflater never re-enters itself). */
const count = new Uint16Array(MAXBITS + 1);
const offs = new Uint16Array(MAXBITS + 2);
const sorted = new Uint16Array(320);

/**
 * Kraft check as zlib does it: the number of unused codes at the longest
 * length (0 = complete), or -1 when the lengths are over-subscribed. Also
 * fills the per-length counts buildTable needs next.
 */
export function codeSpace(lengths: Uint8Array, at: number, n: number): number {
  count.fill(0);
  for (let s = 0; s < n; s++) count[lengths[at + s]]++;
  count[0] = 0;
  let left = 1;
  for (let len = 1; len <= MAXBITS; len++) {
    left = (left << 1) - count[len];
    if (left < 0) return -1;
  }
  return left;
}

/** Whether the set codeSpace last counted is one code of one bit (the incomplete set zlib accepts). */
export function isSingleOneBitCode(): boolean {
  let nonzero = 0;
  for (let len = 1; len <= MAXBITS; len++) nonzero += count[len];
  return nonzero === 1 && count[1] === 1;
}

/**
 * Fills `table` for the code lengths `lengths[at .. at+n)` (already checked
 * by codeSpace, which must be the call just before). Patterns no code uses
 * get UNUSED. `syms` maps a symbol to its entry without the length bits.
 * Returns the longest code length (0 when no symbol has a code).
 */
export function buildTable(table: Int32Array, root: number, lengths: Uint8Array, at: number, n: number, syms: Int32Array): number {
  let maxLen = 0;
  for (let len = MAXBITS; len > 0; len--) {
    if (count[len]) {
      maxLen = len;
      break;
    }
  }
  const rootSize = 1 << root;
  table.fill(UNUSED, 0, rootSize);
  if (maxLen === 0) return 0;
  // Counting sort by length: canonical code order is (length, symbol).
  offs[1] = 0;
  for (let len = 1; len <= MAXBITS; len++) offs[len + 1] = offs[len] + count[len];
  const total = offs[MAXBITS + 1];
  for (let s = 0; s < n; s++) {
    const len = lengths[at + s];
    if (len) sorted[offs[len]++] = s;
  }
  let code = 0; // canonical code, MSB first
  let len = 1;
  let left = count[1]; // codes still to place at `len`
  let next = rootSize; // where the next sub-table goes
  let prefix = -1; // root bits of the current sub-table's codes
  let subBase = 0;
  let subBits = 0;
  for (let i = 0; i < total; i++) {
    while (left === 0) {
      code <<= 1;
      len++;
      left = count[len];
    }
    const rev = ((REV8[code & 0xff] << 8) | REV8[code >>> 8]) >>> (16 - len);
    const entry = syms[sorted[i]];
    if (len <= root) {
      const e = entry | len;
      for (let k = rev; k < rootSize; k += 1 << len) table[k] = e;
    } else {
      const low = rev & (rootSize - 1);
      if (low !== prefix) {
        // A new sub-table: as wide as the codes that share this prefix need.
        // Those codes are consecutive in canonical order, so the counts left
        // at each length tell when the prefix's share of code space is full.
        prefix = low;
        subBase = next;
        subBits = len - root;
        let room = (1 << subBits) - left;
        let l = len;
        while (room > 0 && l < maxLen) {
          l++;
          subBits++;
          room = (room << 1) - count[l];
        }
        next += 1 << subBits;
        table.fill(UNUSED, subBase, next);
        table[low] = (subBase << 16) | ((OP_LINK + subBits) << 4) | root;
      }
      const sublen = len - root;
      const e = entry | sublen;
      const end = subBase + (1 << subBits);
      for (let k = subBase + (rev >>> root); k < end; k += 1 << sublen) table[k] = e;
    }
    code++;
    left--;
  }
  return maxLen;
}
