#!/usr/bin/env node
/**
 * The `pstore` executable as packaged (dist/bin/pstore.js): esbuild emits it
 * as CommonJS and fills in PSTORE_CLI_SHA256, the hash of the bundled
 * command (dist/bin/cli.js) it starts through a code cache (codeCache.ts).
 */
import { startCli } from './codeCache.js';
import { commandOf } from './commands/names.js';

declare const PSTORE_CLI_SHA256: string;

try {
  startCli(__dirname, PSTORE_CLI_SHA256, commandOf(process.argv.slice(2)) ?? 'other');
} catch (e) {
  // Only a damaged installation gets here (the command itself reports its own errors).
  process.stderr.write(`pstore: cannot start: ${e instanceof Error ? e.message : String(e)} (reinstall linux-pstore)\n`);
  process.exitCode = 1;
}
