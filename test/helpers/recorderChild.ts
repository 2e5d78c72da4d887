/**
 * Child process for the recorder crash tests. argv: mode image [extra].
 * - lines: log numbered lines forever; after each log() returns, report its number on stdout.
 * - throw: log a few lines, then throw an uncaught error.
 * - reject: log, then an unhandled rejection.
 * - term: max_reason 4, log, report ready, wait for SIGTERM.
 * - lock: try to open the image and print the error message.
 */
import { writeSync } from 'node:fs';
import { openRecorder } from '../../src/recorder/index.js';

const [mode, image] = process.argv.slice(2);

if (mode === 'lines') {
  const rec = openRecorder(image);
  // Optional prefill (argv[4]) to wrap the ring quickly; reported once, after all returned.
  const prefill = Number(process.argv[4] ?? 0);
  for (let i = 0; i < prefill; i++) rec.log(6, `line ${i}`);
  writeSync(1, `${prefill - 1}\nready\n`);
  for (let i = prefill; ; i++) {
    rec.log(6, `line ${i}`);
    writeSync(1, `${i}\n`);
  }
} else if (mode === 'throw') {
  const rec = openRecorder(image);
  rec.installCrashHooks();
  for (let i = 0; i < 50; i++) rec.log(6, `working ${i}`);
  rec.log(4, 'about to fail');
  setTimeout(() => {
    throw new TypeError('boom from the child');
  }, 1);
} else if (mode === 'reject') {
  const rec = openRecorder(image);
  rec.installCrashHooks();
  rec.log(6, 'before the rejection');
  void Promise.reject(new RangeError('rejected in the child'));
} else if (mode === 'term') {
  const rec = openRecorder(image, { params: { max_reason: 4 } });
  rec.installCrashHooks();
  rec.log(6, 'waiting for SIGTERM');
  writeSync(1, 'ready\n');
  setInterval(() => {}, 1000);
} else if (mode === 'lock') {
  try {
    openRecorder(image);
    writeSync(1, 'opened\n');
  } catch (e) {
    writeSync(1, `${(e as Error).name}: ${(e as Error).message}\n`);
  }
} else if (mode === 'hold') {
  openRecorder(image);
  writeSync(1, 'ready\n');
  setInterval(() => {}, 1000);
}
