/**
 * One block request as the checker follows it, from its bio's Q to its final
 * completion: only what durability and ordering need (btt's `struct io`,
 * reduced). Times are ns, -1 = not seen.
 */
import { locate, type AnalysisEnv } from '../model/analysis.js';
import type { BlockEvent, EvidenceRef } from '../model/event.js';
import { formatDev } from '../model/device.js';
import { formatRwbs, type Op } from '../model/rwbs.js';

export interface Req {
  source: number;
  dev: number;
  op: Op;
  /** Start sector (advances with partial completions) and end sector (exclusive). */
  sector: number;
  end: number;
  /** Bytes of the request at issue, and bytes not yet completed. */
  bytes: number;
  remaining: number;
  /** Flags of the bio at Q (PREFLUSH/FUA/BARRIER live here: blk_insert_flush strips them later). */
  qFlags: number;
  /** Flags at D: what the driver was asked to do. */
  dFlags: number;
  qTime: number;
  dTime: number;
  qLoc: number;
  dLoc: number;
  /** Order of Q and D among this device's requests (-1 = not seen). */
  qOrder: number;
  dOrder: number;
  comm: string;
  /** Flush requests issued on the device before this bio's Q / after its data completed. */
  flushIssuesAtQ: number;
  flushIssuesAtData: number;
  /** Data completion time (ns), -1 until then. */
  dataTime: number;
  dataLoc: number;
  /** Volatile-set boundary at Q: a PREFLUSH bio covers epochs ≤ this (D2, bio stage). */
  qMark: number;
  /** Sync+meta dependency generation (see device-model.ts), 0 for other writes. */
  gen: number;
  /** A request was allocated for the bio (G) or it was inserted/issued: it passed the bio checks. */
  gotRq: boolean;
  /** Neighbours in the model's list of requests at the driver (AtDriver), and whether it is in it. */
  inPrev: Req | null;
  inNext: Req | null;
  listed: boolean;
}

/** A request for the bio or request of event `e`, nothing else seen yet. */
export function newReq(e: BlockEvent): Req {
  const r = cloneReq(BLANK);
  resetReq(r, e);
  return r;
}

/** A copy of a request (the model's reused pending-Q record becomes a request of its own). */
export function cloneReq(r: Req): Req {
  return {
    source: r.source, dev: r.dev, op: r.op, sector: r.sector, end: r.end, bytes: r.bytes, remaining: r.remaining,
    qFlags: r.qFlags, dFlags: r.dFlags, qTime: r.qTime, dTime: r.dTime, qLoc: r.qLoc, dLoc: r.dLoc, qOrder: r.qOrder,
    dOrder: r.dOrder, comm: r.comm, flushIssuesAtQ: r.flushIssuesAtQ, flushIssuesAtData: r.flushIssuesAtData,
    dataTime: r.dataTime, dataLoc: r.dataLoc, qMark: r.qMark, gen: r.gen, gotRq: r.gotRq,
    inPrev: null, inNext: null, listed: false,
  };
}

/** Sets `r` to a request for event `e` with nothing else seen yet (newReq, or the model's reused record). */
export function resetReq(r: Req, e: BlockEvent): void {
  const sectors = e.bytes > 0 ? Math.ceil(e.bytes / 512) : 0;
  r.source = e.source;
  r.dev = e.dev;
  r.op = e.op;
  r.sector = e.sector;
  r.end = e.sector + sectors;
  r.bytes = Math.max(0, e.bytes);
  r.remaining = r.bytes;
  r.qFlags = 0;
  r.dFlags = 0;
  r.qTime = -1;
  r.dTime = -1;
  r.qLoc = -1;
  r.dLoc = -1;
  r.qOrder = -1;
  r.dOrder = -1;
  r.comm = e.comm;
  r.flushIssuesAtQ = 0;
  r.flushIssuesAtData = -1;
  r.dataTime = -1;
  r.dataLoc = -1;
  r.qMark = 0;
  r.gen = 0;
  r.gotRq = false;
}

/** The shape every request starts from (all fields set by resetReq). */
const BLANK: Req = {
  source: 0, dev: 0, op: 0 as Op, sector: -1, end: -1, bytes: 0, remaining: 0, qFlags: 0, dFlags: 0, qTime: -1, dTime: -1,
  qLoc: -1, dLoc: -1, qOrder: -1, dOrder: -1, comm: '', flushIssuesAtQ: 0, flushIssuesAtData: -1, dataTime: -1,
  dataLoc: -1, qMark: 0, gen: 0, gotRq: false, inPrev: null, inNext: null, listed: false,
};

/**
 * The requests at the driver, in the order they entered (what a Set gives,
 * without a hash table that is rebuilt as requests come and go: its tables
 * outlived young-generation collections and filled the old one). A request
 * is in it at most once; adding one that is there leaves it where it is.
 */
export class AtDriver {
  first: Req | null = null;
  private last: Req | null = null;
  size = 0;

  add(r: Req): void {
    if (r.listed) return;
    r.listed = true;
    r.inPrev = this.last;
    r.inNext = null;
    if (this.last) this.last.inNext = r;
    else this.first = r;
    this.last = r;
    this.size++;
  }

  delete(r: Req): void {
    if (!r.listed) return;
    r.listed = false;
    if (r.inPrev) r.inPrev.inNext = r.inNext;
    else this.first = r.inNext;
    if (r.inNext) r.inNext.inPrev = r.inPrev;
    else this.last = r.inPrev;
    r.inPrev = r.inNext = null;
    this.size--;
  }

  clear(): void {
    for (let r = this.first; r; ) {
      const next: Req | null = r.inNext;
      r.listed = false;
      r.inPrev = r.inNext = null;
      r = next;
    }
    this.first = this.last = null;
    this.size = 0;
  }
}

/** Evidence for a request's Q or D, rebuilt from what the request kept (events are reused by readers). */
export function reqEvidence(env: AnalysisEnv, r: Req, stage: 'Q' | 'D' | 'C', note?: string): EvidenceRef {
  const src = env.sources[r.source];
  const loc = stage === 'Q' ? r.qLoc : stage === 'D' ? r.dLoc : r.dataLoc;
  const time = stage === 'Q' ? r.qTime : stage === 'D' ? r.dTime : r.dataTime;
  // the driver's view (D and C) carries the flags blk-flush left; Q the bio's own
  const flags = stage === 'Q' || r.dTime < 0 ? r.qFlags : r.dFlags;
  const at = locate(src, loc);
  const ref: EvidenceRef = {
    source: src ? at.source : `#${r.source}`,
    locKind: src?.locKind ?? 'line',
    loc: at.loc,
    time: time / 1e9,
    device: formatDev(r.dev),
    action: stage,
    rwbs: formatRwbs(r.op, flags),
    sector: r.sector,
    bytes: r.bytes,
  };
  if (r.comm && stage !== 'C') ref.comm = r.comm;
  if (note) ref.note = note;
  return ref;
}

export function overlaps(a: Req, b: Req): boolean {
  return a.sector < b.end && b.sector < a.end;
}
