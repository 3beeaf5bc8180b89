/**
 * Causal offset intervals (align.ts, drift.ts): an upper operation u and a lower one l it may have caused
 * bound the offset off = lower clock − upper clock to [lC − uC, lI − uI]; the offset lies where the most
 * upper operations hold a lower one (deepestDistinct). Each upper operation counts once there, however many
 * lower operations it could hold: an upper flush of 0.5 s holds dozens of lower flushes at dozens of offsets,
 * and counted by pairs it outvoted every short flush (a real loop-on-loop capture, fixtures/stacks/lol-dio).
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

  /** Each upper operation's union (perUpper), kept until the next push: the region and its rival use it. */
  unions: Intervals | undefined;

  /** Keeps the first `n` (after an in-place filter). */
  truncate(n: number): void {
    this.n = Math.min(this.n, n);
    this.order = undefined;
    this.unions = undefined;
  }

  push(lo: number, hi: number, u: number, l: number): void {
    this.order = undefined;
    this.unions = undefined;
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
 * Region where the most distinct upper operations hold a lower one: [a, b] and that number. Each upper
 * operation is one observation — it holds a lower operation at offset x or it does not — and the number of
 * lower operations it could hold is no evidence for x: a long flush holds some lower flush at nearly every
 * offset near the truth, one vote each. Counted once, it raises every offset it spans alike and cannot place
 * the estimate; the short flushes, which hold a lower flush at few offsets, do. No cut-off by length is
 * needed (how long is too long would depend on how densely the lower layer flushes), and the support stays a
 * count of flushes, the unit of every threshold on it (align.ts MIN_FLUSH_SUPPORT, PRIOR_SHARE,
 * AMBIGUOUS_SHARE; drift.ts).
 *
 * Found on each operation's union of intervals (perUpper), then narrowed to the stretch of it the most pairs
 * hold: every operation counted then has a pair containing all of [a, b] (`containing` finds it), and
 * where each operation holds one lower operation (most traces) the result is the pair count's.
 * `away` as for deepest.
 */
export function deepestDistinct(iv: Intervals, away?: { a: number; b: number; sep: number }): { a: number; b: number; depth: number } {
  const unions = perUpper(iv);
  const r = deepest(unions, away);
  // no two intervals of one operation met: the unions are the intervals, and r is already such a stretch
  if (!(r.depth > 0) || unions.n === iv.n) return r;
  const inner = new Intervals(2 * r.depth);
  for (let i = 0; i < iv.n; i++) {
    const lo = Math.max(iv.lo[i]!, r.a);
    const hi = Math.min(iv.hi[i]!, r.b);
    if (lo <= hi) inner.push(lo, hi, iv.u[i]!, iv.l[i]!);
  }
  const p = deepest(inner);
  return { a: p.a, b: p.b, depth: r.depth };
}

/**
 * Each upper operation's intervals replaced by their union (disjoint pieces; `l` is -1: a piece may be
 * several pairs'), made once per set of intervals. Rows come in runs of one upper operation (each search
 * pairs one upper operation with its lower candidates), usually in order of their starts (the coarse search
 * pushes them so): then merged in one pass; otherwise put in runs and each run swept over its sorted starts
 * and ends. Touching intervals join (a start before an end at the same point, as in deepest).
 */
export function perUpper(iv: Intervals): Intervals {
  if (iv.unions) return iv.unions;
  return (iv.unions = mergedInOrder(iv) ?? mergedByRuns(iv));
}

/** The unions in one pass, when every run is in order of its starts; undefined at the first that is not. */
function mergedInOrder(iv: Intervals): Intervals | undefined {
  const n = iv.n;
  // at most one piece per interval: written in place, no growing
  const out = new Intervals(n);
  if (n === 0) return out;
  const { lo: oLo, hi: oHi, u: oU } = out;
  const seen = new Set<number>();
  let m = 0;
  let u = iv.u[0]!;
  let from = iv.lo[0]!;
  let to = iv.hi[0]!;
  seen.add(u);
  for (let i = 1; i < n; i++) {
    const v = iv.u[i]!;
    const lo = iv.lo[i]!;
    const hi = iv.hi[i]!;
    if (v === u) {
      if (lo < iv.lo[i - 1]!) return undefined;
      if (lo <= to) {
        if (hi > to) to = hi;
        continue;
      }
    } else {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    oLo[m] = from;
    oHi[m] = to;
    oU[m++] = u;
    u = v;
    from = lo;
    to = hi;
  }
  oLo[m] = from;
  oHi[m] = to;
  oU[m++] = u;
  out.n = m;
  out.l.fill(-1, 0, m);
  return out;
}

/** The unions run by run: each run's starts and ends sorted, then swept. */
function mergedByRuns(iv: Intervals): Intervals {
  const order = runsByUpper(iv);
  const row = (k: number): number => (order ? order[k]! : k);
  const n = iv.n;
  const out = new Intervals(Math.min(n, 1024));
  for (let i = 0; i < n;) {
    const u = iv.u[row(i)]!;
    let j = i + 1;
    while (j < n && iv.u[row(j)] === u) j++;
    const starts = new Float64Array(j - i);
    const ends = new Float64Array(j - i);
    for (let k = i; k < j; k++) {
      starts[k - i] = iv.lo[row(k)]!;
      ends[k - i] = iv.hi[row(k)]!;
    }
    sortFloat64(starts);
    sortFloat64(ends);
    let open = 0;
    let from = 0;
    for (let s = 0, e = 0; e < ends.length;) {
      if (s < starts.length && starts[s]! <= ends[e]!) {
        if (open++ === 0) from = starts[s]!;
        s++;
      } else {
        if (--open === 0) out.push(from, ends[e]!, u, -1);
        e++;
      }
    }
    i = j;
  }
  return out;
}

/**
 * Row numbers of `iv` with each upper operation's rows together, or undefined when they already are (as
 * pushed): a stable counting sort by upper row otherwise.
 */
function runsByUpper(iv: Intervals): Int32Array | undefined {
  const n = iv.n;
  const seen = new Set<number>();
  let maxU = 0;
  let grouped = true;
  for (let i = 0; i < n; i++) {
    const u = iv.u[i]!;
    if (i > 0 && iv.u[i - 1] === u) continue;
    if (u > maxU) maxU = u;
    if (seen.has(u)) grouped = false;
    seen.add(u);
  }
  if (grouped) return undefined;
  const rows = new Int32Array(n);
  const at = new Int32Array(maxU + 2);
  for (let i = 0; i < n; i++) at[iv.u[i]! + 1]!++;
  for (let k = 1; k < at.length; k++) at[k]! += at[k - 1]!;
  for (let i = 0; i < n; i++) rows[at[iv.u[i]!]!++] = i;
  return rows;
}

/**
 * The region of `iv` the most distinct upper operations support lying at least `sep` away from [a, b]:
 * another offset the same evidence would support (a periodic workload repeats itself one period later).
 */
export function rivalRegion(iv: Intervals, a: number, b: number, sep: number): { a: number; b: number; depth: number } {
  return deepestDistinct(iv, { a, b, sep });
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
