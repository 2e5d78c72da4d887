/** `pstore archive` as a library: what systemd-pstore does at boot, with crash events, signatures and no lost records. */
export { DEFAULT_ARCHIVE_DIR, runArchive, type ArchiveOptions, type ArchiveResult } from './archive.js';
export { nodeFs, type ArchiveFs, type StepHook } from './archiveFs.js';
export { readPstoreConf, type PstoreConf, type StorageMode } from './config.js';
export { parseCrashLog, type CrashLog } from './crashLog.js';
export { prepareCrash, type CrashJson, type ArchivedFileInfo } from './crashRecord.js';
export { groupEvents, joinedLog, type CrashEvent } from './events.js';
export { decodeJournalEntry, encodeJournalEntry, journalFields, sendToJournal, JOURNAL_SOCKET } from './journal.js';
export { listArchive, type ListedCrash } from './list.js';
export { decodeEfiId, parsePstoreName, type ParsedName } from './names.js';
export { applyRetention } from './retention.js';
export { crashSignature, normaliseLine } from './signature.js';
export { DEFAULT_PSTORE_DIR, dirSource, imageSource, isPstoreMount, type ArchiveSource } from './source.js';
export { ArchiveWriteError, listCrashes, type StoredCrash } from './store.js';
