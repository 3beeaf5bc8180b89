/**
 * Per-device durability model of the checker, driven by the request
 * tracker's lifecycle events (src/track/lifecycle.ts): the tracker matches
 * each bio from Q to its final completion and each flush request; this model
 * keeps only what the rules read — the set of completed writes not yet
 * durable (volatile.ts), flush epochs, sync-metadata ordering levels, the
 * requests at the driver — and calls the rules' hooks. It matches nothing
 * itself (STYLE habit 11: one matcher, one set of facts).
 *
 * What the blk-mq flush machinery shows on a device with a write cache and no
 * FUA (block/blk-flush.c, 6.x; shared reference §3.2–3.3):
 *   Q FWFSM s → G → D FN → C FN → I WSM s → D WSM s → C WSM s+n → D FN → C FN → C WSM s [0]
 *   Q WFS s → G → D WS s → C WS s+n → D FN → C FN → C WS s [0]      (FUA emulated by a post-flush)
 *   Q FWS → G → D FN → C FN → C WS 0 [0]                            (empty flush bio)
 * The flush request (`D FN`) has no Q and no I; one flush serves every waiter.
 * A flush-sequenced request completes twice: data (bytes) then 0 bytes, and
 * only the second reaches the bio's owner (the durability point, D1).
 * Bio-based devices (dm, md, pmem) show only Q and C: there the bio's own
 * completion is the flush (D2 with C(W) < Q(F)).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import { evidenceOf, maxInflightOf } from '../model/analysis.js';
import { Act, emptyEvent, type BlockEvent, type EvidenceRef } from '../model/event.js';
import { formatDev, type DevId } from '../model/device.js';
import { Flag, isWriteOp, Op } from '../model/rwbs.js';
import { AtDriver, cloneReq, newReq, type Req } from './request.js';
import { copyInto, VolatileSet } from './volatile.js';
import type { ResolvedCache } from './cache.js';
import type { Finding, RuleInfo } from './types.js';
import { FactTracker } from '../track/facts.js';
import { MAX_IN_FLIGHT, type RequestTracker } from '../track/lifetime.js';
import type { FlushRq, LifecycleSink } from '../track/lifecycle.js';
import { LifecyclePair } from '../track/lifecycle-pair.js';
import { BioState, type Bio } from '../track/request.js';

/**
 * Depth of a stretch with no flush that flush-never-issued fires on once a flush was seen (its
 * MIN_LEVELS_AFTER_FLUSH, explained there): such stretches are kept with the time of each level.
 */
export const DEEP_STRETCH_LEVELS = 16;
/** Levels of a stretch whose times are kept, and deep stretches kept (more are counted). */
const LEVELS_TIMED = 64;
const DEEP_STRETCHES_KEPT = 64;

/** A stretch of ordering levels with no flush: how deep it went, and when each level (index) was reached. */
export interface Stretch {
  depth: number;
  times: number[];
}

/** The longest run of events with no flush evidence between them: how long, and when it began and ended (ns). */
export class LongestRun {
  max = 0;
  readonly span: [number, number] = [0, 0];
  private n = 0;
  private start = 0;

  add(t: number): void {
    if (this.n++ === 0) this.start = t;
    if (this.n > this.max) {
      this.max = this.n;
      this.span[0] = this.start;
      this.span[1] = t;
    }
  }

  /** Flush evidence: the next event begins a new run. */
  reset(): void {
    this.n = 0;
  }
}

const SYNC_META = Flag.SYNC | Flag.META;
/** Flags that give a queued bio a record at its Q (queued()): sync+meta writes need META. */
const QUEUE_FLAGS = Flag.PREFLUSH | Flag.FUA | Flag.BARRIER | Flag.META;

/**
 * The shape of a check rule (one file per rule in rules/): a factory — a fresh
 * instance per device per analysis — with hooks this model calls at the points
 * of a request's life the rule needs, and a `finish` that emits findings once
 * the cache mode is resolved.
 */
export interface FinishContext {
  cache: ResolvedCache;
  /** "loop1 (7,1)" or "7,1": how messages name the device. */
  label: string;
  emit(f: Finding): void;
}

