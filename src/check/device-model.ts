/**
 * Per-device state machine of the checker: follows each request from Q to its
 * final completion, the flush requests, and the set of completed writes that
 * are not yet durable (volatile.ts), and calls the rules' hooks.
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
import { cloneReq, newReq, resetReq, type Req } from './request.js';
import { copyInto, VolatileSet } from './volatile.js';
import type { ResolvedCache } from './cache.js';
import type { Finding, RuleInfo } from './types.js';
import { FactTracker } from '../track/facts.js';
import type { LifetimeSink } from '../track/lifetime.js';

/**
 * Bios queued but never issued (and requests at the driver) are kept up to
 * this many per device (merges not traced, trace cut); --max-inflight
 * (AnalysisEnv.options['maxInflight']) overrides it.
 */
export const MAX_QUEUED = 8192;

/**
 * Drops the oldest 1/16 of the cap (at least one) from an insertion-ordered
 * map and returns how many. In batches because a Map deleted from the front
 * keeps holes that every fresh keys() iterator walks over: dropping one entry
 * per insert made a flood of never-completed requests quadratic.
 */
function dropOldest(map: Map<number, unknown>, cap: number): number {
  const n = Math.max(1, cap >> 4);
  let dropped = 0;
  for (const k of map.keys()) {
    if (dropped === n) break;
    map.delete(k);
    dropped++;
  }
  return dropped;
}
/** Flush requests at the driver kept (one per hw queue is normal). */
const MAX_PENDING_FLUSHES = 1024;

interface PendingFlush {
  time: number;
  loc: number;
  /** Volatile epochs covered when it completes successfully. */
  mark: number;
}

const SYNC_META = Flag.SYNC | Flag.META;

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

export class DeviceModel {
  readonly devText: string;
  readonly volatile: VolatileSet;
  readonly rules: DeviceRule[];
  /** Bios queued, not yet issued (keyed by sector). */
  readonly queued = new Map<number, Req>();
  /** Requests at the driver (D seen, data not completed), keyed by current start sector. */
  readonly inflight = new Map<number, Req>();
  /** Flush-sequenced requests whose data completed, waiting for their 0-byte final completion. */
  readonly awaitingFinal = new Map<number, Req>();
  /** Empty PREFLUSH/barrier bios waiting for their completion (FIFO: they carry no sector). */
  readonly emptyFlushes: Req[] = [];
  /** Flush requests at the driver (FIFO: at most one per hw queue; matching the oldest is conservative). */
  readonly pendingFlushes: PendingFlush[] = [];

  firstTime = -1;
  /** Latest event time seen, and the time of the previous event. */
  lastTime = -1;
  private prevTime = -1;
  /**
   * Times that went backwards on this device: blkparse output is sorted by
   * time, so this marks concatenated runs or a broken clock (shared/wild/10,
   * wild/08). Requests open at that point are forgotten (counted in
   * `droppedAtDiscontinuity`); the volatile set is kept — the data is still
   * in the cache.
   */
  droppedAtDiscontinuity = 0;
  /**
   * The facts `stats` states too (completed flushes, completions without
   * issue, time reversals, lost events) come from the request tracker
   * (src/track/facts.ts), fed the same events: one number for one fact.
   */
  readonly facts: FactTracker;
  get discontinuities(): number {
    return this.facts.timeReversals;
  }
  qCount = 0;
  dCount = 0;
  /** Flush requests issued (D FN). */
  flushIssues = 0;
  sawIssue = false;
  writesCompleted = 0;
  get flushesCompleted(): number {
    return this.facts.flushesCompleted;
  }
  get flushesFailed(): number {
    return this.facts.flushesFailed;
  }
  fuaWrites = 0;
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
  /** Bios and requests dropped from memory (MAX_QUEUED: merges not traced, completions lost). */
  evictedQueued = 0;
  /** Cap on queued / at-driver / awaiting-final requests kept (MAX_QUEUED or --max-inflight). */
  readonly maxQueued: number;

