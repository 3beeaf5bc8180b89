/**
 * Clock alignment between two adjacent layers from causality alone: an
 * operation a lower layer performs for an upper one starts after the upper
 * one was issued and ends before it completes. A candidate pair (upper u,
 * lower l: same direction, overlapping mapped sectors) therefore bounds the
 * offset off = lower_clock − upper_clock:
 *
 *     lC − uC  ≤  off  ≤  lI − uI          (widened by both clocks' resolution)
 *
 * Wrong candidates (the same sector written many times, page-cache writeback
 * long after the write) give scattered intervals; the true offset lies where
 * the most upper operations hold a lower one, each counted once however many
 * lower operations it could hold (intervals.ts deepestDistinct). That region
 * is the estimate, its width the uncertainty. Flush pairs are then matched
 * inside it and tighten it. With no timestamps on one side, pairs are
 * matched in order and the longest causally consistent chain becomes the
 * anchors of an order-only clock map (clock-map.ts).
 */
import { driftClock, IDENTITY_CLOCK, NO_CLOCK, offsetClock, orderClock, type Anchor, type ClockMap } from './clock-map.js';
import { trackDrift, warped } from './drift.js';
import type { SectorMap } from './mapping.js';
import { OpFlag, OpKind, type OpTable } from './ops.js';
import { gather, lowerBound } from './search.js';
import { RangeIndex } from './range-index.js';
import { candidates, candidatesNear, compatible, dataClass, MAX_CANDIDATES, within } from './candidates.js';
import { deepestDistinct, Intervals, pairInterval, rivalRegion } from './intervals.js';

export interface Pair {
  u: number;
  l: number;
  /** Last lower op of a group served by one upper op (an fdatasync → a journal commit's pre- and post-flush). */
  lLast?: number;
}

export interface Alignment {
  upper: string;
  lower: string;
  method: 'identity' | 'causal-offset' | 'order-only' | 'ambiguous' | 'none';
  /** For 'ambiguous': the offsets that fit about as well, with their support. */
  candidates?: Array<{ offsetSeconds: number; supportingPairs: number }>;
  clock: ClockMap;
  /** Offset lower − upper in seconds (midpoint) and the feasible interval's width (s), for 'causal-offset'. */
  offsetSeconds?: number;
  widthSeconds?: number;
  /** Pairs supporting the estimate / candidate pairs considered. */
  supportingPairs: number;
  candidatePairs: number;
  /** Chosen pairs (upper row → lower row), contained in time. */
  pairs: Pair[];
  /** Words for the report. */
  note: string;
  /** The clocks drift: the offset (offsetSeconds, widthSeconds) holds at t0Seconds and moves by ppm. */
  drift?: DriftInfo;
}

export interface DriftInfo {
  /** Lower-clock µs gained per upper-clock second. */
  ppm: number;
  /** Windows of the trace whose offset was found, the time they span and their largest distance from the line. */
  windows: number;
  spanSeconds: number;
  residualSeconds: number;
  /** Upper-clock time (s, trace clock) where offsetSeconds holds. */
  t0Seconds: number;
}

const MAX_SAMPLE = 20000;

/**
 * Align `up` and `low` (adjacent layers). `resolutionNs` is the sum of both
 * clocks' resolutions (QEMU prints µs).
 */
