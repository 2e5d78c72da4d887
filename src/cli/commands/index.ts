/**
 * Every command, in the order `pstore --help` lists them. A command is a file
 * here exporting `register<Name>(program, io, done)` and a plain function the
 * tests call directly, plus one line below. Modules load on demand: `pstore ls`
 * reads only ls.ts and what it imports, never the viewer's server or the writers.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export type RegisterCommand = (program: Command, io: CliIo, done: (code: number) => void) => void;

export interface CommandEntry {
  /** The name on the command line (the one `program.command()` gets in the module). */
  name: string;
  load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'read', load: async () => (await import('./read.js')).registerRead },
  { name: 'ls', load: async () => (await import('./ls.js')).registerLs },
  { name: 'cat', load: async () => (await import('./cat.js')).registerCat },
  { name: 'extract', load: async () => (await import('./extract.js')).registerExtract },
  { name: 'check', load: async () => (await import('./check.js')).registerCheck },
  { name: 'layout', load: async () => (await import('./layout.js')).registerLayout },
  { name: 'create', load: async () => (await import('./create.js')).registerCreate },
  { name: 'dump', load: async () => (await import('./dump.js')).registerDump },
  { name: 'write', load: async () => (await import('./write.js')).registerWrite },
  { name: 'rm', load: async () => (await import('./rm.js')).registerRm },
  { name: 'scan', load: async () => (await import('./scan.js')).registerScan },
  { name: 'view', load: async () => (await import('./view.js')).registerView },
  { name: 'archive', load: async () => (await import('./archive.js')).registerArchive },
];

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
