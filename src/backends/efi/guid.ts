/**
 * EFI_GUID as stored on the medium: a little-endian u32, two little-endian
 * u16 and eight bytes, written in text as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
 */

const TEXT = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

/** The 16 stored bytes of a GUID given in its text form. */
export function guidBytes(text: string): Uint8Array {
  const m = TEXT.exec(text);
  if (!m) throw new Error(`not a GUID: ${text}`);
  const hex = (s: string): number[] => s.match(/../g)!.map((h) => parseInt(h, 16));
  return Uint8Array.from([...hex(m[1]).reverse(), ...hex(m[2]).reverse(), ...hex(m[3]).reverse(), ...hex(m[4]), ...hex(m[5])]);
}

/** Text form of the 16 bytes at `off`. */
export function guidText(b: Uint8Array, off = 0): string {
  const h = (i: number): string => b[off + i].toString(16).padStart(2, '0');
  const run = (idx: number[]): string => idx.map(h).join('');
  return `${run([3, 2, 1, 0])}-${run([5, 4])}-${run([7, 6])}-${run([8, 9])}-${run([10, 11, 12, 13, 14, 15])}`;
}

export function guidEquals(b: Uint8Array, off: number, guid: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== guid[i]) return false;
  return true;
}

/** gEfiSystemNvDataFvGuid: the FileSystemGuid of the firmware volume that holds the NV variable store. */
export const EFI_SYSTEM_NV_DATA_FV_GUID = 'fff12b8d-7696-4c8b-a985-2747075b4f50';
/** gEfiVariableGuid: a variable store with plain variable headers. */
export const EFI_VARIABLE_GUID = 'ddcf3616-3275-4164-98b6-fe85707ffe7d';
/** gEfiAuthenticatedVariableGuid: a variable store with authenticated variable headers. */
export const EFI_AUTHENTICATED_VARIABLE_GUID = 'aaf32c78-947b-439a-a180-2e144ec37792';
/** gEdkiiWorkingBlockSignatureGuid: the fault-tolerant-write working block OVMF keeps after the store. */
export const EDKII_WORKING_BLOCK_SIGNATURE_GUID = '9e58292b-7c68-497d-a0ce-6500fd9f1b95';
/** LINUX_EFI_CRASH_GUID: the vendor GUID of efi-pstore's variables. */
export const LINUX_EFI_CRASH_GUID = 'cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0';
