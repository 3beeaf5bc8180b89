/**
 * The rows of an operation table by start sector, for "which lower operations overlap these sectors" (clock
 * alignment's candidates, the rules' search below). Rows of one start are kept in issue order, so a sector
 * rewritten thousands of times is a binary search, not a walk over every rewrite.
 */
import type { OpTable } from './ops.js';
import { lowerBound, upperBound } from './search.js';

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
    this.starts = Float64Array.from(this.rows, (r) => t.sector[r]!);
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
    this.runsFrom(s, n, from, (start, first, runEnd) => {
      for (let j = first; j < runEnd; j++) {
        const r = this.rows[j]!;
        if (!(t.tI[r]! >= from)) continue;
        if (best >= 0 && t.tI[r]! >= t.tI[best]!) break;
        if (start + Math.max(t.count[r]!, 1) > s) {
          best = r;
          break;
        }
      }
    });
    return best;
  }

  /**
   * Calls fn(row) for every row overlapping [s, s+n) that ran inside [from, to]: issued at or after `from`,
   * completed by `to` — on one clock, the bios a remapping driver sent down for an upper bio queued at `from`
   * and completed at `to` (its completion waits for theirs). Each start's rows are in issue order: a binary
   * search, then only the rows issued inside the window.
   */
  within(s: number, n: number, from: number, to: number, fn: (row: number) => void): void {
    const t = this.t;
    this.runsFrom(s, n, from, (start, first, runEnd) => {
      for (let j = first; j < runEnd; j++) {
        const r = this.rows[j]!;
        if (t.tI[r]! > to) break;
        if (t.tC[r]! <= to && start + Math.max(t.count[r]!, 1) > s) fn(r);
      }
    });
  }

  /**
   * Each run of rows with one start that may overlap [s, s+n) — runs ending before s are skipped whole —
   * with the first of its rows issued at or after `from` (rows of a run are in issue order: a binary search).
   */
  private runsFrom(s: number, n: number, from: number, visit: (start: number, first: number, runEnd: number) => void): void {
    const t = this.t;
    const end = s + Math.max(n, 1);
    let k = Math.max(0, lowerBound(this.starts, s - this.maxLen) - 1);
    while (k < this.starts.length && this.starts[k]! < end) {
      const start = this.starts[k]!;
      const runEnd = upperBound(this.starts, start);
      if (this.runEnd[k]! > s) {
        let lo = k;
        let hi = runEnd;
        while (lo < hi) {
          const m = (lo + hi) >> 1;
          if (t.tI[this.rows[m]!]! < from) lo = m + 1;
          else hi = m;
        }
        visit(start, lo, runEnd);
      }
      k = runEnd;
    }
  }

  /** Calls fn(row) for every row overlapping [s, s+n) (n=0 → containing s); stop when fn returns false. */
  overlapping(s: number, n: number, fn: (row: number) => boolean | void): void {
    const end = s + Math.max(n, 1);
    let lo = 0;
    let hi = this.starts.length;
    const from = s - this.maxLen;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (this.starts[m]! <= from) lo = m + 1;
      else hi = m;
    }
    for (let k = Math.max(0, lo - 1); k < this.starts.length && this.starts[k]! < end; k++) {
      // a run of rows with one start that all end before s: skip it whole
      if (this.runEnd[k]! <= s) {
        k = upperBound(this.starts, this.starts[k]!) - 1;
        continue;
      }
      const r = this.rows[k]!;
      if (this.starts[k]! + Math.max(this.t.count[r]!, 1) > s && fn(r) === false) return;
    }
  }
}
