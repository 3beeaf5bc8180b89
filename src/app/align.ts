/**
 * Clock alignment of an application trace (strace realtime µs, a tool's CSV
 * clock) to the block trace below it, by causality: the writes a sync call
 * caused were queued by its own thread inside its window, so a window [b, e]
 * holds an own write queued at q exactly when q − e ≤ off ≤ q − b. Syscall
 * tracepoints in the block stream share its clock and need none of this
 * (method "same-stream").
 *
 * The offset sought is the one at which the most windows hold a write their
 * own thread queued (a window may hold none: an fsync with nothing dirty):
 *  1. candidates: windows of the busiest thread — its first ones and others
 *     spread over the trace — placed so that one of its queued writes sits at
 *     their start or end (the clocks may differ by years: nothing else bounds
 *     the offset);
 *  2. each candidate is scored by how many windows (a sample) then hold an own
 *     write; the best few, far enough apart, are kept;
 *  3. around each kept one (±radius, a few windows' length), a sweep over
 *     every window's offsets that put an own write inside it (a union of
 *     intervals per window) and over every write's (an interval per write)
 *     gives, stretch by stretch, how many windows hold an own write and how
 *     many of the threads' writes fall inside windows; the best stretch has
 *     the most windows, then the most writes, and is found again with every
 *     window in its neighbourhood;
 *  4. the answer is the whole run of adjacent stretches around it where as
 *     many windows hold an own write — offset its midpoint, width its length,
 *     those windows its support. Which writes fall inside calls picked the
 *     best stretch but is no evidence for one offset of the run over another
 *     (a writer that writes only inside its calls is best placed with all of
 *     them inside; one that writes right after each call — O_DIRECT data
 *     after an fsync — is not), so it never narrows the answer.
 * A candidate is only a starting point: the answer is always the sweep's, so
 * a run no candidate fell in is still found (the first anchors alone missed
 * it on a data=journal ext4, where the caller's own write comes after the
 * journal commit: a false verdict on every call it misplaced). Fewer than
 * MIN_SUPPORT supporting windows: not aligned (method "none"), and every
 * verdict that needs the clock is undecided. Other runs where as many windows
 * hold an own write, or, farther than a window's length, about as many
 * (within 2√n of the best's misses, or 2: a workload so regular that a shift
 * by one call fits as well but for the traces' ends) are kept as rivals: each
 * call is judged under them too, and a verdict that depends on which is right
 * is undecided.
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
  /**
   * Other offsets that fit the calls about as well (causality only): each call is judged under them too, and
   * one whose verdict differs is undecided (judge.ts).
   */
  rivals?: Array<{ offsetNs: number; widthNs: number }>;
}

export const MIN_SUPPORT = 3;
/** Windows of the busiest thread that give candidates: its first ones, and as many spread over the rest. */
const FIRST_ANCHORS = 4;
const SPREAD_ANCHORS = 4;
/** Windows a candidate is scored on: a quick pass on few, the best QUICK_KEEP again on SAMPLE. */
const QUICK = 64;
const QUICK_KEEP = 256;
const SAMPLE = 400;
const MAX_CANDIDATES = 40000;
/** Candidates kept for the exact sweep (each at least two radii from the others). */
const KEPT = 4;
/** Rival offsets kept (the best fitting ones). */
const MAX_RIVALS = 8;
/** Windows the exact sweep reads at most (evenly spread beyond that). */
const EXACT_WINDOWS = 4000;

/** Own write queue times per pid (sorted), over every device of the layer below. */
export type QueuesByPid = Map<number, Grow>;

/** Every k-th element so that at most `max` remain (all when fewer). */
function spread<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]!);
  return out;
}