  /**
   * Sync+meta writes (REQ_SYNC|REQ_META: journal, log and superblock writes).
   * gen(W) = 1 + the highest gen among sync+meta writes completed before W
   * was queued: each level is a point where the filesystem waited for its
   * metadata to be written before writing more (a commit record after the
   * journal blocks, the next transaction after a commit).
   */
  syncMetaCompleted = 0;
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

  /** --at snapshot hook: called once with the state just before the first event after `atNs`. */
  atNs = Infinity;
  onAt: ((m: DeviceModel) => void) | undefined;

  constructor(
    readonly env: AnalysisEnv,
    readonly dev: DevId,
    readonly layer: string,
    factories: readonly RuleFactory[],
    /** Who else wants each bio's lifetime (the series stage): one request tracker serves both. */
    lifetime?: Pick<LifetimeSink, 'done' | 'flush'>,
  ) {
    const cap = maxInflightOf(env);
    this.maxQueued = cap ?? MAX_QUEUED;
    const noop = (): void => undefined;
    this.facts = new FactTracker(lifetime ?? { done: noop, flush: noop }, cap);
    this.devText = formatDev(dev);
    this.volatile = new VolatileSet((e, note) => evidenceOf(env, e, note));
    this.rules = factories.map((f) => f.create(this));
    this.onIssue = this.rules.filter((r) => r.issue);
    this.onDataComplete = this.rules.filter((r) => r.dataComplete);
    this.onFinalComplete = this.rules.filter((r) => r.finalComplete);
    this.onFlushIssue = this.rules.filter((r) => r.flushIssue);
    this.onFlushComplete = this.rules.filter((r) => r.flushComplete);
  }

  // the rules that have each hook, so the hot path loops over only those
  private readonly onIssue: DeviceRule[];
  private readonly onDataComplete: DeviceRule[];
  private readonly onFinalComplete: DeviceRule[];
  private readonly onFlushIssue: DeviceRule[];
  private readonly onFlushComplete: DeviceRule[];

  evidence(e: BlockEvent, note?: string): EvidenceRef {
    return evidenceOf(this.env, e, note);
  }

  /**
   * A plain data bio just queued and not yet put in `queued`: most bios are
   * back-merged by the very next event, and then no request is allocated at
   * all. Any other next event puts it in first (settleQueued), so the model
   * is exactly as if it had been put in at its Q.
   */
  private readonly pendingQ: Req = newReq(emptyEvent());
  private hasPendingQ = false;

  private settleQueued(): void {
    this.hasPendingQ = false;
    const r = cloneReq(this.pendingQ);
    this.queued.set(r.sector, r);
    if (this.queued.size > this.maxQueued) this.evictedQueued += dropOldest(this.queued, this.maxQueued);
  }

