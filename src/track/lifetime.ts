/**
 * Request lifetimes on one device, as the block layer really runs them —
 * the "true" model beside btt's (btt-compat.ts). Per bio: Q → (M/F into a
 * request | G own request) → I → D → C, plus R requeue, X split, A remap, and
 * the flush machinery of block/blk-flush.c (`blk_insert_flush`, shared
 * reference §3.2–3.3):
 *
 *  - an empty PREFLUSH bio (`Q FWS`, 0 bytes) is a first-class request: it is
 *    served by the next flush request (`D FN`) issued after it was queued and
 *    ends at its own 0-byte completion (`C WS 0`); one `D FN` may serve many;
 *  - a data bio with PREFLUSH, or with FUA on a device that emulates FUA (its
 *    D shows no FUA flag), completes twice (blk-flush.c `mq_flush_data_end_io`
 *    then `blk_flush_complete_seq` → `blk_mq_end_request`): first its data
 *    (`C WSM s + n`), then a 0-byte `C WSM s` once the post-flush is done —
 *    the second is the end_io its submitter sees, so Q2C ends there;
 *  - `D FN`/`C FN` are the flush request itself (flush latency = its D2C).
 *
 * Matching: by start sector in an RB tree that keeps duplicates (two in-flight
 * bios for the same sector stay two), earliest-queued first; D and C take the
 * non-overlapping bios inside their range, in sector order, so a merged
 * request ends all its bios and a partial completion advances the rest.
 * Everything that matches nothing is counted by name (request.ts TrackCounts).
 * Memory: one record per bio in flight; a bio leaves at its final completion.
 */
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import { Flag, Op } from '../model/rwbs.js';
import { BioState, emptyCounts, type Bio, type TrackCounts } from './request.js';
import { BioSet } from './bio-set.js';
import { FinalWait } from './final-wait.js';
import { FlushQueue } from './flush-queue.js';
import type { LifecycleSink } from './lifecycle.js';

export type { FlushRq, LifecycleSink, LifetimeSink } from './lifecycle.js';

const NO_BIOS: readonly Bio[] = [];

/** The per-device facts' counters (facts.ts), told of flushes and orphans first. */
export interface FactCounter {
  flushDone(e: BlockEvent): void;
  orphan(e: BlockEvent): void;
}

const MAX_REMAPS = 65536;

/**
 * More bios than this in flight means completions are being lost (blk-mq's
 * deepest queues hold a few thousand tags per hardware queue): the oldest
 * half is dropped and counted, so a damaged endless trace cannot exhaust
 * memory (about 1.3 KB a bio: ~90 MB at this cap). The same cap bounds the
 * flush requests at the driver and the writes waiting for their final
 * completion. It is the only cap: every subscriber (stats, check, series)
 * sees the same bios dropped. --max-inflight changes it.
 */
export const MAX_IN_FLIGHT = 1 << 16;

export class RequestTracker extends BioSet {
  /** Empty bios and flush requests at the driver. */
  private readonly zero = new FlushQueue();
  private readonly empties = this.zero.empties;
  private readonly flushes = this.zero.flushes;
  /** Data-done bios waiting for their 0-byte final completion, by sector. */
  private readonly awaitFinal = new FinalWait();
  /** Qs seen (Bio.qOrder). */
  private qCount = 0;
  /** Bios queued (Q) so far: none on a trace of issues and completions only (`blktrace -a issue -a complete`). */
  get queued(): number {
    return this.qCount;
  }
  /** A (remap) seen before its Q, by the new sector: where the bio came from. */
  private readonly remaps = new Map<number, { fromDev: number; fromSector: number }>();
  /**
   * The last A, not yet taken by its Q: almost every A is followed at once
   * by the Q it announces, so it waits here and only goes into `remaps`
   * (an allocation) when another A comes first.
   */
  private remapSector = -1;
  private remapFromDev = -1;
  private remapFromSector = -1;
  /** dm-trimmed bios (`X S / S`, split()): the remainder's start → the bio, and the bio's Q order → that start. */
  private readonly trims = new Map<number, Bio>();
  private readonly trimOf = new Map<number, number>();
  /**
   * The bio of the event just before this one when that was its Q and no
   * other bio started at its sector: most bios are back-merged by the very
   * next event (M), which then needs no tree search.
   */
  private justQueued: Bio | null = null;
  /** Bios between Q (or first D) and their final completion. */
  inFlight = 0;
  /** Requests between D and C at the driver (data requests and flush requests). */
  atDevice = 0;
  /** A D was seen on this device: it has a request stage (not bio-based). */
  private sawIssue = false;
  /**
   * A D, G, I or a flush request's completion was seen: the device allocates requests, so blk-flush.c runs
   * its flush sequences, even where the trace leaves out the D (`blktrace -a queue -a complete`, tracepoints
   * block_bio_queue + block_rq_complete). A bio-based device (dm, md) shows none of them.
   */
  private requestStage = false;
  /** The device showed a request stage (D, G, I or a flush request's completion); a bio-based one (dm, md, DRBD) never does. */
  get hasRequestStage(): boolean {
    return this.requestStage;
  }
  readonly counts: TrackCounts = emptyCounts();