export function align(up: OpTable, low: OpTable, map: SectorMap, resolutionNs: number, prior?: OffsetPrior): Alignment {
  const base = { upper: `${up.layer}:${up.device}`, lower: `${low.layer}:${low.device}` };
  const idx = RangeIndex.of(low, [OpKind.Read, OpKind.Write, OpKind.Discard]);
  if (up.orderOnly || low.orderOnly) return alignByOrder(up, low, map, idx, base);
  // the clocks were found drifting on the stretch before this one: this one's upper times are moved by that
  // rate first (its offset is then given at the same t0), as a long trace's are once its drift is measured
  const shifted = prior?.drift ? warped(up, prior.drift.rate, prior.drift.t0) : up;
  if (prior) {
    // The clocks were aligned just before this stretch: search first where they can have reached since.
    // Taken when most sampled upper flushes hold a lower flush at one offset there (the coarse search's
    // support); otherwise (a clock that jumped, a stretch of few flushes) searched everywhere, as with no prior.
    const a = alignOffset(shifted, low, map, resolutionNs, idx, base, prior);
    const region = a.region;
    delete a.region;
    const sampled = sampledFlushes(up);
    if (a.method === 'causal-offset' && region?.byFlushes && sampled >= MIN_FLUSH_SUPPORT && region.depth >= PRIOR_SHARE * sampled) {
      return carried({ ...a, note: `${a.note}; searched within ${prior.why}` }, prior);
    }
  }
  if (prior?.drift) {
    let a = alignOffset(shifted, low, map, resolutionNs, idx, base);
    if (a.method === 'ambiguous') a = alignOffset(shifted, low, map, resolutionNs, idx, base, prior);
    delete a.region;
    if (a.method === 'causal-offset') return carried(a, prior);
  }
  const first = alignOffset(up, low, map, resolutionNs, idx, base);
  if (prior && first.method === 'ambiguous') {
    // Offsets that fit this stretch about as well, where the same clocks were aligned just before it: only
    // those the clocks can have reached since (their drift bounded) are candidates (segments.ts).
    const inside = (first.candidates ?? []).filter((c) => c.offsetSeconds * 1e9 >= prior.lo && c.offsetSeconds * 1e9 <= prior.hi);
    if (inside.length === 1) {
      const again = alignOffset(up, low, map, resolutionNs, idx, base, prior);
      delete again.region;
      if (again.method === 'causal-offset') {
        return { ...again, note: `${again.note}; of the offsets ${first.candidates!.map((c) => `${c.offsetSeconds.toFixed(6)} s`).join(' and ')} that fit about as well, the one within ${prior.why}` };
      }
    }
  }
  // A long trace whose windows place the offset apart by more than their uncertainty: the clocks drift.
  // The upper times are moved onto the lower clock's rate and aligned again (ambiguity judged there).
  const region = first.region;
  delete first.region;
  if (!region || (first.method !== 'causal-offset' && first.method !== 'ambiguous')) return first;
  const drift = trackDrift(up, low, region, resolutionNs);
  if (!drift) return first;
  // Each window's offset is found on times that still drift inside it; aligned again on the corrected
  // times, the rest of the drift is measured the same way, until one offset explains every window.
  let moved = warped(up, drift.rate, drift.t0);
  let second = alignOffset(moved, low, map, resolutionNs, idx, base);
  for (let k = 0; k < DRIFT_ROUNDS && second.region && (second.method === 'causal-offset' || second.method === 'ambiguous'); k++) {
    const more = trackDrift(moved, low, second.region, resolutionNs);
    if (!more) break;
    drift.rate = (1 + drift.rate) * (1 + more.rate) - 1;
    drift.residualNs = more.residualNs;
    moved = warped(up, drift.rate, drift.t0);
    second = alignOffset(moved, low, map, resolutionNs, idx, base);
  }
  delete second.region;
  // The corrected times must explain the data at least as well as one offset did: a drift measured on clocks
  // that only jitter must not turn a clean single-offset alignment into an ambiguous or thinner one.
  if (first.method === 'causal-offset' && (second.method !== 'causal-offset' || second.supportingPairs < first.supportingPairs)) return first;
  const ppm = drift.rate * 1e6;
  const info: DriftInfo = { ppm, windows: drift.points, residualSeconds: drift.residualNs / 1e9, spanSeconds: drift.spanNs / 1e9, t0Seconds: drift.t0 / 1e9 };
  const said = `the clocks drift ${ppm >= 0 ? '+' : ''}${ppm.toFixed(1)} ppm (${drift.points} windows over ${(drift.spanNs / 1e9).toFixed(0)} s, off a line by at most ${(drift.residualNs / 1e3).toFixed(0)} µs)`;
  if (second.method === 'causal-offset') {
    const o = second.clock.offset!;
    return { ...second, clock: driftClock(o.lo, o.hi, drift.rate, drift.t0), drift: info, note: `${second.note}; ${said}, offset given at ${(drift.t0 / 1e9).toFixed(6)} s` };
  }
  return { ...second, drift: info, note: `${second.note}; ${said}` };
}

const DRIFT_ROUNDS = 3;

/** Share of the sampled upper flushes a region found within a prior window must hold (else searched everywhere). */
const PRIOR_SHARE = 0.5;

/** Upper flushes completed without error. */
function doneFlushes(up: OpTable): number {
  let n = 0;
  for (let u = 0; u < up.n; u++) if (up.kind[u] === OpKind.Flush && up.done(u)) n++;
  return n;
}

