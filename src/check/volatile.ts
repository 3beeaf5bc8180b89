/**
 * The writes of one device that completed but are not yet durable, summarized
 * per flush epoch so memory stays bounded however long the trace.
 *
 * Durability rule D2 (shared reference §3.5, Documentation/block/
 * writeback_cache_control.rst): a flush F that completes successfully makes
 * durable every write whose completion came before F was submitted —
 * C(W) < Q(F) for a flush bio, C(W) < D(flush_rq) for the request stage.
 * Writes still in flight when F was submitted are not covered.
 *
 * So a flush submission is a boundary: `mark()` closes the open epoch and
 * returns its id; when that flush completes, `durable(id)` retires every epoch
 * up to it. Completions arrive in time order, so epochs are a time-ordered
 * queue and a flush always covers a prefix. Only flushes in flight hold
 * boundaries, so the queue length is bounded by flushes in flight + 1.
 * A failed flush retires nothing (D4): everything since the last good flush
 * stays at risk.
 */
import { emptyEvent, type BlockEvent, type EvidenceRef } from '../model/event.js';
import type { SectorRange } from './types.js';
import { emptyInPlace } from '../model/arrays.js';

/** Extents kept per epoch before neighbours are merged (the range list becomes a superset). */
export const MAX_EXTENTS = 64;

/**
 * Epochs kept before the two oldest are merged. Boundaries normally retire
 * as fast as flushes complete; they pile up only when flushes are queued but
 * never complete (lost events, stripped flags). Merging keeps the newer id,
 * so a flush that covered only the older part no longer retires it: the
 * merge can only keep writes at risk longer, never declare them durable.
 */
export const MAX_EPOCHS = 256;

export interface Epoch {
  id: number;
  writes: number;
  bytes: number;
  syncMeta: number;
  /** ns of the first and last completion in the epoch. */
  oldest: number;
  newest: number;
  /** Sorted, disjoint [start,end) sector extents. */
  starts: number[];
  ends: number[];
  approximate: boolean;
  /** Copies of the first and last completions (records reused with the epoch). */
  firstEv: BlockEvent;
  lastEv: BlockEvent;
}

export class VolatileSet {
  private readonly epochs: Epoch[] = [];
  /** Retired epochs, reused (no allocation per flush). */
  private readonly pool: Epoch[] = [];

  constructor(private readonly evidence: (e: BlockEvent, note: string) => EvidenceRef) {
    this.epochs.push(this.newEpoch(1));
  }

  writes = 0;
  bytes = 0;
  maxBytes = 0;
  maxBytesTime = 0;
  /** Longest completion→durable stretch of a retired epoch (ns). */
  maxRetiredNs = 0;
  /** Successful flushes that retired at least one write. */
  epochsRetired = 0;
  /** Most sync+meta writes retired by one flush. */
  maxSyncMetaPerEpoch = 0;

  private newEpoch(id: number): Epoch {
    const ep = this.pool.pop();
    if (!ep) {
      return { id, writes: 0, bytes: 0, syncMeta: 0, oldest: 0, newest: 0, starts: [], ends: [], approximate: false, firstEv: emptyEvent(), lastEv: emptyEvent() };
    }
    ep.id = id;
    ep.writes = 0;
    ep.bytes = 0;
    ep.syncMeta = 0;
    emptyInPlace(ep.starts);
    emptyInPlace(ep.ends);
    ep.approximate = false;
    return ep;
  }

  private get open(): Epoch {
    return this.epochs[this.epochs.length - 1]!;
  }

  /**
   * The write completion `e` (a C with data): the data is in the device's cache only. `whole`: the sectors the
   * completed bio covers when its C shows fewer (a dm bio trimmed to its remainder, track/lifetime.ts split()).
   */
  add(e: BlockEvent, syncMeta: boolean, whole?: { sector: number; end: number }): void {
    const ep = this.open;
    const time = e.time;
    const bytes = whole ? (whole.end - whole.sector) * 512 : e.bytes;
    if (ep.writes === 0) {
      ep.oldest = time;
      copyInto(ep.firstEv, e);
    }
    copyInto(ep.lastEv, e);
    ep.writes++;
    ep.bytes += bytes;
    if (syncMeta) ep.syncMeta++;
    ep.newest = time;
    if (whole) addExtent(ep, whole.sector, whole.end);
    else if (e.sector >= 0 && bytes > 0) addExtent(ep, e.sector, e.sector + Math.ceil(bytes / 512));
    this.writes++;
    this.bytes += bytes;
    if (this.bytes > this.maxBytes) {
      this.maxBytes = this.bytes;
      this.maxBytesTime = time;
    }
  }

  /** A flush is submitted now: close the open epoch; the flush covers epochs ≤ the returned id. */
  mark(): number {
    const ep = this.open;
    if (ep.writes === 0) return ep.id - 1;
    this.epochs.push(this.newEpoch(ep.id + 1));
    if (this.epochs.length > MAX_EPOCHS) this.mergeOldest();
    return ep.id;
  }

