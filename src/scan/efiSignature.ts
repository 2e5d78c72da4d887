/**
 * Streaming search for EDK2 variable stores: firmware volume headers (the
 * `_FVH` signature, 40 bytes into the header) and bare variable store
 * headers (the 16-byte gEfiAuthenticatedVariableGuid / gEfiVariableGuid
 * signatures). Only offsets are kept; the scan checks each with reads.
 */
import { FV_SIGNATURE_OFFSET } from '../backends/efi/firmwareVolume.js';
import { AUTH_STORE_SIGNATURE, PLAIN_STORE_SIGNATURE } from '../backends/efi/variableStore.js';

export interface EfiCandidate {
  /** Start of the firmware volume header, or of the bare store header. */
  offset: number;
  kind: 'fv' | 'store';
}

const FVH = Uint8Array.of(0x5f, 0x46, 0x56, 0x48);
/** Longest pattern minus one: carried over between chunks. */
const CARRY = 15;

export class EfiSignatureFinder {
  readonly candidates: EfiCandidate[] = [];
  dropped = 0;
  private bytes = 0;
  private tail = new Uint8Array(0);

  constructor(readonly maxCandidates = 10_000) {}

  push(chunk: Uint8Array): void {
    const base = this.bytes;
    const tail = this.tail;
    if (tail.length) {
      // Matches that start in the carried bytes and end in this chunk (the others were found before, or are found below).
      const seam = new Uint8Array(tail.length + Math.min(CARRY, chunk.length));
      seam.set(tail, 0);
      seam.set(chunk.subarray(0, seam.length - tail.length), tail.length);
      this.findAll(seam, base - tail.length, (p, len) => p < tail.length && p + len > tail.length);
    }
    // The chunk itself, never copied: a Node Buffer's indexOf is memchr, so blank memory costs almost nothing.
    this.findAll(chunk, base, () => true);
    this.bytes += chunk.length;
    const keep = Math.min(CARRY, tail.length + chunk.length);
    const fromChunk = Math.min(keep, chunk.length);
    const next = new Uint8Array(keep);
    next.set(tail.subarray(tail.length - (keep - fromChunk)), 0);
    next.set(chunk.subarray(chunk.length - fromChunk), keep - fromChunk);
    this.tail = next;
  }

  /** Every signature in `buf` (its first byte at dump offset `base`) that `take(position, length)` accepts. */
  private findAll(buf: Uint8Array, base: number, take: (p: number, len: number) => boolean): void {
    find(buf, FVH, (p) => {
      if (take(p, FVH.length) && base + p >= FV_SIGNATURE_OFFSET) this.add(base + p - FV_SIGNATURE_OFFSET, 'fv');
    });
    for (const sig of [AUTH_STORE_SIGNATURE, PLAIN_STORE_SIGNATURE]) {
      find(buf, sig, (p) => {
        if (take(p, sig.length)) this.add(base + p, 'store');
      });
    }
  }

  private add(offset: number, kind: EfiCandidate['kind']): void {
    if (this.candidates.length >= this.maxCandidates) {
      this.dropped++;
      return;
    }
    this.candidates.push({ offset, kind });
  }

  finish(): EfiCandidate[] {
    this.tail = new Uint8Array(0);
    this.candidates.sort((a, b) => a.offset - b.offset);
    return this.candidates;
  }
}

/** Calls `hit(p)` for each occurrence of `pat` in `buf`. */
function find(buf: Uint8Array, pat: Uint8Array, hit: (p: number) => void): void {
  if (isNodeBuffer(buf)) {
    // Node's Buffer searches for a whole pattern natively: random data costs no JavaScript per byte.
    for (let p = buf.indexOf(pat); p >= 0; p = buf.indexOf(pat, p + 1)) hit(p);
    return;
  }
  // Elsewhere (the viewer in a browser): jump between the pattern's first byte.
  const last = buf.length - pat.length;
  for (let p = buf.indexOf(pat[0]); p >= 0 && p <= last; p = buf.indexOf(pat[0], p + 1)) {
    let i = 1;
    while (i < pat.length && buf[p + i] === pat[i]) i++;
    if (i === pat.length) hit(p);
  }
}

/** A Node Buffer, whose indexOf takes a byte sequence (a plain Uint8Array's compares elements). */
function isNodeBuffer(buf: Uint8Array): buf is Uint8Array & { indexOf(value: Uint8Array, from?: number): number } {
  return typeof (buf as { readUInt32LE?: unknown }).readUInt32LE === 'function';
}
