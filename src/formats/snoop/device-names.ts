/**
 * Synthetic device ids for traces that name disks but print no dev_t
 * (bcc biosnoop's DISK column, the MSR Cambridge CSV's Hostname+DiskNumber).
 *
 * The id is a pure function of the name, so the same disk name gets the same
 * id in every source of an analysis and in every run:
 *   major = SYNTHETIC_MAJOR (4095, the largest major a 32-bit kernel dev_t can
 *           hold — include/linux/kdev_t.h MINORBITS 20 leaves 12 bits; no
 *           driver registers it, so a synthetic id never collides with a real one)
 *   minor = FNV-1a 32-bit hash of the UTF-8 name, folded to 20 bits.
 * Two names that fold to the same minor within one source are separated by
 * probing (minor + 1, …) and counted, so they stay distinct; only then does
 * an id depend on the order names appear.
 *
 * The names are kept: `list()` is attached as 'device-names' so reports can
 * print "nvme3n1" instead of "4095,123456".
 */
import { formatDev, makeDev, MINOR_BITS, type DevId } from '../../model/device.js';

export const SYNTHETIC_MAJOR = 4095;

export interface DeviceName {
  /** dev id used in the events. */
  dev: DevId;
  /** "maj,min" of `dev`. */
  devText: string;
  /** The name as printed by the tool. */
  name: string;
  /** True when `dev` was made up from the name (no dev_t in the trace). */
  synthetic: boolean;
}

/** FNV-1a over the UTF-16 code units of the name, folded to MINOR_BITS. */
export function syntheticMinor(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const mask = (1 << MINOR_BITS) - 1;
  return ((h >>> MINOR_BITS) ^ h) & mask;
}

export function syntheticDev(name: string): DevId {
  return makeDev(SYNTHETIC_MAJOR, syntheticMinor(name));
}

export class DeviceNames {
  private readonly byName = new Map<string, DeviceName>();
  private readonly byDev = new Map<DevId, DeviceName>();
  /** Names that needed probing because their hash collided with another name. */
  collisions = 0;

  /** Id for a disk name with no dev_t in the trace. */
  synthetic(name: string): DevId {
    const hit = this.byName.get(name);
    if (hit) return hit.dev;
    let minor = syntheticMinor(name);
    const mask = (1 << MINOR_BITS) - 1;
    while (this.byDev.has(makeDev(SYNTHETIC_MAJOR, minor))) {
      minor = (minor + 1) & mask;
      this.collisions++;
    }
    return this.add(name, makeDev(SYNTHETIC_MAJOR, minor), true);
  }

  /** Record that the trace named a real dev_t (kept for the name table only). */
  real(name: string, dev: DevId): DevId {
    const hit = this.byName.get(name);
    if (hit) return hit.dev;
    return this.add(name, dev, false);
  }

  get size(): number {
    return this.byName.size;
  }

  list(): DeviceName[] {
    return [...this.byName.values()];
  }

  private add(name: string, dev: DevId, synthetic: boolean): DevId {
    const d: DeviceName = { dev, devText: formatDev(dev), name, synthetic };
    this.byName.set(name, d);
    if (!this.byDev.has(dev)) this.byDev.set(dev, d);
    return dev;
  }
}