export interface DeviceRule {
  /** A bio with PREFLUSH, FUA or barrier was queued (Q). */
  flaggedQueue?(m: DeviceModel, r: Req): void;
  /** A data request reached the driver (D); it is already in the model's in-flight set. */
  issue?(m: DeviceModel, r: Req, e: BlockEvent): void;
  /** A flush request reached the driver (D FN). */
  flushIssue?(m: DeviceModel, e: BlockEvent): void;
  /** A completion with data; `r` undefined when no issue of it was seen. */
  dataComplete?(m: DeviceModel, r: Req | undefined, e: BlockEvent): void;
  /** The 0-byte final completion of a flush-sequenced request (`r`), or of an empty flush bio (`emptyFlush`). */
  finalComplete?(m: DeviceModel, r: Req | undefined, e: BlockEvent, emptyFlush: boolean): void;
  /** A flush request completed (C FN), successfully or not, before the model applied it. */
  flushComplete?(m: DeviceModel, e: BlockEvent): void;
  /** A request waiting for its final completion was dropped from memory (too many waiting). */
  abandoned?(m: DeviceModel, r: Req): void;
  finish?(m: DeviceModel, ctx: FinishContext): void;
}

export interface RuleFactory {
  info: RuleInfo;
  create(m: DeviceModel): DeviceRule;
}

/** How many requests of each stage were open (end of trace, or where time went backwards). */
export interface OpenCounts {
  /** Bios queued, not yet issued (a merged bio counts with the request it joined). */
  queued: number;
  /** Requests at the driver. */
  atDriver: number;
  /** Flush-sequenced writes whose data completed, waiting for their 0-byte final completion. */
  inFlushSequence: number;
  /** Empty PREFLUSH/barrier bios not completed. */
  emptyFlushes: number;
  /** Flush requests (D FN) not completed. */
  flushRequests: number;
}

export class DeviceModel implements LifecycleSink {
  readonly devText: string;
  readonly volatile: VolatileSet;
  readonly rules: DeviceRule[];
  /**
   * Requests at the driver (D seen, data not all completed), in issue order:
   * what barrier-not-drained and overlapping-writes-in-flight look through.
   * The tracker says when one enters and leaves; this is not a matcher.
   */
  readonly inflight = new AtDriver();

  firstTime = -1;
  /** Latest event time seen. */
  lastTime = -1;
  /**
   * The facts `stats` states too (completed flushes, completions without
   * issue, time reversals, lost events) and the request matching itself come
   * from the request tracker (src/track/facts.ts, lifetime.ts): this model
   * subscribes to its lifecycle events. Where time went backwards the tracker
   * forgets every open request (counted in `droppedAtDiscontinuity`); the
   * volatile set is kept — the data is still in the cache.
   */
  readonly facts: FactTracker;
  readonly tracker: RequestTracker;
  get discontinuities(): number {
    return this.facts.timeReversals;
  }
  /** Bios queued (Q): none on a trace of issues and completions only (`blktrace -a issue -a complete`). */
  get queuedBios(): number {
    return this.tracker.queued;
  }
  dCount = 0;
  /** Flush requests issued (D FN). */
  flushIssues = 0;
  /** Completions (C): none on a trace cut by `-a queue`. */
  completions = 0;
  sawIssue = false;
  writesCompleted = 0;
  get flushesCompleted(): number {
    return this.facts.flushesCompleted;
  }
  get flushesFailed(): number {
    return this.facts.flushesFailed;
  }
  fuaWrites = 0;
  /** Devices whose bios were remapped to this one (`A … <- (maj,min) s`): a stack in one trace (cli/stacked.ts). */
  readonly remapsFrom = new Set<number>();
  /** D time of the latest flush request seen issued and completed without error (-1: none). */
  lastOkFlushD = -1;
  /** Events of this device other than remaps (A) and messages. */
  ownEvents = 0;
  /** Remap events (A) of this device (the tracker's count). */
  get remapEvents(): number {
    return this.tracker.counts.remaps;
  }
  /**
   * Its remaps (`A` on this device `<- (Y) s`) each followed at once by Y's own `Q` at the sector the remap gave:
   * the signature of a partition traced on a kernel before 5.12 (see checker.ts `partitionOnly`).
   */
  partitionRemaps = 0;
  partitionOf = -1;
  /** Events showing the kernel saw a volatile cache: flush requests, PREFLUSH/FUA/barrier flags. */
  flushEvidence = 0;
  firstFlushEvidence: EvidenceRef | undefined;
  /** Completions no issue was seen for (the tracker's count). */
  get orphanCompletions(): number {
    return this.facts.orphans();
  }
  get orphanExample(): EvidenceRef | undefined {
    const e = this.facts.firstOrphan;
    return e ? this.evidence(e, 'completion with no issue or queue event in the trace') : undefined;
  }
  /** Bios, requests and flush requests the tracker dropped from memory (the --max-inflight cap: completions lost). */
  get evictedQueued(): number {
    return this.tracker.counts.evicted;
  }
  /** The tracker's cap (MAX_IN_FLIGHT or --max-inflight). */
  readonly maxQueued: number;

