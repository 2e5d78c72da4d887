/** The crash flight recorder for Node services (Node only). */
export { openRecorder, recorderParams, consoleStamp, RECORDER_DEFAULTS, LOG_LEVELS, type Recorder, type RecorderOptions, type RecorderIo, type RecorderConsole, type RecorderPmsg, type LogLevel, type LogLevelName } from './recorder.js';
export { installCrashHooks, type CrashHookOptions, type CrashAction } from './hooks.js';
export { captureStdio, writeUncaptured, type CaptureOptions } from './capture.js';
export { lockImage, ImageLockedError, type ImageLock } from '../node/imageLock.js';
export { previousRecord, type PreviousRecord } from './previous.js';
export { getGlobalRecorder } from './global.js';
export { pstoreDestination, pinoToSyslog, type PinoDestinationOptions } from './pino.js';
export { acceptWorkerLogs, workerLogger, RECORDER_CHANNEL, type WorkerLogger } from './workers.js';
export { makeRecorderImage, type RecorderImageSpec, type RecorderImageInfo } from './fixture.js';
export { KMSG_DUMP_PANIC, KMSG_DUMP_OOPS, KMSG_DUMP_EMERG, KMSG_DUMP_SHUTDOWN } from '../frontends/kmsgDump.js';
