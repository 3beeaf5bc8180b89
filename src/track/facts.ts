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
 *    device that break the run (concatenated runs or a broken clock: see
 *    breaksRun; one CPU's block printed after another's by blkparse's live
 *    mode is not one) — after the per-CPU clock guard (clock-guard.ts) has
 *    taken out CPUs whose clock is off by years;
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

/** CPUs followed one by one for breaksRun (a CPU number past it counts as none: every step back breaks). */
const MAX_CPUS = 8192;

export class FactTracker {
  readonly tracker: RequestTracker;
  flushesCompleted = 0;
  flushesFailed = 0;
  timeReversals = 0;
  private prevTime = -Infinity;
  /** Per CPU: the time, sequence number and source of its last event on this device (breaksRun). */
  private readonly cpuTime: number[] = [];
  private readonly cpuSeq: number[] = [];
  private readonly cpuSource: number[] = [];
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
    if (e.time < this.prevTime && this.breaksRun(e)) {
      if (this.timeReversals++ === 0) this.firstReversal = copyEvent(e);
      this.tracker.discontinuity(e);
    }
    this.prevTime = e.time;
    const c = e.cpu;
    // (only blktrace's own events carry a sequence number: breaksRun looks at nothing else)
    if (e.seq > 0 && c >= 0 && c < MAX_CPUS) {
      this.cpuTime[c] = e.time;
      this.cpuSeq[c] = e.seq;
      this.cpuSource[c] = e.source;
    }
    if (e.act === Act.IoDone) {
      // a latency tool's record of one completed I/O: a flush row is a completed flush
      if (e.op === Op.Flush) this.flushDone(e);
      return;
    }
    this.tracker.event(e);
  }

  /**
   * An event earlier than the one before it: a new run (concatenated traces) or a broken clock — or only
   * blkparse printing one CPU's block after another's. Each CPU's events reach blkparse in order (the kernel
   * stamps and numbers them per CPU: kernel/trace/blktrace.c __blk_add_trace, `t->sequence = ++(*sequence)`
   * into that CPU's relay buffer), but its live mode (`blktrace -o - | blkparse -i -`) prints per-CPU batches
   * as they arrive (shared/wild/06, 08; a 64-CPU btrfs capture in fixtures/wild2): there nothing open ends,
   * and forgetting it made every later completion an orphan. A run breaks only where the event's own CPU
   * goes back in time or in sequence number, or at a trace's first event (blkparse's clock is relative to
   * it: exactly 0, with sequence numbers — two runs concatenated, shared/wild/10, 18, whose second run may
   * start on a CPU the first never used). Events without a blktrace sequence number (ftrace, trace-cmd, perf
   * text) break at every step back: those readers merge the per-CPU ring buffers by timestamp
   * (kernel/trace/trace.c __find_next_entry), so only pasted runs or a clock step go back there (shared/wild/22).
   */
  private breaksRun(e: BlockEvent): boolean {
    const c = e.cpu;
    if (e.seq <= 0 || c < 0 || c >= MAX_CPUS) return true;
    if (e.time === 0) return true;
    const t = this.cpuTime[c];
    // a CPU not seen before (in this source): its block printed after the others'
    if (t === undefined || this.cpuSource[c] !== e.source) return false;
    return e.time < t || e.seq <= this.cpuSeq[c]!;
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