  /**
   * Sync+meta writes (REQ_SYNC|REQ_META: journal, log and superblock writes).
   * gen(W) = 1 + the highest gen among sync+meta writes completed before W
   * was queued: each level is a point where the filesystem waited for its
   * metadata to be written before writing more (a commit record after the
   * journal blocks, the next transaction after a commit).
   */
  syncMetaCompleted = 0;
  /** Sync+meta writes queued (Q): the commit points a trace without completions (`-a queue`) still shows. */
  syncMetaQueued = 0;
  /**
   * The longest runs of sync+meta writes queued, and completed, with no flush evidence between them: what a
   * trace cut by an action mask (no C, or no Q) still shows of a stretch with no flush, where ordering levels
   * cannot be counted (flush-never-issued's undecided note).
   */
  readonly syncMetaQueuedRun = new LongestRun();
  readonly syncMetaDoneRun = new LongestRun();
  maxCompletedGen = 0;
  firstSyncMeta: EvidenceRef | undefined;
  /** Copy of the last sync+meta completion (reused record); see lastSyncMeta(). */
  private readonly lastSyncMetaRec: BlockEvent = emptyEvent();
  /** First completed write of generation 2, 3 … (evidence of the ordering), bounded. */
  readonly genEvidence: EvidenceRef[] = [];
  /**
   * Flush epochs of the ordering levels: `maxCompletedGen` when flush evidence
   * was last seen, and the longest stretch of levels completed with none in
   * between (flush-never-issued fires on such a stretch, not only on a trace
   * with no flush at all: one flush at mount must not hide a nobarrier
   * filesystem for the rest of the trace).
   */
  private genAtFlush = 0;
  private stretch: EvidenceRef[] = [];
  maxLevelsWithoutFlush = 0;
  /** Evidence of that stretch: its first levels and the write that reached its depth. */
  worstStretch: EvidenceRef[] = [];
  /** Time (ns) of the flush evidence the worst stretch began after, -1 when it began with the trace. */
  worstStretchAfterFlush = -1;
  private lastFlushEvidenceTime = -1;
  /**
   * The current stretch with no flush (the time each level was reached, up to LEVELS_TIMED) and copies of the
   * finished ones that went DEEP_STRETCH_LEVELS deep (at most DEEP_STRETCHES_KEPT; more are counted): a rule can
   * count a stretch's levels outside a span in which the device was written through (a guest that switched its
   * virtio disk's write cache at run time, check/cache.ts writeThroughSpans).
   */
  private stretchNow: Stretch = { depth: 0, times: [] };
  readonly deepStretches: Stretch[] = [];
  deepStretchesDropped = 0;

  /** --at snapshot hook: called once with the state just before the first event after `atNs`. */
  atNs = Infinity;
  onAt: ((m: DeviceModel) => void) | undefined;

  constructor(
    readonly env: AnalysisEnv,
    readonly dev: DevId,
    readonly layer: string,
    factories: readonly RuleFactory[],
    /** Who else wants each bio's lifetime (the series stage): one request tracker serves both. */
    private readonly lifetime?: Pick<LifecycleSink, 'done' | 'flush'>,
    /** A second subscriber of this device's tracker (the correlator's operation table: track/lifecycle-pair.ts). */
    second?: LifecycleSink,
  ) {
    const cap = maxInflightOf(env);
    this.maxQueued = cap ?? MAX_IN_FLIGHT;
    this.facts = new FactTracker(second ? new LifecyclePair(this, second) : this, cap);
    this.tracker = this.facts.tracker;
    second?.watch?.(this.tracker);
    this.devText = formatDev(dev);
    this.volatile = new VolatileSet((e, note) => evidenceOf(env, e, note));
    this.rules = factories.map((f) => f.create(this));
    this.onFlagged = this.rules.filter((r) => r.flaggedQueue);
    this.onIssue = this.rules.filter((r) => r.issue);
    this.onDataComplete = this.rules.filter((r) => r.dataComplete);
    this.onFinalComplete = this.rules.filter((r) => r.finalComplete);
    this.onFlushIssue = this.rules.filter((r) => r.flushIssue);
    this.onFlushComplete = this.rules.filter((r) => r.flushComplete);
    this.onAbandoned = this.rules.filter((r) => r.abandoned);
  }

