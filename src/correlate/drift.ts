/**
 * Clock drift between two layers: a guest clock (TSC, kvmclock) and the host
 * clock QEMU and the host kernel stamp with may run at slightly different
 * rates. Over a long trace a constant offset then fits only part of it, and a
 * promise judged far from that part is judged on the wrong offset.
 *
 * The same causal method as align.ts, window by window: the trace's upper
 * flushes are cut into windows of time; in each, the offsets at which its
 * flushes contain a lower flush are intersected (where the most of them,
 * each counted once, hold one), each window searched only near the offset
 * the windows before it predict (the rate is bounded by MAX_RATE). A line
 * through the windows' offsets gives the rate. It is used only when the
 * windows disagree with any single offset by more than their own uncertainty
 * — a drift the data shows, not one assumed.
 */
import { OpKind, type OpTable } from './ops.js';
import { gather, lowerBound } from './search.js';
import { deepestDistinct, Intervals, pairInterval } from './intervals.js';

/** Fastest drift followed: 500 ppm (quartz and TSC drift is tens of ppm; NTP slews at most 500 ppm). */
export const MAX_RATE = 5e-4;
/** Shorter traces are aligned with one offset: drift over them is below any operation's duration. */
export const MIN_SPAN_NS = 60e9;
/** Windows of at most this long (drift inside one stays below MAX_RATE × 10 s = 5 ms), 8 to 256 of them. */
const WINDOW_NS = 10e9;
const MIN_WINDOWS = 8;
const MAX_WINDOWS = 256;
const PER_WINDOW = 64;
const MIN_POINTS = 3;
const MIN_SUPPORT = 3;
/** A line whose windows stray further than this (and than 3 × their median width) is no drift. */
const MAX_RESIDUAL_NS = 100e3;

export interface DriftFit {
  /** Lower-clock seconds gained per upper-clock second (2e-4 = 200 ppm). */
  rate: number;
  /** Upper-clock time (ns) the offset is given at. */
  t0: number;
  /** Windows whose offset was found. */
  points: number;
  /** Largest distance (ns) of a window's offset from the line. */
  residualNs: number;
  /** Upper flushes' time span (ns). */
  spanNs: number;
}

interface Point {
  t: number;
  mid: number;
  width: number;
  depth: number;
}

/**
 * The drift between `up` and `low`, starting from the offset region one constant offset found, or
 * undefined when the trace is too short, has too few flushes, or shows no drift beyond its uncertainty.
 */
