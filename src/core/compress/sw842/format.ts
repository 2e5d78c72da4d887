/**
 * The 842 stream format (lib/842/842.h): a sequence of 5-bit template codes,
 * most significant bit first. Codes 0x00..0x19 each produce one 8-byte block
 * from up to four actions; the rest are special. The stream is followed, right
 * after END, by a 32-bit crc32_be of the whole output, then zero padding.
 */

export const OP_BITS = 5;
export const OP_REPEAT = 0x1b;
export const OP_ZEROS = 0x1c;
/** Software-only: 1..7 literal bytes, lets the length be a non-multiple of 8. */
export const OP_SHORT_DATA = 0x1d;
export const OP_END = 0x1e;
/** Number of block templates (codes 0..TEMPLATE_COUNT-1). */
export const TEMPLATE_COUNT = 0x1a;

export const REPEAT_BITS = 6;
export const SHORT_DATA_BITS = 3;
export const CRC_BITS = 32;
export const REPEAT_MAX = 1 << REPEAT_BITS; // blocks per REPEAT (arg is count - 1)

/** Index argument widths; each index names a slot of that size in a ring. */
export const I2_BITS = 8;
export const I4_BITS = 9;
export const I8_BITS = 8;
/** Ring sizes in bytes: slots * slot size. */
export const I2_RING = 2 << I2_BITS; // 512
export const I4_RING = 4 << I4_BITS; // 2048
export const I8_RING = 8 << I8_BITS; // 2048

/**
 * An action byte: low nibble = bytes produced (2, 4, 8), INDEX flag set for a
 * ring reference, clear for literal data. 0 = no action (row padding).
 */
export const ACT_INDEX = 0x10;
export const D2 = 2;
export const D4 = 4;
export const D8 = 8;
export const I2 = ACT_INDEX | 2;
export const I4 = ACT_INDEX | 4;
export const I8 = ACT_INDEX | 8;

/** Actions of each block template, four per code, zero-padded. */
export const TEMPLATES: Uint8Array = new Uint8Array(
  [
    [D8], //                0x00
    [D4, D2, I2], //        0x01
    [D4, I2, D2], //        0x02
    [D4, I2, I2], //        0x03
    [D4, I4], //            0x04
    [D2, I2, D4], //        0x05
    [D2, I2, D2, I2], //    0x06
    [D2, I2, I2, D2], //    0x07
    [D2, I2, I2, I2], //    0x08
    [D2, I2, I4], //        0x09
    [I2, D2, D4], //        0x0a
    [I2, D4, I2], //        0x0b
    [I2, D2, I2, D2], //    0x0c
    [I2, D2, I2, I2], //    0x0d
    [I2, D2, I4], //        0x0e
    [I2, I2, D4], //        0x0f
    [I2, I2, D2, I2], //    0x10
    [I2, I2, I2, D2], //    0x11
    [I2, I2, I2, I2], //    0x12
    [I2, I2, I4], //        0x13
    [I4, D4], //            0x14
    [I4, D2, I2], //        0x15
    [I4, I2, D2], //        0x16
    [I4, I2, I2], //        0x17
    [I4, I4], //            0x18
    [I8], //                0x19
  ].flatMap((row) => [row[0] ?? 0, row[1] ?? 0, row[2] ?? 0, row[3] ?? 0]),
);

/**
 * The order in which the kernel's compressor tries templates: cheapest
 * encoding first (fewest argument bits), D8 (0x00) as the fallback. Ties are
 * broken in this exact order, which decides the output bytes.
 */
export const TEMPLATE_PREFERENCE: Uint8Array = new Uint8Array([
  0x19, 0x18, 0x17, 0x13, 0x12, 0x16, 0x15, 0x0e, 0x09, 0x11, 0x10, 0x0d, 0x08, 0x14, 0x04, 0x0f, 0x0c, 0x0b, 0x07,
  0x06, 0x03, 0x0a, 0x05, 0x02, 0x01, 0x00,
]);