/** Upper flushes the coarse search samples (every ⌈n / COARSE_UPPER⌉-th: flushCoarse). */
function sampledFlushes(up: OpTable): number {
  const n = doneFlushes(up);
  return Math.ceil(n / Math.max(1, Math.ceil(n / COARSE_UPPER)));
}

/**
 * An offset found on upper times moved by a drift carried from the stretch before (prior.drift): its clock
 * given at that drift's t0 with its rate, as a drift measured here would be.
 */
function carried(a: Alignment, prior: OffsetPrior): Alignment {
  if (!prior.drift) return a;
  const { rate, t0 } = prior.drift;
  const o = a.clock.offset!;
  const ppm = rate * 1e6;
  return {
    ...a,
    clock: driftClock(o.lo, o.hi, rate, t0),
    drift: { ppm, windows: 0, spanSeconds: 0, residualSeconds: 0, t0Seconds: t0 / 1e9 },
    note: `${a.note}; its times moved by the drift of ${ppm >= 0 ? '+' : ''}${ppm.toFixed(1)} ppm measured on the stretch before it, offset given at ${(t0 / 1e9).toFixed(6)} s`,
  };
}

/** Offsets (ns, lower − upper) the clocks can have here, as known from a neighbouring stretch of the trace. */
export interface OffsetPrior {
  lo: number;
  hi: number;
  /** Words: where the window comes from ("0.001 s of the offset found on the segment before"). */
  why: string;
  /** The clocks drift at this rate (lower gains `rate` s per upper s): the window is the offset at t0 (ns). */
  drift?: { rate: number; t0: number };
}

/**
 * A link whose clocks fit several offsets about as well at the start of a long trace (segments.ts holds that
 * ambiguity): no offset is searched for in a stretch of it, the ambiguity is the stretch's too, with the same
 * candidates.
 */
export function heldAlignment(up: OpTable, low: OpTable, held: { candidates: Array<{ offsetSeconds: number; supportingPairs: number }>; note: string }): Alignment {
  return {
    upper: `${up.layer}:${up.device}`, lower: `${low.layer}:${low.device}`,
    method: 'ambiguous', clock: NO_CLOCK, supportingPairs: 0, candidatePairs: 0, pairs: [], candidates: held.candidates, note: held.note,
  };
}

/** Keeps the part of each interval inside the window (dropping those outside). */
function clip(iv: Intervals, w: OffsetPrior): void {
  let k = 0;
  for (let i = 0; i < iv.n; i++) {
    const lo = Math.max(iv.lo[i]!, w.lo);
    const hi = Math.min(iv.hi[i]!, w.hi);
    if (lo > hi) continue;
    iv.lo[k] = lo;
    iv.hi[k] = hi;
    iv.u[k] = iv.u[i]!;
    iv.l[k] = iv.l[i]!;
    k++;
  }
  iv.truncate(k);
}

