/**
 * Devices are identified by the kernel's dev_t encoding used in
 * `struct blk_io_trace.device` and in the block tracepoints' `dev` field:
 * MAJOR = dev >> 20, MINOR = dev & 0xfffff (include/linux/kdev_t.h MINORBITS 20).
 */
export type DevId = number;

export const MINOR_BITS = 20;
const MINOR_MASK = (1 << MINOR_BITS) - 1;

export function makeDev(major: number, minor: number): DevId {
  return major * (1 << MINOR_BITS) + (minor & MINOR_MASK);
}

export function devMajor(dev: DevId): number {
  return Math.floor(dev / (1 << MINOR_BITS));
}

export function devMinor(dev: DevId): number {
  return dev & MINOR_MASK;
}

/** The loop driver's block major (include/uapi/linux/major.h LOOP_MAJOR). */
export const LOOP_MAJOR = 7;

/**
 * A loop device: its queue advertises a volatile write cache whenever the backing file has ->fsync and the
 * device is writable (drivers/block/loop.c, loop_update_limits: BLK_FEAT_WRITE_CACHE; blk_queue_write_cache
 * in loop_configure before 6.x): a write it completed is in the backing file's page cache until a flush.
 */
export function isLoopDevice(dev: DevId): boolean {
  return dev >= 0 && devMajor(dev) === LOOP_MAJOR;
}

/** "maj,min" — the form blkparse prints and the JSON contract uses. */
export function formatDev(dev: DevId): string {
  return `${devMajor(dev)},${devMinor(dev)}`;
}

/** Parses "maj,min" or "maj:min"; returns undefined for anything else. */
export function parseDevNumbers(text: string): DevId | undefined {
  const m = /^\s*(\d+)\s*[,:]\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return makeDev(Number(m[1]), Number(m[2]));
}
