#!/usr/bin/env node
/** The `pstore` command: runs the CLI on the process's streams. */
import { processIo } from './io.js';
import { runCli } from './program.js';

// `pstore cat … | head`: a closed pipe ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

// No top-level await: the packaged bin is this file bundled as CommonJS.
void runCli(process.argv.slice(2), processIo(), process.env).then((code) => {
  process.exitCode = code;
});
