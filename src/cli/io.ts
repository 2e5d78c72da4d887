/**
 * Where a command writes. main.ts binds it to the process; tests inject
 * buffers, so every command runs in-process without spawning node.
 */
export interface CliIo {
  /** Record bytes or text for stdout. */
  stdout(chunk: string | Uint8Array): void;
  /** Diagnostics: warnings and notes, already newline-terminated. */
  stderr(text: string): void;
  /** Wall clock, for files without a record time (extract). */
  now(): Date;
  /** Whether stdout is a terminal (tables may be wider, colour could follow). */
  isTty: boolean;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    stdout: (chunk) => {
      process.stdout.write(chunk);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    now: () => new Date(),
    isTty: Boolean(process.stdout.isTTY),
  };
}

/** An in-memory CliIo for tests and embedding. */
export interface CapturedIo extends CliIo {
  stdoutBytes(): Uint8Array;
  stdoutText(): string;
  stderrText(): string;
}

export function captureIo(now: Date = new Date()): CapturedIo {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const enc = new TextEncoder();
  return {
    stdout: (chunk) => {
      out.push(typeof chunk === 'string' ? enc.encode(chunk) : chunk.slice());
    },
    stderr: (text) => {
      err.push(text);
    },
    now: () => now,
    isTty: false,
    stdoutBytes: () => {
      const total = out.reduce((n, c) => n + c.length, 0);
      const all = new Uint8Array(total);
      let o = 0;
      for (const c of out) {
        all.set(c, o);
        o += c.length;
      }
      return all;
    },
    stdoutText() {
      return new TextDecoder().decode(this.stdoutBytes());
    },
    stderrText: () => err.join(''),
  };
}
