/**
 * GF(2^8) with the field polynomial ramoops uses (x^8+x^4+x^3+x^2+1, 0x11d),
 * tables built once at module load, laid out like lib/reed_solomon's:
 * GF_LOG[0] = GF_NN stands for log(0), and GF_EXP[GF_NN] = 0 maps it back, so
 * the decoder can feed "zero" through index arithmetic without branches.
 */

/** Symbol size in bits. */
export const GF_BITS = 8;
/** Field generator polynomial. */
export const GF_POLY = 0x11d;
/** Number of non-zero field elements, also the full code length. */
export const GF_NN = 255;

/** alpha^i for i in 0..254; GF_EXP[255] = 0 (alpha^-inf). */
export const GF_EXP = new Uint8Array(GF_NN + 1);
/** log_alpha(x) for x in 1..255; GF_LOG[0] = 255 (-inf). */
export const GF_LOG = new Uint8Array(GF_NN + 1);
/** alpha^i for i in 0..509, so exp of a sum of two logs needs no reduction. */
export const GF_EXP2 = new Uint8Array(2 * GF_NN);

{
  let sr = 1;
  for (let i = 0; i < GF_NN; i++) {
    GF_LOG[sr] = i;
    GF_EXP[i] = sr;
    sr <<= 1;
    if (sr & 0x100) sr ^= GF_POLY;
  }
  GF_LOG[0] = GF_NN;
  GF_EXP[GF_NN] = 0;
  for (let i = 0; i < 2 * GF_NN; i++) GF_EXP2[i] = GF_EXP[i % GF_NN];
}

/** x mod 255 for any non-negative x (the kernel's rs_modnn gives the same). */
export function modnn(x: number): number {
  return x % GF_NN;
}

/** Field product. */
export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return GF_EXP2[GF_LOG[a] + GF_LOG[b]];
}