  /** Passthrough requests issued and not yet completed (their completions are not orphans). */
  private pcAtDriver = 0;
  /** Bios and flush requests forgotten where time went backwards (discontinuity). */
  droppedAtDiscontinuity = 0;

  constructor(
    private readonly sink: LifecycleSink,
    private readonly maxInFlight = MAX_IN_FLIGHT,
    /** Who counts completed flushes and orphans before the sink hears of them (facts.ts). */
    private readonly facts?: FactCounter,
  ) {
    super();
  }

  private flushDone(e: BlockEvent): void {
    this.facts?.flushDone(e);
    this.sink.flushDone?.(e);
  }

  private orphan(e: BlockEvent): void {
    this.facts?.orphan(e);
    this.sink.orphan?.(e);
  }

  event(e: BlockEvent): void {
    if (e.flags & Flag.PC) {
      // passthrough (SG_IO, SCSI error handling, disk events): not a request of the block layer's model; only
      // counted, so that its completion, which blkparse may print bare (`C N [0]`), is not taken for an orphan
      if (e.act === Act.Issue) this.pcAtDriver++;
      else if (e.act === Act.Complete && this.pcAtDriver > 0) this.pcAtDriver--;
      return;
    }
    const data = e.bytes > 0 && e.sector >= 0;
    const justQueued = this.justQueued;
    this.justQueued = null;
    switch (e.act) {
      case Act.Queue: return this.queue(e, data);
      case Act.GetRq: return this.getrq(e, data);
      case Act.BackMerge:
      case Act.FrontMerge: return this.merge(e, data, justQueued);
      case Act.Insert: return data ? this.insert(e) : undefined;
      case Act.Issue: return this.issue(e, data);
      case Act.Complete: return this.complete(e, data);
      case Act.Requeue: return data ? this.requeue(e) : this.requeueFlush(e, data);
      case Act.Split: return this.split(e);
      case Act.Remap: return this.remap(e);
      default: return;
    }
  }

  private queue(e: BlockEvent, data: boolean): void {
    const start = e.sector < 0 ? 0 : e.sector;
    const b = this.bio(start, data ? start + Math.max(1, Math.ceil(e.bytes / 512)) : start);
    b.q = e.time;
    b.op = e.op;
    b.flags = e.flags;
    b.pid = e.pid;
    b.comm = e.comm;
    b.bytes = data ? e.bytes : 0;
    b.sequenced = data && (e.flags & Flag.PREFLUSH) !== 0;
    b.source = e.source;
    b.qLoc = e.loc;
    b.qOrder = ++this.qCount;
    if (start === this.remapSector) {
      b.fromDev = this.remapFromDev;
      b.fromSector = this.remapFromSector;
      this.remapSector = -1;
      if (this.remaps.size > 0) this.remaps.delete(start);
    } else if (this.remaps.size > 0) {
      const r = this.remaps.get(start);
      if (r) {
        b.fromDev = r.fromDev;
        b.fromSector = r.fromSector;
        this.remaps.delete(start);
      }
    }
    this.inFlight++;
    if (data) {
      // the only bio at its start: an M right after this Q can take it without a search
      if (!this.tree.insertMulti(b)) this.justQueued = b;
    } else this.empties.push(b);
    this.sink.queued?.(b, e);
    this.capInFlight();
  }