  // the rules that have each hook, so the hot path loops over only those
  private readonly onFlagged: DeviceRule[];
  private readonly onIssue: DeviceRule[];
  private readonly onDataComplete: DeviceRule[];
  private readonly onFinalComplete: DeviceRule[];
  private readonly onFlushIssue: DeviceRule[];
  private readonly onFlushComplete: DeviceRule[];
  private readonly onAbandoned: DeviceRule[];

  evidence(e: BlockEvent, note?: string): EvidenceRef {
    return evidenceOf(this.env, e, note);
  }

  /** Set while the tracker handles a flush request's C: its orphan call is that C's, not a data completion's. */
  private inFlushC = false;

  event(e: BlockEvent): void {
    if (e.time > this.atNs && this.onAt) {
      this.onAt(this);
      this.onAt = undefined;
    }
    if (this.firstTime < 0) this.firstTime = e.time;
    if (e.time >= this.lastTime) this.lastTime = e.time;
    // Flush evidence: flush requests, PREFLUSH/FUA on anything, B only on writes
    // (old kernels set B on reads' D/C as an artefact: shared/wild/05).
    if (e.op === Op.Flush || e.flags & (Flag.PREFLUSH | Flag.FUA) || (e.flags & Flag.BARRIER && isWriteOp(e.op))) this.noteFlushEvidence(e);
    if (e.act !== Act.Remap && e.act !== Act.Message) this.ownEvents++;
    if (e.act === Act.Issue) {
      this.dCount++;
      this.sawIssue = true;
    } else if (e.act === Act.Complete) this.completions++;
    this.inFlushC = false;
    // the tracker calls back the lifecycle hooks below while it handles the event
    this.facts.event(e);
    if (e.act === Act.IoDone) this.ioDone(e);
  }

  /**
   * A completed I/O reported by a latency tool or a CSV trace (no Q/D/C
   * stages). A write is acknowledged at its completion; a flush row makes
   * durable what had completed when it completed — an upper bound, since the
   * row does not say which writes finished while the flush ran (the source
   * reports this limitation).
   */
  private ioDone(e: BlockEvent): void {
    if (e.op === Op.Flush) {
      if (!e.error) this.volatile.durable(this.volatile.mark(), e.time);
      return;
    }
    if (!isWriteOp(e.op) || e.bytes <= 0) return;
    this.writesCompleted++;
    if (e.error) return;
    if (!(e.flags & Flag.FUA)) this.volatile.add(e, (e.flags & SYNC_META) === SYNC_META);
  }

  private noteFlushEvidence(e: BlockEvent): void {
    if (this.flushEvidence++ === 0) this.firstFlushEvidence = this.evidence(e, 'flush/FUA reaches the queue: the kernel sees a volatile cache');
    // a new flush epoch: ordering levels count again from here
    this.genAtFlush = this.maxCompletedGen;
    this.lastFlushEvidenceTime = e.time;
    this.syncMetaQueuedRun.reset();
    this.syncMetaDoneRun.reset();
    if (this.stretch.length > 0) this.stretch = [];
    if (this.stretchNow.depth >= DEEP_STRETCH_LEVELS) {
      if (this.deepStretches.length < DEEP_STRETCHES_KEPT) this.deepStretches.push(this.stretchNow);
      else this.deepStretchesDropped++;
    }
    if (this.stretchNow.depth > 0) this.stretchNow = { depth: 0, times: [] };
  }

  // ---- lifecycle hooks (src/track/lifecycle.ts), called by the tracker ----

  done(b: Bio): void {
    this.lifetime?.done(b);
  }

  flush(issue: number, complete: number, error: number): void {
    this.lifetime?.flush(issue, complete, error);
  }