/** Alignment by one constant offset; `region` is where the offset search placed it (for the drift search). */
function alignOffset(
  up: OpTable, low: OpTable, map: SectorMap, resolutionNs: number, idx: RangeIndex, base: { upper: string; lower: string }, window?: OffsetPrior,
): Alignment & { region?: { a: number; b: number; depth: number; byFlushes?: boolean } } {
  const cand: number[] = [];
  const iv = new Intervals();
  // the pairs whose lower op a remap event names as coming from another device (OpFlag.REMAPPED): a remapped
  // bio is queued below after its upper bio and completes there before it (dm clone_endio, md), so these
  // pairs are contained, whatever the target does besides with its own I/O
  const remapIv = new Intervals();
  let considered = 0;
  const step = Math.max(1, Math.ceil(up.n / MAX_SAMPLE));
  for (let u = 0; u < up.n; u += step) {
    if (!up.done(u)) continue;
    if (window) candidatesNear(up, low, map, idx, u, window.lo - resolutionNs, window.hi + resolutionNs, cand);
    else candidates(up, low, map, idx, u, cand);
    if (cand.length === 0 || cand.length > MAX_CANDIDATES) continue;
    considered++;
    for (const l of cand) {
      pairInterval(up, low, u, l, resolutionNs, iv);
      if (low.has(l, OpFlag.REMAPPED)) pairInterval(up, low, u, l, resolutionNs, remapIv);
    }
  }
  // Flushes are always waited for (fdatasync, a virtio flush, loop's vfs_fsync), so a flush pair is
  // contained; a data pair is contained only for direct I/O (page-cache writeback comes later). The
  // flush pairs place the estimate, data pairs can only narrow it.
  const coarse = flushCoarse(up, low, resolutionNs, window);
  if (window) {
    clip(iv, window);
    clip(remapIv, window);
    clip(coarse, window);
  }
  let region: { a: number; b: number; depth: number } | undefined;
  // Remapped data pairs place the estimate first: a target that flushes the device below on its own all the
  // time (dm-writecache committing and writing back to its cache device) lets the upper flushes hold a lower
  // flush at many offsets, and the flush pairs' deepest one may be milliseconds from the true one.
  let byRemaps = false;
  if (remapIv.n > 0) {
    const r = deepestDistinct(remapIv);
    if (r.depth >= MIN_REMAP_SUPPORT) {
      region = r;
      byRemaps = true;
    }
  }
  if (!region && coarse.n > 0) {
    const r = deepestDistinct(coarse);
    if (r.depth >= MIN_FLUSH_SUPPORT) region = r;
  }
  if (!region && iv.n > 0) region = deepestDistinct(iv);
  if (!region) {
    return { ...base, method: 'none', clock: NO_CLOCK, supportingPairs: 0, candidatePairs: considered, pairs: [], note: 'no pair of operations matched by sector and direction' };
  }
  const margin = !byRemaps && fromFlushesFirst(coarse, region) ? 0 : MARGIN_NS;
  const flushIv = flushIntervals(up, low, region.a - margin, region.b + margin, resolutionNs);
  const fromFlushes = !byRemaps && coarse.n > 0 && region.depth >= MIN_FLUSH_SUPPORT;
  const dataIv = byRemaps ? remapIv : iv;
  let support: Pair[];
  let a: number;
  let b: number;
  const pairsOf = (x: Intervals, rows: number[]): Pair[] => rows.map((i) => ({ u: x.u[i]!, l: x.l[i]! }));
  if (fromFlushes && flushIv.n > 0) {
    const r = deepestDistinct(flushIv);
    a = r.a;
    b = r.b;
    // Data pairs do not narrow it: with buffered I/O the lower write comes after the upper one
    // completed, and its interval excludes the true offset. Only those consistent with it are kept.
    const held = pairsOf(iv, iv.containing(a, b));
    support = [...pairsOf(flushIv, flushIv.containing(a, b)), ...held];
    // Inside the flushes' region they may, where the lower layer does the upper one's writes as they come
    // (direct I/O: most upper writes then hold a lower one there): the true offset is one point of [a, b],
    // and where the upper flushes are long (a trace without dispatch events: a flush bio from its Q to its
    // last stage's C) the region is wider than most data pairs' intervals, so that few contain all of it
    // although each holds the true point. The stretch of [a, b] where the most upper operations hold a
    // lower one is then the estimate, when it holds more of them than [a, b] whole (every flush pair kept:
    // each contains [a, b]). Not searched when [a, b] already holds nearly every upper write.
    const writes = doneWrites(up, step);
    const sub = distinctUppers(held) < NEARLY_ALL * writes ? narrowWithin(flushIv, iv, a, b) : undefined;
    if (sub) {
      const data = pairsOf(iv, iv.containing(sub.a, sub.b));
      const more = [...pairsOf(flushIv, flushIv.containing(sub.a, sub.b)), ...data];
      if (distinctUppers(more) > distinctUppers(support) && distinctUppers(data) >= DIRECT_SHARE * writes) {
        ({ a, b } = sub);
        support = more;
      }
    }
  } else {
    ({ a, b } = region);
    const dataRows = dataIv.containing(a, b);
    support = pairsOf(dataIv, dataRows);
    const withFlush = new Intervals();
    for (const i of dataRows) withFlush.push(dataIv.lo[i]!, dataIv.hi[i]!, dataIv.u[i]!, dataIv.l[i]!);
    for (let i = 0; i < flushIv.n; i++) withFlush.push(flushIv.lo[i]!, flushIv.hi[i]!, flushIv.u[i]!, flushIv.l[i]!);
    const r = deepestDistinct(withFlush);
    if (r.depth >= new Set(support.map((x) => x.u)).size) {
      a = r.a;
      b = r.b;
      support = pairsOf(withFlush, withFlush.containing(a, b));
    }
  }
  const pairs = uniquePairs(support, up.n, low.n);
  // Ambiguity is a result: another offset, clearly apart, that the same evidence supports about as well
  // (a periodic workload fits one period later) leaves no single offset justified.
  const placedBy = fromFlushes ? coarse : dataIv;
  // apart by more than the operations' own durations: one long upper flush holding two lower flushes a few
  // ms apart (a journal commit's pre- and post-flush) fits a range of offsets, which is no rival
  const longest = durationQuantile(up, placedBy, 0.9);
  const rival = rivalRegion(placedBy, region.a, region.b, Math.max(MIN_SEPARATION_NS, 10 * (region.b - region.a), 4 * longest));
  if (region.depth >= MIN_FLUSH_SUPPORT && rival.depth >= AMBIGUOUS_SHARE * region.depth && !sampleMisled(up, low, region, rival, fromFlushes, resolutionNs)) {
    const at = (x: number) => `${(x / 1e9).toFixed(6)} s`;
    return {
      ...base,
      region,
      method: 'ambiguous',
      clock: NO_CLOCK,
      supportingPairs: 0,
      candidatePairs: considered + flushIv.n,
      pairs: [],
      candidates: [
        { offsetSeconds: (region.a + region.b) / 2 / 1e9, supportingPairs: region.depth },
        { offsetSeconds: (rival.a + rival.b) / 2 / 1e9, supportingPairs: rival.depth },
      ],
      note: `offsets ${at((region.a + region.b) / 2)} (${region.depth} upper ${fromFlushes ? 'flushes' : 'operations'}) and ${at((rival.a + rival.b) / 2)} (${rival.depth}) fit about as well — a periodic workload? — so no single offset is justified: verdicts that need the clock are undecided`,
    };
  }
  // Data ops left out above because their sectors are rewritten too often over the trace (a journal, a long
  // capture: more than MAX_CANDIDATES lower ops) are matched at the offset found: the first lower op of the
  // same direction inside the mapped range, contained in the upper op at an offset in [a, b].
  const paired = new Uint8Array(up.n);
  for (const x of pairs) paired[x.u] = 1;
  let atOffsetOnly = 0;
  const pieces: number[] = [];
  for (let u = 0; u < up.n; u++) {
    if (paired[u] || !up.done(u)) continue;
    const cls = dataClass(up.kind[u]!);
    if (cls === 0 || !(up.sector[u]! >= 0)) continue;
    for (let k = 0, m = map.mapInto(up.sector[u]!, up.count[u]!, pieces); k < m; k++) {
      const s = pieces[2 * k]!;
      const n = pieces[2 * k + 1]!;
      const l = idx.earliestFrom(s, n, up.tI[u]! + a - resolutionNs);
      if (l < 0 || dataClass(low.kind[l]!) !== cls || !low.done(l) || !within(low, l, s, n)) continue;
      if (low.tC[l]! - up.tC[u]! - resolutionNs <= a && low.tI[l]! - up.tI[u]! + resolutionNs >= b) {
        pairs.push({ u, l });
        atOffsetOnly++;
        break;
      }
    }
  }
  const atOffset = uniquePairs(pairs, up.n, low.n);
  pairs.length = 0;
  for (const x of atOffset) pairs.push(x);
  return {
    ...base,
    region: { ...region, byFlushes: fromFlushes },
    method: 'causal-offset',
    clock: offsetClock(a, b),
    offsetSeconds: (a + b) / 2 / 1e9,
    widthSeconds: (b - a) / 1e9,
    supportingPairs: pairs.length,
    candidatePairs: considered + flushIv.n,
    pairs,
    note: `offset from ${pairs.length} causally contained pairs (${fromFlushes ? 'placed by flush pairs' : byRemaps ? 'placed by remapped data pairs' : 'placed by data pairs'}; ${considered} operations had a sector match${atOffsetOnly > 0 ? `, ${atOffsetOnly} more were matched at that offset` : ''})`,
  };
}