  private mergeOldest(): void {
    const [a, b] = this.epochs as [Epoch, Epoch];
    if (a.writes > 0) {
      if (b.writes === 0) {
        copyInto(b.firstEv, a.firstEv);
        copyInto(b.lastEv, a.lastEv);
        b.oldest = a.oldest;
        b.newest = a.newest;
      } else {
        copyInto(b.firstEv, a.firstEv);
        b.oldest = a.oldest;
      }
      b.writes += a.writes;
      b.bytes += a.bytes;
      b.syncMeta += a.syncMeta;
      b.approximate ||= a.approximate;
      for (let i = 0; i < a.starts.length; i++) addExtent(b, a.starts[i]!, a.ends[i]!);
    }
    this.epochs.shift();
    this.pool.push(a);
  }

  /** A flush that covered epochs ≤ upTo completed successfully at `time` (ns). */
  durable(upTo: number, time: number): void {
    let retired = false;
    let syncMeta = 0;
    let n = 0;
    while (n < this.epochs.length - 1 && this.epochs[n]!.id <= upTo) {
      const ep = this.epochs[n++]!;
      this.pool.push(ep);
      if (ep.writes === 0) continue;
      retired = true;
      syncMeta += ep.syncMeta;
      this.writes -= ep.writes;
      this.bytes -= ep.bytes;
      if (time - ep.oldest > this.maxRetiredNs) this.maxRetiredNs = time - ep.oldest;
    }
    if (n > 0) this.epochs.splice(0, n);
    if (retired) {
      this.epochsRetired++;
      if (syncMeta > this.maxSyncMetaPerEpoch) this.maxSyncMetaPerEpoch = syncMeta;
    }
  }

  /** Epochs still volatile, oldest first. Read them at once: retired epochs are reused. */
  pending(): readonly Epoch[] {
    return this.epochs.filter((e) => e.writes > 0);
  }

  /** Evidence of the first and the last write still volatile. */
  firstAndLast(): EvidenceRef[] {
    const p = this.pending();
    if (p.length === 0) return [];
    const first = this.evidence(p[0]!.firstEv, 'completed, not yet durable');
    const lastEp = p[p.length - 1]!;
    if (lastEp === p[0] && lastEp.writes === 1) return [first];
    return [first, this.evidence(lastEp.lastEv, 'completed, not yet durable')];
  }

  /** Evidence of the oldest write still volatile. */
  oldestEvidence(): EvidenceRef | undefined {
    const p = this.pending();
    return p.length ? this.evidence(p[0]!.firstEv, 'completed, not yet durable') : undefined;
  }

/** Sync+meta writes not yet retired. */
  get syncMetaPending(): number {
    let n = 0;
    for (const e of this.epochs) n += e.syncMeta;
    return n;
  }

  /** Completion time (ns) of the oldest write not yet durable, or undefined. */
  oldestPending(): number | undefined {
    for (const e of this.epochs) if (e.writes > 0) return e.oldest;
    return undefined;
  }
}

export function copyInto(d: BlockEvent, e: BlockEvent): void {
  d.source = e.source; d.loc = e.loc; d.time = e.time; d.dev = e.dev; d.cpu = e.cpu; d.seq = e.seq;
  d.pid = e.pid; d.act = e.act; d.op = e.op; d.flags = e.flags; d.sector = e.sector; d.bytes = e.bytes;
  d.error = e.error; d.comm = e.comm; d.aux = e.aux; d.auxDev = e.auxDev; d.text = e.text;
}

/** Union of the epochs' extents, merged and sorted. */
export function mergeRanges(epochs: readonly Epoch[]): { ranges: SectorRange[]; approximate: boolean } {
  const all: SectorRange[] = [];
  let approximate = false;
  for (const e of epochs) {
    approximate ||= e.approximate;
    for (let i = 0; i < e.starts.length; i++) all.push({ start: e.starts[i]!, end: e.ends[i]! });
  }
  all.sort((a, b) => a.start - b.start);
  const out: SectorRange[] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return { ranges: out, approximate };
}

/** Insert [s,e) into the epoch's sorted extent list, merging overlaps; past the cap, merge the closest gap. */
function addExtent(ep: Epoch, s: number, e: number): void {
  const starts = ep.starts;
  const ends = ep.ends;
  const n = starts.length;
  // fast paths: past the last extent, or touching it (sequential writes)
  if (n === 0 || s > ends[n - 1]!) {
    if (n < MAX_EXTENTS) {
      starts.push(s);
      ends.push(e);
      return;
    }
  } else if (s >= starts[n - 1]!) {
    if (e > ends[n - 1]!) ends[n - 1] = e;
    return;
  }
  // binary search: first extent with end >= s
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  let j = lo;
  while (j < starts.length && starts[j]! <= e) {
    s = Math.min(s, starts[j]!);
    e = Math.max(e, ends[j]!);
    j++;
  }
  starts.splice(lo, j - lo, s);
  ends.splice(lo, j - lo, e);
  if (starts.length > MAX_EXTENTS) {
    // merge the pair with the smallest gap: the list over-approximates from now on
    let best = 0;
    let gap = Infinity;
    for (let i = 0; i + 1 < starts.length; i++) {
      const g = starts[i + 1]! - ends[i]!;
      if (g < gap) {
        gap = g;
        best = i;
      }
    }
    ends[best] = ends[best + 1]!;
    starts.splice(best + 1, 1);
    ends.splice(best + 1, 1);
    ep.approximate = true;
  }
}
