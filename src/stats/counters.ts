/**
 * blkparse's per-device totals (blkparse.c `dump_trace_fs` → `account_q`,
 * `account_m`, `account_issue`, `account_c`, `account_requeue`,
 * `account_unplug`; printed by `dump_io_stats`), reproduced so the `blkparse`
 * section equals the Total block of blkparse's own summary:
 *
 *  - direction is the WRITE category bit: set for writes, discards, secure
 *    erase and write-zeroes (`op_is_write`); a flush request (`FN`) and `N`
 *    count as READS — so every `D FN`/`C FN` is a "Read Dispatch"/"Read
 *    Completed" with 0 KiB;
 *  - every event counts, 0-byte ones included (the 0-byte final completion of
 *    a flush-sequenced write is one more "Writes Completed");
 *  - KiB is the byte total of the events, shifted right by 10 when printed
 *    (checked on the corpus: two 512-byte reads make 1 KiB, not 0), and the
 *    Total block shifts the byte total of all CPUs;
 *  - M and F are both "Merges"; U is an IO unplug, UT a timer unplug;
 *  - depth (printed only in per-CPU blocks): requests dispatched and not yet
 *    completed or requeued, per direction, its maximum over the trace;
 *  - a requeue (R) takes its bytes back out of the dispatched KiB
 *    (`__account_requeue`), since the request is dispatched again;
 *  - passthrough (PC) events go to the PC counters instead.
 */
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import { Flag, Op } from '../model/rwbs.js';

export interface BlkparseCounters {
  readsQueued: number;
  readsQueuedKiB: number;
  writesQueued: number;
  writesQueuedKiB: number;
  readDispatches: number;
  readDispatchesKiB: number;
  writeDispatches: number;
  writeDispatchesKiB: number;
  readsRequeued: number;
  writesRequeued: number;
  readsCompleted: number;
  readsCompletedKiB: number;
  writesCompleted: number;
  writesCompletedKiB: number;
  readMerges: number;
  readMergesKiB: number;
  writeMerges: number;
  writeMergesKiB: number;
  ioUnplugs: number;
  timerUnplugs: number;
  /** Maximum requests dispatched and not completed, per direction (blkparse "Read depth"/"Write depth"). */
  readDepth: number;
  writeDepth: number;
  pcReadsQueued: number;
  pcWritesQueued: number;
  pcReadDispatches: number;
  pcWriteDispatches: number;
  pcReadsRequeued: number;
  pcWritesRequeued: number;
  pcReadsCompleted: number;
  pcWritesCompleted: number;
}

/** The keys of the JSON contract, in blkparse's print order (PC and depth come after). */
export const CONTRACT_KEYS = [
  'readsQueued', 'readsQueuedKiB', 'writesQueued', 'writesQueuedKiB', 'readDispatches', 'readDispatchesKiB',
  'writeDispatches', 'writeDispatchesKiB', 'readsRequeued', 'writesRequeued', 'readsCompleted', 'readsCompletedKiB',
  'writesCompleted', 'writesCompletedKiB', 'readMerges', 'readMergesKiB', 'writeMerges', 'writeMergesKiB',
  'ioUnplugs', 'timerUnplugs',
] as const satisfies ReadonlyArray<keyof BlkparseCounters>;

export function emptyCounters(): BlkparseCounters {
  return {
    readsQueued: 0, readsQueuedKiB: 0, writesQueued: 0, writesQueuedKiB: 0, readDispatches: 0, readDispatchesKiB: 0,
    writeDispatches: 0, writeDispatchesKiB: 0, readsRequeued: 0, writesRequeued: 0, readsCompleted: 0,
    readsCompletedKiB: 0, writesCompleted: 0, writesCompletedKiB: 0, readMerges: 0, readMergesKiB: 0,
    writeMerges: 0, writeMergesKiB: 0, ioUnplugs: 0, timerUnplugs: 0, readDepth: 0, writeDepth: 0,
    pcReadsQueued: 0, pcWritesQueued: 0, pcReadDispatches: 0, pcWriteDispatches: 0, pcReadsRequeued: 0,
    pcWritesRequeued: 0, pcReadsCompleted: 0, pcWritesCompleted: 0,
  };
}