  /**
   * Q. A bio the rules may look at before it is issued gets its request
   * record now: PREFLUSH/FUA/barrier bios (their volatile-set mark, the flush
   * requests issued before them), empty flush bios, and sync+meta writes (their
   * ordering level is fixed at Q). A plain data bio gets one only if it
   * reaches the driver as the head of a request (issued) — most are merged.
   */
  queued(b: Bio, e: BlockEvent): void {
    // a plain data bio (most Qs: no flag the rules follow, not sync+meta): nothing to record
    if ((e.flags & QUEUE_FLAGS) === 0 && e.bytes > 0 && e.sector >= 0 && e.op !== Op.Flush) return;
    const flagged = e.flags & (Flag.PREFLUSH | Flag.FUA | Flag.BARRIER);
    if (e.op === Op.Flush || (e.bytes <= 0 && !(e.flags & (Flag.PREFLUSH | Flag.BARRIER)))) return;
    const empty = e.bytes <= 0 || e.sector < 0;
    const syncMetaWrite = !empty && isWriteOp(e.op) && (e.flags & SYNC_META) === SYNC_META;
    if (!empty && isWriteOp(e.op) && e.flags & Flag.FUA) this.fuaWrites++;
    if (syncMetaWrite) {
      this.syncMetaQueued++;
      this.syncMetaQueuedRun.add(e.time);
    }
    if (!flagged && !empty && !syncMetaWrite) return;
    const r = newReq(e);
    r.qFlags = e.flags;
    r.qTime = e.time;
    r.qLoc = e.loc;
    r.qOrder = b.qOrder;
    r.flushIssuesAtQ = this.flushIssues;
    if (e.flags & (Flag.PREFLUSH | Flag.BARRIER)) r.qMark = this.volatile.mark();
    if (syncMetaWrite) r.gen = this.maxCompletedGen + 1;
    b.ext = r;
    if (flagged) for (const rule of this.onFlagged) rule.flaggedQueue!(this, r);
  }

  /**
   * A split piece of a bio the rules already follow gets its own record, a
   * copy (blk-merge.c bio_split: each piece is a bio with the parent's flags,
   * its own request and completion).
   */
  split(from: Bio, piece: Bio): void {
    const r = from.ext as Req | null;
    if (!r || r.dTime >= 0) return;
    const p = cloneReq(r);
    p.sector = piece.start;
    p.end = piece.end;
    p.bytes = p.remaining = piece.bytes;
    r.end = from.end;
    r.bytes = r.remaining = from.bytes;
    piece.ext = p;
  }

  /**
   * D of a data request. Its record is the one of the bio that got the
   * request (G: not merged into it), made now from the bio's Q if it had
   * none; a requeued request keeps its record. Every bio of the request
   * points at it, so any of their completions finds it.
   */
  issued(e: BlockEvent, bios: readonly Bio[]): void {
    let head = bios[0]!;
    for (const b of bios) {
      if (b.m < 0) {
        head = b;
        break;
      }
    }
    let r = head.ext as Req | null;
    if (!r) {
      r = newReq(e);
      if (head.q >= 0) {
        r.source = head.source;
        r.op = head.op;
        r.comm = head.comm;
        r.qFlags = head.flags;
        r.qTime = head.q;
        r.qLoc = head.qLoc;
        r.qOrder = head.qOrder;
      } else r.gen = isWriteOp(e.op) && (e.flags & SYNC_META) === SYNC_META ? 1 : 0;
    }
    const sectors = Math.ceil(e.bytes / 512);
    r.sector = e.sector;
    r.end = e.sector + sectors;
    r.bytes = e.bytes;
    r.remaining = e.bytes;
    r.dFlags = e.flags;
    r.dTime = e.time;
    r.dLoc = e.loc;
    r.dOrder = this.dCount;
    r.gotRq = true;
    if (!r.comm) r.comm = e.comm;
    for (const b of bios) b.ext = r;
    this.inflight.add(r);
    for (const rule of this.onIssue) rule.issue!(this, r, e);
  }

  flushIssued(f: FlushRq, e: BlockEvent): void {
    this.flushIssues++;
    if (e.op !== Op.Flush) this.noteFlushEvidence(e);
    // a successful completion makes durable every write completed before this D
    f.ext = this.volatile.mark();
    for (const rule of this.onFlushIssue) rule.flushIssue!(this, e);
  }

  requeued(_e: BlockEvent, bios: readonly Bio[]): void {
    const r = bios[0]!.ext as Req | null;
    if (r) this.inflight.delete(r);
  }

  flushRequestDone(f: FlushRq | undefined, e: BlockEvent): void {
    this.inFlushC = true;
    // with no D in the trace, when it was submitted is unknown, so it covers nothing
    for (const rule of this.onFlushComplete) rule.flushComplete!(this, e);
    if (f && !e.error) this.volatile.durable(f.ext, e.time);
    if (f && !e.error && f.d > this.lastOkFlushD) this.lastOkFlushD = f.d;
  }

