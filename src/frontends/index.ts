/** printk side of the write path: the log ring, its text form, dump iterators and dumpers. */
export {
  LogBuffer,
  LOG_BUF_SHIFT_DEFAULT,
  LOG_LINE_MAX,
  MESSAGE_LOGLEVEL_DEFAULT,
  PRB_AVGBITS,
  type LogBufferOptions,
  type LogRecord,
  type LogRecordInput,
} from './logBuffer.js';
export {
  formatLog,
  formatRecord,
  prefixLength,
  printPrefix,
  recordPrintText,
  recordPrintTextSize,
  PREFIX_MAX,
  type PrefixFields,
  type PrintOptions,
} from './printkFormat.js';
export {
  DumperRegistry,
  KmsgDumpIter,
  KMSG_DUMP_EMERG,
  KMSG_DUMP_MAX,
  KMSG_DUMP_OOPS,
  KMSG_DUMP_PANIC,
  KMSG_DUMP_SHUTDOWN,
  KMSG_DUMP_UNDEF,
  kmsgDumpReasonString,
  parseKmsgDumpReason,
  type DumperRegistryOptions,
  type KmsgDumper,
  type KmsgDumpOptions,
} from './kmsgDump.js';
export { loadLog, parseLog, parseLogLine, type LogParseOptions, type ParsedLogLine } from './logParse.js';
