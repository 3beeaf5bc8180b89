/**
 * The lifecycle events of the request tracker (lifetime.ts): what a
 * subscriber — stats, check's device model, series — hears about each bio
 * and flush request on one device, in trace order, so that none of them
 * matches Q…C again (STYLE habit 11; Perfetto's one slice tracker).
 *
 * Every hook is optional except `done` and `flush` (the two stats and series
 * always used). Bios and lists handed to a hook are the tracker's own and are
 * reused once the bio ends: read them inside the hook, keep only copies. A
 * subscriber may hang its own record on a bio (`Bio.ext`) or a flush request
 * (`FlushRq.ext`); the tracker never reads it and clears it when the record is
 * reused. A second subscriber of the same tracker (lifecycle-pair.ts) has
 * `ext2`.
 */
import type { BlockEvent } from '../model/event.js';
import type { Bio } from './request.js';

/** A flush request (`D FN`) at the driver, oldest first (blk-flush.c: one flush serves every waiter). */
export interface FlushRq {
  /** D time (ns), source and location of the D. */
  d: number;
  source: number;
  loc: number;
  /** The subscriber's number for it (the checker: the volatile-set mark it covers). */
  ext: number;
  /** A second subscriber's number for it (the correlator: its operation row + 1). */
  ext2: number;
}

export interface LifecycleSink {
  /** A bio (or one piece of a split bio) reached its final completion. */
  done(b: Bio): void;
  /** A second subscriber (lifecycle-pair.ts) is told the tracker it hears, to see what it has open. */
  watch?(t: { readonly inFlight: number; readonly atDevice: number; readonly flushesInFlight: number }): void;
  /** A flush request (`D FN` → `C FN`) completed. */
  flush(issue: number, complete: number, error: number): void;
  /**
   * A flush completed at this device (the durability point it gives): a flush
   * request (`C FN`, with or without its `D FN` in the trace), or the final
   * completion of a PREFLUSH bio no flush request served on a device with no
   * request stage (dm, md, pmem: `Q FWS` → `C FWS 0`), or of a barrier
   * (pre-2.6.37 `WBS`, itself the flush).
   */
  flushDone?(e: BlockEvent): void;
  /** A completion matched no issued or queued request (counted in TrackCounts). */
  orphan?(e: BlockEvent): void;

  /** Q: a bio entered the tracker (data bios in the sector tree, 0-byte ones in the empty-bio FIFO). */
  queued?(b: Bio, e: BlockEvent): void;
  /** M/F: a queued bio merged into a request (it ends when that request does). */
  merged?(b: Bio, e: BlockEvent): void;
  /**
   * X, or a G inside a queued bio (a split the trace did not show): `piece`
   * is the new bio [at, end) cut from `from`, with its Q copied.
   */
  split?(from: Bio, piece: Bio): void;
  /** A: a bio is about to be queued here from another device (its Q takes `fromDev`/`fromSector`). */
  remapped?(e: BlockEvent): void;
  /**
   * D of a data request: the bios it holds, in sector order (a bio created
   * for it when its Q came before the trace). Called before their state moves.
   */
  issued?(e: BlockEvent, bios: readonly Bio[]): void;
  /** D of a flush request; `f` is queued until its C. */
  flushIssued?(f: FlushRq, e: BlockEvent): void;
  /** R: the bios of a request sent back to the requeue list (a new I and D follow). */
  requeued?(e: BlockEvent, bios: readonly Bio[]): void;
  /**
   * A data C that matched: the bios it ends (`bios`, before they end: a bio
   * whose flush sequence goes on reaches `finalDone` later), or the one bio
   * it completed part of (`partial`, which stays in flight with its start moved).
   */
  dataDone?(e: BlockEvent, bios: readonly Bio[], partial: Bio | null): void;
  /**
   * The 0-byte final completion (`C WS s 0`) of a flush-sequenced bio after
   * its data (`empty` false), or the completion of a 0-byte bio (`empty` true).
   */
  finalDone?(b: Bio, e: BlockEvent, empty: boolean): void;
  /** C of a flush request: `f` is the oldest flush request at the driver, undefined when its D predates the trace. */
  flushRequestDone?(f: FlushRq | undefined, e: BlockEvent): void;
  /** A bio dropped from memory because more than the cap were in flight (completions lost). */
  evicted?(b: Bio): void;
  /**
   * Time went backwards (concatenated runs, a broken clock): every bio and
   * flush request open (`dropped` of them) is forgotten right after this
   * call, before the event that went back is handled.
   */
  discontinuity?(dropped: number, e: BlockEvent): void;
}

/** The sink stats and series gave before the lifecycle hooks existed. */
export type LifetimeSink = Pick<LifecycleSink, 'done' | 'flush' | 'flushDone' | 'orphan'>;