/**
 * The q-quantile (the element at ⌊n·q⌋ in ascending order) of the upper operations' durations over the
 * intervals of `iv`, one per interval. Intervals of one upper operation are pushed together (each search
 * pairs one upper op with its lower candidates), so a run of them is one duration with a weight: the
 * coarse search's 10⁶ intervals are a few dozen runs to sort.
 */
function durationQuantile(up: OpTable, iv: Intervals, q: number): number {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < iv.n;) {
    const u = iv.u[i]!;
    let j = i + 1;
    while (j < iv.n && iv.u[j] === u) j++;
    runs.push([up.tC[u]! - up.tI[u]!, j - i]);
    i = j;
  }
  runs.sort((x, y) => x[0] - y[0]);
  const at = Math.floor(iv.n * q);
  let seen = 0;
  for (const [d, w] of runs) {
    seen += w;
    if (seen > at) return d;
  }
  return 0;
}

/**
 * The coarse search samples COARSE_UPPER upper flushes: on a stretch of a trace where flushes come in pairs
 * (a journal commit), every sampled one can hold a lower flush at a rival offset too. Counted again over
 * every upper flush, a rival that is a sampling accident falls below AMBIGUOUS_SHARE of the region's support;
 * a periodic workload's does not (one period later, all but the edge copies still fit).
 */
