/**
 * Causal offset intervals (align.ts, drift.ts): an upper operation u and a lower one l it may have caused
 * bound the offset off = lower clock − upper clock to [lC − uC, lI − uI]; the offset lies where the most
 * such intervals overlap.
 */
import type { OpTable } from './ops.js';
import { sortFloat64 } from './float-sort.js';

/**
 * Candidate offset intervals, one per (upper, lower) pair, in columns: the coarse flush search makes up to
 * 64 × 20,000 of them, which as objects cost more memory and collector time than the rest of correlation.
 */
export class Intervals {
  n = 0;
  lo: Float64Array;
  hi: Float64Array;
  u: Int32Array;
  l: Int32Array;

  /** `capacity`: how many are expected (the coarse search knows: no growing through a million). */
  constructor(capacity = 64) {
    const c = Math.max(16, capacity);
    this.lo = new Float64Array(c);
    this.hi = new Float64Array(c);
    this.u = new Int32Array(c);
    this.l = new Int32Array(c);
  }

  /** Starts and ends in order (deepest, rivalRegion), kept until the next push: the coarse flush search's are 10⁶. */
  private order: { starts: Float64Array; ends: Float64Array } | undefined;

  /** Keeps the first `n` (after an in-place filter). */
  truncate(n: number): void {
    this.n = Math.min(this.n, n);
    this.order = undefined;
  }

  push(lo: number, hi: number, u: number, l: number): void {
    this.order = undefined;
    if (this.n === this.lo.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.lo = grow(this.lo);
      this.hi = grow(this.hi);
      this.u = grow(this.u);
      this.l = grow(this.l);
    }
    const i = this.n++;
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.u[i] = u;
    this.l[i] = l;
  }

  sorted(): { starts: Float64Array; ends: Float64Array } {
    return (this.order ??= { starts: sortFloat64(this.lo.slice(0, this.n)), ends: sortFloat64(this.hi.slice(0, this.n)) });
  }

  /** Rows whose interval contains all of [a, b]. */
  containing(a: number, b: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.lo[i]! <= a && this.hi[i]! >= b) out.push(i);
    return out;
  }
}

/**
 * Region covered by the most intervals: [a, b] and its depth; with `away`, only regions lying outside
 * [away.a − away.sep, away.b + away.sep] count (the rival of a region, see rivalRegion). A sweep over the
 * sorted starts and ends (a start before an end at the same point: touching intervals overlap).
 */
export function deepest(iv: Intervals, away?: { a: number; b: number; sep: number }): { a: number; b: number; depth: number } {
  const { starts, ends } = iv.sorted();
  const n = iv.n;
  let d = 0;
  let best = 0;
  let a = NaN;
  let b = NaN;
  let i = 0;
  let j = 0;
  while (i < n) {
    if (starts[i]! <= ends[j]!) {
      const start = starts[i++]!;
      d++;
      if (d <= best) continue;
      // the region lasts until the next event of either kind
      const end = Math.min(i < n ? starts[i]! : Infinity, ends[j]!);
      if (away && !(end < away.a - away.sep || start > away.b + away.sep)) continue;
      best = d;
      a = start;
      b = end;
    } else {
      d--;
      j++;
    }
  }
  return { a, b, depth: best };
}

/**
 * The deepest region of `iv` lying at least `sep` away from [a, b]: another offset the same evidence would
 * support (a periodic workload repeats itself one period later).
 */
export function rivalRegion(iv: Intervals, a: number, b: number, sep: number): { a: number; b: number; depth: number } {
  return deepest(iv, { a, b, sep });
}

/**
 * The offset interval of pair (u, l) pushed onto `out`, when the pair can be contained at all and, given a
 * window [a, b], at an offset inside it.
 */
export function pairInterval(up: OpTable, low: OpTable, u: number, l: number, slack: number, out: Intervals, a = -Infinity, b = Infinity): boolean {
  const lo = low.tC[l]! - up.tC[u]! - slack;
  const hi = low.tI[l]! - up.tI[u]! + slack;
  if (!(lo <= hi) || lo > b || hi < a) return false;
  out.push(lo, hi, u, l);
  return true;
}
