import { przOptions } from '../backends/ramoops/ramoops.js';
import type { RamoopsZone } from '../backends/ramoops/layout.js';
import { repairPrz, type PrzRepair } from '../zone/repair.js';
import type { RamoopsImage } from './ramoopsImage.js';

export interface ZoneRepairPlan {
  zone: RamoopsZone;
  repair: PrzRepair;
}

export interface RepairPlan {
  zones: ZoneRepairPlan[];
  /** Writes relative to the image's region (add the region's --offset for the file). */
  writes: Array<{ offset: number; bytes: Uint8Array }>;
  corrected: number;
  /** Blocks that stay unrecoverable after the repair. */
  remainingBad: number;
}

/** ECC repair of every zone of a ramoops image (nothing is written here). */
export function planRepair(image: RamoopsImage): RepairPlan {
  const zones: ZoneRepairPlan[] = [];
  const writes: RepairPlan['writes'] = [];
  let corrected = 0;
  let remainingBad = 0;
  for (const zone of image.layout.zones) {
    const repair = repairPrz(image.region.read(zone.offset, zone.size), przOptions(image.layout, zone, image.backend.ftraceSig));
    zones.push({ zone, repair });
    corrected += repair.correctedBytes;
    remainingBad += repair.badBlocks.length + (repair.skipped === 'uncorrectable header' ? 1 : 0);
    for (const p of repair.patches) writes.push({ offset: zone.offset + p.offset, bytes: p.bytes });
  }
  return { zones, writes, corrected, remainingBad };
}