  private capInFlight(): void {
    if (this.tree.size + this.empties.length > this.maxInFlight) this.evict();
  }

  private evict(): void {
    this.justQueued = null;
    const half = Math.ceil(this.maxInFlight / 2);
    const drop = (b: Bio): void => this.dropped(b);
    let n = this.tree.evictOldest(this.tree.size - half, (x) => (x.q >= 0 ? x.q : x.d), drop);
    n += this.zero.dropTo(half, drop);
    this.counts.evicted += n;
    this.inFlight = Math.max(0, this.inFlight - n);
  }

  /** Too many writes waiting for a final completion that never comes: the oldest half go. */
  private evictAwaiting(): void {
    const n = this.awaitFinal.dropTo(Math.ceil(this.maxInFlight / 2), (b) => this.dropped(b));
    this.counts.evicted += n;
    this.inFlight = Math.max(0, this.inFlight - n);
  }

  private dropped(b: Bio): void {
    this.sink.evicted?.(b);
    // reused like an ended bio: a flood of requests never completed allocates no bio past the cap
    this.release(b);
  }

  private getrq(e: BlockEvent, data: boolean): void {
    this.requestStage = true;
    if (!data) return this.zero.getrq(e);
    let b = this.atStart(e.sector, BioState.Queued);
    if (!b) {
      // A G inside a queued bio: the bio was split without an X event (formats without block_split).
      const outer = this.tree.findContaining(e.sector);
      if (outer && outer.state <= BioState.InRequest && outer.start < e.sector) b = this.splitAt(outer, e.sector);
    }
    if (!b) {
      this.counts.getrqWithoutQueue++;
      return;
    }
    b.g = e.time;
    b.state = BioState.InRequest;
  }

  private merge(e: BlockEvent, data: boolean, justQueued: Bio | null): void {
    if (!data) return;
    const b = justQueued && justQueued.start === e.sector ? justQueued : this.atStart(e.sector, BioState.Queued);
    if (b) {
      b.m = e.time;
      b.state = BioState.InRequest;
      this.sink.merged?.(b, e);
    } else if (!this.atStart(e.sector, BioState.InRequest) && !this.atStart(e.sector, BioState.Inserted)) {
      // (a request merged into another — block_rq_merge, also traced as M — matches an InRequest bio)
      this.counts.mergeWithoutQueue++;
    }
  }

  private insert(e: BlockEvent): void {
    this.requestStage = true;
    const head = this.atStart(e.sector, BioState.InRequest) ?? this.atStart(e.sector, BioState.Queued);
    if (!head) {
      this.counts.insertWithoutQueue++;
      return;
    }
    head.i = e.time;
    for (const b of this.claim(e.sector, e.sector + e.bytes / 512, BioState.InRequest)) b.state = BioState.Inserted;
    head.state = BioState.Inserted;
  }

  /**
   * A flush request: `FN`, or a 0-byte request with no op letter and no size
   * (`D N [comm]`: a flush printed without its FLUSH bit); a 0-byte `C` with no
   * op is taken as one only while such a flush is at the driver — otherwise it
   * is the final completion of a flush bio (`C NS 0`), or of a passthrough
   * request (`D N 0 [comm]` is passthrough: blkparse prints a size only for those).
   */
  private isFlushRequest(e: BlockEvent, data: boolean): boolean {
    if (e.op === Op.Flush) return true;
    if (e.op !== Op.None || data || e.bytes > 0) return false;
    return e.act === Act.Issue || this.flushes.length > 0;
  }

