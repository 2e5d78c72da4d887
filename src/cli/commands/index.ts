/**
 * Every command, in the order `pstore --help` lists them. A command is a file
 * here exporting `register<Name>(program, io, done)` and a plain function the
 * tests call directly. Write commands (create, dump, write, rm) join this list.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { registerArchive } from './archive.js';
import { registerCat } from './cat.js';
import { registerCheck } from './check.js';
import { registerCreate } from './create.js';
import { registerDump } from './dump.js';
import { registerExtract } from './extract.js';
import { registerLayout } from './layout.js';
import { registerLs } from './ls.js';
import { registerRead } from './read.js';
import { registerRm } from './rm.js';
import { registerScan } from './scan.js';
import { registerView } from './view.js';
import { registerWrite } from './write.js';

export type RegisterCommand = (program: Command, io: CliIo, done: (code: number) => void) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerRead, registerLs, registerCat, registerExtract, registerCheck, registerLayout, registerCreate, registerDump, registerWrite, registerRm, registerScan, registerView, registerArchive];
