/**
 * Cross-layer rules between two adjacent levels (reference §3.5, §4.5). The
 * upper level's promises — a completed flush (D2: writes completed before it
 * was issued), a completed FUA write (D1), any completed write of a
 * write-through level (D0) — hold only if the data is durable in the level
 * below by then, by that level's own rules (OpTable.computeDurability).
 *
 * "By then" goes through the pair's clock map, so each promise is honored,
 * violated, or undecided within the alignment uncertainty; only violated ones
 * are errors. When the lower level never makes anything durable in the whole
 * trace (no flush, no FUA, not write-through) the verdict needs no clock: the
 * count-level verdict "N flushes acknowledged above, 0 flushes below".
 *
 * Not violations (tested): QEMU eliding a host flush when nothing was written
 * since the last one (nothing is pending), a write-through guest that sends no
 * flushes (nothing is promised by flushes), qemu-io's aio_flush (a drain, no
 * promise, no event).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { Finding } from '../model/report.js';
import type { Alignment } from './align.js';
import type { Links } from './links.js';
import { RangeIndex } from './range-index.js';
import { flushChainFinding, type ChainLedger } from './flush-chain.js';
import { levelId, opEvidence, whereText, type Level } from './level.js';
import type { MapSource } from './graph.js';
import type { SectorMap } from './mapping.js';
import { OpFlag, OpKind, type LevelCounts } from './ops.js';
import { gather, lowerBound } from './search.js';
import { timeMark } from '../model/time-mark.js';

export interface PairInput {
  env: AnalysisEnv;
  upper: Level;
  lower: Level;
  map: SectorMap;
  /** Explicit causal links upper row → lower rows (QEMU front → its host jobs). */
  links?: Links;
  alignment: Alignment;
  /** How the map was established (graph.ts); 'none': data cannot be followed, flush-level questions only. */
  mapSource?: MapSource;
  /** The map holds in time as well as by sector (correlator.ts BuiltEdge.confirmed); default true. */
  mapConfirmed?: boolean;
  /** First and last time (lower clock) of the trace(s) the lower device was recorded in. */
  lowerObserved?: [number, number];
  /** The lower level's cache is known volatile (correlator.ts knownVolatile); default true. */
  lowerVolatile?: boolean;
  /**
   * A remap link on a timed clock: per upper row, 1 when its data went to some device below
   * (durable-below.ts). Each write's data here is then the lower writes that ran inside it.
   */
  reached?: Uint8Array;
  /** Per upper row, with `reached`: its data below is the remapped lower writes only (durable-below.ts RemapReach). */
  remapped?: Uint8Array;
  /**
   * The lower level's counts over the whole trace, when this pair is checked on one segment of a trace whose
   * clocks between these levels fit several offsets (segments.ts, held ambiguity): that segment's rows below
   * need not be those of the same stretch, so the count-level proofs count the whole trace's.
   */
  lowerWhole?: LevelCounts;
  /** With lowerWhole: the chain proof is summed over the segments there (flush-chain.ts ChainLedger), not made here. */
  chainLedger?: ChainLedger;
  /**
   * The lower level is one of the devices that held the upper level's data, each for some of its writes (graph.ts
   * fitByNode: a QEMU drive whose image changed mid-trace, a quorum child): a flush none of whose writes were found
   * here may have been passed down to another of them, so no flush-level or count-level proof is made here.
   */
  oneOfSeveral?: boolean;
}

export interface PairStats {
  upper: string;
  lower: string;
  promises: { flush: number; fua: number; writeThrough: number };
  honored: number;
  violated: number;
  undecided: number;
  /** Upper writes whose data could not be followed below (unmapped, or no lower I/O linked). */
  notFollowed: number;
  upperFlushes: number;
  lowerFlushes: number;
  upperWrites: number;
  lowerWrites: number;
  /** Flush promises decided without following data: a lower flush inside the upper flush's window. */
  flushLevel: number;
  /** Undecided promises whose data was never durable below in the trace (the trace ended within the uncertainty). */
  undecidedNeverDurable: number;
  /** Promises that could not be followed below (no map, no link) and no flush-level answer. */
  notFollowedPromises: number;
  map?: string;
  mapSource?: MapSource;
  mapConfirmed?: boolean;
  mapFit?: { matched: number; writes: number };
  /** "104 flushes acknowledged at guest, 0 flushes at qemu:jobs". */
  statement: string;
}

type Verdict = 'honored' | 'violated' | 'undecided' | 'skip';
/** clock: within the alignment uncertainty; end: after the lower trace's last event; order: placed by order only;
 * unknown-jobs: lower ops of unknown kind may have been the flush; ack: the acknowledgement was not traced, only
 * bounded from below (OpFlag.ACK_INFERRED). */
type UndecidedWhy = 'clock' | 'end' | 'order' | 'map' | 'unknown-jobs' | 'ack' | 'cache' | 'not-traced';

interface Lookup {
  at: number;
  /** When it could have been durable had the lower level's ops of unknown kind been flushes. */
  maybeAt?: number;
  rows: number[];
  /** elsewhere: on an exact link, its data went to another device below (checked there, not here). */
  how: 'linked' | 'matched' | 'searched' | 'absent' | 'unmapped' | 'none' | 'count' | 'elsewhere';
}

