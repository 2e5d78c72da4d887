// UEFI firmware for the interop guest: Debian's OVMF build (package `ovmf`),
// its code image and the empty variable-store template efi-pstore boots start from.
import { existsSync, readFileSync } from 'node:fs';
import { VmSetupError } from './initramfs.js';

/** The harness boots QEMU's default BIOS unless a boot asks for OVMF. */
export type Firmware = 'bios' | 'ovmf';

export interface OvmfFiles {
  /** Read-only code pflash (OVMF_CODE_4M.fd). */
  code: string;
  /** The pristine variable store (OVMF_VARS_4M.fd); boots get a copy. */
  varsTemplate: string;
}

const OVMF_DIR = '/usr/share/OVMF';
const INSTALL_HINT = 'install it with: apt-get install -y ovmf';

/** Debian's 4 MiB OVMF pair (override with HX_OVMF_CODE / HX_OVMF_VARS). */
export function findOvmf(): OvmfFiles {
  const code = process.env.HX_OVMF_CODE ?? `${OVMF_DIR}/OVMF_CODE_4M.fd`;
  const varsTemplate = process.env.HX_OVMF_VARS ?? `${OVMF_DIR}/OVMF_VARS_4M.fd`;
  for (const f of [code, varsTemplate]) if (!existsSync(f)) throw new VmSetupError(`UEFI firmware ${f} missing; ${INSTALL_HINT}`);
  return { code, varsTemplate };
}

/** A fresh copy of the empty variable store: what a new VM's NVRAM holds. */
export function emptyVarStore(): Uint8Array {
  return new Uint8Array(readFileSync(findOvmf().varsTemplate));
}