  private issue(e: BlockEvent, data: boolean): void {
    this.atDevice++;
    this.sawIssue = true;
    this.requestStage = true;
    if (this.isFlushRequest(e, data)) {
      // Every empty flush queued so far and not yet served waits on this flush
      // request (blk-flush.c: one flush serves all waiters on the pending list).
      const { f, dropped } = this.zero.issue(e, this.maxInFlight);
      // completions lost: the oldest flush request never completes here
      if (dropped) this.counts.evicted++;
      this.sink.flushIssued?.(f, e);
      return;
    }
    if (!data) {
      // a 0-byte request issued as itself (no flush machinery): the oldest waiting empty bio
      return this.zero.issueEmpty(e);
    }
    let list = this.claim(e.sector, e.sector + e.bytes / 512, BioState.Inserted);
    if (list.length === 0) {
      this.counts.issueWithoutQueue++;
      const b = this.bio(e.sector, e.sector + Math.max(1, Math.ceil(e.bytes / 512)));
      b.op = e.op;
      b.flags = e.flags;
      b.bytes = e.bytes;
      b.pid = -1;
      b.source = e.source;
      b.qLoc = e.loc;
      list = this.single(b);
      this.tree.insertMulti(b);
      this.inFlight++;
    }
    this.sink.issued?.(e, list);
    const fua = (e.flags & Flag.FUA) !== 0;
    for (const b of list) {
      b.d = e.time;
      b.state = BioState.Dispatched;
      b.nativeFua = fua;
      // FUA asked for but not passed down: blk-flush.c emulates it with a post-flush.
      if (b.flags & Flag.FUA && !fua) b.sequenced = true;
    }
    // a trace that shows only D (its Qs before the trace, or not traced) grows the tree here: the one cap holds
    // (after the loop: the new bios' D time is their age, the oldest go first)
    this.capInFlight();
  }

  private complete(e: BlockEvent, data: boolean): void {
    if (e.error) this.counts.errors++;
    if (this.isFlushRequest(e, data)) {
      // a flush request (REQ_OP_FLUSH) is made only by blk-flush.c for a request queue
      this.requestStage = true;
      const f = this.flushes.shift();
      // issued before the trace began: still a flush that completed here
      this.flushDone(e);
      this.sink.flushRequestDone?.(f, e);
      if (f === undefined) {
        this.counts.flushCompletionWithoutIssue++;
        this.orphan(e);
        return;
      }
      this.decDevice();
      this.sink.flush(f.d, e.time, e.error);
      return;
    }
    if (!data) return this.finalCompletion(e);
    const hi = e.sector + e.bytes / 512;
    let list = this.claim(e.sector, hi, BioState.Dispatched, BioState.Dispatched);
    // bio-based drivers (dm, md) complete bios that never had a request
    if (list.length === 0) list = this.claim(e.sector, hi, BioState.Inserted);
    if (list.length === 0 && this.trims.size > 0) {
      const t = this.trimmed(e.sector, hi);
      if (t) list = this.single(t);
    }
    if (list.length === 0) {
      const b = this.tree.findContaining(e.sector);
      if (b && b.state === BioState.Dispatched && b.end > hi && b.start >= e.sector) {
        // partial completion (blk_update_request with fewer bytes): the rest stays in flight
        this.sink.dataDone?.(e, NO_BIOS, b);
        this.tree.erase(b);
        b.start = Math.ceil(hi);
        this.tree.insertMulti(b);
        this.counts.partialCompletions++;
      } else {
        this.counts.completionWithoutIssue++;
        this.orphan(e);
      }
      return;
    }
    this.decDevice();
    // a trace without D (`-a queue -a complete`, tracepoints block_bio_queue + block_rq_complete): a bio queued
    // with FUA that completes without it was emulated with a post-flush — blk_insert_flush clears REQ_FUA on the
    // request then, and only then (native FUA stays on the C; a bio-based driver's C shows the bio's own flags)
    const noD = !this.sawIssue;
    const fuaCleared = noD && !(e.flags & Flag.FUA);
    if (fuaCleared) for (const b of list) if (b.flags & Flag.FUA) b.sequenced = true;
    this.sink.dataDone?.(e, list, null);
    // (nothing below searches the index: its bios go at once)
    this.tree.eraseAll(list);
    for (const b of list) {
      b.c = e.time;
      b.error = e.error;
      // a barrier, or a PREFLUSH bio on a bio-based device, is itself the flush (blk-flush.c is not involved)
      if (b.flags & Flag.BARRIER || (b.flags & Flag.PREFLUSH && b.d < 0 && !this.requestStage)) this.flushDone(e);
      // only a request (it had a D, or a G/I where no D is traced) goes through blk-flush.c; a bio-based
      // driver's C is final
      if (b.sequenced && e.error === 0 && (b.d >= 0 || (noD && (b.g >= 0 || b.i >= 0 || (fuaCleared && (b.flags & Flag.FUA) !== 0))))) {
        b.state = BioState.DataDone;
        this.awaitFinal.add(b);
        if (this.awaitFinal.size > this.maxInFlight) this.evictAwaiting();
      } else {
        b.final = e.time;
        this.end(b);
      }
    }
  }