  orphan(e: BlockEvent): void {
    if (this.inFlushC) return;
    if (e.bytes > 0) this.dataComplete(e, undefined, false);
    else this.finalComplete(e, undefined, false);
  }

  remapped(e: BlockEvent): void {
    // (every A of a partition names the same device: the set is asked only when it changes)
    const from = e.auxDev;
    if (from !== this.lastRemapFrom && from >= 0 && from !== e.dev) {
      this.remapsFrom.add(from);
      this.lastRemapFrom = from;
    }
  }

  private lastRemapFrom = -1;

  dataDone(e: BlockEvent, bios: readonly Bio[], partial: Bio | null): void {
    let r: Req | undefined;
    if (partial) r = (partial.ext as Req | null) ?? undefined;
    else {
      for (const b of bios) {
        if (b.ext) {
          r = b.ext as Req;
          break;
        }
      }
      // a bio-based device (Q then C): a plain bio's record is made at its completion
      if (!r && bios[0]!.d < 0) r = this.bioRecord(bios[0]!, e);
    }
    let done = r !== undefined;
    if (r && r.dTime >= 0) {
      r.remaining -= e.bytes;
      this.inflight.delete(r);
      if (r.remaining > 0) {
        // partial completion (blk_update_request): the rest continues after these sectors
        done = false;
        r.sector = e.sector + Math.ceil(e.bytes / 512);
        this.inflight.add(r);
      }
    }
    this.dataComplete(e, r, done);
  }

  /** The record of a bio that never became a request (bio-based devices), from what the tracker kept. */
  private bioRecord(b: Bio, e: BlockEvent): Req {
    const r = newReq(e);
    r.source = b.source;
    r.op = b.op;
    r.sector = b.start;
    r.end = b.end;
    r.bytes = r.remaining = b.bytes;
    r.comm = b.comm;
    r.qFlags = b.flags;
    r.qTime = b.q;
    r.qLoc = b.qLoc;
    r.qOrder = b.qOrder;
    r.gotRq = b.g >= 0 || b.i >= 0;
    return r;
  }

  private dataComplete(e: BlockEvent, r: Req | undefined, done: boolean): void {
    const write = isWriteOp(e.op);
    if (write) this.writesCompleted++;
    for (const rule of this.onDataComplete) rule.dataComplete!(this, r, e);
    if (e.error) return; // D4: no guarantee; io-error reports it
    const requestStage = r !== undefined && r.dTime >= 0;
    if (write) {
      const flags = r ? r.qFlags | r.dFlags : e.flags;
      // A barrier (pre-2.6.37) or a PREFLUSH bio on a device with no request stage
      // is itself the flush for everything completed before it was queued.
      if (done && (r!.qFlags & Flag.BARRIER || (r!.qFlags & Flag.PREFLUSH && !requestStage))) this.volatile.durable(r!.qMark, e.time);
      // D1: FUA that reached the driver (or a bio-based device's FUA bio, or a barrier) is durable at completion.
      const fua = requestStage ? r!.dFlags & Flag.FUA : flags & Flag.FUA;
      const durableNow = fua !== 0 || (flags & Flag.BARRIER) !== 0;
      const syncMeta = (flags & SYNC_META) === SYNC_META;
      // a bio-based bio's record spans the bio as queued: its C may show only dm's trimmed remainder
      const whole = r && !requestStage && r.sector >= 0 && r.sector < e.sector && r.end > r.sector ? r : undefined;
      if (!durableNow) this.volatile.add(e, syncMeta, whole);
      if (syncMeta && done) this.syncMetaDone(r, e);
      else if (syncMeta && !r) this.syncMetaDone(undefined, e);
    }
    // A flush sequence (PREFLUSH, or FUA the driver did not get) completes a second time with 0 bytes:
    // the tracker keeps the bio until then (finalDone); the rules read when its data completed.
    if (done && requestStage && (r!.qFlags & Flag.PREFLUSH || (r!.qFlags & Flag.FUA && !(r!.dFlags & Flag.FUA)))) {
      r!.dataTime = e.time;
      r!.dataLoc = e.loc;
      r!.flushIssuesAtData = this.flushIssues;
    }
  }

