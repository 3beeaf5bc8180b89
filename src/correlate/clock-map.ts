/**
 * Converting an instant of an upper layer's clock into the lower layer's clock.
 * It never happens implicitly and it can fail: every conversion returns an
 * interval [lo, hi] (±Infinity when nothing is known), never a point.
 *
 *  - identity: the same clock (QEMU's front and back faces);
 *  - offset: lower = upper + off, off ∈ [lo, hi] (estimated from causality, align.ts);
 *  - order: one side has no timestamps; anchors (upper op ↔ lower op that it
 *    caused and that completed inside it) bound each position:
 *      lower time of upper position p ≥ max{ lC(a) : uC(a) ≤ p }   (a's lower op ended before a ended)
 *      lower time of upper position p ≤ min{ lI(a) : uI(a) ≥ p }   (a's lower op began after a began)
 */

import { lowerBound, upperBound } from './search.js';

export interface Anchor {
  uI: number;
  uC: number;
  lI: number;
  lC: number;
}

export interface ClockMap {
  kind: 'identity' | 'offset' | 'order' | 'none';
  /** Lower-clock interval for an upper-clock instant (or position when the upper is order-only). */
  toLower(t: number): [number, number];
  /** Upper-clock interval for a lower-clock instant. */
  toUpper(t: number): [number, number];
  /** For 'offset': the feasible offset interval (ns, lower − upper), at `drift.t0` when the clocks drift. */
  offset?: { lo: number; hi: number };
  /** The lower clock runs `rate` faster (lower − upper grows by rate × (t − t0)); drift.ts. */
  drift?: { rate: number; t0: number };
}

export const IDENTITY_CLOCK: ClockMap = {
  kind: 'identity',
  toLower: (t) => [t, t],
  toUpper: (t) => [t, t],
};

export const NO_CLOCK: ClockMap = {
  kind: 'none',
  toLower: () => [-Infinity, Infinity],
  toUpper: () => [-Infinity, Infinity],
};

/**
 * lower = upper + off + rate × (upper − t0), off ∈ [lo, hi]: a clock that drifts (drift.ts). The inverse
 * solves t + off + rate·(t − t0) = T for t.
 */
export function driftClock(lo: number, hi: number, rate: number, t0: number): ClockMap {
  if (rate === 0) return offsetClock(lo, hi);
  return {
    kind: 'offset',
    offset: { lo, hi },
    drift: { rate, t0 },
    toLower: (t) => (Number.isFinite(t) ? [t + lo + rate * (t - t0), t + hi + rate * (t - t0)] : [-Infinity, Infinity]),
    toUpper: (t) => (Number.isFinite(t) ? [(t - hi + rate * t0) / (1 + rate), (t - lo + rate * t0) / (1 + rate)] : [-Infinity, Infinity]),
  };
}

export function offsetClock(lo: number, hi: number): ClockMap {
  return {
    kind: 'offset',
    offset: { lo, hi },
    toLower: (t) => (Number.isFinite(t) ? [t + lo, t + hi] : [-Infinity, Infinity]),
    toUpper: (t) => (Number.isFinite(t) ? [t - hi, t - lo] : [-Infinity, Infinity]),
  };
}


export function orderClock(anchors: Anchor[]): ClockMap {
  const byUC = [...anchors].sort((a, b) => a.uC - b.uC);
  const uC = Float64Array.from(byUC.map((a) => a.uC));
  const preMaxLC = new Float64Array(byUC.length);
  let m = -Infinity;
  byUC.forEach((a, i) => { m = Math.max(m, a.lC); preMaxLC[i] = m; });
  const byUI = [...anchors].sort((a, b) => a.uI - b.uI);
  const uI = Float64Array.from(byUI.map((a) => a.uI));
  const sufMinLI = new Float64Array(byUI.length);
  m = Infinity;
  for (let i = byUI.length - 1; i >= 0; i--) { m = Math.min(m, byUI[i]!.lI); sufMinLI[i] = m; }
  // inverse: lower instant T → upper positions. An anchor whose lower op began after T (lI ≥ T)
  // was issued above before… nothing follows; one whose lower op ended before T (lC ≤ T) was issued
  // above before T (uI ≤ p): p ≥ max uI; one whose lower op began after T ended above after T: p ≤ min uC.
  const byLC = [...anchors].sort((a, b) => a.lC - b.lC);
  const lC = Float64Array.from(byLC.map((a) => a.lC));
  const preMaxUI = new Float64Array(byLC.length);
  m = -Infinity;
  byLC.forEach((a, i) => { m = Math.max(m, a.uI); preMaxUI[i] = m; });
  const byLI = [...anchors].sort((a, b) => a.lI - b.lI);
  const lI = Float64Array.from(byLI.map((a) => a.lI));
  const sufMinUC = new Float64Array(byLI.length);
  m = Infinity;
  for (let i = byLI.length - 1; i >= 0; i--) { m = Math.min(m, byLI[i]!.uC); sufMinUC[i] = m; }
  return {
    kind: 'order',
    toLower(p) {
      const k = upperBound(uC, p);
      const lo = k > 0 ? preMaxLC[k - 1]! : -Infinity;
      const j = lowerBound(uI, p);
      const hi = j < uI.length ? sufMinLI[j]! : Infinity;
      return [lo, Math.max(lo, hi)];
    },
    toUpper(t) {
      const k = upperBound(lC, t);
      const lo = k > 0 ? preMaxUI[k - 1]! : -Infinity;
      const j = lowerBound(lI, t);
      const hi = j < lI.length ? sufMinUC[j]! : Infinity;
      return [lo, Math.max(lo, hi)];
    },
  };
}

/** Compose upper→middle and middle→lower maps (interval arithmetic, conservative). */
export function composeClock(a: ClockMap, b: ClockMap): ClockMap {
  if (a.kind === 'identity') return b;
  if (b.kind === 'identity') return a;
  if (a.kind === 'offset' && b.kind === 'offset' && !a.drift && !b.drift) return offsetClock(a.offset!.lo + b.offset!.lo, a.offset!.hi + b.offset!.hi);
  return {
    // two timed clocks compose into a timed one (drifting: the intervals are composed point by point)
    kind: a.kind === 'none' || b.kind === 'none' ? 'none' : a.kind === 'offset' && b.kind === 'offset' ? 'offset' : 'order',
    toLower(t) {
      const [l1, h1] = a.toLower(t);
      return [b.toLower(l1)[0], b.toLower(h1)[1]];
    },
    toUpper(t) {
      const [l1, h1] = b.toUpper(t);
      return [a.toUpper(l1)[0], a.toUpper(h1)[1]];
    },
  };
}
