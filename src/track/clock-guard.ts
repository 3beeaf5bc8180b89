/**
 * Per-CPU clock guard, run on every block event before the stages: a CPU
 * whose timestamps jump more than CLOCK_JUMP ahead of what the device's
 * other CPUs have shown is a CPU with a broken time base, not a year-long
 * trace (blkparse live mode on 4.4/5.4 stamped some per-CPU streams
 * ~1266874889 s in a run of milliseconds: shared/wild/08, 09). Its events
 * are re-based by that jump (so its own intervals stay) and the CPU is
 * reported per device (`facts.clockOutliers`, and a diagnostics counter),
 * instead of a write "unflushed for 40 years" and a time reversal at each
 * of its events. blktrace stamps per CPU (`cpu_clock()` in
 * kernel/trace/blktrace.c `__blk_add_trace`), so a per-CPU offset is the
 * failure this can show; a CPU that is off from the very start of the
 * trace cannot be told from the others and is left alone (its jump shows
 * as a time reversal).
 */
import type { BlockEvent } from '../model/event.js';
import type { AnalysisEnv } from '../model/analysis.js';
import type { ClockOutlier } from '../model/time.js';
import { formatDev } from '../model/device.js';

/** A year: no device is traced with a gap this long between its CPUs' events. */
export const CLOCK_JUMP_NS = 365 * 86400 * 1e9;

export const CLOCK_OUTLIER_REASON = 'clock: a CPU\'s timestamps were off by more than a year (its events re-based)';

interface DevClock {
  /** Latest time seen from CPUs in step. */
  max: number;
  bad: Map<number, ClockOutlier>;
}

export class ClockGuard {
  private readonly devs = new Map<string, DevClock>();
  readonly outliers: ClockOutlier[] = [];
  // the (source, device) of the last event: runs of one device skip the map (this runs on every event)
  private lastSource = -1;
  private lastDev = -1;
  private last: DevClock | undefined;

  constructor(private readonly env: AnalysisEnv) {
    env.clockOutliers = this.outliers;
  }

  event(e: BlockEvent): void {
    if (e.cpu < 0) return;
    let d = this.last;
    if (!d || e.dev !== this.lastDev || e.source !== this.lastSource) {
      const key = `${e.source}:${e.dev}`;
      d = this.devs.get(key);
      if (!d) this.devs.set(key, (d = { max: -1, bad: new Map() }));
      this.last = d;
      this.lastDev = e.dev;
      this.lastSource = e.source;
    }
    const o = d.bad.size > 0 ? d.bad.get(e.cpu) : undefined;
    if (o) {
      o.events++;
      e.time = Math.max(0, e.time - o.offsetSeconds * 1e9);
      return;
    }
    if (d.max >= 0 && e.time > d.max + CLOCK_JUMP_NS) {
      const out: ClockOutlier = { source: e.source, dev: e.dev, cpu: e.cpu, offsetSeconds: (e.time - d.max) / 1e9, events: 1, firstLoc: e.loc };
      d.bad.set(e.cpu, out);
      this.outliers.push(out);
      const src = this.env.sources[e.source];
      this.env.diag.add(CLOCK_OUTLIER_REASON, 'info', {
        source: src?.name ?? `#${e.source}`, locKind: src?.locKind ?? 'line', loc: e.loc,
        text: `device ${formatDev(e.dev)} CPU ${e.cpu}: ${out.offsetSeconds.toFixed(6)} s ahead of the other CPUs`,
      });
      e.time = d.max;
      return;
    }
    if (e.time > d.max) d.max = e.time;
  }
}

/** The outliers found on `dev` in `sources`. */
export function clockOutliersOf(env: AnalysisEnv, dev: number, sources: ReadonlySet<number>): ClockOutlier[] {
  return (env.clockOutliers ?? []).filter((o) => o.dev === dev && sources.has(o.source));
}
