/**
 * Clock alignment of an application trace (strace realtime µs, a tool's CSV
 * clock) to the block trace below it, by causality: the writes a sync call
 * caused were queued by its own thread inside its window, so for every window
 * [b, e] holding own write queues q: b + off ≤ q ≤ e + off, i.e.
 * off ∈ [max q − e, min q − b]. Syscall tracepoints in the block stream share
 * its clock and need none of this (method "same-stream").
 *
 *  1. candidates: the first windows of the busiest thread placed so that one
 *     of its queued writes sits at their start or end;
 *  2. each candidate is scored by how many windows (a sample) then hold a write
 *     queued by their own thread; the best wins;
 *  3. refinement: every window holding own writes under the winner gives its
 *     feasible interval; their intersection (non-empty: each contains the
 *     winner) is the answer — offset its midpoint, width its length, the
 *     windows its support.
 * Fewer than MIN_SUPPORT supporting windows: not aligned (method "none"), and
 * every verdict that needs the clock is undecided.
 */
import type { SyncCall } from './call.js';
import { Grow, lowerBound } from './timeline.js';

export interface AppAlignment {
  method: 'same-stream' | 'causality' | 'none';
  /** block ns = app ns + offsetNs (stored clocks, before baseSeconds). */
  offsetNs: number;
  widthNs: number;
  /** Noise allowed per window on top of the width (the tolerance each window was matched with). */
  toleranceNs: number;
  supporting: number;
  candidates: number;
  note: string;
}

export const MIN_SUPPORT = 3;
const ANCHORS = 4;
const SAMPLE = 400;
const MAX_CANDIDATES = 20000;

/** Own write queue times per pid (sorted), over every device of the layer below. */
export type QueuesByPid = Map<number, Grow>;

export function alignByCausality(calls: SyncCall[], byPid: QueuesByPid, resolutionNs: number): AppAlignment {
  const usable = calls.filter((c) => c.pid >= 0 && byPid.has(c.pid) && c.end >= c.begin);
  const none = (note: string, candidates = 0): AppAlignment => ({ method: 'none', offsetNs: 0, widthNs: Infinity, toleranceNs: 0, supporting: 0, candidates, note });
  if (usable.length === 0) {
    if (calls.length > 0 && calls.every((c) => c.pid < 0)) return none('the calls carry no thread id (strace without -f): their writes cannot be told from others\' (record with strace -f)');
    return none('no sync call of a thread that queued writes below');
  }
  // 1. candidates from the busiest thread's first windows
  const perPid = new Map<number, SyncCall[]>();
  for (const c of usable) {
    let l = perPid.get(c.pid);
    if (!l) perPid.set(c.pid, (l = []));
    l.push(c);
  }
  let busiest: SyncCall[] = [];
  for (const l of perPid.values()) if (l.length > busiest.length) busiest = l;
  busiest.sort((a, b) => a.begin - b.begin);
  const qs = byPid.get(busiest[0]!.pid)!;
  const cands: number[] = [];
  for (const a of busiest.slice(0, ANCHORS)) {
    for (let i = 0; i < qs.n && cands.length < MAX_CANDIDATES; i++) {
      cands.push(qs.at(i) - a.begin - resolutionNs, qs.at(i) - a.end + resolutionNs);
    }
  }
  // 2. score on a sample of windows
  const sample = usable.length <= SAMPLE ? usable : usable.filter((_, i) => i % Math.ceil(usable.length / SAMPLE) === 0);
  let best = NaN;
  let bestScore = 0;
  for (const off of cands) {
    let score = 0;
    for (const c of sample) if (holds(byPid.get(c.pid)!, c.begin + off - resolutionNs, c.end + off + resolutionNs)) score++;
    if (score > bestScore) {
      bestScore = score;
      best = off;
    }
  }
  if (bestScore < Math.min(MIN_SUPPORT, sample.length)) return none(`no offset puts own queued writes inside ${MIN_SUPPORT} or more sync windows`, cands.length);
  // 3. refine: each window holding own writes under the winner allows an interval; the offset
  //    covered by most of them wins, and the intervals covering it give the answer (strace's
  //    timestamps and CLOCK_REALTIME's slewing against CLOCK_MONOTONIC leave µs of noise)
  const lo: number[] = [];
  const hi: number[] = [];
  for (const c of usable) {
    const g = byPid.get(c.pid)!;
    const i = lowerBound(g, c.begin + best - resolutionNs);
    const j = lowerBound(g, c.end + best + resolutionNs + 0.5);
    if (j <= i) continue;
    lo.push(g.at(j - 1) - c.end - resolutionNs);
    hi.push(g.at(i) - c.begin + resolutionNs);
  }
  const at = stab(lo, hi);
  let l = -Infinity;
  let h = Infinity;
  let support = 0;
  for (let k = 0; k < lo.length; k++) {
    if (lo[k]! > at || hi[k]! < at) continue;
    support++;
    l = Math.max(l, lo[k]!);
    h = Math.min(h, hi[k]!);
  }
  if (support < MIN_SUPPORT) return none(`only ${support} window(s) support one offset`, cands.length);
  return {
    method: 'causality',
    offsetNs: (l + h) / 2,
    widthNs: h - l,
    toleranceNs: resolutionNs,
    supporting: support,
    candidates: cands.length,
    note: `${support} of ${lo.length} sync windows holding writes their own thread queued below allow one offset (±${resolutionNs / 1e3} µs tolerance each); offset = midpoint of the interval they all allow`,
  };
}

/** The point covered by most intervals [lo[i], hi[i]] (ties: the leftmost). */
export function stab(lo: number[], hi: number[]): number {
  const ev: Array<[number, number]> = [];
  for (let i = 0; i < lo.length; i++) if (hi[i]! >= lo[i]!) ev.push([lo[i]!, 1], [hi[i]!, -1]);
  ev.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let cur = 0;
  let best = 0;
  let at = ev[0]?.[0] ?? 0;
  for (const [x, d] of ev) {
    cur += d;
    if (cur > best) {
      best = cur;
      at = x;
    }
  }
  return at;
}

function holds(g: Grow, from: number, to: number): boolean {
  const i = lowerBound(g, from);
  return i < g.n && g.at(i) <= to;
}
