/**
 * The efi-pstore backend (drivers/firmware/efi/efi-pstore.c) over an EDK2
 * variable store, through the firmware's runtime variable services. Reading
 * follows the kernel's loop: GetNextVariableName from the start, skip other
 * vendors, turn `dump-type…` names into records, GetVariable into a
 * record_size buffer; the first error or unparsable crash-GUID name ends
 * the read (pstore_get_backend_records stops on a size <= 0). Writing stores
 * each dump part as its own variable; erasing deletes the variable.
 */
import type { BackendFlags, PstoreBackend, WriteRecord } from '../../core/backend.js';
import { KmsgDumpReason } from '../../core/backend.js';
import { PSTORE_TYPES, type BackendRecord, type PstoreType } from '../../core/record.js';
import { NotFoundError } from '../../errors.js';
import { dumpVariableName, parseDumpName, ucs2AsUtf8, type DumpName, type EfiPstoreProfile } from './dumpName.js';
import { LINUX_EFI_CRASH_GUID } from './guid.js';
import { RuntimeVariableServices, type EfiStatus } from './runtimeServices.js';
import { EFI_VARIABLE_BOOTSERVICE_ACCESS, EFI_VARIABLE_NON_VOLATILE, EFI_VARIABLE_RUNTIME_ACCESS, nameUnits } from './variable.js';
import type { StoreVariable } from './variableStore.js';

/** PSTORE_EFI_ATTRIBUTES. */
export const PSTORE_EFI_ATTRIBUTES = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;
/** arch/x86 efi_query_variable_store: a write may not leave less than this free (EFI_MIN_RESERVE). */
export const EFI_MIN_RESERVE = 5120;
/** pstore_get_backend_records gives up after this many records. */
const STOP_LOOP = 65536;

/** Why the kernel's read ended early, or a name it skipped; for `check` and messages. */
export interface EfiReadNote {
  offset: number;
  variable: string;
  message: string;
}

/** A record with the variable it came from. */
export interface EfiRecord extends BackendRecord {
  variable: StoreVariable;
  dumpName: DumpName;
}

export interface EfiBackendOptions {
  /** Writes go through x86's EFI_MIN_RESERVE check (efi_no_storage_paranoia does not apply to the nonblocking panic path). */
  minReserve?: number;
}

export class EfiBackend implements PstoreBackend {
  readonly name: string;
  readonly bufsize: number;
  readonly flags: BackendFlags = { dmesg: true, console: false, ftrace: false, pmsg: false };
  /** efi-pstore sets no max_reason (UNDEF): kmsg_dump then admits up to OOPS, or everything with always_kmsg_dump. */
  readonly maxReason = KmsgDumpReason.UNDEF;
  /** Set by read(): why it stopped before the end of the store, if it did. */
  readNotes: EfiReadNote[] = [];
  /** Status of the last write, as the firmware answered ('reserve': efi-pstore's own free-space check refused it). */
  lastWriteStatus: EfiStatus | 'reserve' | null = null;
  /** Variable name of the last write. */
  lastWriteName: string | null = null;
  private readonly minReserve: number;
  /** The variable each record of the last read came from, by record key. */
  private readonly lastRead = new Map<string, StoreVariable>();

  constructor(
    readonly services: RuntimeVariableServices,
    readonly profile: EfiPstoreProfile,
    options: EfiBackendOptions = {},
  ) {
    this.name = profile.backendName;
    this.bufsize = profile.recordSize;
    this.minReserve = options.minReserve ?? EFI_MIN_RESERVE;
  }

