/**
 * The console zone's writer: persistent_ram_write on a file, with a reusable
 * encode buffer so a logged string costs no allocation before its pwrites.
 */
import type { RamoopsZone } from '../backends/ramoops/layout.js';
import type { Region } from '../region/region.js';
import { PersistentRamZone, type PrzOptions } from '../zone/persistentRamZone.js';

const encoder = new TextEncoder();

export class ConsoleZoneWriter {
  private readonly prz: PersistentRamZone;
  private buf = new Uint8Array(1024);

  constructor(region: Region, zone: RamoopsZone, options: PrzOptions) {
    this.prz = new PersistentRamZone(region, zone.offset, zone.size, options);
  }

  write(data: Uint8Array): void {
    if (data.length) this.prz.write(data);
  }

  writeString(text: string): void {
    if (!text.length) return;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.buf.length < text.length * 3) this.buf = new Uint8Array(Math.max(text.length * 3, this.buf.length * 2));
    const { written } = encoder.encodeInto(text, this.buf);
    this.prz.write(this.buf.subarray(0, written));
  }
}