/** The kernel's `op_is_write()` as blktrace records it in the WRITE category bit. */
export function blkparseIsWrite(op: Op): boolean {
  return op === Op.Write || op === Op.Discard || op === Op.SecureErase || op === Op.WriteZeroes || op === Op.ZoneAppend;
}

/** The KiB counters, accumulated in bytes and converted at the end as blkparse does. */
const KIB_KEYS = [
  'readsQueuedKiB', 'writesQueuedKiB', 'readDispatchesKiB', 'writeDispatchesKiB', 'readsCompletedKiB',
  'writesCompletedKiB', 'readMergesKiB', 'writeMergesKiB',
] as const;
type KibKey = (typeof KIB_KEYS)[number];

/** Accumulates one device's counters (or one process's: same rules). */
export class CounterSet {
  private readonly n: BlkparseCounters = emptyCounters();
  private readonly bytes: Record<KibKey, number> = {
    readsQueuedKiB: 0, writesQueuedKiB: 0, readDispatchesKiB: 0, writeDispatchesKiB: 0, readsCompletedKiB: 0,
    writesCompletedKiB: 0, readMergesKiB: 0, writeMergesKiB: 0,
  };
  private curRead = 0;
  private curWrite = 0;

  /** The counters as blkparse prints them (KiB = byte total >> 10). */
  get c(): BlkparseCounters {
    const out = { ...this.n };
    for (const k of KIB_KEYS) out[k] = Math.floor(this.bytes[k] / 1024);
    return out;
  }

  event(e: BlockEvent): void {
    const c = this.n;
    const b = this.bytes;
    const w = blkparseIsWrite(e.op);
    const bytes = e.bytes > 0 ? e.bytes : 0;
    if (e.flags & Flag.PC) {
      switch (e.act) {
        case Act.Queue: if (w) c.pcWritesQueued++; else c.pcReadsQueued++; break;
        case Act.Issue: if (w) c.pcWriteDispatches++; else c.pcReadDispatches++; break;
        case Act.Requeue: if (w) c.pcWritesRequeued++; else c.pcReadsRequeued++; break;
        case Act.Complete: if (w) c.pcWritesCompleted++; else c.pcReadsCompleted++; break;
      }
      return;
    }
    switch (e.act) {
      case Act.Queue:
        if (w) { c.writesQueued++; b.writesQueuedKiB += bytes; } else { c.readsQueued++; b.readsQueuedKiB += bytes; }
        return;
      case Act.BackMerge:
      case Act.FrontMerge:
        if (w) { c.writeMerges++; b.writeMergesKiB += bytes; } else { c.readMerges++; b.readMergesKiB += bytes; }
        return;
      case Act.Issue:
        if (w) {
          c.writeDispatches++;
          b.writeDispatchesKiB += bytes;
          if (++this.curWrite > c.writeDepth) c.writeDepth = this.curWrite;
        } else {
          c.readDispatches++;
          b.readDispatchesKiB += bytes;
          if (++this.curRead > c.readDepth) c.readDepth = this.curRead;
        }
        return;
      case Act.Requeue:
        // blkparse.c __account_requeue: a requeued request is taken back out of the dispatched KiB
        // (it is dispatched, and counted, again): 13 dispatches of 4 KiB with 3 requeues print 40 KiB
        if (w) {
          c.writesRequeued++;
          b.writeDispatchesKiB -= bytes;
          if (this.curWrite > 0) this.curWrite--;
        } else {
          c.readsRequeued++;
          b.readDispatchesKiB -= bytes;
          if (this.curRead > 0) this.curRead--;
        }
        return;
      case Act.Complete:
        if (w) {
          c.writesCompleted++;
          b.writesCompletedKiB += bytes;
          if (this.curWrite > 0) this.curWrite--;
        } else {
          c.readsCompleted++;
          b.readsCompletedKiB += bytes;
          if (this.curRead > 0) this.curRead--;
        }
        return;
      case Act.Unplug: c.ioUnplugs++; return;
      case Act.UnplugTimer: c.timerUnplugs++; return;
      default: return;
    }
  }
}
