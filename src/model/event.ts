import type { DevId } from './device.js';
import type { Nanos } from './time.js';
import type { Op } from './rwbs.js';

/**
 * Block-layer actions. Numbers 1..19 are the kernel's `__BLK_TA_*` values
 * (include/uapi/linux/blktrace_api.h) so the binary reader maps them directly.
 * Values ≥ 64 are pseudo-actions that text formats and other tools produce.
 */
export const Act = {
  Queue: 1, // Q  block_bio_queue
  BackMerge: 2, // M  block_bio_backmerge (also block_rq_merge)
  FrontMerge: 3, // F  block_bio_frontmerge
  GetRq: 4, // G  block_getrq
  SleepRq: 5, // S
  Requeue: 6, // R  block_rq_requeue
  Issue: 7, // D  block_rq_issue
  Complete: 8, // C  block_rq_complete / block_bio_complete
  Plug: 9, // P
  Unplug: 10, // U  (aux = depth)
  UnplugTimer: 11, // UT (aux = depth)
  Insert: 12, // I
  Split: 13, // X  (aux = new sector)
  Bounce: 14, // B
  Remap: 15, // A  (auxDev = from dev, aux = from sector)
  Abort: 16,
  DrvData: 17,
  ZonePlug: 18, // ZP (v8)
  ZoneUnplug: 19, // ZU (v8)
  /** A text message (`m N …`, BLK_TN_MESSAGE). `text` holds it. */
  Message: 64,
  /** A completion as reported by a latency tool (biosnoop, CSV): issue→complete in one record. aux = latency ns. */
  IoDone: 65,
  /** block_io_start (6.5+): request accounting start. */
  IoStart: 66,
  /** block_rq_error: a failed request completion (error set). */
  Error: 67,
} as const;
export type Act = (typeof Act)[keyof typeof Act];

export const ACT_LETTERS: Record<number, string> = {
  1: 'Q', 2: 'M', 3: 'F', 4: 'G', 5: 'S', 6: 'R', 7: 'D', 8: 'C', 9: 'P', 10: 'U', 11: 'UT',
  12: 'I', 13: 'X', 14: 'B', 15: 'A', 16: 'AB', 17: 'DD', 18: 'ZP', 19: 'ZU', 64: 'm', 65: 'IO',
  66: 'IS', 67: 'E',
};

/**
 * One trace event in the shared model. Every format reader produces these and
 * nothing after the readers sees a format's records (STYLE habit 1).
 *
 * Producers may REUSE one object for every event they emit: a sink must copy
 * whatever it keeps beyond the synchronous `event()` call (see `copyEvent`).
 * Unknown numeric fields are -1; unknown strings are ''.
 */
export interface BlockEvent {
  /** Index into the analysis' source table (file or stream). */
  source: number;
  /** 1-based line number for text sources, byte offset for binary sources. */
  loc: number;
  /** ns in the source's clock domain. */
  time: Nanos;
  dev: DevId;
  cpu: number;
  seq: number;
  pid: number;
  act: Act;
  op: Op;
  /** Flag bits from rwbs.ts `Flag`. */
  flags: number;
  /** 512-byte sector; -1 when the format printed none (blkparse "[comm]"-only lines). */
  sector: number;
  /** Bytes; 0 for zero-byte events (flushes), -1 unknown. For C: bytes completed now. */
  bytes: number;
  /** Signed errno of a completion (blkparse's unsigned 16-bit 65531 → -5); 0 = success. */
  error: number;
  comm: string;
  /** Remap: original sector. Split: new sector. Unplug: depth. IoDone: latency ns. Otherwise -1. */
  aux: number;
  /** Remap: original device. Otherwise -1. */
  auxDev: number;
  /** Message text, or the passthrough command bytes as printed. */
  text: string;
}

export function emptyEvent(): BlockEvent {
  return {
    source: 0, loc: 0, time: 0, dev: 0, cpu: -1, seq: -1, pid: -1, act: Act.Queue, op: 0,
    flags: 0, sector: -1, bytes: -1, error: 0, comm: '', aux: -1, auxDev: -1, text: '',
  };
}

/** Reset the fields a text reader fills from a line's tail (sector, size, error, comm, aux, text). */
export function clearTail(e: BlockEvent): void {
  e.sector = -1;
  e.bytes = 0;
  e.error = 0;
  e.comm = '';
  e.aux = -1;
  e.auxDev = -1;
  e.text = '';
}

export function copyEvent(e: BlockEvent): BlockEvent {
  return {
    source: e.source, loc: e.loc, time: e.time, dev: e.dev, cpu: e.cpu, seq: e.seq, pid: e.pid,
    act: e.act, op: e.op, flags: e.flags, sector: e.sector, bytes: e.bytes, error: e.error,
    comm: e.comm, aux: e.aux, auxDev: e.auxDev, text: e.text,
  };
}

/** Receives events synchronously, in the order the source produced them. */
export interface EventSink {
  event(e: BlockEvent): void;
}

/**
 * A reference to an event kept as evidence: enough for a reader to find the
 * line in the original file and check it.
 */
export interface EvidenceRef {
  /** Source path (or "-" for stdin). */
  source: string;
  /** "line" for text, "offset" for binary. */
  locKind: 'line' | 'offset';
  loc: number;
  /**
   * Seconds in the source's clock as stages write it; when the analysis ends (src/clock) seconds on the
   * report's reference clock, the source's own time moving to `localTime`; null when not placeable.
   */
  time: number | null;
  /** Seconds in the source's own clock, as its trace prints them. */
  localTime?: number;
  /** ± seconds of `time` (clock-alignment uncertainty of its layer). */
  timeUncertainty?: number;
  /** An untimed source (qemu-io log): the event's position among its source's events. */
  order?: { n: number; of: number };
  device: string;
  action: string;
  rwbs: string;
  sector: number;
  bytes: number;
  error?: number;
  comm?: string;
  /** Optional short note: what this event proves. */
  note?: string;
}