function sampleMisled(up: OpTable, low: OpTable, region: { a: number; b: number }, rival: { a: number; b: number }, fromFlushes: boolean, slack: number): boolean {
  if (!fromFlushes || doneFlushes(up) <= COARSE_UPPER) return false;
  const best = flushSupport(up, low, region.a, region.b, slack);
  return flushSupport(up, low, rival.a, rival.b, slack) < AMBIGUOUS_SHARE * best;
}

/** Upper flushes (every one) that can hold a lower flush at an offset in [a, b]: flushIntervals' flushes, counted. */
function flushSupport(up: OpTable, low: OpTable, a: number, b: number, slack: number): number {
  const iv = flushIntervals(up, low, a, b, slack);
  let n = 0;
  // an upper op's intervals are pushed together
  for (let i = 0; i < iv.n; i++) if (up.kind[iv.u[i]!] === OpKind.Flush && (i === 0 || iv.u[i - 1] !== iv.u[i])) n++;
  return n;
}

const MIN_FLUSH_SUPPORT = 3;
/** Distinct upper operations whose remapped lower op must agree on the offset before they place it. */
const MIN_REMAP_SUPPORT = 3;
/** A rival offset with this share of the best one's support makes the alignment ambiguous (the lab's real captures: at most 0.57 between true devices, 0.77 on the quasi-periodic fsync loop of loop-on-loop; back-to-back copies of one trace: (n-1)/n). */
const AMBIGUOUS_SHARE = 0.9;
const MIN_SEPARATION_NS = 1e6;

function fromFlushesFirst(coarse: Intervals, region: { depth: number }): boolean {
  return coarse.n > 0 && region.depth >= MIN_FLUSH_SUPPORT;
}
const MARGIN_NS = 1e6;
const COARSE_UPPER = 64;
const COARSE_LOWER = 20000;

/** Every (sampled upper flush, lower flush) pair's interval: no prior on the offset. */
function flushCoarse(up: OpTable, low: OpTable, slack: number, window?: OffsetPrior): Intervals {
  const us: number[] = [];
  const ls: number[] = [];
  for (let u = 0; u < up.n; u++) if (up.kind[u] === OpKind.Flush && up.done(u)) us.push(u);
  for (let l = 0; l < low.n; l++) if (low.kind[l] === OpKind.Flush && low.done(l)) ls.push(l);
  const ustep = Math.max(1, Math.ceil(us.length / COARSE_UPPER));
  if (window) {
    // offsets known to lie in the window: each sampled upper flush meets only the lower flushes that can be
    // inside it at such an offset (every one of them, none sampled away)
    ls.sort((x, y) => low.tI[x]! - low.tI[y]!);
    const starts = gather(ls, low.tI);
    const out = new Intervals(4 * Math.ceil(us.length / ustep));
    for (let i = 0; i < us.length; i += ustep) {
      const u = us[i]!;
      const to = up.tC[u]! + window.hi + slack;
      for (let k = lowerBound(starts, up.tI[u]! + window.lo - slack); k < ls.length && starts[k]! <= to; k++) {
        pairInterval(up, low, u, ls[k]!, slack, out, window.lo, window.hi);
      }
    }
    return out;
  }
  const lstep = Math.max(1, Math.ceil(ls.length / COARSE_LOWER));
  // the sampled lower flushes in order of completion: each upper flush's intervals then come in order of their
  // starts (lC − uC), and its union (intervals.ts perUpper) is made without sorting
  const sampled: number[] = [];
  for (let k = 0; k < ls.length; k += lstep) sampled.push(ls[k]!);
  sampled.sort((x, y) => low.tC[x]! - low.tC[y]!);
  const out = new Intervals(Math.ceil(us.length / ustep) * sampled.length);
  for (let i = 0; i < us.length; i += ustep) {
    for (const l of sampled) pairInterval(up, low, us[i]!, l, slack, out);
  }
  return out;
}