/** Each upper write's lookup (checkPair): its kind and time below without an object, or the whole of it. */
interface LookedUp {
  how(u: number): Lookup['how'];
  at(u: number): number;
  lookup(u: number): Lookup;
}

/** Lookup.how by index (0: not looked up yet). */
const HOW = ['', 'linked', 'matched', 'searched', 'absent', 'unmapped', 'none', 'count', 'elsewhere'] as const;

const MAX_PENDING = 20000;
const MAX_EVIDENCE_WRITES = 3;

export function checkPair(p: PairInput): { findings: Finding[]; stats: PairStats } {
  const { env, upper, lower, map, links, alignment } = p;
  const U = upper.table;
  const L = lower.table;
  const clock = alignment.clock;
  const matched = new Int32Array(U.n).fill(-1);
  // A pair in the alignment's support is contained: the upper op ended after its lower op ended.
  const endsAfter = new Float64Array(U.n).fill(-Infinity);
  for (const x of alignment.pairs) {
    if (U.kind[x.u] === OpKind.Write) matched[x.u] = x.l;
    if (!links) endsAfter[x.u] = L.tC[x.lLast ?? x.l]!;
  }
  const idx = RangeIndex.of(L, [OpKind.Write]);
  // what the lower trace observed: a device in a stream with others was traced as long as the stream ran
  const lowerEnd = Math.max(lastTime(L), p.lowerObserved?.[1] ?? -Infinity);
  const lc = L.counts();
  const uc = U.counts();
  // what the count-level proofs count: this table's rows, or the whole trace's when only a segment is here
  const lw: LevelCounts = p.lowerWhole ?? { rows: L.n, writes: lc.writes, flushes: lc.flushes, fua: lc.fua, unknown: lc.unknown };
  // a job of unknown kind (a thread-pool job QEMU 7.2 does not type) may be a flush: it forbids a count-level proof
  // No flush and no FUA write below in the whole trace: nothing was made durable there — if its cache is
  // volatile. A write-through queue gets neither (the kernel drops them before the trace): then its writes
  // were durable at completion, and nothing below can show a promise broken (reason `cache`).
  const lowerCacheUnknown = L.role === 'block' && lw.flushes === 0 && lw.fua === 0 && !L.writeThrough && p.lowerVolatile === false;
  // a level whose events were not all traced (a QEMU trace without its host-job events) shows kept promises only
  const lowerUnobserved = L.unobserved;
  /** Why nothing below can prove a promise broken, when that is so (it can still show one kept). */
  const blindBelow: 'not-traced' | 'cache' | undefined = lowerUnobserved !== undefined ? 'not-traced' : lowerCacheUnknown ? 'cache' : undefined;
  const lowerNeverDurable = lw.flushes === 0 && lw.fua === 0 && lw.unknown === 0 && !L.writeThrough && blindBelow === undefined;
  const findings: Finding[] = [];
  const stats: PairStats = {
    upper: levelId(upper), lower: levelId(lower),
    promises: { flush: 0, fua: 0, writeThrough: 0 }, honored: 0, violated: 0, undecided: 0, notFollowed: 0,
    upperFlushes: uc.flushes, lowerFlushes: lc.flushes, upperWrites: uc.writes, lowerWrites: lc.writes, statement: '',
    flushLevel: 0, notFollowedPromises: 0, undecidedNeverDurable: 0,
  };
  const timed = clock.kind === 'offset' || clock.kind === 'identity';
  const lowerStart = Math.min(firstTime(L), p.lowerObserved?.[0] ?? Infinity);
  /**
   * Whether the lower trace was recording when the upper promise was made. An empty lower trace is a
   * device traced and silent; without a timed clock the traces are taken as recorded together (said so).
   */
  const covered = (t: number): boolean => {
    if (L.n === 0 || !timed) return true;
    const [lo, hi] = clock.toLower(t);
    return !(hi < lowerStart || lo > lowerEnd);
  };
  const lowerFlushRows: number[] = [];
  for (let l = 0; l < L.n; l++) if (L.kind[l] === OpKind.Flush && L.done(l)) lowerFlushRows.push(l);
  lowerFlushRows.sort((a, b) => L.tC[a]! - L.tC[b]!);
  const lowerFlushTimes = gather(lowerFlushRows, L.tC);
  /**
   * The flush-level question, when the data cannot be followed (no map): was the upper flush passed down
   * at all? Violated only on a count-level proof (the lower level never makes anything durable while
   * traced); honored when a lower flush issued after the upper one began completed before it ended;
   * otherwise undecided.
   */
  const flushLevel = (f: number): 'violated' | 'honored' | 'undecided' | 'cache' | 'not-traced' => {
    if (blindBelow !== undefined) return blindBelow;
    if (lowerNeverDurable) return covered(U.tC[f]!) ? 'violated' : 'undecided';
    if (links) {
      // QEMU's own link: the flush job this flush caused, completed without error before it was acknowledged
      return [...(links.get(f) ?? [])].some((l) => L.kind[l] === OpKind.Flush && L.done(l) && L.tC[l]! <= U.tC[f]!) ? 'honored' : 'undecided';
    }
    if (!timed) return 'undecided';
    const from = clock.toLower(U.tI[f]!)[0];
    const to = clock.toLower(U.tC[f]!)[1];
    for (let k = lowerBound(lowerFlushTimes, from); k < lowerFlushTimes.length && lowerFlushTimes[k]! <= to; k++) {
      if (L.tI[lowerFlushRows[k]!]! >= from) return 'honored';
    }
    return 'undecided';
  };
  stats.statement = `${uc.flushes} flush(es) and ${uc.fua} FUA write(s) acknowledged at ${upper.name}; ` +
    `${lc.flushes} flush(es) and ${lc.writes} write(s) at ${lower.name}`;

  // Each upper write's lookup, kept in columns (a long trace has hundreds of thousands): objects are made
  // only for the moment they are used.
  const lkHow = new Uint8Array(U.n);
  const lkAt = new Float64Array(U.n);
  const lkMaybe = new Float64Array(U.n);
  const lkRows = new Int32Array(U.n * 2);
  const remember = (u: number, r: Lookup): void => {
    lkHow[u] = HOW.indexOf(r.how);
    lkAt[u] = r.at;
    lkMaybe[u] = r.maybeAt ?? NaN;
    lkRows[2 * u] = r.rows[0] ?? -1;
    lkRows[2 * u + 1] = r.rows[1] ?? -1;
  };
  const lookup = (u: number): Lookup => {
    const h = lkHow[u]!;
    if (h === 0) {
      const r = lowerDurability(u);
      remember(u, r);
      return r;
    }
    const rows: number[] = [];
    if (lkRows[2 * u]! >= 0) rows.push(lkRows[2 * u]!);
    if (lkRows[2 * u + 1]! >= 0) rows.push(lkRows[2 * u + 1]!);
    const m = lkMaybe[u]!;
    return { at: lkAt[u]!, ...(Number.isNaN(m) ? {} : { maybeAt: m }), rows, how: HOW[h]! as Lookup['how'] };
  };
  /** A write's lookup as its columns tell it, looked up now if not yet: no object (orderInversions asks for every write). */
  const ensure = (u: number): void => {
    if (lkHow[u] === 0) remember(u, lowerDurability(u));
  };
  const looked: LookedUp = {
    how(u) {
      ensure(u);
      return HOW[lkHow[u]!]! as Lookup['how'];
    },
    at(u) {
      ensure(u);
      return lkAt[u]!;
    },
    lookup,
  };

  /** The mapped ranges of the write being looked up (SectorMap.mapInto). */
  const mapped: number[] = [];

  function lowerDurability(u: number): Lookup {
    if (links) {
      let rows = [...(links.get(u) ?? [])].filter((l) => L.kind[l] === OpKind.Write);
      // a failed attempt retried over the same bytes (write-zeroes -ENOTSUP → bounce-buffer write) is not a loss
      rows = rows.filter((l) => L.done(l) || !rows.some((o) => o !== l && L.done(o) && L.sector[o] === L.sector[l] && L.count[o]! >= L.count[l]!));
      if (rows.length === 0) return { at: NaN, rows, how: 'none' };
      let at = -Infinity;
      let maybeAt = -Infinity;
      for (const l of rows) {
        at = Math.max(at, L.durable[l]!);
        maybeAt = Math.max(maybeAt, L.maybeDurable[l]!);
      }
      return { at, maybeAt, rows, how: 'linked' };
    }
    const m = matched[u]!;
    // a pair of the alignment is its data unless its data below is known by remap events and this one has none
    // (a target's own write to those sectors: dm-writecache's writeback to the origin)
    if (m >= 0 && !(p.remapped?.[u] === 1 && !L.has(m, OpFlag.REMAPPED))) {
      return { at: L.durable[m]!, maybeAt: L.maybeDurable[m]!, rows: [m], how: 'matched' };
    }
    // with no clock (none, or several offsets fit) a search by sector cannot place the lower write: the
    // write is not followed, and only count-level questions remain (also: no scan of every rewrite)
    if (clock.kind === 'none') return { at: NaN, rows: [], how: 'unmapped' };
    const pieces = map.mapInto(U.sector[u]!, U.count[u]!, mapped);
    // on an exact link, a write this device's remaps never covered went to another device (a stripe's other disk)
    if (pieces === 0) return { at: NaN, rows: [], how: p.reached?.[u] ? 'elsewhere' : 'unmapped' };
    if (p.reached) return withinLookup(u, pieces, p.reached);
    const from = clock.toLower(U.tI[u]!)[0];
    const rows: number[] = [];
    let at = -Infinity;
    let maybeAt = -Infinity;
    for (let k = 0; k < pieces; k++) {
      const s = mapped[2 * k]!;
      const n = mapped[2 * k + 1]!;
      const best = idx.earliestFrom(s, n, from);
      // write-zeroes may be done below as metadata only (fallocate ZERO_RANGE, an unwritten extent): no write to find
      if (best < 0) {
        if (U.has(u, OpFlag.ZEROES)) return { at: NaN, rows, how: 'none' };
        // Only an exact map (remap events) makes absence a proof; an inferred or given map may not hold
        // for these sectors (a file's blocks reallocated): the write is not followed.
        return p.mapSource === 'remap' || p.mapSource === undefined ? { at: Infinity, rows, how: 'absent' } : { at: NaN, rows, how: 'unmapped' };
      }
      // A map confirmed in time says the level below serves the upper writes while they run (their pairs are
      // contained). A write found there only after this one completed is a later version of those sectors,
      // not its data (a write-zeroes the trace shows no request for, a write to sectors rewritten again): this
      // write is not followed. (Exact maps keep the search: md's write-behind leg may write after completion.)
      if (p.mapSource !== 'remap' && p.mapSource !== undefined && p.mapConfirmed !== false && L.tI[best]! > clock.toLower(U.tC[u]!)[1]) {
        return { at: NaN, rows: [], how: 'unmapped' };
      }
      rows.push(best);
      at = Math.max(at, L.durable[best]!);
      maybeAt = Math.max(maybeAt, L.maybeDurable[best]!);
    }
    return { at, maybeAt, rows, how: 'searched' };
  }

  /**
   * Found below by sector and placed only by order, on a map not confirmed in time: a search (no timestamps
   * on one side, or a map that fits by sector only), or a pair of the order-only chain (alignByOrder matches
   * by order within a window: under an inferred map — an image file on a copy-on-write filesystem, whose
   * rewrites land elsewhere — it may be another version of those sectors). It can show a promise kept.
   * So can a pair of a timed alignment on such a map: a lower write to the same sectors that ran inside the
   * upper write is its data only where the map holds, and a map most writes do not confirm may not (a dm
   * target that sends the data elsewhere while it writes an older version to those sectors itself:
   * dm-writecache's writeback to the origin, with the remap events not traced).
   */
  const byOrder = (lk: Lookup): boolean =>
    (lk.how === 'searched' && (clock.kind === 'order' || p.mapConfirmed === false))
    || (lk.how === 'matched' && p.mapConfirmed === false);

  /**
   * A remap link on a timed clock: the write's data below is the lower writes at its mapped sectors that ran
   * inside it (a remapped bio completes below before it completes above). The extents of a whole trace's
   * remaps may cover sectors this write did not send here — a cache target routes each write to the cache or
   * the origin, raid5 traces every parity write as from array sector 0 — so a piece with no such write is not
   * asked, and absence proves a loss only for a write whose data went to no device below at all.
   */
  function withinLookup(u: number, pieces: number, reached: Uint8Array): Lookup {
    const rows: number[] = [];
    let at = -Infinity;
    let maybeAt = -Infinity;
    const from = clock.toLower(U.tI[u]!)[0];
    const to = clock.toLower(U.tC[u]!)[1];
    const onlyRemapped = p.remapped?.[u] === 1;
    for (let k = 0; k < pieces; k++) {
      idx.within(mapped[2 * k]!, mapped[2 * k + 1]!, from, to, (l) => {
        // its data went below with remap events: a write here without one is the target's own (a writeback)
        if (onlyRemapped && !L.has(l, OpFlag.REMAPPED)) return;
        rows.push(l);
        at = Math.max(at, L.durable[l]!);
        maybeAt = Math.max(maybeAt, L.maybeDurable[l]!);
      });
    }
    if (rows.length > 0) return { at, maybeAt, rows, how: 'searched' };
    // write-zeroes may be done below as metadata only
    if (U.has(u, OpFlag.ZEROES)) return { at: NaN, rows, how: 'none' };
    // data that went to another device below is checked there
    if (reached[u]) return { at: NaN, rows, how: 'elsewhere' };
    return { at: Infinity, rows, how: 'absent' };
  }

  /** Why the last `verdict` was undecided. */
  let why: UndecidedWhy = 'clock';
  let ackInferred = false;
  function verdict(lk: Lookup, promiseTime: number, promiseRow: number): Verdict {
    ackInferred = false;
    const v = verdict0(lk, promiseTime, promiseRow);
    // jobs QEMU 7.2 does not type (aio=native, qcow2) may have been the flush that kept it: not a proof
    if (v === 'violated' && blindBelow !== undefined) {
      why = blindBelow;
      return 'undecided';
    }
    if (v === 'violated' && lk.maybeAt !== undefined && lk.maybeAt <= clock.toLower(promiseTime)[1]) {
      why = 'unknown-jobs';
      return 'undecided';
    }
    if (v === 'undecided') {
      const [, hi] = clock.toLower(promiseTime);
      // never durable below, on a device whose cache may be write-through: that, not placement, leaves it open;
      // and a level whose events were not traced is what to mend first, whatever else also leaves it open
      why = ackInferred ? 'ack' : blindBelow === 'not-traced' ? 'not-traced' : lowerCacheUnknown && lk.at === Infinity ? 'cache' : (lk.how === 'searched' || lk.how === 'matched') && clock.kind === 'order' ? 'order' : (lk.how === 'searched' || lk.how === 'matched') && p.mapConfirmed === false ? 'map'
        : lk.at === Infinity && hi >= lowerEnd ? 'end' : 'clock';
    }
    return v;
  }
  const undecidedBy: Record<UndecidedWhy, number> = { clock: 0, end: 0, order: 0, map: 0, 'unknown-jobs': 0, ack: 0, cache: 0, 'not-traced': 0 };
  const firstUndecided: Partial<Record<UndecidedWhy, number>> = {};
  const noteUndecided = (row: number) => {
    undecidedBy[why]++;
    if (firstUndecided[why] === undefined) firstUndecided[why] = row;
  };

  function verdict0(lk: Lookup, promiseTime: number, promiseRow: number): Verdict {
    const at = lk.at;
    const [lo0, hi] = clock.toLower(promiseTime);
    const lo = Math.max(lo0, endsAfter[promiseRow]!);
    // Without timestamps, "the first write to these sectors after it" is placed only by anchors matched in
    // order: on sectors rewritten again and again (qcow2 tables, a journal) it may be a later version.
    // Such a lookup can show a promise kept; it breaks one only when nothing below is ever made durable.
    const placedByOrder = byOrder(lk);
    if (Number.isNaN(at)) {
      // a failure below known only from an inferred completion (no host job seen finishing it) is no proof
      if (lk.rows.some((l) => L.has(l, OpFlag.ACK_INFERRED))) {
        ackInferred = true;
        return 'undecided';
      }
      return placedByOrder ? 'undecided' : 'violated';
    }
    if (at <= lo) return 'honored';
    // placed at its last host job, the acknowledgement may have come later, after the data became durable
    // (two requests in flight in one thread: jobs of the other's metadata taken as its own): not a proof
    if (Number.isFinite(at) && U.has(promiseRow, OpFlag.ACK_INFERRED)) {
      ackInferred = true;
      return 'undecided';
    }
    if (at === Infinity) {
      if (lowerNeverDurable) return 'violated';
      if (placedByOrder) return 'undecided';
      return hi < lowerEnd ? 'violated' : 'undecided';
    }
    return at > hi && !placedByOrder ? 'violated' : 'undecided';
  }

  const lowerWhy = (lk: Lookup): string => {
    if (lk.how === 'count') {
      return `${lower.name} ${lw.rows === 0 ? 'was traced and received nothing at all' : `completed ${lw.writes} write(s) and 0 flushes and 0 FUA writes in the whole trace`}, so nothing written through it was ever durable (count-level: its data cannot be followed there${p.mapSource === 'none' ? ', no sector map fits' : ''})`;
    }
    if (lk.how === 'absent') return `no write to these sectors reached ${lower.name} before the promise`;
    if (Number.isNaN(lk.at)) return `its write at ${lower.name} failed`;
    if (lk.at === Infinity) {
      return lowerNeverDurable
        ? `${lower.name} completed ${lw.writes} write(s) and 0 flushes in the whole trace`
        : `no flush at ${lower.name} covered it before the trace ended`;
    }
    return `it became durable at ${lower.name} only at ${lk.rows.length ? timeMark(L.src[lk.rows[0]!]!, lk.at / 1e9) : `${(lk.at / 1e9).toFixed(6)} s (${lower.name} clock)`}`;
  };

  const addEvidence = (ev: Finding['evidence'], u: number, lk: Lookup) => {
    ev.push(opEvidence(env, upper, u, 'C', 'write covered by the promise'));
    for (const l of lk.rows.slice(0, 2)) {
      ev.push(opEvidence(env, lower, l, 'C', Number.isFinite(L.durable[l]!) ? 'its data below, durable later' : 'its data below, never made durable in the trace'));
    }
  };

  // ---- flush-not-passed-down ----
  const writesByC: number[] = [];
  const flushes: number[] = [];
  for (let u = 0; u < U.n; u++) {
    if (!U.done(u)) continue;
    if (U.kind[u] === OpKind.Write && !U.has(u, OpFlag.FUA) && !U.writeThrough) writesByC.push(u);
    else if (U.kind[u] === OpKind.Flush) flushes.push(u);
  }
  writesByC.sort((a, b) => U.tC[a]! - U.tC[b]!);
  flushes.sort((a, b) => U.tI[a]! - U.tI[b]!);
  let pending: number[] = [];
  let wi = 0;
  let capped = 0;
  for (const f of flushes) {
    while (wi < writesByC.length && U.tC[writesByC[wi]!]! < U.tI[f]!) {
      if (pending.length < MAX_PENDING) pending.push(writesByC[wi]!);
      else capped++;
      wi++;
    }
    if (pending.length === 0) continue;
    stats.promises.flush++;
    const pending0 = pending;
    const bad: Array<[number, Lookup]> = [];
    let undecided = 0;
    let undecidedFar = 0;
    const unfollowed: number[] = [];
    const keep: number[] = [];
    let elsewhere = 0;
    for (const w of pending) {
      const lk = lookup(w);
      if (lk.how === 'elsewhere') {
        elsewhere++;
        continue;
      }
      if (lk.how === 'none' || lk.how === 'unmapped') {
        stats.notFollowed++;
        // write-zeroes done below as metadata (fallocate ZERO_RANGE) leave no write to follow: not a promise to check
        if (!(lk.how === 'none' && U.has(w, OpFlag.ZEROES))) unfollowed.push(w);
        continue;
      }
      const v = verdict(lk, U.tC[f]!, f);
      if (v === 'honored') continue;
      keep.push(w);
      if (v === 'violated') bad.push([w, lk]);
      else {
        undecided++;
        if (undecided === 1) noteUndecided(f);
        if (!Number.isFinite(lk.at)) undecidedFar++;
      }
    }
    pending = keep;
    // every write it covered went to other devices below: no promise at this one
    if (elsewhere === pending0.length) {
      stats.promises.flush--;
      continue;
    }
    // Only when none of its writes could be followed is the flush asked the flush-level question (followed
    // writes found durable in time already show a lower flush inside its window).
    if (bad.length === 0 && undecided === 0 && unfollowed.length > 0 && unfollowed.length === pending0.length - elsewhere) {
      const fl = flushLevel(f);
      if (fl === 'violated' && p.oneOfSeveral) {
        stats.notFollowedPromises++;
        continue;
      }
      if (fl === 'violated') {
        // still not durable at the next flush: they stay pending
        for (const w of unfollowed) {
          bad.push([w, { at: Infinity, rows: [], how: 'count' }]);
          keep.push(w);
        }
      } else if (fl === 'honored') stats.flushLevel++;
      else if (fl === 'cache' || fl === 'not-traced') {
        stats.undecided++;
        why = fl;
        noteUndecided(f);
        continue;
      } else {
        stats.notFollowedPromises++;
        continue; // undecided, not kept: counted once, under notFollowedPromises
      }
    }
    if (bad.length > 0) {
      stats.violated++;
      const [w0, lk0] = bad[0]!;
      const ev = [opEvidence(env, upper, f, 'I', 'flush issued'), opEvidence(env, upper, f, 'C', 'flush acknowledged')];
      for (const [w, lk] of bad.slice(0, MAX_EVIDENCE_WRITES)) addEvidence(ev, w, lk);
      findings.push({
        rule: 'flush-not-passed-down',
        severity: 'error',
        layer: upper.layer,
        device: U.device,
        time: evTime(env, upper, f),
        message: `${upper.name} acknowledged a flush at ${whereText(upper, f, 'C')} while ${bad.length} write(s) it covered were not durable at ${lower.name}: e.g. ${sectorText(upper, w0)}, ${lowerWhy(lk0)}.`,
        evidence: ev,
        details: { notDurable: bad.length, undecided, lower: stats.lower },
      });
    } else if (undecided > 0) {
      stats.undecided++;
      if (undecidedFar > 0) stats.undecidedNeverDurable++;
    } else stats.honored++;
  }
  if (capped > 0) env.diag.add('correlate: writes pending a flush beyond the limit (not checked)', 'info');

  // ---- fua-not-honored / write-through-not-durable ----
  for (let u = 0; u < U.n; u++) {
    if (U.kind[u] !== OpKind.Write || !U.done(u)) continue;
    const wt = U.writeThrough || U.has(u, OpFlag.WT);
    if (!wt && !U.has(u, OpFlag.FUA)) continue;
    const lk = lookup(u);
    if (lk.how === 'elsewhere') continue;
    if (wt) stats.promises.writeThrough++;
    else stats.promises.fua++;
    let v: Verdict;
    if (lk.how === 'none' && U.has(u, OpFlag.ZEROES)) {
      stats.notFollowed++;
      continue;
    }
    if (lk.how === 'none' || lk.how === 'unmapped') {
      stats.notFollowed++;
      // no map: only a count-level proof decides (nothing is ever durable below while traced)
      if (!(lowerNeverDurable && covered(U.tC[u]!) && (p.mapSource === 'none' || lk.how === 'unmapped'))) {
        if (blindBelow !== undefined && covered(U.tC[u]!)) {
          stats.undecided++;
          why = blindBelow;
          noteUndecided(u);
        } else stats.notFollowedPromises++;
        continue;
      }
      lk.how = 'count';
      lk.at = Infinity;
      remember(u, lk);
      v = 'violated';
    } else v = verdict(lk, U.tC[u]!, u);
    if (v === 'honored') stats.honored++;
    else if (v === 'undecided') {
      stats.undecided++;
      noteUndecided(u);
      if (!Number.isFinite(lk.at)) stats.undecidedNeverDurable++;
    }
    else {
      stats.violated++;
      const ev = [opEvidence(env, upper, u, 'I', wt ? 'write to a write-through device' : 'FUA write issued'), opEvidence(env, upper, u, 'C', 'acknowledged as durable')];
      for (const l of lk.rows.slice(0, 2)) ev.push(opEvidence(env, lower, l, 'C', 'its data below'));
      findings.push({
        rule: wt ? 'write-through-not-durable' : 'fua-not-honored',
        severity: 'error',
        layer: upper.layer,
        device: U.device,
        time: evTime(env, upper, u),
        message: `${upper.name} acknowledged ${wt ? 'a write (write-through)' : 'a FUA write'} ${sectorText(upper, u)} at ${whereText(upper, u, 'C')} before it was durable at ${lower.name}: ${lowerWhy(lk)}.`,
        evidence: ev,
        details: { lower: stats.lower },
      });
    }
  }

  if (!lowerNeverDurable && blindBelow === undefined && p.lowerVolatile !== false && U.unobserved === undefined
    && stats.violated === 0 && stats.notFollowedPromises > 0 && !p.oneOfSeveral) {
    // the data cannot be followed and the lower level flushes sometimes: too few flushes for the chain? Only where
    // its cache is known volatile (a write-through queue gets no flush and needs none) and on levels whose events
    // were traced (a count of what was not traced proves nothing).
    const inp = { env, upper, lower, covered, time: (r: number) => evTime(env, upper, r), lowerId: stats.lower, lowerCounts: lw };
    p.chainLedger?.add(inp);
    const chain = p.chainLedger ? null : flushChainFinding(inp);
    if (chain) {
      findings.push(chain);
      stats.violated += chain.details!['notPassedDown'] as number;
    }
  }
  // (an order shown below needs the level's events: without them a job's kind or time is a guess)
  if (lowerUnobserved === undefined) for (const f of orderInversions(p, looked)) findings.push(f);
  const width = alignment.widthSeconds !== undefined ? `±${(alignment.widthSeconds / 2 * 1e6).toFixed(1)} µs` : alignment.method;
  const lastBelow = Number.isFinite(lowerEnd) ? ` (its last event at ${(lowerEnd / 1e9).toFixed(6)} s, ${lower.name} clock)` : '';
  const reasons: Record<UndecidedWhy, [Finding['severity'], string]> = {
    // the data made durable below within µs of the acknowledgement: a question of clocks, said as info
    clock: ['info', `the data became durable at ${lower.name} within the clock-alignment uncertainty of the acknowledgement (${width}); traces on one clock (one trace session) would decide them`],
    // data never durable below and the lower trace over: a suspicion, a warning
    end: ['warning', `they were acknowledged after ${lower.name}'s trace ends${lastBelow} and their data never reached it or was never made durable there; if ${lower.name} was still being traced (one blktrace run), they were broken: give the devices' traces as one stream (one blkparse -i of all devices, or the ftrace buffer) to decide`],
    order: ['info', `the writes below were found by sector alone and placed only by order (no timestamps on one side): a timed trace (QEMU -msg timestamp=on) would decide them`],
    map: ['info', `the writes below were found through a map (${p.map.describe}) that fits by sector but is not confirmed in time (buffered I/O below, or a wrong map): it can show promises kept, not broken; an exact map (--map from filefrag -v / qemu-img map) or a direct-I/O trace would decide them`],
    'not-traced': ['info', `${lower.name}: ${lowerUnobserved ?? 'not traced'}, so its events can show a promise kept but not broken; ${L.role === 'block' ? 'a trace of every action (blktrace without -a)' : lowerUnobserved?.includes(' answer to ') ? 'scsi_req_parsed traced (it gives the target), and disks at distinct target:LUN across HBAs (one NVMe namespace id per drive)' : 'trace QEMU with virtio_blk_*, virtqueue_pop (or scsi_* and virtio_scsi_* for virtio-scsi, pci_nvme_* for NVMe), blk_co_*, bdrv_co_*, thread_pool_* and luring_* events'} to decide them`],
    cache: ['info', `${lower.name} received no flush and no FUA write in the whole trace, and nothing shows its cache is volatile: a write-through queue gets neither (the kernel drops them before they are traced) and needs none, or they were lost above it; declare --cache ${lower.layer}=writeback (or writethrough) to decide`],
    ack: ['info', `${upper.name}'s acknowledgements are not in the trace (QEMU 7.2 has no completion event for BlockBackend requests): each was placed at its last host job, and the data became durable at ${lower.name} after that, perhaps still before the real acknowledgement; a trace of the layer above (a guest's completions) would decide them`],
    'unknown-jobs': ['info', `${lower.name} has operations of unknown kind (QEMU 7.2 does not type thread-pool jobs; aio=native data leaves none) that may have been the flushes that kept them`],
  };
  for (const k of Object.keys(undecidedBy) as UndecidedWhy[]) {
    const n = undecidedBy[k];
    if (n === 0) continue;
    const [severity, text] = reasons[k];
    const row = firstUndecided[k];
    findings.push({
      rule: 'cross-layer-undecided',
      severity,
      layer: upper.layer,
      device: U.device,
      time: row !== undefined ? evTime(env, upper, row) : -1,
      message: `${n} promise(s) of ${upper.name} could not be decided at ${lower.name}: ${text}.`,
      evidence: row !== undefined ? [opEvidence(env, upper, row, 'C', 'first undecided promise')] : [],
      details: { undecided: n, lower: stats.lower, reason: k },
    });
  }
  if (stats.notFollowedPromises > 0) {
    const why = p.mapSource === 'none'
      ? `no sector map between them fits the data (identity and offsets tried), so the writes cannot be followed${timed ? ' and no flush below completed inside the flush window' : ' and the clocks cannot be aligned'}; give --map ${upper.layer}=… (filefrag -v, qemu-img map) to decide`
      : `their writes were not followed below (sectors outside the map, or no host job linked)`;
    findings.push({
      rule: 'cross-layer-undecided',
      severity: 'info',
      layer: upper.layer,
      device: U.device,
      time: -1,
      message: `${stats.notFollowedPromises} promise(s) of ${upper.name} could not be decided at ${lower.name}: ${why}.`,
      evidence: [],
      details: { undecided: stats.notFollowedPromises, lower: stats.lower, reason: p.mapSource === 'none' ? 'no-map' : 'not-followed' },
    });
  }
  return { findings, stats };
}

