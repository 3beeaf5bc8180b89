/**
 * The rows of an operation table by start sector, for "which lower operations overlap these sectors" (clock
 * alignment's candidates, the rules' search below). Rows of one start are kept in issue order, so a sector
 * rewritten thousands of times is a binary search, not a walk over every rewrite.
 */
import type { OpTable } from './ops.js';
import { gather, lowerBound, upperBound } from './search.js';

/** Indexes made, per table and kinds: two QEMU devices over one host device, map fitting and the rules ask for the same. */
const made = new WeakMap<OpTable, Map<string, RangeIndex>>();

/** Lower rows overlapping the mapped range of upper row u, same data direction. */
export class RangeIndex {
  /** The index of `t`'s rows of `kinds`, made once (until `forget`: a table whose kinds changed; or the table is reset). */
  static of(t: OpTable, kinds: number[]): RangeIndex {
    let m = made.get(t);
    if (!m) made.set(t, (m = new Map()));
    const key = kinds.join(',');
    let idx = m.get(key);
    if (!idx || idx.generation !== t.generation) m.set(key, (idx = new RangeIndex(t, kinds)));
    return idx;
  }

  /** Drop `t`'s indexes (its rows' kinds changed). */
  static forget(t: OpTable): void {
    made.delete(t);
  }

  /** The table's generation it was made of (a table reset and refilled since needs a new one). */
  private readonly generation: number;
  private readonly rows: Int32Array;
  private readonly starts: Float64Array;
  private readonly maxLen: number;

  constructor(private readonly t: OpTable, kinds: number[]) {
    this.generation = t.generation;
    this.rows = t.sectorIndex(kinds);
    this.starts = gather(this.rows, t.sector);
    let m = 0;
    for (const r of this.rows) m = Math.max(m, t.count[r]!);
    this.maxLen = m;
    // the furthest end of each run of rows with one start, at every index of the run
    this.runEnd = new Float64Array(this.rows.length);
    for (let k = 0; k < this.rows.length;) {
      let j = k;
      let e = -Infinity;
      while (j < this.rows.length && this.starts[j] === this.starts[k]) e = Math.max(e, this.starts[k]! + Math.max(t.count[this.rows[j++]!]!, 1));
      this.runEnd.fill(e, k, j);
      k = j;
    }
  }

  private readonly runEnd: Float64Array;

  /**
   * The earliest-issued row overlapping [s, s+n) that was issued at or after `from`, or -1. Rows with one
   * start sector are kept in issue order, so each start is a binary search, not a walk over every rewrite
   * of those sectors (a journal or a long trace rewrites the same blocks thousands of times).
   */
  earliestFrom(s: number, n: number, from: number): number {
    const t = this.t;
    let best = -1;
    const end = s + Math.max(n, 1);
    for (let k = this.run(this.firstRun(s), s, end), runEnd; k >= 0; k = this.run(runEnd, s, end)) {
      runEnd = upperBound(this.starts, this.starts[k]!);
      for (let j = this.issuedFrom(k, runEnd, from); j < runEnd; j++) {
        const r = this.rows[j]!;
        if (!(t.tI[r]! >= from)) continue;
        if (best >= 0 && t.tI[r]! >= t.tI[best]!) break;
        if (this.starts[k]! + Math.max(t.count[r]!, 1) > s) {
          best = r;
          break;
        }
      }
    }
    return best;
  }

  /**
   * Calls fn(row) for every row overlapping [s, s+n) that ran inside [from, to]: issued at or after `from`,
   * completed by `to` — on one clock, the bios a remapping driver sent down for an upper bio queued at `from`
   * and completed at `to` (its completion waits for theirs). Each start's rows are in issue order: a binary
   * search, then only the rows issued inside the window.
   */
  within(s: number, n: number, from: number, to: number, fn: (row: number) => void): void {
    const rows = this.found;
    const base = rows.length; // a call from fn appends after these and takes them back
    this.withinInto(s, n, from, to, rows);
    for (let i = base; i < rows.length; i++) fn(rows[i]!);
    rows.length = base;
  }

  /** Rows `within` calls fn for, pushed on `out` in the same order (no function per call: alignment's hot loop). */
  withinInto(s: number, n: number, from: number, to: number, out: number[]): void {
    const t = this.t;
    const end = s + Math.max(n, 1);
    for (let k = this.run(this.firstRun(s), s, end), runEnd; k >= 0; k = this.run(runEnd, s, end)) {
      runEnd = upperBound(this.starts, this.starts[k]!);
      for (let j = this.issuedFrom(k, runEnd, from); j < runEnd && !(t.tI[this.rows[j]!]! > to); j++) {
        const r = this.rows[j]!;
        if (t.tC[r]! <= to && this.starts[k]! + Math.max(t.count[r]!, 1) > s) out.push(r);
      }
    }
  }

  /** `within`'s rows while its fn runs. */
  private readonly found: number[] = [];

  /**
   * Where the runs of rows with one start that may overlap a range from s begin (earliestFrom, within walk
   * them from here, skipping a run whose rows all end before s).
   */
  private firstRun(s: number): number {
    return Math.max(0, lowerBound(this.starts, s - this.maxLen) - 1);
  }

  /**
   * The first run (rows with one start sector) from index k on that may overlap [s, end): its first index, or -1.
   * A run whose rows all end before s is skipped whole.
   */
  private run(k: number, s: number, end: number): number {
    const st = this.starts;
    while (k < st.length && st[k]! < end) {
      if (this.runEnd[k]! > s) return k;
      k = upperBound(st, st[k]!);
    }
    return -1;
  }

  /** The first row of the run [k, runEnd) issued at or after `from` (a run's rows are in issue order). */
  private issuedFrom(k: number, runEnd: number, from: number): number {
    const tI = this.t.tI;
    let lo = k;
    let hi = runEnd;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (tI[this.rows[m]!]! < from) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /**
   * The next index from k on whose row overlaps [s, end), or -1; a run of rows with one start that all end
   * before s is skipped whole.
   */
  private nextOverlap(k: number, s: number, end: number): number {
    const st = this.starts;
    for (; k < st.length && st[k]! < end; k++) {
      if (this.runEnd[k]! <= s) {
        k = upperBound(st, st[k]!) - 1;
        continue;
      }
      if (st[k]! + Math.max(this.t.count[this.rows[k]!]!, 1) > s) return k;
    }
    return -1;
  }

  /** Whether any row overlaps [s, s+n) (n=0 → contains s). */
  anyOverlapping(s: number, n: number): boolean {
    return this.nextOverlap(this.firstRun(s), s, s + Math.max(n, 1)) >= 0;
  }

  /** Calls fn(row) for every row overlapping [s, s+n) (n=0 → containing s); stop when fn returns false. */
  overlapping(s: number, n: number, fn: (row: number) => boolean | void): void {
    const end = s + Math.max(n, 1);
    for (let k = this.nextOverlap(this.firstRun(s), s, end); k >= 0; k = this.nextOverlap(k + 1, s, end)) {
      if (fn(this.rows[k]!) === false) return;
    }
  }
}
