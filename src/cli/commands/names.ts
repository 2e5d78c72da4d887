/** The commands, in the order `pstore --help` lists them (index.ts maps each to its module). */
export const COMMAND_NAMES = ['read', 'ls', 'cat', 'extract', 'check', 'layout', 'create', 'dump', 'write', 'rm', 'scan', 'view', 'archive'] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** The command `args` (without node and script) runs, or null (help, --version, a typo). */
export function commandOf(args: readonly string[]): CommandName | null {
  const first = args[0];
  return (COMMAND_NAMES as readonly string[]).includes(first ?? '') ? (first as CommandName) : null;
}