/**
 * Share of the upper writes that must hold a lower write at one point of the flushes' region for the data
 * pairs to place the offset within it: direct I/O below (page-cache writeback, later, holds few).
 */
const DIRECT_SHARE = 0.8;
/** Share of the upper writes held in the flushes' whole region above which it is not narrowed (nothing to gain). */
const NEARLY_ALL = 0.95;

/** Upper writes completed without error, of those the data pairs were sampled from (every `step`-th row). */
function doneWrites(up: OpTable, step: number): number {
  let n = 0;
  for (let u = 0; u < up.n; u += step) if (up.kind[u] === OpKind.Write && up.done(u)) n++;
  return n;
}

/** Upper operations among the pairs (each counted once). */
function distinctUppers(pairs: Pair[]): number {
  return new Set(pairs.map((x) => x.u)).size;
}

/**
 * The stretch of [a, b] held by the most upper operations, flush pairs containing all of [a, b] and data
 * pairs clipped to it; undefined when no data pair meets [a, b].
 */
function narrowWithin(flushIv: Intervals, dataIv: Intervals, a: number, b: number): { a: number; b: number } | undefined {
  const inner = new Intervals();
  for (const i of flushIv.containing(a, b)) inner.push(a, b, flushIv.u[i]!, flushIv.l[i]!);
  const flushes = inner.n;
  for (let i = 0; i < dataIv.n; i++) {
    const lo = Math.max(dataIv.lo[i]!, a);
    const hi = Math.min(dataIv.hi[i]!, b);
    if (lo <= hi) inner.push(lo, hi, dataIv.u[i]!, dataIv.l[i]!);
  }
  if (inner.n === flushes) return undefined;
  const r = deepestDistinct(inner);
  return r.depth > 0 ? { a: r.a, b: r.b } : undefined;
}

/** One lower op per upper op and vice versa, first come first served. */
function uniquePairs(iv: Pair[], nu: number, nl: number): Pair[] {
  const usedU = new Uint8Array(nu);
  const usedL = new Uint8Array(nl);
  const out: Pair[] = [];
  for (const x of iv) {
    if (usedU[x.u] || usedL[x.l]) continue;
    usedU[x.u] = 1;
    usedL[x.l] = 1;
    // the pair itself: pairs are never changed once made, and those given here carry no lLast to drop
    out.push(x);
  }
  return out;
}

/**
 * For each upper flush (and unknown job), the lower flushes (discards for unknown jobs) contained in it
 * for some offset in [a, b]: one fdatasync or loop flush may cause several (a journal commit's pre- and
 * post-flush).
 */
function flushIntervals(up: OpTable, low: OpTable, a: number, b: number, slack: number): Intervals {
  const lows: number[] = [];
  for (let l = 0; l < low.n; l++) if ((low.kind[l] === OpKind.Flush || low.kind[l] === OpKind.Discard) && low.done(l)) lows.push(l);
  lows.sort((x, y) => low.tI[x]! - low.tI[y]!);
  const starts = gather(lows, low.tI);
  const out = new Intervals();
  for (let u = 0; u < up.n; u++) {
    const k = up.kind[u];
    if ((k !== OpKind.Flush && k !== OpKind.Unknown) || !up.done(u)) continue;
    const from = up.tI[u]! + a - slack;
    for (let j = lowerBound(starts, from); j < lows.length && starts[j]! <= up.tC[u]! + b + slack; j++) {
      const l = lows[j]!;
      if (k === OpKind.Flush && low.kind[l] !== OpKind.Flush) continue;
      if (k === OpKind.Unknown && low.kind[l] === OpKind.Flush && out.n > 0 && out.u[out.n - 1] === u) continue;
      pairInterval(up, low, u, l, slack, out, a, b);
    }
  }
  return out;
}

