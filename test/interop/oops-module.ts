// Makes an Oops on demand without a kernel build tree: take a small module of
// the guest kernel, strip its signature (unsigned modules load, tainted),
// rename it (each Oops leaves its module half-loaded, so names must differ)
// and make its init function start with a store to address 0. insmod then
// faults in kernel mode: a real Oops, after which userspace carries on.

const SIG_MAGIC = '~Module signature appended~\n';
// xor eax, eax; mov [rax], eax — a store to the NULL page in 4 bytes, so it
// fits before the `call __fentry__` (and its relocation) that follows ENDBR64.
export const NULL_STORE = [0x31, 0xc0, 0x89, 0x00];
// struct module begins with state (4 + 4 padding) and a list_head (16).
const THIS_MODULE_NAME_OFFSET = 24;

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

function sections(elf: Buffer): Section[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a little-endian ELF64 module');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    raw.push({
      nameOff: elf.readUInt32LE(h),
      type: elf.readUInt32LE(h + 4),
      offset: Number(elf.readBigUInt64LE(h + 24)),
      size: Number(elf.readBigUInt64LE(h + 32)),
      link: elf.readUInt32LE(h + 40),
      info: elf.readUInt32LE(h + 44),
    });
  }
  const strtab = raw[shstrndx];
  if (!strtab) throw new Error('module has no section name table');
  return raw.map((s) => {
    const start = strtab.offset + s.nameOff;
    return { name: elf.toString('latin1', start, elf.indexOf(0, start)), type: s.type, offset: s.offset, size: s.size, link: s.link, info: s.info };
  });
}

function stripSignature(ko: Buffer): Buffer {
  const tail = ko.toString('latin1', ko.length - SIG_MAGIC.length);
  if (tail !== SIG_MAGIC) return ko;
  const sigInfo = ko.length - SIG_MAGIC.length - 12;
  const signerLen = ko[sigInfo + 3] ?? 0;
  const keyIdLen = ko[sigInfo + 4] ?? 0;
  const sigLen = ko.readUInt32BE(sigInfo + 8);
  return ko.subarray(0, sigInfo - sigLen - signerLen - keyIdLen);
}

/** A copy of `source` (an unsigned or signed .ko) named `name` whose init Oopses. */
export function buildOopsModule(source: Uint8Array, name: string): Uint8Array {
  const ko = Buffer.from(stripSignature(Buffer.from(source)));
  const secs = sections(ko);
  const byName = (n: string): Section => {
    const s = secs.find((x) => x.name === n);
    if (!s) throw new Error(`module has no ${n} section`);
    return s;
  };
  const init = byName('.init.text');
  // The init function is the symbol init_module; find its offset in .init.text.
  const symtab = secs.find((s) => s.type === 2);
  const strtab = symtab ? secs[symtab.link] : undefined;
  if (!symtab || !strtab) throw new Error('module has no symbol table');
  let initOff = -1;
  for (let off = symtab.offset; off < symtab.offset + symtab.size; off += 24) {
    const n = strtab.offset + ko.readUInt32LE(off);
    if (ko.toString('latin1', n, ko.indexOf(0, n)) === 'init_module') initOff = Number(ko.readBigUInt64LE(off + 8));
  }
  // 6.12 (CONFIG_CALL_PADDING) puts 16 bytes of padding before each function.
  if (initOff < 0 || initOff + NULL_STORE.length > init.size) throw new Error('init_module is not inside .init.text');
  // No relocation (at most 8 bytes wide) may land on the bytes we overwrite.
  const relas = secs.filter((s) => s.type === 4 && secs[s.info] === init);
  for (const r of relas) {
    for (let off = r.offset; off < r.offset + r.size; off += 24) {
      const at = Number(ko.readBigUInt64LE(off));
      if (at + 8 > initOff && at < initOff + NULL_STORE.length) throw new Error('relocation inside the patched init bytes');
    }
  }
  // On 6.12 this replaces the ENDBR64; harmless, as TCG does not enforce IBT.
  Buffer.from(NULL_STORE).copy(ko, init.offset + initOff);

  const mod = byName('.gnu.linkonce.this_module');
  const oldName = ko.toString('latin1', mod.offset + THIS_MODULE_NAME_OFFSET, ko.indexOf(0, mod.offset + THIS_MODULE_NAME_OFFSET));
  if (name.length > oldName.length) throw new Error(`module name ${name} longer than ${oldName}`);
  ko.fill(0, mod.offset + THIS_MODULE_NAME_OFFSET, mod.offset + THIS_MODULE_NAME_OFFSET + oldName.length);
  ko.write(name, mod.offset + THIS_MODULE_NAME_OFFSET, 'latin1');
  const info = byName('.modinfo');
  const at = ko.indexOf(`name=${oldName}\0`, info.offset, 'latin1');
  if (at < 0 || at >= info.offset + info.size) throw new Error('module has no name= in .modinfo');
  ko.fill(0, at, at + 5 + oldName.length);
  ko.write(`name=${name}`, at, 'latin1');
  return new Uint8Array(ko);
}
