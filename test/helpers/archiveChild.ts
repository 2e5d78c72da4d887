/**
 * A child process for the kill tests: `runArchive` over argv[2] (source dir)
 * into argv[3], unlinking, SIGKILLed by itself at step PSTORE_ARCHIVE_KILL_AT
 * (the same hook as the CLI's, without loading the whole CLI).
 */
import { runArchive } from '../../src/archive/archive.js';
import { dirSource } from '../../src/archive/source.js';

const killAt = Number(process.env.PSTORE_ARCHIVE_KILL_AT ?? 0);
let n = 0;
const r = runArchive({
  source: dirSource(process.argv[2]),
  to: process.argv[3],
  unlink: true,
  step: (label) => {
    n++;
    if (process.env.PSTORE_ARCHIVE_TRACE === '1') process.stderr.write(`step ${n}: ${label}\n`);
    if (n === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(`${JSON.stringify({ steps: n, archived: r.archived.length, unlinked: r.unlinked.length })}\n`);