export function trackDrift(up: OpTable, low: OpTable, region: { a: number; b: number }, slack: number): DriftFit | undefined {
  const us: number[] = [];
  for (let u = 0; u < up.n; u++) if (up.kind[u] === OpKind.Flush && up.done(u)) us.push(u);
  us.sort((x, y) => up.tI[x]! - up.tI[y]!);
  const t0 = up.tI[us[0]!]!;
  const span = up.tI[us[us.length - 1]!]! - t0;
  if (!(span >= MIN_SPAN_NS)) return undefined;
  const WINDOWS = Math.min(MAX_WINDOWS, Math.max(MIN_WINDOWS, Math.ceil(span / WINDOW_NS)));
  if (us.length < WINDOWS) return undefined;
  const ls: number[] = [];
  for (let l = 0; l < low.n; l++) if (low.kind[l] === OpKind.Flush && low.done(l)) ls.push(l);
  ls.sort((x, y) => low.tI[x]! - low.tI[y]!);
  const starts = gather(ls, low.tI);

  // the upper flushes of each window, sampled evenly
  const windows: number[][] = Array.from({ length: WINDOWS }, () => []);
  for (const u of us) windows[Math.min(WINDOWS - 1, Math.floor(((up.tI[u]! - t0) / span) * WINDOWS))]!.push(u);
  for (let k = 0; k < WINDOWS; k++) {
    const w = windows[k]!;
    if (w.length > PER_WINDOW) {
      const step = w.length / PER_WINDOW;
      windows[k] = Array.from({ length: PER_WINDOW }, (_, i) => w[Math.floor(i * step)]!);
    }
  }

  /** The offset region inside [lo, hi] where the most of window k's flushes hold a lower flush. */
  const fit = (k: number, lo: number, hi: number): Point | undefined => {
    const rows = windows[k]!;
    if (rows.length < MIN_SUPPORT) return undefined;
    const iv = new Intervals();
    for (const u of rows) {
      for (let j = lowerBound(starts, up.tI[u]! + lo - slack); j < ls.length && starts[j]! <= up.tC[u]! + hi + slack; j++) {
        pairInterval(up, low, u, ls[j]!, slack, iv, lo, hi);
      }
    }
    // each upper flush counted once (intervals.ts deepestDistinct): the depth is a number of the window's flushes
    const r = deepestDistinct(iv);
    if (r.depth < MIN_SUPPORT || r.depth * 8 < rows.length) return undefined;
    // the offset holds where its supporting flushes are: their median time, not the window's middle
    const at = [...new Set(iv.containing(r.a, r.b).map((i) => iv.u[i]!))].map((u) => up.tI[u]!).sort((x, y) => x - y);
    return { t: at[at.length >> 1]!, mid: (r.a + r.b) / 2, width: r.b - r.a, depth: r.depth };
  };

  // The anchor: the window whose flushes agree best on one offset anywhere the rate bound allows around
  // the constant offset's region (a drifting trace may have given that region from a chance alignment).
  let anchor = -1;
  let anchorPoint: Point | undefined;
  const reach = MAX_RATE * span;
  for (let k = 0; k < WINDOWS; k++) {
    const p = fit(k, region.a - reach, region.b + reach);
    if (p && p.depth * 2 >= windows[k]!.length && (!anchorPoint || p.depth / windows[k]!.length > anchorPoint.depth / windows[anchor]!.length)) {
      anchor = k;
      anchorPoint = p;
    }
  }
  if (!anchorPoint) return undefined;
  const points: Point[] = [anchorPoint];
  for (const dir of [1, -1]) {
    let last = anchorPoint;
    for (let k = anchor + dir; k >= 0 && k < WINDOWS; k += dir) {
      const rows = windows[k]!;
      if (rows.length === 0) continue;
      const dt = Math.abs(up.tI[rows[rows.length >> 1]!]! - last.t);
      const tol = last.width / 2 + MAX_RATE * dt + slack;
      const p = fit(k, last.mid - tol, last.mid + tol);
      if (!p) continue;
      points.push(p);
      last = p;
    }
  }
  if (points.length < MIN_POINTS) return undefined;
  // least squares through the windows' offsets
  let st = 0;
  let sm = 0;
  for (const p of points) {
    st += p.t - t0;
    sm += p.mid;
  }
  const mt = st / points.length;
  const mm = sm / points.length;
  let cov = 0;
  let v = 0;
  for (const p of points) {
    cov += (p.t - t0 - mt) * (p.mid - mm);
    v += (p.t - t0 - mt) ** 2;
  }
  if (!(v > 0)) return undefined;
  const rate = cov / v;
  if (Math.abs(rate) > MAX_RATE) return undefined;
  let residual = 0;
  for (const p of points) residual = Math.max(residual, Math.abs(p.mid - (mm + rate * (p.t - t0 - mt))));
  // windows off the line by more than their own widths: locked on other flushes, not a drift
  const widths = points.map((p) => p.width).sort((x, y) => x - y);
  // (a window's offset holds somewhere inside it: the drift across half a window is allowed for)
  if (residual > Math.max(3 * widths[widths.length >> 1]!, MAX_RESIDUAL_NS) + Math.abs(rate) * (span / WINDOWS)) return undefined;
  // one offset already explains every window: no drift is shown
  let lo = -Infinity;
  let hi = Infinity;
  for (const p of points) {
    lo = Math.max(lo, p.mid - p.width / 2);
    hi = Math.min(hi, p.mid + p.width / 2);
  }
  if (lo <= hi) return undefined;
  return { rate, t0, points: points.length, residualNs: residual, spanNs: span };
}

/** `t` with its issue and completion times moved onto a clock running `rate` faster from `t0`. */
export function warped(t: OpTable, rate: number, t0: number): OpTable {
  return t.sharing({ tI: t.tI.map((x) => x + rate * (x - t0)), tC: t.tC.map((x) => x + rate * (x - t0)) });
}
