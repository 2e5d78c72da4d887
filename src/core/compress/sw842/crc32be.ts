/**
 * The kernel's crc32_be as sw842 calls it: polynomial 0x04c11db7, processed
 * most-significant bit first, caller-supplied seed, no final inversion.
 * sw842 seeds it with 0 and stores the result after the END template.
 */
const CRC32_POLY_BE = 0x04c11db7;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ CRC32_POLY_BE : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** crc32_be(seed, buf[start..end)). */
export function crc32Be(seed: number, buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = seed >>> 0;
  for (let i = start; i < end; i++) crc = (crc << 8) ^ TABLE[((crc >>> 24) ^ buf[i]) & 0xff];
  return crc >>> 0;
}