/**
 * durable-order-inverted: A then B at the upper level (B issued after a flush
 * covering A completed), but below B became durable while A was still volatile.
 * Both times are in the lower clock: no alignment uncertainty. One finding per
 * upper flush epoch.
 */
function orderInversions(p: PairInput, looked: LookedUp): Finding[] {
  const U = p.upper.table;
  // a write found by sector alone without timestamps may be another version of those sectors (see verdict)
  const placed = (u: number) => {
    const how = looked.how(u);
    return how === 'linked' || (how === 'matched' && p.mapConfirmed !== false)
      || (how === 'searched' && p.alignment.clock.kind !== 'order' && p.mapConfirmed !== false);
  };
  const out: Finding[] = [];
  const flushes: number[] = [];
  const writes: number[] = [];
  for (let u = 0; u < U.n; u++) {
    if (!U.done(u)) continue;
    if (U.kind[u] === OpKind.Flush) flushes.push(u);
    else if (U.kind[u] === OpKind.Write) writes.push(u);
  }
  if (flushes.length === 0) return out;
  flushes.sort((a, b) => U.tC[a]! - U.tC[b]!);
  const byC = [...writes].sort((a, b) => U.tC[a]! - U.tC[b]!);
  const byI = [...writes].sort((a, b) => U.tI[a]! - U.tI[b]!);
  // max lower durability over writes covered by flushes completed so far, and the write holding it
  let maxAt = -Infinity;
  let maxW = -1;
  let maxF = -1;
  let fi = 0;
  let ci = 0;
  const reported = new Set<number>();
  for (const b of byI) {
    while (fi < flushes.length && U.tC[flushes[fi]!]! < U.tI[b]!) {
      const f = flushes[fi++]!;
      while (ci < byC.length && U.tC[byC[ci]!]! < U.tI[f]!) {
        const a = byC[ci++]!;
        const at = placed(a) ? looked.at(a) : NaN;
        if (at > maxAt) {
          maxAt = at;
          maxW = a;
          maxF = f;
        }
      }
    }
    if (maxW < 0 || reported.has(maxF)) continue;
    const bAt = placed(b) ? looked.at(b) : NaN;
    if (!Number.isFinite(bAt)) continue;
    if (bAt < maxAt) {
      reported.add(maxF);
      const lb = looked.lookup(b);
      const lowA = looked.lookup(maxW);
      const ev = [
        opEvidence(p.env, p.upper, maxW, 'C', 'A: written first'),
        opEvidence(p.env, p.upper, maxF, 'C', 'flush covering A completed'),
        opEvidence(p.env, p.upper, b, 'I', 'B: issued after that flush'),
      ];
      for (const l of lb.rows.slice(0, 1)) ev.push(opEvidence(p.env, p.lower, l, 'C', 'B below: durable first'));
      for (const l of lowA.rows.slice(0, 1)) ev.push(opEvidence(p.env, p.lower, l, 'C', 'A below: still volatile'));
      out.push({
        rule: 'durable-order-inverted',
        severity: 'error',
        layer: p.upper.layer,
        device: U.device,
        time: evTime(p.env, p.upper, b),
        message: `${p.upper.name} ordered ${sectorText(p.upper, maxW)} before ${sectorText(p.upper, b)} (a flush in between), but at ${p.lower.name} the second became durable at ${lowerAt(p, lb.rows, lb.at)} while the first was volatile until ${Number.isFinite(maxAt) ? lowerAt(p, lowA.rows, maxAt) : 'the end of the trace'}.`,
        evidence: ev,
        details: { lower: levelId(p.lower) },
      });
    }
  }
  return out;
}

