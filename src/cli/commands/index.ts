/**
 * Every command, in the order `pstore --help` lists them. A command is a file
 * here exporting `register<Name>(program, io, done)` and a plain function the
 * tests call directly, plus its name in names.ts and its loader below. Modules
 * load on demand: `pstore ls` reads only ls.ts and what it imports, never the
 * viewer's server or the writers.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { COMMAND_NAMES, type CommandName } from './names.js';

export type RegisterCommand = (program: Command, io: CliIo, done: (code: number) => void) => void;

export interface CommandEntry {
  /** The name on the command line (the one `program.command()` gets in the module). */
  name: string;
  load: () => Promise<RegisterCommand>;
}

const LOADERS: Record<CommandName, () => Promise<RegisterCommand>> = {
  read: async () => (await import('./read.js')).registerRead,
  ls: async () => (await import('./ls.js')).registerLs,
  cat: async () => (await import('./cat.js')).registerCat,
  extract: async () => (await import('./extract.js')).registerExtract,
  check: async () => (await import('./check.js')).registerCheck,
  layout: async () => (await import('./layout.js')).registerLayout,
  create: async () => (await import('./create.js')).registerCreate,
  dump: async () => (await import('./dump.js')).registerDump,
  write: async () => (await import('./write.js')).registerWrite,
  rm: async () => (await import('./rm.js')).registerRm,
  scan: async () => (await import('./scan.js')).registerScan,
  view: async () => (await import('./view.js')).registerView,
  archive: async () => (await import('./archive.js')).registerArchive,
};

export const COMMANDS: readonly CommandEntry[] = COMMAND_NAMES.map((name) => ({ name, load: LOADERS[name] }));

/**
 * The commands `args` needs: the one it runs (`pstore ls …`, `pstore help ls`),
 * none for `--version`, all otherwise (help lists them all, a typo gets a
 * suggestion).
 */
export function commandsFor(args: readonly string[]): readonly CommandEntry[] {
  const [first, second] = args;
  if (first === '-V' || first === '--version') return [];
  const named = first === 'help' ? second : first;
  const one = COMMANDS.find((c) => c.name === named);
  return one ? [one] : COMMANDS;
}

/** Loads the modules of `entries`, in order. */
export function loadCommands(entries: readonly CommandEntry[]): Promise<RegisterCommand[]> {
  return Promise.all(entries.map((c) => c.load()));
}
