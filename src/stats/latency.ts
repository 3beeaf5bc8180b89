/**
 * One latency phase (Q2C, D2C, …): count, min, average, max — exact, from
 * integer nanoseconds, as btt computes them (`avg_update`: u64 total / n) —
 * plus percentiles from a bounded LogHistogram (histogram.ts).
 */
import { LogHistogram } from './histogram.js';

export const PERCENTILES = [50, 90, 99] as const;

/** The JSON form: seconds, like btt's tables. Empty phases have n = 0 and nulls. */
export interface PhaseJson {
  n: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** True when p50/p90/p99 come from the histogram (≤ 0.4 % relative error), absent when exact. */
  approx?: boolean;
}

export class PhaseStat {
  private readonly h = new LogHistogram();
  /** Sum of samples in ns (exact up to 2^53 ns ≈ 104 days of summed latency). */
  sum = 0;

  add(ns: number): void {
    this.h.add(ns);
    this.sum += ns < 0 ? 0 : Math.round(ns);
  }

  get n(): number {
    return this.h.n;
  }

  get min(): number {
    return this.h.min;
  }

  get max(): number {
    return this.h.max;
  }

  /** Mean in ns. */
  get avg(): number {
    return this.h.n === 0 ? NaN : this.sum / this.h.n;
  }

  toJson(): PhaseJson {
    if (this.h.n === 0) return { n: 0, min: null, avg: null, max: null, p50: null, p90: null, p99: null };
    const [p50, p90, p99] = this.h.percentiles(PERCENTILES);
    const s = (ns: number) => Number((ns / 1e9).toFixed(9));
    const out: PhaseJson = {
      n: this.h.n, min: s(this.h.min), avg: s(this.avg), max: s(this.h.max), p50: s(p50!), p90: s(p90!), p99: s(p99!),
    };
    if (!this.h.isExact) out.approx = true;
    return out;
  }
}

/** A named set of phases, created on first use. */
export class PhaseSet<K extends string> {
  readonly phases = new Map<K, PhaseStat>();

  constructor(private readonly order: readonly K[]) {}

  add(phase: K, ns: number): void {
    let p = this.phases.get(phase);
    if (!p) {
      p = new PhaseStat();
      this.phases.set(phase, p);
    }
    p.add(ns);
  }

  get(phase: K): PhaseStat | undefined {
    return this.phases.get(phase);
  }

  /** Every phase in order, empty ones included (n = 0), so the JSON shape is stable. */
  toJson(): Record<K, PhaseJson> {
    const out = {} as Record<K, PhaseJson>;
    for (const k of this.order) out[k] = (this.phases.get(k) ?? new PhaseStat()).toJson();
    return out;
  }
}
