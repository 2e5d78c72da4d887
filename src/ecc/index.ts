export { GF_BITS, GF_EXP, GF_LOG, GF_NN, GF_POLY, gfMul } from './galois.js';
export { EBADMSG, RS_UNCORRECTABLE, ReedSolomon, reedSolomon, SIMD_AFTER_BYTES } from './reedSolomon.js';
