/**
 * src/scan/efiSignature.ts: the streaming search for firmware volumes and
 * variable stores finds every signature exactly once, whatever the chunking
 * (signatures straddling chunk seams included), on Buffers and plain arrays.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FV_SIGNATURE_OFFSET } from '../src/backends/efi/firmwareVolume.js';
import { AUTH_STORE_SIGNATURE, PLAIN_STORE_SIGNATURE } from '../src/backends/efi/variableStore.js';
import { EfiSignatureFinder, type EfiCandidate } from '../src/scan/efiSignature.js';

const FVH = Uint8Array.of(0x5f, 0x46, 0x56, 0x48);
const PATTERNS = [FVH, AUTH_STORE_SIGNATURE, PLAIN_STORE_SIGNATURE];

/** The candidates by a plain scan of the whole buffer. */
function naive(bytes: Uint8Array): EfiCandidate[] {
  const out: EfiCandidate[] = [];
  for (let p = 0; p < bytes.length; p++) {
    for (const pat of PATTERNS) {
      if (p + pat.length > bytes.length || pat.some((b, i) => bytes[p + i] !== b)) continue;
      if (pat === FVH) {
        if (p >= FV_SIGNATURE_OFFSET) out.push({ offset: p - FV_SIGNATURE_OFFSET, kind: 'fv' });
      } else out.push({ offset: p, kind: 'store' });
    }
  }
  return out.sort((a, b) => a.offset - b.offset || a.kind.localeCompare(b.kind));
}

const sorted = (c: EfiCandidate[]): EfiCandidate[] => [...c].sort((a, b) => a.offset - b.offset || a.kind.localeCompare(b.kind));

test('property: chunked pushes find what one scan of the whole finds, seams included', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 600, size: 'max' }),
      fc.array(fc.tuple(fc.nat(2), fc.nat()), { maxLength: 8, size: 'max' }),
      fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      (noise, plants, cuts, asBuffer) => {
        const bytes = Uint8Array.from(noise);
        for (const [which, at] of plants) {
          const pat = PATTERNS[which];
          if (bytes.length >= pat.length) bytes.set(pat, at % (bytes.length - pat.length + 1));
        }
        const finder = new EfiSignatureFinder();
        let pos = 0;
        for (let i = 0; pos < bytes.length; i++) {
          const n = Math.min(cuts[i % cuts.length], bytes.length - pos);
          const piece = bytes.subarray(pos, pos + n);
          finder.push(asBuffer ? Buffer.from(piece) : piece.slice());
          pos += n;
        }
        assert.deepEqual(sorted(finder.finish()), naive(bytes));
      },
    ),
  );
});

test('a signature split at every possible seam is found once', () => {
  for (const pat of PATTERNS) {
    const bytes = new Uint8Array(FV_SIGNATURE_OFFSET + 40);
    bytes.set(pat, FV_SIGNATURE_OFFSET + 3);
    for (let cut = 1; cut < bytes.length; cut++) {
      const finder = new EfiSignatureFinder();
      finder.push(bytes.subarray(0, cut));
      finder.push(bytes.subarray(cut));
      assert.deepEqual(finder.finish(), naive(bytes), `cut at ${cut}`);
    }
  }
});