  *read(): Iterable<EfiRecord> {
    this.readNotes = [];
    this.lastRead.clear();
    let prev: { units: number[]; guid: string } | null = null;
    const seen = new Set<StoreVariable>();
    for (let n = 0; n < STOP_LOOP; n++) {
      let v: StoreVariable | EfiStatus;
      // Skip other vendors' variables, as efi_pstore_read does.
      for (;;) {
        v = this.services.getNextVariableName(prev, this.profile.varNameSize);
        if (typeof v === 'string') break;
        if (seen.has(v)) {
          // Two live variables with one name (of any vendor): GetNextVariableName resumes
          // after the first and cycles; the kernel reads the same records until stop_loop
          // (or, for another vendor's pair, forever) and shows no more. We stop here.
          this.note(v, `the firmware's enumeration cycles at '${v.name}' (a duplicate name): the kernel reads no further`);
          return;
        }
        seen.add(v);
        prev = { units: nameUnits(v.nameBytes), guid: v.header.vendorGuid };
        if (v.header.vendorGuid === LINUX_EFI_CRASH_GUID) break;
      }
      if (typeof v === 'string') {
        if (v !== 'not-found') this.note(null, `GetNextVariableName returned ${v}: the kernel stops reading here`);
        return;
      }
      const units = prev!.units;
      const parsed = parseDumpName(ucs2AsUtf8(units));
      if (!parsed) {
        this.note(v, `'${v.name}' is not a dump-type name: the kernel stops reading here`);
        return;
      }
      const got = this.services.getVariable(units, LINUX_EFI_CRASH_GUID, this.profile.recordSize);
      if (got.status !== 'success') {
        this.note(v, `GetVariable returned ${got.status}${got.status === 'buffer-too-small' ? ` (${v.dataSize} bytes > record_size ${this.profile.recordSize})` : ''}: the kernel stops reading here`);
        return;
      }
      if (got.data.length === 0) {
        this.note(v, 'empty variable: the kernel stops reading here');
        return;
      }
      const type = PSTORE_TYPES[parsed.type] as PstoreType | undefined;
      if (!type) {
        // pstore names such a file `unknown-…`; we cannot represent that type.
        this.note(v, `record type ${parsed.type} is not a pstore type (the kernel shows it as unknown-${this.name}-${parsed.id}); skipped`);
        continue;
      }
      const idText = parsed.id.toString();
      const record: EfiRecord = {
        type,
        id: Number(parsed.id),
        idText,
        data: got.data,
        eccNotice: '',
        ecc: null,
        time: { sec: Number(BigInt.asIntN(64, parsed.time)), nsec: 0 },
        compressed: parsed.compressed,
        part: parsed.part,
        count: parsed.count,
        zones: [{ label: v.name, offset: got.variable.offset, size: got.variable.next - got.variable.offset }],
        variable: got.variable,
        dumpName: parsed,
      };
      this.lastRead.set(`${type}/${idText}`, got.variable);
      yield record;
    }
    this.note(null, `more than ${STOP_LOOP} records: the kernel stops reading here`);
  }

  private note(v: StoreVariable | null, message: string): void {
    this.readNotes.push({ offset: v ? v.offset : -1, variable: v ? v.name : '', message });
  }

  /** efi_pstore_write: one variable per dump part. */
  write(record: WriteRecord): boolean {
    const type = PSTORE_TYPES.indexOf(record.type);
    const name = dumpVariableName(type, record.part, record.count, record.time.sec, record.compressed);
    const data = record.data.subarray(0, Math.min(record.data.length, this.bufsize));
    this.lastWriteName = name;
    // efivar_set_variable_locked → check_var_size: x86 keeps EFI_MIN_RESERVE free (u64 arithmetic).
    if (data.length > 0) {
      const size = BigInt(data.length + (name.length + 1) * 2);
      const left = BigInt.asUintN(64, BigInt(this.services.remainingStorage()) - size);
      if (left < BigInt(this.minReserve)) {
        this.lastWriteStatus = 'reserve';
        return false;
      }
    }
    this.lastWriteStatus = this.services.setVariable(name, LINUX_EFI_CRASH_GUID, PSTORE_EFI_ATTRIBUTES, data);
    return this.lastWriteStatus === 'success';
  }

  /** efi_pstore_erase: SetVariable with no data on the name the record was read from. */
  erase(type: PstoreType, id: number, idText?: string): void {
    const keyText = idText ?? String(id);
    let v = this.lastRead.get(`${type}/${keyText}`);
    if (!v) {
      for (const r of this.read()) if (r.type === type && r.idText === keyText) v = r.variable;
    }
    if (!v) throw new NotFoundError(`no ${type}-${this.name}-${keyText}`);
    const status = this.services.setVariable(v.name, LINUX_EFI_CRASH_GUID, PSTORE_EFI_ATTRIBUTES, new Uint8Array(0));
    if (status !== 'success' && status !== 'not-found') throw new NotFoundError(`deleting ${v.name}: firmware returned ${status}`);
  }
}
