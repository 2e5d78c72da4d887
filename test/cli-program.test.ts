/**
 * The command table (src/cli/commands/index.ts) and lazy loading in
 * src/cli/program.ts: a run loads only the command it names.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { COMMANDS, commandsFor, loadCommands } from '../src/cli/commands/index.js';
import { captureIo } from '../src/cli/io.js';
import { createProgram, runCli } from '../src/cli/program.js';

test('each table entry loads the module that registers a command of that name, once', async () => {
  const names = COMMANDS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'names are unique');
  for (const entry of COMMANDS) {
    const program = new Command('pstore');
    (await entry.load())(program, captureIo(), () => {});
    assert.deepEqual(
      program.commands.map((c) => c.name()),
      [entry.name],
    );
  }
});

test('a run names the commands it needs: its own, none for --version, all for help and typos', () => {
  const names = (args: string[]): string[] => commandsFor(args).map((c) => c.name);
  assert.deepEqual(names(['ls', 'x.bin', '--json']), ['ls']);
  assert.deepEqual(names(['extract', '--help']), ['extract']);
  assert.deepEqual(names(['help', 'check']), ['check']);
  assert.deepEqual(names(['--version']), []);
  assert.deepEqual(names(['-V']), []);
  const all = COMMANDS.map((c) => c.name);
  for (const args of [[], ['--help'], ['-h'], ['help'], ['lss', 'x.bin'], ['--json', 'ls']]) assert.deepEqual(names(args), all, args.join(' '));
});

test('--help from a program with every command lists them in table order', async () => {
  const io = captureIo();
  const program = createProgram(io, () => {}, await loadCommands(COMMANDS));
  assert.deepEqual(
    program.commands.map((c) => c.name()),
    COMMANDS.map((c) => c.name),
  );
  assert.equal(await runCli(['--help'], io), 0);
  const listed = [...io.stdoutText().matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]);
  for (const c of COMMANDS) assert.ok(listed.includes(c.name), `${c.name} in --help`);
});

test('a typo still gets a suggestion, and `help CMD` shows that command', async () => {
  const typo = captureIo();
  assert.equal(await runCli(['lss', 'x.bin'], typo), 2);
  assert.match(typo.stderrText(), /Did you mean ls\?/);
  const help = captureIo();
  assert.equal(await runCli(['help', 'check'], help), 0);
  assert.match(help.stdoutText(), /^Usage: pstore check /m);
});
