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
  private tail: Uint8Array = new Uint8Array(0);

  constructor(readonly maxCandidates = 10_000) {}

  push(chunk: Uint8Array): void {
    // Scan tail + chunk; a match must end inside the new bytes (so none is found twice).
    const base = this.bytes - this.tail.length;
    let buf: Uint8Array = chunk;
    if (this.tail.length) {
      buf = new Uint8Array(this.tail.length + chunk.length);
      buf.set(this.tail, 0);
      buf.set(chunk, this.tail.length);
    }
    const newFrom = this.tail.length;
    this.find(buf, FVH, newFrom, (p) => base + p >= FV_SIGNATURE_OFFSET && this.add(base + p - FV_SIGNATURE_OFFSET, 'fv'));
    this.find(buf, AUTH_STORE_SIGNATURE, newFrom, (p) => this.add(base + p, 'store'));
    this.find(buf, PLAIN_STORE_SIGNATURE, newFrom, (p) => this.add(base + p, 'store'));
    this.bytes += chunk.length;
    const keep = buf.subarray(Math.max(0, buf.length - CARRY));
    this.tail = new Uint8Array(keep.length);
    this.tail.set(keep);
  }

  /** Calls `hit(p)` for each occurrence of `pat` in `buf` that ends at or after `newFrom`. */
  private find(buf: Uint8Array, pat: Uint8Array, newFrom: number, hit: (p: number) => unknown): void {
    let p = Math.max(0, newFrom - pat.length + 1);
    for (;;) {
      p = buf.indexOf(pat[0], p);
      if (p < 0 || p + pat.length > buf.length) return;
      let ok = true;
      for (let i = 1; i < pat.length; i++) {
        if (buf[p + i] !== pat[i]) {
          ok = false;
          break;
        }
      }
      if (ok) hit(p);
      p++;
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
