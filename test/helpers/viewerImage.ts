/**
 * The viewer tests' image (test/viewer.test.ts in Node, test/browser/viewer.test.ts
 * in chromium): kernel-6.1/panic-ecc16 with 3 bytes flipped in ECC block 20 of
 * zone 0 (corrected) and 12 in block 80 (unrecoverable), both inside the saved log.
 */
import { readFileSync } from 'node:fs';
import { paramsFromObject } from '../../src/backends/ramoops/params.js';
import { fixturePath, readFixture } from './fixtures.js';

export const SCENARIO = ['kernel-6.1', 'panic-ecc16'];
export const CORRECTED_BLOCK = 20;
/** Near the end of the deflate stream: the text before it (with the panic) still inflates. */
export const BAD_BLOCK = 80;

export const paramsPath = fixturePath(...SCENARIO, 'params.json');
export const params = paramsFromObject(JSON.parse(readFileSync(paramsPath, 'utf8')));

/** The fixture with one correctable and one unrecoverable block in zone 0's saved log. */
export function corruptedImage(): Uint8Array {
  const bytes = readFixture(...SCENARIO, 'image.bin');
  const at = (block: number, i: number, stride: number): number => 12 + block * 128 + 3 + i * stride;
  for (let i = 0; i < 3; i++) bytes[at(CORRECTED_BLOCK, i, 7)] ^= 0x5a;
  for (let i = 0; i < 12; i++) bytes[at(BAD_BLOCK, i, 5)] ^= 0xa5;
  return bytes;
}
