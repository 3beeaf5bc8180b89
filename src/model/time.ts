/**
 * Times are nanoseconds in the clock domain of the source that produced them
 * (guest monotonic, host monotonic, QEMU realtime, blkparse "relative to first
 * event"). A plain number holds ns exactly up to 2^53 ns (104 days); sources
 * whose absolute clock is larger (QEMU realtime) subtract a base recorded in
 * their ClockDomain. Converting between domains goes through src/correlate and
 * may fail: it never happens implicitly.
 */
export type Nanos = number;

export const NS_PER_SEC = 1e9;
export const NS_PER_USEC = 1e3;

/** "Not seen" marker for a lifetime phase timestamp. */
export const NOT_SEEN: Nanos = -1;

export function nsToSeconds(ns: Nanos): number {
  return ns / NS_PER_SEC;
}

/** Formats ns as seconds with 9 decimals, like blkparse's `%5T.%9t`. */
export function formatSeconds(ns: Nanos, decimals = 9): string {
  return (ns / NS_PER_SEC).toFixed(decimals);
}

export interface ClockDomain {
  /** A stable name: "host-mono", "guest-mono", "qemu-realtime", "relative", "order-only". */
  name: string;
  /** What the source's time zero is, in words ("first event", "CLOCK_MONOTONIC 0", "1753122905 s realtime"). */
  origin: string;
  /** Seconds added to the stored ns to get the absolute clock value, when known. */
  baseSeconds?: number;
  /** True when the source carries no timestamps: only the order of events is known. */
  orderOnly?: boolean;
}

/**
 * One CPU of one source whose clock was far off the others' on a device (a
 * per-CPU stream stamped ~1266874889 s in a trace of seconds: blkparse live
 * mode with a broken time base, shared/wild/08 and 09). Found and re-based by
 * src/track/clock-guard.ts before any stage sees the events.
 */
export interface ClockOutlier {
  source: number;
  dev: number;
  cpu: number;
  /** Seconds subtracted from that CPU's times (its jump over the device's clock when first seen). */
  offsetSeconds: number;
  /** Events of that CPU re-based. */
  events: number;
  /** Line or offset of its first such event. */
  firstLoc: number;
}