  event(e: BlockEvent): void {
    this.facts.event(e);
    if (this.hasPendingQ && (e.act !== Act.BackMerge || e.sector !== this.pendingQ.sector)) this.settleQueued();
    if (e.time > this.atNs && this.onAt) {
      this.onAt(this);
      this.onAt = undefined;
    }
    if (this.firstTime < 0) this.firstTime = e.time;
    if (e.time >= this.lastTime) this.lastTime = e.time;
    else if (e.time < this.prevTime) this.discontinuity();
    this.prevTime = e.time;
    // Flush evidence: flush requests, PREFLUSH/FUA on anything, B only on writes
    // (old kernels set B on reads' D/C as an artefact: shared/wild/05).
    if (e.op === Op.Flush || e.flags & (Flag.PREFLUSH | Flag.FUA) || (e.flags & Flag.BARRIER && isWriteOp(e.op))) this.noteFlushEvidence(e);
    switch (e.act) {
      case Act.Queue: return this.queue(e);
      case Act.BackMerge: return this.merged(e);
      case Act.FrontMerge: return this.frontMerged(e);
      case Act.GetRq:
      case Act.Insert: {
        const r = this.queued.get(e.sector);
        if (r) r.gotRq = true;
        return;
      }
      case Act.Issue: return this.issue(e);
      case Act.Complete: return this.complete(e);
      case Act.Requeue: return this.requeue(e);
      case Act.IoDone: return this.ioDone(e);
      default:
    }
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

  private discontinuity(): void {
    if (this.hasPendingQ) this.settleQueued();
    this.droppedAtDiscontinuity += this.inFlightAtEnd();
    this.queued.clear();
    this.inflight.clear();
    this.awaitingFinal.clear();
    this.emptyFlushes.length = 0;
    this.pendingFlushes.length = 0;
  }

  private noteFlushEvidence(e: BlockEvent): void {
    if (this.flushEvidence++ === 0) this.firstFlushEvidence = this.evidence(e, 'flush/FUA reaches the queue: the kernel sees a volatile cache');
    // a new flush epoch: ordering levels count again from here
    this.genAtFlush = this.maxCompletedGen;
    this.lastFlushEvidenceTime = e.time;
    if (this.stretch.length > 0) this.stretch = [];
  }

  /**
   * A 0-byte request with no op letter and no passthrough flag is a flush
   * request printed without its FLUSH bit (`D N 0` / `C N [0]`, shared/wild/11).
   */
  static isFlushRequest(e: BlockEvent): boolean {
    return e.op === Op.Flush || (e.op === Op.None && e.bytes === 0 && !(e.flags & Flag.PC));
  }

  private queue(e: BlockEvent): void {
    this.qCount++;
    if (e.op === Op.Flush || (e.bytes <= 0 && !(e.flags & (Flag.PREFLUSH | Flag.BARRIER)))) return;
    if (!(e.flags & (Flag.PREFLUSH | Flag.FUA | Flag.BARRIER)) && e.sector >= 0 && this.queued.size < this.maxQueued) {
      // a plain data bio: kept aside until the next event shows whether it was merged (see pendingQ)
      const r = this.pendingQ;
      resetReq(r, e);
      r.qFlags = e.flags;
      r.qTime = e.time;
      r.qLoc = e.loc;
      r.qOrder = this.qCount;
      r.flushIssuesAtQ = this.flushIssues;
      if (isWriteOp(e.op) && (e.flags & SYNC_META) === SYNC_META) r.gen = this.maxCompletedGen + 1;
      this.hasPendingQ = true;
      return;
    }
    const r = newReq(e);
    r.qFlags = e.flags;
    r.qTime = e.time;
    r.qLoc = e.loc;
    r.qOrder = this.qCount;
    r.flushIssuesAtQ = this.flushIssues;
    if (e.flags & (Flag.PREFLUSH | Flag.BARRIER)) r.qMark = this.volatile.mark();
    if (e.flags & (Flag.PREFLUSH | Flag.FUA | Flag.BARRIER)) for (const rule of this.rules) rule.flaggedQueue?.(this, r);
    if (e.bytes <= 0 || e.sector < 0) {
      // an empty flush bio (Q FWS / Q WBS with no sector)
      this.emptyFlushes.push(r);
      if (this.emptyFlushes.length > this.maxQueued) this.emptyFlushes.shift();
      return;
    }
    if (isWriteOp(e.op)) {
      if (e.flags & Flag.FUA) this.fuaWrites++;
      if ((e.flags & SYNC_META) === SYNC_META) r.gen = this.maxCompletedGen + 1;
    }
    this.queued.set(e.sector, r);
    if (this.queued.size > this.maxQueued) this.evictedQueued += dropOldest(this.queued, this.maxQueued);
  }

  /** A bio merged into the back of a request: it is not a request of its own. */
  private merged(e: BlockEvent): void {
    if (this.hasPendingQ) {
      // the bio just queued (same sector: see event()) merged into a request
      if (this.pendingQ.qTime <= e.time) {
        this.hasPendingQ = false;
        this.queued.delete(e.sector); // what its set() would have replaced
        return;
      }
      this.settleQueued();
    }
    const r = this.queued.get(e.sector);
    if (r && r.qTime <= e.time) this.queued.delete(e.sector);
  }

  /** A bio merged at the front of the request that started right after it: the request now starts here. */
  private frontMerged(e: BlockEvent): void {
    const sectors = e.bytes > 0 ? Math.ceil(e.bytes / 512) : 0;
    const old = this.queued.get(e.sector + sectors);
    if (!old) return;
    this.queued.delete(e.sector + sectors);
    old.sector = e.sector;
    this.queued.set(e.sector, old);
  }

  private issue(e: BlockEvent): void {
    this.dCount++;
    this.sawIssue = true;
    if (e.bytes <= 0 && DeviceModel.isFlushRequest(e)) {
      this.flushIssues++;
      if (e.op !== Op.Flush) this.noteFlushEvidence(e);
      this.pendingFlushes.push({ time: e.time, loc: e.loc, mark: this.volatile.mark() });
      // completions lost: the oldest flush never applies (conservative)
      if (this.pendingFlushes.length > MAX_PENDING_FLUSHES) this.pendingFlushes.shift();
      for (const rule of this.onFlushIssue) rule.flushIssue!(this, e);
      return;
    }
    if (e.sector < 0 || e.bytes <= 0) return;
    let r = this.queued.get(e.sector);
    if (r) this.queued.delete(e.sector);
    else {
      r = newReq(e);
      r.gen = isWriteOp(e.op) && (e.flags & SYNC_META) === SYNC_META ? 1 : 0;
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
    this.inflight.set(e.sector, r);
    // completions lost: forget the oldest requests at the driver
    if (this.inflight.size > this.maxQueued) this.evictedQueued += dropOldest(this.inflight, this.maxQueued);
    for (const rule of this.onIssue) rule.issue!(this, r, e);
  }

  private requeue(e: BlockEvent): void {
    const r = this.inflight.get(e.sector);
    if (!r) return;
    this.inflight.delete(e.sector);
    this.queued.set(e.sector, r);
  }

  private complete(e: BlockEvent): void {
    if (e.bytes <= 0 && DeviceModel.isFlushRequest(e)) return this.flushComplete(e);
    if (e.bytes > 0) return this.dataComplete(e);
    this.finalComplete(e);
  }

  private flushComplete(e: BlockEvent): void {
    const f = this.pendingFlushes.shift();
    if (!f) {
      // issued before the trace began: when it was submitted is unknown, so it covers nothing
      for (const rule of this.onFlushComplete) rule.flushComplete!(this, e);
      return;
    }
    for (const rule of this.onFlushComplete) rule.flushComplete!(this, e);
    if (!e.error) this.volatile.durable(f.mark, e.time);
  }

  /** Set by takeCompletion: the request has bytes left after this completion. */
  private partial = false;

  /** Find the request a data completion belongs to and take `bytes` off it. */
  private takeCompletion(e: BlockEvent): Req | undefined {
    this.partial = false;
    let r = this.inflight.get(e.sector);
    if (!r) {
      for (const x of this.inflight.values()) {
        if (e.sector >= x.sector && e.sector < x.end) {
          r = x;
          break;
        }
      }
    }
    if (r) {
      this.inflight.delete(r.sector);
      r.remaining -= e.bytes;
      if (r.remaining > 0) {
        // partial completion (blk_update_request): the rest continues after these sectors
        this.partial = true;
        r.sector = e.sector + Math.ceil(e.bytes / 512);
        this.inflight.set(r.sector, r);
      }
      return r;
    }
    // bio-based devices: Q then C, no request stage
    r = this.queued.get(e.sector);
    if (r) this.queued.delete(e.sector);
    return r;
  }

  private dataComplete(e: BlockEvent): void {
    const r = this.takeCompletion(e);
    const done = r !== undefined && !this.partial;
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
      if (!durableNow) this.volatile.add(e, syncMeta);
      if (syncMeta && done) this.syncMetaDone(r, e);
      else if (syncMeta && !r) this.syncMetaDone(undefined, e);
    }
    // A flush sequence (PREFLUSH, or FUA the driver did not get) completes a second time with 0 bytes.
    if (done && requestStage && (r!.qFlags & Flag.PREFLUSH || (r!.qFlags & Flag.FUA && !(r!.dFlags & Flag.FUA)))) {
      r!.dataTime = e.time;
      r!.dataLoc = e.loc;
      r!.flushIssuesAtData = this.flushIssues;
      const prev = this.awaitingFinal.get(r!.sector);
      if (prev) for (const rule of this.rules) rule.abandoned?.(this, prev);
      this.awaitingFinal.set(r!.sector, r!);
      if (this.awaitingFinal.size > this.maxQueued) {
        const [k, old] = this.awaitingFinal.entries().next().value as [number, Req];
        this.awaitingFinal.delete(k);
        for (const rule of this.rules) rule.abandoned?.(this, old);
      }
    }
  }

  private syncMetaDone(r: Req | undefined, e: BlockEvent): void {
    this.syncMetaCompleted++;
    if (!this.firstSyncMeta) this.firstSyncMeta = this.evidence(e, 'sync metadata write completed');
    copyInto(this.lastSyncMetaRec, e);
    const gen = r?.gen ?? 1;
    if (gen > this.maxCompletedGen) {
      this.maxCompletedGen = gen;
      if (gen >= 2 && this.genEvidence.length < 3) {
        this.genEvidence.push(this.evidence(e, `queued after ${gen - 1 === 1 ? 'a' : 'a chain of'} sync metadata write${gen > 2 ? 's' : ''} had completed (ordering level ${gen})`));
      }
      const levels = gen - this.genAtFlush;
      if (this.stretch.length < 3) this.stretch.push(this.evidence(e, `sync metadata write at ordering level ${levels} since the last flush`));
      if (levels > this.maxLevelsWithoutFlush) {
        this.maxLevelsWithoutFlush = levels;
        this.worstStretch = [...this.stretch, this.evidence(e, `ordering level ${levels} reached with no flush or FUA since ${this.flushEvidence > 0 ? 'the last one' : 'the trace began'}`)];
        this.worstStretchAfterFlush = this.flushEvidence > 0 ? this.lastFlushEvidenceTime : -1;
      }
    }
  }

  private finalComplete(e: BlockEvent): void {
    let r = this.awaitingFinal.get(e.sector);
    let emptyFlush = false;
    if (r) this.awaitingFinal.delete(e.sector);
    else {
      r = this.emptyFlushes.shift();
      emptyFlush = r !== undefined;
    }
    for (const rule of this.onFinalComplete) rule.finalComplete!(this, r, e, emptyFlush);
    if (!r || e.error) return;
    // A flush bio that no flush request served: on a device with no request stage,
    // or an old barrier, the bio's own completion is the flush (D2, C(W) < Q(F)).
    const served = this.flushIssues > r.flushIssuesAtQ;
    if (emptyFlush && !served && (r.qFlags & Flag.BARRIER || !this.sawIssue)) this.volatile.durable(r.qMark, e.time);
  }

  /** Evidence of the last sync+meta write completion, if any. */
  lastSyncMeta(): EvidenceRef | undefined {
    return this.syncMetaCompleted > 0 ? this.evidence(this.lastSyncMetaRec, 'sync metadata write completed') : undefined;
  }

  /** Requests still open when the trace ended. */
  inFlightAtEnd(): number {
    if (this.hasPendingQ) this.settleQueued();
    return this.queued.size + this.inflight.size + this.awaitingFinal.size + this.emptyFlushes.length + this.pendingFlushes.length;
  }
}