  finalDone(b: Bio, e: BlockEvent, empty: boolean): void {
    const r = (b.ext as Req | null) ?? undefined;
    this.finalComplete(e, r, empty && r !== undefined);
  }

  private finalComplete(e: BlockEvent, r: Req | undefined, emptyFlush: boolean): void {
    for (const rule of this.onFinalComplete) rule.finalComplete!(this, r, e, emptyFlush);
    if (!r || e.error) return;
    // A flush bio that no flush request served: on a device with no request stage,
    // or an old barrier, the bio's own completion is the flush (D2, C(W) < Q(F)).
    const served = this.flushIssues > r.flushIssuesAtQ;
    if (emptyFlush && !served && (r.qFlags & Flag.BARRIER || !this.sawIssue)) this.volatile.durable(r.qMark, e.time);
  }

  evicted(b: Bio): void {
    const r = b.ext as Req | null;
    if (!r) return;
    if (b.state === BioState.DataDone) {
      for (const rule of this.onAbandoned) rule.abandoned!(this, r);
    } else this.inflight.delete(r);
  }

  /** Where time went backwards: what was open is counted by stage before the tracker forgets it. */
  droppedAtDiscontinuity = 0;

  discontinuity(): void {
    this.droppedAtDiscontinuity += this.inFlightAtEnd();
    this.inflight.clear();
  }

  private syncMetaDone(r: Req | undefined, e: BlockEvent): void {
    this.syncMetaCompleted++;
    this.syncMetaDoneRun.add(e.time);
    if (!this.firstSyncMeta) this.firstSyncMeta = this.evidence(e, 'sync metadata write completed');
    copyInto(this.lastSyncMetaRec, e);
    const gen = r?.gen ?? 1;
    if (gen > this.maxCompletedGen) {
      this.maxCompletedGen = gen;
      if (gen >= 2 && this.genEvidence.length < 3) {
        this.genEvidence.push(this.evidence(e, `queued after ${gen - 1 === 1 ? 'a' : 'a chain of'} sync metadata write${gen > 2 ? 's' : ''} had completed (ordering level ${gen})`));
      }
      const levels = gen - this.genAtFlush;
      this.stretchNow.depth = levels;
      if (levels <= LEVELS_TIMED) this.stretchNow.times[levels] = e.time;
      if (this.stretch.length < 3) this.stretch.push(this.evidence(e, `sync metadata write at ordering level ${levels} since the last flush`));
      if (levels > this.maxLevelsWithoutFlush) {
        this.maxLevelsWithoutFlush = levels;
        this.worstStretch = [...this.stretch, this.evidence(e, `ordering level ${levels} reached with no flush or FUA since ${this.flushEvidence > 0 ? 'the last one' : 'the trace began'}`)];
        this.worstStretchAfterFlush = this.flushEvidence > 0 ? this.lastFlushEvidenceTime : -1;
      }
    }
  }

  /** The stretch with no flush the trace ended in. */
  currentStretch(): Readonly<Stretch> {
    return this.stretchNow;
  }

  /** Evidence of the last sync+meta write completion, if any. */
  lastSyncMeta(): EvidenceRef | undefined {
    return this.syncMetaCompleted > 0 ? this.evidence(this.lastSyncMetaRec, 'sync metadata write completed') : undefined;
  }

  /** Records of the flush-sequenced writes waiting for their final completion (the tracker holds them). */
  awaitingFinal(): Req[] {
    const out = new Set<Req>();
    this.tracker.forEachOpen((b) => {
      if (b.state === BioState.DataDone && b.ext) out.add(b.ext as Req);
    });
    return [...out];
  }

  /** What was still open, by stage (the tracker's bios, counted as the checker names them). */
  openCounts(): OpenCounts {
    const c: OpenCounts = { queued: 0, atDriver: this.inflight.size, inFlushSequence: 0, emptyFlushes: 0, flushRequests: this.tracker.flushesInFlight };
    this.tracker.forEachOpen((b) => {
      if (b.state === BioState.DataDone) c.inFlushSequence++;
      else if (b.end === b.start) {
        if (b.ext) c.emptyFlushes++;
      } else if (b.state < BioState.Dispatched && b.m < 0) c.queued++;
    });
    return c;
  }

  /** Requests still open when the trace ended. */
  inFlightAtEnd(): number {
    const c = this.openCounts();
    return c.queued + c.atDriver + c.inFlushSequence + c.emptyFlushes + c.flushRequests;
  }
}