export function alignByCausality(calls: SyncCall[], byPid: QueuesByPid, resolutionNs: number): AppAlignment {
  const usable = calls.filter((c) => c.pid >= 0 && byPid.has(c.pid) && c.end >= c.begin);
  const none = (note: string, candidates = 0): AppAlignment => ({ method: 'none', offsetNs: 0, widthNs: Infinity, toleranceNs: 0, supporting: 0, candidates, note });
  if (usable.length === 0) {
    if (calls.length > 0 && calls.every((c) => c.pid < 0)) return none('the calls carry no thread id (strace without -f): their writes cannot be told from others\' (record with strace -f)');
    return none('no sync call of a thread that queued writes below');
  }
  // 1. candidates from windows of the busiest thread
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
  const anchors = [...busiest.slice(0, FIRST_ANCHORS), ...spread(busiest.slice(FIRST_ANCHORS), SPREAD_ANCHORS)];
  const perAnchor = Math.max(1, Math.floor(MAX_CANDIDATES / (2 * anchors.length)));
  const step = Math.max(1, qs.n / perAnchor);
  const cands: number[] = [];
  for (const a of anchors) {
    for (let x = 0; x < qs.n; x += step) {
      const q = qs.at(Math.floor(x));
      cands.push(q - a.begin - resolutionNs, q - a.end + resolutionNs);
    }
  }
  // 2. score: a quick pass, then the best of it on the larger sample
  const score = (off: number, windows: SyncCall[]): number => {
    let n = 0;
    for (const c of windows) if (holds(byPid.get(c.pid)!, c.begin + off - resolutionNs, c.end + off + resolutionNs)) n++;
    return n;
  };
  const quick = spread(usable, QUICK);
  const sample = spread(usable, SAMPLE);
  const rescored = cands
    .map((off) => ({ off, s: score(off, quick) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, QUICK_KEEP)
    .map(({ off }) => ({ off, s: score(off, sample) }))
    .sort((a, b) => b.s - a.s);
  if ((rescored[0]?.s ?? 0) < Math.min(MIN_SUPPORT, sample.length)) return none(`no offset puts own queued writes inside ${MIN_SUPPORT} or more sync windows`, cands.length);
  // 3. the exact sweep around the best candidates, a few windows' length either side
  const lengths = usable.map((c) => c.end - c.begin).sort((a, b) => a - b);
  const medianLength = lengths[lengths.length >> 1]!;
  const radius = Math.min(1e9, Math.max(2e6, 4 * medianLength + 2 * resolutionNs));
  const kept: number[] = [];
  for (const { off } of rescored) {
    if (kept.length === KEPT) break;
    if (kept.every((k) => Math.abs(k - off) > radius)) kept.push(off);
  }
  // another alignment: farther from the best region than a window is long (every window then holds other writes)
  const sep = medianLength + 2 * resolutionNs;
  // the sweep on the sample first (its stretches bound where to look), then the best one again with every window
  // (up to EXACT_WINDOWS), over its own neighbourhood only
  const sweeps = kept.map((c) => segments(sample, byPid, c - radius, c + radius, resolutionNs));
  const windows = spread(usable, EXACT_WINDOWS);
  let best0: Region | undefined;
  for (const sw of sweeps) for (const r of sw) if (!best0 || better(r, best0)) best0 = r;
  const near = best0 && segments(windows, byPid, best0.lo - sep, best0.hi + sep, resolutionNs);
  let at = -1;
  for (let i = 0; i < (near?.length ?? 0); i++) if (at < 0 || better(near![i]!, near![at]!)) at = i;
  if (!best0 || !near || at < 0 || near[at]!.windows < MIN_SUPPORT) return none(`only ${at < 0 ? 0 : near![at]!.windows} window(s) support one offset`, cands.length);
  // The answer is the whole run of offsets around the best where as many calls hold an own write: which of the
  // threads' writes fall inside calls chose the best, but is no evidence for one offset of the run over another (a
  // writer that writes only inside its calls is best placed with all of them inside; one that writes right after
  // each call — O_DIRECT data after an fsync — is not)
  const b = run(near, at, near[at]!.windows);
  const b0 = best0;
  // A rival: another run of offsets where about as many calls hold an own write — as many, or, farther than a
  // window's length, no more misses than the count's own noise (2√n, as for a count of independent misses) or the
  // traces' two ends. A rival is another hypothesis to judge every call under: its run on the sample, wider than
  // an exact one, serves, and is the more careful (judge.ts needs writes inside at every offset of it)
  const close = (misses: number, bestMisses: number) => misses - bestMisses <= Math.max(2, 2 * Math.sqrt(bestMisses));
  const far = (r: Region, o: Region) => r.hi < o.lo - sep || r.lo > o.hi + sep;
  const apart = (r: Region, o: Region) => r.hi < o.lo || r.lo > o.hi;
  const found: Region[] = [];
  for (const sw of sweeps) {
    for (let i = 0; i < sw.length; i++) {
      const r = sw[i]!;
      const level = r.windows >= b0.windows ? b0.windows : far(r, b0) && close(sample.length - r.windows, sample.length - b0.windows) ? r.windows : -1;
      if (level < 0) continue;
      const x = run(sw, i, level);
      i = x.last;
      if (apart(x, b) && apart(x, b0)) found.push(x);
    }
  }
  const rivals: Region[] = [];
  for (const r of found.sort((x, y) => (better(x, y) ? -1 : better(y, x) ? 1 : 0))) {
    if (rivals.length === MAX_RIVALS) break;
    if (rivals.every((o) => apart(r, o))) rivals.push(r);
  }
  const width = b.hi - b.lo;
  const also = rivals.length === 0 ? '' : `; ${rivals.length} other offset(s) fit about as well (${rivals.map((r) => `${((r.mid - b.mid) / 1e6).toFixed(3)} ms away: ${r.windows} of ${sample.length} sampled windows`).join('; ')}): a call whose verdict differs under them is undecided`;
  return {
    method: 'causality',
    offsetNs: b.mid,
    widthNs: width,
    toleranceNs: resolutionNs,
    supporting: b.windows,
    candidates: cands.length,
    note: `${b.windows} of ${windows.length} sync windows hold writes their own thread queued below (${b.writes} writes in all) at every offset of an interval ${(width / 1e3).toFixed(1)} µs wide (±${resolutionNs / 1e3} µs tolerance each), and no other offset within ${(radius / 1e6).toFixed(1)} ms does better; offset = its midpoint${also}`,
    rivals: rivals.map((r) => ({ offsetNs: r.mid, widthNs: r.hi - r.lo })),
  };
}

/** A stretch of offsets, with the windows holding own writes and the own writes inside windows all through it. */
export interface Region {
  lo: number;
  hi: number;
  mid: number;
  windows: number;
  writes: number;
}

/**
 * The better of two stretches: more windows holding own writes, then more own writes inside windows (a sync call
 * queues its writes inside its window: at the true offset, shifted by one call, a writer whose every write is made
 * in a sync call leaves some in the gaps between calls, and its calls still all hold writes).
 */
function better(a: Region, b: Region): boolean {
  return a.windows > b.windows || (a.windows === b.windows && a.writes > b.writes);
}

/**
 * The run of adjacent stretches around `segs[at]` (in order, as segments() gives them) where at least `level`
 * windows hold an own write: its span, the best counts in it, and the index of its last stretch.
 */
function run(segs: Region[], at: number, level: number): Region & { last: number } {
  let i = at;
  let j = at;
  while (i > 0 && segs[i - 1]!.hi === segs[i]!.lo && segs[i - 1]!.windows >= level) i--;
  while (j + 1 < segs.length && segs[j]!.hi === segs[j + 1]!.lo && segs[j + 1]!.windows >= level) j++;
  let windows = 0;
  let writes = 0;
  for (let k = i; k <= j; k++) {
    windows = Math.max(windows, segs[k]!.windows);
    writes = Math.max(writes, segs[k]!.writes);
  }
  const lo = segs[i]!.lo;
  const hi = segs[j]!.hi;
  return { lo, hi, mid: (lo + hi) / 2, windows, writes, last: j };
}

/**
 * The stretches of [from, to] between the points where a window starts or
 * stops holding an own write, or a write enters or leaves a window: a write q
 * is inside window [b, e] for offsets [q − e − tol, q − b + tol]; a window
 * holds one over the union of those of its thread's writes (merged, so it
 * counts once). One sweep over both kinds of interval.
 */
export function segments(windows: SyncCall[], byPid: QueuesByPid, from: number, to: number, tol: number): Region[] {
  // [x, windows delta, writes delta]
  const ev: Array<[number, number, number]> = [];
  for (const c of windows) {
    const g = byPid.get(c.pid)!;
    const i0 = lowerBound(g, c.begin + from - tol);
    let curLo = NaN;
    let curHi = NaN;
    for (let i = i0; i < g.n && g.at(i) <= c.end + to + tol; i++) {
      const q = g.at(i);
      const lo = Math.max(from, q - c.end - tol);
      const hi = Math.min(to, q - c.begin + tol);
      if (hi < lo) continue;
      ev.push([lo, 0, 1], [hi, 0, -1]);
      // q rises with i, so lo does too: an interval either extends the window's current union or starts a new one
      if (lo <= curHi) curHi = Math.max(curHi, hi);
      else {
        if (curHi >= curLo) ev.push([curLo, 1, 0], [curHi, -1, 0]);
        curLo = lo;
        curHi = hi;
      }
    }
    if (curHi >= curLo) ev.push([curLo, 1, 0], [curHi, -1, 0]);
  }
  // starts before ends at the same point: touching intervals overlap there
  ev.sort((a, b) => a[0] - b[0] || b[1] + b[2] - (a[1] + a[2]));
  const out: Region[] = [];
  let w = 0;
  let n = 0;
  for (let k = 0; k < ev.length; k++) {
    w += ev[k]![1];
    n += ev[k]![2];
    if (w > 0 && k + 1 < ev.length) {
      const lo = ev[k]![0];
      const hi = ev[k + 1]![0];
      out.push({ lo, hi, mid: (lo + hi) / 2, windows: w, writes: n });
    }
  }
  return out;
}

function holds(g: Grow, from: number, to: number): boolean {
  const i = lowerBound(g, from);
  return i < g.n && g.at(i) <= to;
}