const ORDER_WINDOW = 256;
const CHAIN_LOOKBACK = 64;

function alignByOrder(up: OpTable, low: OpTable, map: SectorMap, _idx: RangeIndex, base: { upper: string; lower: string }): Alignment {
  const uRows = [...Array(up.n).keys()].filter((u) => up.done(u) && up.kind[u] !== OpKind.Unknown || (up.kind[u] === OpKind.Unknown && up.done(u)));
  uRows.sort((x, y) => up.tI[x]! - up.tI[y]!);
  const lRows = [...Array(low.n).keys()].filter((l) => low.done(l));
  lRows.sort((x, y) => low.tI[x]! - low.tI[y]!);
  const used = new Uint8Array(low.n);
  const greedy: Pair[] = [];
  let cursor = 0;
  for (const u of uRows) {
    const end = Math.min(lRows.length, cursor + ORDER_WINDOW);
    for (let k = Math.max(0, cursor - 8); k < end; k++) {
      const l = lRows[k]!;
      if (used[l] || !compatible(up, low, map, u, l)) continue;
      used[l] = 1;
      let last = l;
      let kk = k;
      if (low.kind[l] === OpKind.Flush) {
        // following lower flushes with only I/O foreign to the upper layer between them (a journal commit's
        // commit block) serve the same upper flush
        for (let k2 = k + 1; k2 < lRows.length; k2++) {
          const l2 = lRows[k2]!;
          if (used[l2]) continue;
          if (low.kind[l2] === OpKind.Flush) {
            used[l2] = 1;
            last = l2;
            kk = k2;
            continue;
          }
          if (low.kind[l2] === OpKind.Write && low.sector[l2]! >= 0 && map.unmap(low.sector[l2]!) === undefined) continue;
          break;
        }
      }
      greedy.push(last === l ? { u, l } : { u, l, lLast: last });
      if (kk >= cursor) cursor = kk + 1;
      break;
    }
  }
  // longest causally consistent chain: if a ended above before b began, a's lower op ended before b's began
  const n = greedy.length;
  const dp = new Int32Array(n).fill(1);
  const prev = new Int32Array(n).fill(-1);
  for (let j = 0; j < n; j++) {
    const pj = greedy[j]!;
    for (let i = Math.max(0, j - CHAIN_LOOKBACK); i < j; i++) {
      const pi = greedy[i]!;
      const ordered = up.tC[pi.u]! <= up.tI[pj.u]!;
      if (ordered && !(low.tC[pi.lLast ?? pi.l]! <= low.tI[pj.l]!)) continue;
      if (dp[i]! + 1 > dp[j]!) {
        dp[j] = dp[i]! + 1;
        prev[j] = i;
      }
    }
  }
  let best = -1;
  for (let j = 0; j < n; j++) if (best < 0 || dp[j]! > dp[best]!) best = j;
  const chain: Pair[] = [];
  for (let j = best; j >= 0; j = prev[j]!) chain.push(greedy[j]!);
  chain.reverse();
  if (chain.length === 0) {
    return { ...base, method: 'none', clock: NO_CLOCK, supportingPairs: 0, candidatePairs: greedy.length, pairs: [], note: 'no timestamps on one side and no operation matched in order' };
  }
  const anchors: Anchor[] = chain.map((p) => ({ uI: up.tI[p.u]!, uC: up.tC[p.u]!, lI: low.tI[p.l]!, lC: low.tC[p.lLast ?? p.l]! }));
  const side = up.orderOnly && low.orderOnly ? 'either layer' : up.orderOnly ? up.layer : low.layer;
  return {
    ...base,
    method: 'order-only',
    clock: orderClock(anchors),
    supportingPairs: chain.length,
    candidatePairs: greedy.length,
    pairs: chain,
    note: `${side} has no timestamps: ${chain.length} pairs matched in order (of ${greedy.length} candidates) bound each position; no offset can be given`,
  };
}

export function identityAlignment(up: OpTable, low: OpTable, pairs: Pair[], note = 'same trace and clock: requests linked to the host jobs they caused'): Alignment {
  return {
    upper: `${up.layer}:${up.device}`,
    lower: `${low.layer}:${low.device}`,
    method: 'identity',
    clock: IDENTITY_CLOCK,
    supportingPairs: pairs.length,
    candidatePairs: pairs.length,
    pairs,
    note,
  };
}
