/**
 * Zero-code adoption: `PSTORE_IMAGE=/var/lib/app/pstore.img node --import linux-pstore/register app.js`.
 *
 * Opens the image (attaching like a boot), installs the crash hooks and tees
 * stdout/stderr (and so console.*) into the console zone and the log buffer.
 * Environment: PSTORE_IMAGE (required, else nothing happens),
 * PSTORE_MAX_REASON (2 = Panic/Oops, 4 adds Shutdown on SIGTERM/SIGINT/exit),
 * PSTORE_COMPRESS (deflate|none), PSTORE_OVERWRITE=1 (reformat a foreign image).
 * Worker threads do not open the image: their stdout reaches the main thread's
 * stream and is captured there. If the image cannot be opened (locked,
 * foreign layout) one line goes to stderr and the application runs without it.
 */
import { isMainThread } from 'node:worker_threads';
import { captureStdio } from './capture.js';
import { getGlobalRecorder, setGlobalRecorder } from './global.js';
import { openRecorder, type RecorderOptions } from './recorder.js';

function envOptions(env: NodeJS.ProcessEnv): RecorderOptions {
  const opts: RecorderOptions = {};
  if (env.PSTORE_MAX_REASON) opts.params = { max_reason: Number(env.PSTORE_MAX_REASON) };
  if (env.PSTORE_COMPRESS === 'none' || env.PSTORE_COMPRESS === 'deflate') opts.compress = env.PSTORE_COMPRESS;
  if (env.PSTORE_OVERWRITE === '1') opts.overwrite = true;
  return opts;
}

const path = process.env.PSTORE_IMAGE;
if (path && isMainThread && !getGlobalRecorder()) {
  try {
    const rec = openRecorder(path, envOptions(process.env));
    rec.installCrashHooks();
    const uncapture = captureStdio(rec, {
      onError: (e) => {
        process.stderr.write(`pstore: console capture stopped: ${(e as Error).message}\n`);
      },
    });
    setGlobalRecorder(rec);
    // Registered after the hooks, so a Shutdown dump at exit comes first.
    process.on('exit', () => {
      uncapture();
      rec.close();
      setGlobalRecorder(null);
    });
  } catch (e) {
    process.stderr.write(`pstore: recorder not started: ${(e as Error).message}\n`);
  }
}
