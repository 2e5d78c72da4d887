/**
 * AF_UNIX datagram sockets through the optional native addon
 * (native/unixdgram.c): Node's dgram module has only UDP. Used to speak
 * journald's native protocol; null when the addon is not built.
 */
import { createRequire } from 'node:module';

export interface UnixDgramBinding {
  send(path: string, data: Buffer): void;
  bind(path: string): number;
  recv(fd: number, max?: number): Buffer | null;
  close(fd: number): void;
}

// Same relative path from src/node/ (tsx, tests) and dist/node/ (built package).
const ADDON = '../../native/build/Release/pstore_unixdgram.node';
let binding: UnixDgramBinding | null | undefined;
let unavailable = '';

/** The addon, or null (reason in unixDgramUnavailableReason()). PSTORE_UNIXDGRAM_ADDON overrides the location. */
export function loadUnixDgram(): UnixDgramBinding | null {
  if (binding !== undefined) return binding;
  const req = createRequire(import.meta.url);
  binding = null;
  for (const where of [process.env.PSTORE_UNIXDGRAM_ADDON, ADDON]) {
    if (!where) continue;
    try {
      const b = req(where) as UnixDgramBinding;
      if (typeof b.send === 'function') {
        binding = b;
        unavailable = '';
        break;
      }
    } catch (e) {
      if (!unavailable) unavailable = (e as Error).message.split('\n')[0];
    }
  }
  return binding;
}

export function unixDgramUnavailableReason(): string {
  return unavailable || 'the native addon is not built (npm run build:native)';
}
