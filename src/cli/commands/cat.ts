/** `pstore cat IMAGE NAME`: one file's bytes, exactly as /sys/fs/pstore would give them. */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { addLayoutOptions, addReadOptions, openImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';

export type CatFlags = LayoutFlags & ReadFlags;

export function catCommand(imagePath: string, name: string, flags: CatFlags, io: CliIo): number {
  const { image, close } = openImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`) });
  try {
    const file = image.file(name);
    if (file.type === 'ftrace' && image.layout.params.ecc > 0) {
      io.stderr(
        flags.ftraceWalk === 'correct'
          ? "pstore: note: correct ftrace decode; /sys/fs/pstore shows the kernel's walk, shifted by the ECC notice (--ftrace-walk kernel)\n"
          : "pstore: note: as /sys/fs/pstore shows it: with ECC on the kernel's walk is shifted by the ECC notice; --ftrace-walk correct decodes the records correctly\n",
      );
    }
    io.stdout(file.content);
    return 0;
  } finally {
    close();
  }
}

export function registerCat(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('cat')
    .description("write one file's bytes to stdout, as /sys/fs/pstore/NAME would")
    .argument('<image>', 'ramoops region, RAM dump (with --offset) or device')
    .argument('<name>', 'file name as `pstore ls` shows it, e.g. dmesg-ramoops-0');
  addLayoutOptions(cmd);
  addReadOptions(cmd);
  cmd.action((image: string, name: string, flags: CatFlags) => done(catCommand(image, name, flags, io)));
}
