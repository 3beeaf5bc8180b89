/**
 * The per-device facts every command states, from one place: `stats` and
 * `check` each hold one FactTracker per device and feed it the same events,
 * so `stats --json` and `check --json` cannot give two numbers for one fact
 * (STYLE habit 11). The request matching is the RequestTracker's
 * (lifetime.ts, the only Q…C matcher besides the deliberate btt model);
 * this file adds what is not a request's life: time going backwards, the
 * lost events the readers counted, and flush rows of latency tools.
 *
 *  - flushesCompleted: flushes that completed at the device (lifetime.ts
 *    `flushDone`: `C FN`, bio-based PREFLUSH bios, barriers) plus flush rows
 *    of completion-only inputs (biosnoop, CSV);
 *  - completionsWithoutIssue: completions that matched no issued or queued
 *    request (data, 0-byte and flush completions; passthrough excluded);
 *  - timeReversals: events earlier than the event before them on this
 *    device (blkparse output is sorted, so concatenated runs or a broken
 *    clock) — after the per-CPU clock guard (clock-guard.ts) has taken out
 *    CPUs whose clock is off by years;
 *  - lostEvents: events the readers of this device's sources say the tracer
 *    dropped (diagnostics reasons "lost-events…", counted per source).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import { Act, copyEvent, type BlockEvent } from '../model/event.js';
import { Op } from '../model/rwbs.js';
import { RequestTracker } from './lifetime.js';
import type { LifecycleSink } from './lifecycle.js';
import type { TrackCounts } from './request.js';
import { LOST_EVENTS_PREFIX } from '../model/diagnostics.js';
import { clockOutliersOf } from './clock-guard.js';
import type { ClockOutlier } from '../model/time.js';

export interface DeviceFacts {
  flushesCompleted: number;
  /** Of those, completed with an error. */
  flushesFailed: number;
  completionsWithoutIssue: number;
  timeReversals: number;
  lostEvents: number;
  /** CPUs whose clock was off by more than a year on this device (their events were re-based). */
  clockOutliers: ClockOutlier[];
}

export class FactTracker {
  readonly tracker: RequestTracker;
  flushesCompleted = 0;
  flushesFailed = 0;
  timeReversals = 0;
  private prevTime = -Infinity;
  private lastSource = -1;
  /** Copies of the first orphan completion and of the first event that went back in time. */
  firstOrphan: BlockEvent | undefined;
  firstReversal: BlockEvent | undefined;
  readonly sources = new Set<number>();

  /**
   * `sink` hears the tracker's lifecycle events (lifecycle.ts); this class
   * counts flushes and orphans beside it and, on a time reversal, has the
   * tracker forget what was open before sending the event on.
   */
  constructor(sink: LifecycleSink, maxInFlight?: number) {
    // the sink's hooks are called directly (monomorphic, inlinable); this class only counts beside them
    this.tracker = new RequestTracker(sink, maxInFlight, this);
  }

  /** Called by the tracker before the sink hears of it: a flush completed at the device. */
  flushDone(e: BlockEvent): void {
    this.flushesCompleted++;
    if (e.error) this.flushesFailed++;
  }

  /** Called by the tracker before the sink hears of it: a completion matched nothing. */
  orphan(e: BlockEvent): void {
    if (!this.firstOrphan) this.firstOrphan = copyEvent(e);
  }

  event(e: BlockEvent): void {
    if (e.act === Act.Message) return;
    if (e.source !== this.lastSource) {
      this.sources.add(e.source);
      this.lastSource = e.source;
    }
    if (e.time < this.prevTime) {
      if (this.timeReversals++ === 0) this.firstReversal = copyEvent(e);
      this.tracker.discontinuity(e);
    }
    this.prevTime = e.time;
    if (e.act === Act.IoDone) {
      // a latency tool's record of one completed I/O: a flush row is a completed flush
      if (e.op === Op.Flush) this.flushDone(e);
      return;
    }
    this.tracker.event(e);
  }

  orphans(): number {
    const c = this.tracker.counts;
    return c.completionWithoutIssue + c.zeroByteCompletionWithoutIssue + c.flushCompletionWithoutIssue;
  }

  /** The facts at the end of the trace (call finish() on the tracker first, or use finishTracker()). */
  facts(env: AnalysisEnv, dev: number): DeviceFacts {
    return {
      flushesCompleted: this.flushesCompleted,
      flushesFailed: this.flushesFailed,
      completionsWithoutIssue: this.orphans(),
      timeReversals: this.timeReversals,
      lostEvents: lostEventsOf(env, this.sources),
      clockOutliers: clockOutliersOf(env, dev, this.sources),
    };
  }

  finishTracker(): TrackCounts {
    return this.tracker.finish();
  }
}

/** Events the readers of `sources` counted as lost (every "lost-events…" reason, per source). */
export function lostEventsOf(env: AnalysisEnv, sources: Iterable<number>): number {
  let n = 0;
  for (const i of sources) {
    const name = env.sources[i]?.name;
    if (name === undefined) continue;
    n += env.diag.countForSource(LOST_EVENTS_PREFIX, name);
  }
  return n;
}
