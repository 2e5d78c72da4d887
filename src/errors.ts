/**
 * Typed errors. Every failure a user can cause (bad image, bad layout, bad
 * arguments) is a PstoreError; the CLI prints `message` on one line and exits
 * with `exitCode`. Anything else escaping is a bug.
 */
export class PstoreError extends Error {
  /** CLI exit status: 1 for data problems, 2 for usage problems. */
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Command-line misuse: unknown flags, malformed numbers, missing arguments. */
export class UsageError extends PstoreError {
  override readonly exitCode: number = 2;
}

/** A layout that the kernel would refuse, or that does not fit the image. */
export class LayoutError extends PstoreError {}

/** Bytes that cannot be what they claim to be. Carries where it was found. */
export class CorruptImageError extends PstoreError {
  constructor(
    message: string,
    /** Byte offset inside the image (or region) where the problem is. */
    readonly offset: number,
    /** Zone label such as `ramoops:dmesg(0/15)`, when known. */
    readonly zone?: string,
  ) {
    super(zone ? `${zone} at offset 0x${offset.toString(16)}: ${message}` : `offset 0x${offset.toString(16)}: ${message}`);
  }
}

/** Read past the end of a region (a truncated image). */
export class TruncatedImageError extends CorruptImageError {}

/** A compressed payload that the decompressor rejects. */
export class DecompressError extends PstoreError {
  constructor(
    readonly algorithm: string,
    message: string,
  ) {
    super(`${algorithm}: ${message}`);
  }
}

/** A record name that does not exist in the image. */
export class NotFoundError extends PstoreError {}

/** An operation that the image or backend cannot do (e.g. write to a read-only region). */
export class UnsupportedError extends PstoreError {}
