/**
 * 842 decoder, following lib/842/842_decompress.c's acceptance rules: every
 * read is bounds-checked against the input, every write against maxOut, every
 * index against the bytes already produced, and the trailing crc32_be must
 * match. Each loop turn consumes at least five input bits, so it always ends.
 */
import { DecompressError } from '../../../errors.js';
import { crc32Be } from './crc32be.js';
import {
  ACT_INDEX,
  CRC_BITS,
  I2_BITS,
  I2_RING,
  I4_BITS,
  I4_RING,
  I8_BITS,
  I8_RING,
  OP_BITS,
  OP_END,
  OP_REPEAT,
  OP_SHORT_DATA,
  OP_ZEROS,
  REPEAT_BITS,
  SHORT_DATA_BITS,
  TEMPLATES,
  TEMPLATE_COUNT,
} from './format.js';

const ALGO = '842';

function fail(message: string): never {
  throw new DecompressError(ALGO, message);
}

/** Decompress one 842 stream (bytes after its END/CRC are ignored, as the kernel does). */
export function sw842Decompress(src: Uint8Array, maxOut: number): Uint8Array {
  if (!Number.isSafeInteger(maxOut) || maxOut < 0) fail(`invalid output limit ${maxOut}`);
  // The kernel reports the length in an unsigned int and refuses more.
  maxOut = Math.min(maxOut, 0xffffffff);

  // A copy with 5 spare zero bytes lets the bit reader load whole words
  // without per-byte end checks; the real end is enforced by bitLen.
  const inBuf = new Uint8Array(src.length + 5);
  inBuf.set(src);
  const bitLen = src.length * 8;
  let bitPos = 0;

  // Output grows geometrically up to maxOut: no up-front allocation of a
  // large limit for a small stream.
  let out: Uint8Array = new Uint8Array(Math.min(maxOut, Math.max(4096, src.length * 4)));
  let outPos = 0;

  /** Next n (1..32) bits, most significant first. */
  const readBits = (n: number): number => {
    if (bitPos + n > bitLen) {
      fail(`truncated input: need ${n} bits at byte ${bitPos >>> 3} (bit ${bitPos & 7}) of ${src.length}`);
    }
    const byte = bitPos >>> 3;
    const shift = bitPos & 7;
    bitPos += n;
    const word = ((inBuf[byte] << 24) | (inBuf[byte + 1] << 16) | (inBuf[byte + 2] << 8) | inBuf[byte + 3]) >>> 0;
    const used = shift + n;
    if (used <= 32) return ((word << shift) >>> 0) >>> (32 - n);
    // n > 24 and unaligned: the tail spills into a fifth byte.
    const head = ((word << shift) >>> 0) >>> (32 - n);
    return (head | (inBuf[byte + 4] >>> (40 - used))) >>> 0;
  };

  /** Make room for n more output bytes, or fail as the kernel does (-ENOSPC). */
  const reserve = (n: number): void => {
    const need = outPos + n;
    if (need > maxOut) fail(`output exceeds limit of ${maxOut} bytes at input byte ${bitPos >>> 3}`);
    if (need > out.length) {
      let grown: Uint8Array;
      try {
        grown = new Uint8Array(Math.min(maxOut, Math.max(need, out.length * 2)));
      } catch {
        fail(`cannot allocate ${need} bytes of output`);
      }
      grown.set(out.subarray(0, outPos));
      out = grown;
    }
  };

  /**
   * Copy a `size`-byte slot named by an index from the ring of recent output.
   * Slots are positions modulo `ring` in the output, resolved against the last
   * whole 8-byte block written: the newest copy before that point wins.
   */
  const copyIndexed = (size: number, bits: number, ring: number): void => {
    const at = bitPos;
    const index = readBits(bits);
    const total = outPos - (outPos % 8);
    let offset = index * size;
    if (total > ring) {
      let section = total - (total % ring);
      if (offset >= total - section) section -= ring;
      offset += section;
    }
    if (offset + size > total) {
      fail(`index ${index} (I${size}) at bit ${at} points past the ${total} bytes written`);
    }
    for (let i = 0; i < size; i++) out[outPos + i] = out[offset + i];
    outPos += size;
  };

  for (;;) {
    const opAt = bitPos;
    const op = readBits(OP_BITS);
    if (op < TEMPLATE_COUNT) {
      reserve(8);
      const row = op * 4;
      for (let a = 0; a < 4; a++) {
        const act = TEMPLATES[row + a];
        if (act === 0) break;
        const size = act & 0x0f;
        if (act & ACT_INDEX) {
          if (size === 2) copyIndexed(2, I2_BITS, I2_RING);
          else if (size === 4) copyIndexed(4, I4_BITS, I4_RING);
          else copyIndexed(8, I8_BITS, I8_RING);
        } else {
          for (let i = 0; i < size; i += 2) {
            const v = readBits(16);
            out[outPos++] = v >>> 8;
            out[outPos++] = v & 0xff;
          }
        }
      }
      continue;
    }
    if (op === OP_END) break;
    if (op === OP_ZEROS) {
      reserve(8);
      out.fill(0, outPos, outPos + 8);
      outPos += 8;
    } else if (op === OP_REPEAT) {
      const count = readBits(REPEAT_BITS) + 1;
      // The kernel only refuses an empty output; fewer than 8 bytes would make
      // it read before its buffer, so that is refused here too.
      if (outPos < 8) fail(`repeat at bit ${opAt} with only ${outPos} bytes written`);
      reserve(count * 8);
      const end = outPos + count * 8;
      for (let i = outPos; i < end; i++) out[i] = out[i - 8];
      outPos = end;
    } else if (op === OP_SHORT_DATA) {
      const count = readBits(SHORT_DATA_BITS);
      if (count === 0) fail(`empty short-data template at bit ${opAt}`);
      reserve(count);
      for (let i = 0; i < count; i++) out[outPos++] = readBits(8);
    } else {
      fail(`invalid template 0x${op.toString(16)} at bit ${opAt}`);
    }
  }

  const crcAt = bitPos;
  const stored = readBits(CRC_BITS);
  const actual = crc32Be(0, out, 0, outPos);
  if (stored !== actual) {
    fail(
      `crc mismatch at bit ${crcAt}: stored 0x${stored.toString(16).padStart(8, '0')}, ` +
        `computed 0x${actual.toString(16).padStart(8, '0')} over ${outPos} bytes`,
    );
  }
  return outPos === out.length ? out : out.slice(0, outPos);
}