function firstTime(t: { n: number; tC: Float64Array; tI: Float64Array }): number {
  let m = Infinity;
  for (let i = 0; i < t.n; i++) {
    if (t.tI[i]! < m) m = t.tI[i]!;
    if (t.tC[i]! < m) m = t.tC[i]!;
  }
  return m;
}

/** A lower-level time for a message: a time mark on its source, or seconds in that level's clock. */
function lowerAt(p: PairInput, rows: number[], ns: number): string {
  const L = p.lower.table;
  if (L.orderOnly) return `${p.lower.name} event ${ns}`;
  return rows.length ? timeMark(L.src[rows[0]!]!, ns / 1e9) : `${(ns / 1e9).toFixed(6)} s (${p.lower.name} clock)`;
}

function lastTime(t: { n: number; tC: Float64Array; tI: Float64Array }): number {
  let m = -Infinity;
  for (let i = 0; i < t.n; i++) {
    if (t.tC[i]! > m) m = t.tC[i]!;
    if (t.tI[i]! > m) m = t.tI[i]!;
  }
  return m;
}

function evTime(env: AnalysisEnv, lv: Level, row: number): number {
  const t = lv.table;
  const base = env.sources[t.src[row]!]?.clock.baseSeconds ?? 0;
  return t.orderOnly ? -1 : t.tC[row]! / 1e9 + base;
}

function sectorText(lv: Level, row: number): string {
  const t = lv.table;
  return `sector ${t.sector[row]} + ${t.count[row]}`;
}
