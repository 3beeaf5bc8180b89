/**
 * A log-scale latency histogram small enough to keep one per bucket and to
 * merge by adding counts: 4 bins per octave from 1 µs (≈ ±9 % around a bin's
 * geometric middle), bin 0 below 1 µs, the last bin everything above ~18 min.
 * Many histograms live side by side in one Uint32Array (`offset` = first bin).
 */
export const BINS_PER_OCTAVE = 4;
const OCTAVES = 30;
export const BINS = OCTAVES * BINS_PER_OCTAVE + 2;
const BASE_NS = 1000;

export function binOf(ns: number): number {
  if (!(ns >= BASE_NS)) return 0;
  const b = Math.floor(Math.log2(ns / BASE_NS) * BINS_PER_OCTAVE) + 1;
  return b >= BINS ? BINS - 1 : b;
}

/** A representative value of a bin, ns: the geometric middle (bin 0: 0.5 µs). */
export function binValue(b: number): number {
  if (b <= 0) return BASE_NS / 2;
  return BASE_NS * 2 ** ((b - 0.5) / BINS_PER_OCTAVE);
}

/**
 * The p-quantile (0 < p ≤ 1) of the histogram at `offset`, ns, or null when
 * it holds no sample. Nearest-rank: the smallest bin whose cumulative count
 * reaches ceil(p·n).
 */
export function quantile(h: Uint32Array, offset: number, p: number): number | null {
  let n = 0;
  for (let b = 0; b < BINS; b++) n += h[offset + b]!;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(p * n));
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    seen += h[offset + b]!;
    if (seen >= rank) return binValue(b);
  }
  return binValue(BINS - 1);
}
