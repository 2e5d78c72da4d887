/**
 * Crash hooks: the Node equivalents of the kernel's kmsg_dump call sites.
 *
 * - An uncaught exception is seen through 'uncaughtExceptionMonitor', which
 *   runs before Node's own handling and does not change it: Node still prints
 *   the error and exits with code 1. The stack is logged, then a Panic dump
 *   (an Oops when the application has its own 'uncaughtException' handler and
 *   so survives). An unhandled rejection reaches the same monitor (Node's
 *   default --unhandled-rejections=throw) and dumps an Oops by default.
 * - SIGTERM/SIGINT and a normal exit dump Shutdown, only when max_reason
 *   admits it (>= 4); otherwise no signal handler is installed at all. After
 *   the dump a signal is re-raised so the process ends as Node would, unless
 *   the application listens for it itself.
 * - A fatal V8 error (heap exhaustion) cannot run JavaScript: the console zone,
 *   written line by line, is what remains.
 */
import { inspect } from 'node:util';
import { KMSG_DUMP_OOPS, KMSG_DUMP_PANIC, KMSG_DUMP_SHUTDOWN } from '../frontends/kmsgDump.js';

export type CrashAction = 'panic' | 'oops' | 'none';

export interface CrashHookOptions {
  /** Default 'panic'. */
  uncaughtException?: CrashAction;
  /** Default 'oops'. */
  unhandledRejection?: CrashAction;
  /** Signals that dump Shutdown (default SIGTERM, SIGINT); only installed when max_reason >= 4. */
  signals?: NodeJS.Signals[];
  /** Shutdown dump on process exit when max_reason >= 4 (default true). */
  exit?: boolean;
}

/** What the hooks need from a recorder. */
export interface HookTarget {
  readonly maxReason: number;
  readonly closed: boolean;
  log(level: number, text: string): void;
  dump(reason: number): boolean;
}

const REASON = { panic: KMSG_DUMP_PANIC, oops: KMSG_DUMP_OOPS } as const;

/** The error as Node prints it (stack, cause, own properties). */
function describe(err: unknown): string {
  return inspect(err, { depth: 4, colors: false });
}

export function installCrashHooks(rec: HookTarget, options: CrashHookOptions = {}): () => void {
  const onException = options.uncaughtException ?? 'panic';
  const onRejection = options.unhandledRejection ?? 'oops';
  const shutdown = rec.maxReason >= KMSG_DUMP_SHUTDOWN;
  /** A Panic (or a Shutdown) was dumped: nothing more at exit, like a halted kernel. */
  let final = false;

  const monitor = (err: unknown, origin: string): void => {
    if (rec.closed) return;
    const rejection = origin === 'unhandledRejection';
    let action = rejection ? onRejection : onException;
    // The application handles it and keeps running: not a panic.
    if (action === 'panic' && process.listenerCount('uncaughtException') > 0) action = 'oops';
    try {
      rec.log(0, `${rejection ? 'Unhandled promise rejection' : 'Uncaught exception'}: ${describe(err)}`);
      if (action !== 'none') rec.dump(REASON[action]);
      if (action === 'panic') final = true;
    } catch {
      /* the recorder must never change how the process dies */
    }
  };
  process.on('uncaughtExceptionMonitor', monitor);

  const signalHandlers = new Map<NodeJS.Signals, () => void>();
  if (shutdown) {
    for (const sig of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) {
      const handler = (): void => {
        if (!rec.closed && !final) {
          try {
            rec.log(5, `received ${sig}`);
            rec.dump(KMSG_DUMP_SHUTDOWN);
          } catch {
            /* ignore */
          }
          final = true;
        }
        if (process.listenerCount(sig) === 1) {
          // Only ours: die by the signal as Node's default disposition would.
          process.removeListener(sig, handler);
          signalHandlers.delete(sig);
          process.kill(process.pid, sig);
        }
      };
      signalHandlers.set(sig, handler);
      process.on(sig, handler);
    }
  }
  const onExit = (): void => {
    if (final || rec.closed) return;
    final = true;
    try {
      rec.dump(KMSG_DUMP_SHUTDOWN);
    } catch {
      /* ignore */
    }
  };
  const exitHook = shutdown && (options.exit ?? true);
  if (exitHook) process.on('exit', onExit);

  return () => {
    process.removeListener('uncaughtExceptionMonitor', monitor);
    for (const [sig, h] of signalHandlers) process.removeListener(sig, h);
    signalHandlers.clear();
    if (exitHook) process.removeListener('exit', onExit);
  };
}