  /** A 0-byte C: the end of a flush-sequenced write at its sector, or of an empty flush. */
  private finalCompletion(e: BlockEvent): void {
    const waiting = this.awaitFinal.take(e.sector);
    if (waiting) {
      const b = waiting;
      if (e.error) b.error = e.error;
      this.sink.finalDone?.(b, e, false);
      b.final = e.time;
      this.end(b);
      return;
    }
    const b = this.zero.takeCompleted();
    if (!b && e.op === Op.None && e.sector < 0 && this.pcAtDriver > 0) {
      // `D N 0 [comm]` (a passthrough request of 0 bytes, shared/wild/11) completes as `C N [0]`, which carries
      // nothing that marks it passthrough: it is that request's completion
      this.pcAtDriver--;
      return;
    }
    if (!b) {
      this.counts.zeroByteCompletionWithoutIssue++;
      this.orphan(e);
      return;
    }
    b.error = e.error;
    // an empty flush bio no flush request served: on a device with no request stage, or an old
    // barrier, its own completion is the flush (D2: C(W) < Q(F))
    if (b.servedBy < 0 && (b.flags & Flag.BARRIER || (b.flags & Flag.PREFLUSH && !this.requestStage))) this.flushDone(e);
    this.sink.finalDone?.(b, e, true);
    b.final = e.time;
    this.end(b);
  }

  private requeue(e: BlockEvent): void {
    const list = this.claim(e.sector, e.sector + e.bytes / 512, BioState.Dispatched, BioState.Dispatched);
    if (list.length > 0) {
      this.decDevice();
      this.sink.requeued?.(e, list);
    }
    // back on the requeue list: blk_mq_requeue_work re-inserts it (a new I), then a new D
    for (const b of list) b.state = BioState.InRequest;
    this.counts.requeues++;
  }

  /**
   * R of a flush request (`R FN 0 [0]`: blk_mq_requeue_request → trace_block_rq_requeue, a driver that could not
   * take it now, e.g. SCSI busy): it left the driver and is dispatched again (a new `D FN`); only that D sends the
   * cache flush to the device, so the flush request is no longer at the driver. The oldest one goes, as C takes
   * the oldest; like a requeued data request, its D's record ends here and the next D makes a new one. Left at
   * the driver, the C after the second D was matched to the first D (the writes completed between the two
   * D were taken as not made durable by it) and the second D stayed "in flight" at the end.
   */
  private requeueFlush(e: BlockEvent, data: boolean): void {
    if (!this.isFlushRequest(e, data)) return;
    if (this.flushes.shift() !== undefined) this.decDevice();
    this.counts.requeues++;
  }

  private split(e: BlockEvent): void {
    const b = this.atStart(e.sector, BioState.Queued) ?? this.atStart(e.sector, BioState.InRequest);
    if (b && e.aux > b.start && e.aux < b.end) return void this.splitAt(b, e.aux);
    // device-mapper since 5.19 (drivers/md/dm.c dm_split_and_process_bio): the mapped head goes down as a
    // clone, the original bio is bio_trim()med to its remainder and traced as `X S / S` (sector == new sector ==
    // the remainder's start), then resubmitted without a new Q (BIO_TRACE_COMPLETION is already set). Its one
    // C, once every clone is done, shows only the last remainder: it ends the whole bio queued at Q.
    if (b || e.aux !== e.sector) return;
    const outer = this.tree.findContaining(e.sector);
    if (!outer || outer.state !== BioState.Queued || outer.start >= e.sector || outer.qOrder < 0) return;
    const before = this.trimOf.get(outer.qOrder);
    if (before !== undefined) this.trims.delete(before);
    if (this.trims.size >= MAX_REMAPS) {
      this.trims.clear();
      this.trimOf.clear();
    }
    this.trims.set(e.sector, outer);
    this.trimOf.set(outer.qOrder, e.sector);
  }

