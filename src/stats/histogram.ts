/**
 * Percentiles in bounded memory.
 *
 * The first EXACT_LIMIT samples are kept as they are, so percentiles of small
 * sets (most devices in a short trace) are exact. Past that, samples go to a
 * log-linear histogram (the HdrHistogram layout): values below 256 ns have a
 * bucket each; above, every power of two is cut into 128 equal buckets, so a
 * bucket is at most 1/128 of its lower bound wide. A percentile is reported
 * as the middle of its bucket, clamped to the observed min/max: the relative
 * error is at most 1/256 (0.4 %). Memory: at most ~4,400 counters (17 KiB)
 * per histogram for values up to 10^12 ns, whatever the trace length.
 *
 * Percentile definition (both modes): nearest rank — the smallest sample
 * such that at least p % of the samples are ≤ it (rank ⌈p·n⌉).
 */

export const EXACT_LIMIT = 2048;
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 buckets per octave
const LINEAR = 2 * SUB; // values < 256 are exact

function floorLog2(v: number): number {
  if (v < 2 ** 31) return 31 - Math.clz32(v);
  let e = Math.floor(Math.log2(v));
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  return e;
}

export function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  if (v < 2 ** 31) {
    const e = 31 - Math.clz32(v);
    return LINEAR + (e - (SUB_BITS + 1)) * SUB + ((v >>> (e - SUB_BITS)) - SUB);
  }
  const e = floorLog2(v);
  const mant = Math.floor(v / 2 ** (e - SUB_BITS)); // in [128, 256)
  return LINEAR + (e - (SUB_BITS + 1)) * SUB + (mant - SUB);
}

/** [low, high) of a bucket. */
export function bucketRange(b: number): [number, number] {
  if (b < LINEAR) return [b, b + 1];
  const k = b - LINEAR;
  const e = Math.floor(k / SUB) + SUB_BITS + 1;
  const mant = (k % SUB) + SUB;
  const w = 2 ** (e - SUB_BITS);
  return [mant * w, (mant + 1) * w];
}

export class LogHistogram {
  n = 0;
  min = Infinity;
  max = -Infinity;
  private exact: number[] | null = [];
  private counts: Uint32Array | null = null;

  add(v: number): void {
    if (v < 0) v = 0;
    v = Math.round(v);
    this.n++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.exact) {
      if (this.exact.length < EXACT_LIMIT) {
        this.exact.push(v);
        return;
      }
      const old = this.exact;
      this.exact = null;
      for (const x of old) this.bump(x);
    }
    this.bump(v);
  }

  private bump(v: number): void {
    const b = bucketOf(v);
    let c = this.counts;
    if (!c || b >= c.length) {
      let size = c ? c.length : 1024;
      while (size <= b) size *= 2;
      const grown = new Uint32Array(size);
      if (c) grown.set(c);
      this.counts = c = grown;
    }
    c[b]!++;
  }

  /** True while every sample is still held exactly. */
  get isExact(): boolean {
    return this.exact !== null;
  }

  /** Percentiles (p in 0..100) by nearest rank; NaN when empty. */
  percentiles(ps: readonly number[]): number[] {
    if (this.n === 0) return ps.map(() => NaN);
    if (this.exact) {
      const sorted = Float64Array.from(this.exact).sort();
      return ps.map((p) => sorted[Math.max(1, Math.ceil((p / 100) * this.n)) - 1]!);
    }
    const c = this.counts!;
    const out: number[] = [];
    for (const p of ps) {
      const rank = Math.max(1, Math.ceil((p / 100) * this.n));
      let seen = 0;
      let b = 0;
      for (; b < c.length; b++) {
        seen += c[b]!;
        if (seen >= rank) break;
      }
      const [lo, hi] = bucketRange(b);
      const mid = hi - lo === 1 ? lo : (lo + hi) / 2;
      out.push(Math.min(this.max, Math.max(this.min, mid)));
    }
    return out;
  }
}
