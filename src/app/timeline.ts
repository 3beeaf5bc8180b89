/**
 * What the application rule needs from a device's block trace, kept compactly
 * per device of the layer below an application layer:
 *  - every write bio queued with data (Q): time, submitting pid, FUA, where —
 *    the writes a sync call caused are the ones its own thread queued inside
 *    its window (fdatasync/fsync write back in the caller's context:
 *    mm/filemap.c file_write_and_wait_range → do_writepages; an O_DSYNC or
 *    O_DIRECT write submits its own bios), and the kernel waits for them
 *    before the call returns;
 *  - every completed flush: a flush request `D FN` → `C FN` (blk-flush.c), or
 *    an empty PREFLUSH bio's completion on a bio-based device; failed ones do
 *    not count (they make nothing durable);
 *  - process names by pid (blkparse prints the submitter's comm; strace none).
 * Recorded only once the analysis has an application layer (stage.ts), so a
 * run without one pays one boolean test per event.
 */
import { Act, type BlockEvent } from '../model/event.js';
import { Flag, Op } from '../model/rwbs.js';

export class Grow {
  a: Float64Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Float64Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  at(i: number): number {
    return this.a[i]!;
  }
}

/** Index of the first element >= t in a[0..n) (sorted ascending). */
export function lowerBound(g: Grow, t: number): number {
  let lo = 0;
  let hi = g.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (g.a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class DeviceTimeline {
  /** Write bios queued with data. */
  readonly qTime = new Grow();
  readonly qPid = new Grow();
  readonly qFua = new Grow();
  readonly qLoc = new Grow();
  readonly qSrc = new Grow();
  readonly qSector = new Grow();
  readonly qBytes = new Grow();
  /** Completed successful flushes: issue and completion time, completion line. */
  readonly fIssue = new Grow();
  readonly fDone = new Grow();
  readonly fLoc = new Grow();
  readonly fSrc = new Grow();
  /** Write completions with data (acknowledged writes). */
  readonly cTime = new Grow();
  /** Flush requests issued and not yet completed (issue times, oldest first). */
  private readonly issued: number[] = [];
  /** Empty PREFLUSH bios queued and not yet completed. */
  private readonly emptyQ: number[] = [];
  sawFlushRequest = false;
  flushFlags = 0;
  sorted = true;
  readonly sources = new Set<number>();

  constructor(readonly dev: number) {}

  event(e: BlockEvent, comms: Map<number, string>): void {
    this.sources.add(e.source);
    if (e.flags & Flag.PC) return;
    if (e.flags & (Flag.PREFLUSH | Flag.FUA)) this.flushFlags++;
    if (e.op === Op.Flush) {
      this.sawFlushRequest = true;
      this.flushFlags++;
      if (e.act === Act.Issue) {
        if (this.issued.length < 4096) this.issued.push(e.time);
      } else if (e.act === Act.Complete) {
        const t = this.issued.shift() ?? e.time;
        if (e.error === 0) this.flush(t, e);
      }
      return;
    }
    if (e.op !== Op.Write) return;
    if (e.act === Act.Queue) {
      if (e.pid >= 0 && e.comm && !comms.has(e.pid) && comms.size < 65536) comms.set(e.pid, e.comm);
      if (e.bytes > 0) {
        if (this.qTime.n > 0 && e.time < this.qTime.at(this.qTime.n - 1)) this.sorted = false;
        this.qTime.push(e.time);
        this.qPid.push(e.pid);
        this.qFua.push(e.flags & Flag.FUA ? 1 : 0);
        this.qLoc.push(e.loc);
        this.qSrc.push(e.source);
        this.qSector.push(e.sector);
        this.qBytes.push(e.bytes);
      } else if (e.flags & Flag.PREFLUSH && this.emptyQ.length < 4096) {
        this.emptyQ.push(e.time);
      }
    } else if (e.act === Act.IoDone) {
      // completion-only traces (CSV, biosnoop): acknowledged writes, but no queue event names a thread
      if (e.bytes > 0) this.cTime.push(e.time);
    } else if (e.act === Act.Complete) {
      if (e.bytes > 0) this.cTime.push(e.time);
      else if (!this.sawFlushRequest && e.flags & Flag.PREFLUSH && this.emptyQ.length > 0) {
        // bio-based device (dm, md): the empty PREFLUSH bio completes once the flush is done
        const t = this.emptyQ.shift()!;
        if (e.error === 0) this.flush(t, e);
      }
    }
  }

  private flush(issue: number, e: BlockEvent): void {
    if (this.fDone.n > 0 && e.time < this.fDone.at(this.fDone.n - 1)) this.sorted = false;
    this.fIssue.push(issue);
    this.fDone.push(e.time);
    this.fLoc.push(e.loc);
    this.fSrc.push(e.source);
  }

  /** Write Qs in [from, to] (indices). */
  queuedIn(from: number, to: number): [number, number] {
    return [lowerBound(this.qTime, from), lowerBound(this.qTime, to + 0.5)];
  }

  /** Index of the first successful flush completed in [from, to], or -1. */
  flushIn(from: number, to: number): number {
    const i = lowerBound(this.fDone, from);
    return i < this.fDone.n && this.fDone.at(i) <= to ? i : -1;
  }
}