  /** The queued bio a bio-based C of [lo, hi) ends when dm trimmed it to that remainder (split above). */
  private trimmed(lo: number, hi: number): Bio | undefined {
    const b = this.trims.get(lo);
    if (!b) return undefined;
    const at = this.trimOf.get(b.qOrder);
    this.trims.delete(lo);
    this.trimOf.delete(b.qOrder);
    // the record may have been reused (ended and queued again): it must still be that queued bio
    return at === lo && b.state === BioState.Queued && b.start < lo && b.end === hi ? b : undefined;
  }

  private remap(e: BlockEvent): void {
    this.counts.remaps++;
    if (this.remapSector >= 0 && this.remapSector !== e.sector) {
      if (this.remaps.size >= MAX_REMAPS) this.remaps.clear();
      this.remaps.set(this.remapSector, { fromDev: this.remapFromDev, fromSector: this.remapFromSector });
    }
    this.remapSector = e.sector;
    this.remapFromDev = e.auxDev;
    this.remapFromSector = e.aux;
    this.sink.remapped?.(e);
  }

  /** Cut `b` at sector `at`; returns the new piece [at, end). */
  private splitAt(b: Bio, at: number): Bio {
    const p = this.bio(at, b.end);
    p.q = b.q;
    p.m = b.m;
    p.op = b.op;
    p.flags = b.flags;
    p.pid = b.pid;
    p.comm = b.comm;
    p.sequenced = b.sequenced;
    p.fromDev = b.fromDev;
    p.source = b.source;
    p.qLoc = b.qLoc;
    p.qOrder = b.qOrder;
    p.bytes = (b.end - at) * 512;
    b.bytes = (at - b.start) * 512;
    b.end = at;
    if (!b.origin) b.origin = { pieces: 1, done: 0, lastFinal: -1 };
    b.origin.pieces++;
    p.origin = b.origin;
    this.tree.insertMulti(p);
    this.inFlight++;
    this.counts.splits++;
    this.sink.split?.(b, p);
    return p;
  }

  private decDevice(): void {
    if (this.atDevice > 0) this.atDevice--;
  }

  /** `b` reached its final completion (`b.final` set by the caller: a time passed as an argument would be boxed). */
  private end(b: Bio): void {
    if (this.inFlight > 0) this.inFlight--;
    if (b.origin) {
      b.origin.done++;
      if (b.final > b.origin.lastFinal) b.origin.lastFinal = b.final;
    }
    this.sink.done(b);
    this.release(b);
  }

  /**
   * Time went backwards on this device (concatenated runs or a broken clock:
   * blkparse output is sorted): a completion after the jump cannot belong to
   * a request before it, so everything open is forgotten and counted, and
   * matching starts again. The caller decides what a reversal is (facts.ts).
   */
  discontinuity(e: BlockEvent): void {
    const n = this.tree.size + this.empties.length + this.awaitFinal.size + this.flushes.length;
    this.droppedAtDiscontinuity += n;
    // subscribers see the open state once more before it goes
    this.sink.discontinuity?.(n, e);
    this.tree.clear();
    this.zero.clear();
    this.awaitFinal.clear();
    this.remaps.clear();
    this.trims.clear();
    this.trimOf.clear();
    this.remapSector = -1;
    this.justQueued = null;
    this.inFlight = 0;
    this.atDevice = 0;
  }

  /** Bios still open, oldest-queued first within each stage, without ending them (for end-of-trace reports). */
  forEachOpen(fn: (b: Bio) => void): void {
    for (let n = this.tree.first(); n; n = this.tree.next(n)) fn(n);
    this.empties.forEach(fn);
    this.awaitFinal.forEach(fn);
  }

  /** Flush requests at the driver. */
  get flushesInFlight(): number {
    return this.flushes.length;
  }

  /** End of trace: finish what can be finished, count what is still in flight. */
  finish(): TrackCounts {
    this.awaitFinal.forEach((b) => {
      this.counts.finalCompletionMissing++;
      b.final = b.c;
      this.end(b);
    });
    this.awaitFinal.clear();
    this.counts.inFlightAtEnd = this.tree.size + this.empties.length;
    return this.counts;
  }
}
