/**
 * The `pstore` command line: commander wiring, help and error handling.
 * `runCli` never throws and never exits the process, so tests and other
 * programs can run it in-process with a captured CliIo.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commandsFor, loadCommands, type RegisterCommand } from './commands/index.js';
import { EXIT_USAGE, reportError } from './errors.js';
import type { CliIo } from './io.js';

const EXAMPLES = `
Examples:
  # list the records of the shipped sample and print them
  $ pstore read sample/panic-ecc16.bin --params sample/panic-ecc16.params.json
  $ pstore ls ramoops.bin --mem-size 1M --record-size 64K --ecc 16 --json
  $ pstore cat ramoops.bin dmesg-ramoops-0 --record-size 64K > panic.txt
  # the files as /sys/fs/pstore shows them (names, bytes, mode, dmesg mtimes)
  $ pstore extract ramoops.bin out/ --params ramoops.json
  # a region inside a whole-RAM dump
  $ pstore extract ram.dump out/ --offset 0x10000000 --mem-size 1M --record-size 64K
  # ECC health of every zone; exit status 1 when data is lost
  $ pstore check ramoops.bin --params ramoops.json
  # the zone map, a device-tree node, a kernel command line
  $ pstore layout --mem-size 1M --record-size 64K --ecc 16
  $ pstore layout --mem-size 1M --record-size 64K --ecc 16 --dts --mem-address 0x8f000000
  $ pstore layout --params ramoops.json --cmdline
  # write: a fresh region, a panic dump of this machine's log, console lines
  $ pstore create ramoops.bin --mem-size 1M --record-size 64K --ecc 16
  $ dmesg -r | pstore dump ramoops.bin --reason panic --log - --record-size 64K --ecc 16
  $ pstore write ramoops.bin --console console.log --record-size 64K --ecc 16
  # find regions in a whole-RAM dump without knowing the parameters
  $ pstore scan ram.dump
  $ pstore extract ram.dump out/ --auto          # layout inferred, said on stderr
  $ pstore ls ram.dump --auto --kernel debian-6.1 --json
  # pstore/blk devices (sizes in KiB, as the pstore_blk parameters)
  $ pstore create disk.img --backend blk --mem-size 256K --kmsg-size 64
  $ pstore dump disk.img --backend blk --kmsg-size 64 --reason oops --log crash.txt
  $ pstore ls disk.img --backend blk --kmsg-size 64
  # the web viewer: zone map, ECC health, records
  $ pstore view ramoops.bin --params ramoops.json

Numbers: decimal, 0x-hex, or with K/M/G (binary). --params FILE.json takes the
module parameter names (mem_size, record_size, console_size, ftrace_size,
pmsg_size, ecc, max_reason, mem_address; also {"ramoops": {...}}); flags
override the file. --auto (read commands) infers the layout instead and takes
no other layout flag but --kernel, which overrides the inferred kernel
profile. Run 'pstore help COMMAND' for a command's options.
Exit status: 0 ok, 1 bad or unrecoverable data, 2 usage error.
`;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the commander program with `commands`; `done` receives a command's exit status. */
export function createProgram(io: CliIo, done: (code: number) => void, commands: readonly RegisterCommand[]): Command {
  const program = new Command('pstore');
  program
    .description('Read, verify, repair, write and lay out Linux pstore images (ramoops regions, pstore/blk devices), byte for byte as the kernel does.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`pstore: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, '; ')}\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES);
  for (const register of commands) register(program, io, done);
  return program;
}

/** Runs `pstore ARGS…` (without node and script); resolves to the exit status. */
export async function runCli(args: readonly string[], io: CliIo, env: Record<string, string | undefined> = {}): Promise<number> {
  let status = 0;
  try {
    const program = createProgram(
      io,
      (code) => {
        status = code;
      },
      await loadCommands(commandsFor(args)),
    );
    await program.parseAsync([...args], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version arrive here with status 0; misuse is a usage error.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const r = reportError(e, Boolean(env.PSTORE_DEBUG && env.PSTORE_DEBUG !== '0'));
    io.stderr(r.text);
    return r.exitCode;
  }
}
