/**
 * Follow one request down the stack: starting from the operation at a layer
 * that touched sector S (in flight at time T, or else the first issued after
 * it), the operation it caused at each level below (QEMU links, matched
 * pairs, or the first write to the mapped sectors issued after it), with every
 * issue, completion and durability time converted to one reference clock as
 * an interval whose width is the alignment uncertainty.
 *
 * The reference clock is the caller's (`FollowQuery.placement`: the report's
 * clock, src/clock/reference.ts, so `follow` and `check` print one time for
 * one event); without one, the lowest level of the path that has timestamps.
 * A level the placement does not reach is put on it through the path's own
 * clock maps to the nearest level it does reach (an order-only QEMU log
 * bounded by the host's times).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { EvidenceRef } from '../model/event.js';
import { RangeIndex } from './range-index.js';
import { composeClock, IDENTITY_CLOCK, type ClockMap } from './clock-map.js';
import type { BuiltEdge, CorrelationResult } from './correlator.js';
import type { StackNode } from './graph.js';
import { opEvidence, rwbsOf, type Level } from './level.js';
import { OpKind, type OpTable } from './ops.js';

export interface FollowQuery {
  /** 512-byte sector at the starting layer. */
  sector: number;
  /** Layer the sector and time refer to (default: the top one). */
  layer?: string;
  /** Device at that layer ("254,0", a vdev pointer). */
  device?: string;
  /**
   * Seconds: follow the request on the sector in flight at this time (issued ≤ T ≤ completed, to the µs a
   * time is printed with), or else the first issued after it. On the reference clock when `placement` is
   * given and `timeClock` is not 'trace'; else in the starting layer's own clock.
   */
  time?: number;
  timeClock?: 'reference' | 'trace';
  /** Where a source (env.sources index) sits on the reference clock; undefined = not placed on it. */
  placement?: (src: number) => SourcePlacement | undefined;
  /** The reference clock's name, for the result. */
  referenceName?: string;
}

/** A source on the reference clock: reference seconds = own seconds (without the clock base) − shift, ± uncertainty. */
export interface SourcePlacement {
  shift: number;
  uncertainty: number;
}

/** Half the µs a time is printed with: a time copied from the text output still finds its request. */
const PRINT_TOLERANCE_NS = 500;

export interface FollowTime {
  /** Seconds in the level's own clock, or the source line for order-only levels. */
  local: number | null;
  localLine: number | null;
  /** Interval in the reference clock (seconds); null bounds are unknown. */
  ref: [number | null, number | null];
}

export interface FollowStep {
  level: string;
  device: string;
  op: string;
  sector: number;
  sectors: number;
  /** How this op was tied to the one above: "start", "linked", "matched", "searched". */
  how: string;
  issue: FollowTime;
  complete: FollowTime;
  /** When durable by this level's own rules; null local = never in the trace. */
  durable: FollowTime & { how: string };
  evidence: EvidenceRef[];
}

export interface FollowResult {
  /** Reference clock: level name and clock name. */
  reference: string;
  steps: FollowStep[];
  notes: string[];
  /** The query cannot be answered as asked (a time outside the start layer's trace, or not on the reference clock). */
  error?: string;
}

export function follow(env: AnalysisEnv, result: CorrelationResult, q: FollowQuery): FollowResult {
  const { levels, edges } = result.stack;
  const notes: string[] = [];
  // a finding of an unnamed input says layer "": any layer, the device decides
  const layer = q.layer || undefined;
  const startIdx = layer || q.device ? levels.findIndex((l) => (!layer || l.layer === layer) && l.table.role !== 'qemu-back' && (!q.device || l.table.device === q.device))
    : levels.findIndex((l) => !edges.some((e) => e.lower === l.index));
  if (startIdx < 0) return { reference: '', steps: [], notes: [`no layer ${q.layer}${q.device ? ` with device ${q.device}` : ''}`] };
  const start = levels[startIdx]!;
  let own: number | undefined;
  if (q.time !== undefined && !start.table.orderOnly) {
    const t = ownTime(env, start, q);
    if ('error' in t) return { reference: '', steps: [], notes: [], error: t.error };
    own = t.own;
  }
  if (q.time !== undefined && start.table.orderOnly) notes.push(`--time not used: ${start.name} has no timestamps (its events are ordered only)`);
  const row = findStart(start, q.sector, own);
  if (row < 0) return { reference: '', steps: [], notes: [`no read or write of sector ${q.sector} at ${start.name}${q.time !== undefined ? ` in flight at or issued after ${q.time} s` : ''}`] };
  // walk down: at each device, the first edge below that finds the op
  const path: Array<{ node: StackNode; row: number; how: string; edge?: BuiltEdge }> = [{ node: start, row, how: 'start' }];
  for (;;) {
    const cur = path[path.length - 1]!;
    const out = edges.filter((e) => e.upper === cur.node.index);
    if (out.length === 0) break;
    let next: { row: number; how: string } | undefined;
    let via: BuiltEdge | undefined;
    for (const e of out) {
      next = below(levels[e.upper]!.table, levels[e.lower]!.table, e, cur.row);
      if (next) {
        via = e;
        break;
      }
    }
    if (!next || !via) {
      notes.push(`nothing found below ${cur.node.name} for it (unmapped, not yet written below, or served from a cache)`);
      break;
    }
    path.push({ node: levels[via.lower]!, row: next.row, how: next.how, edge: via });
    if (path.length > levels.length) break;
  }
  // every step on the reference clock: its own source if placed, else through the path's clock maps
  let placement = q.placement;
  let reference = q.referenceName ?? '';
  if (!placement) {
    // no caller's clock: the lowest level of the path with timestamps is the reference
    let lowest = -1;
    for (let i = path.length - 1; i >= 0; i--) if (!path[i]!.node.table.orderOnly) { lowest = i; break; }
    const refSrc = lowest >= 0 ? srcOf(path[lowest]!) : -1;
    placement = (src) => (src === refSrc ? { shift: 0, uncertainty: 0 } : undefined);
    const refNode = lowest >= 0 ? path[lowest]!.node : undefined;
    reference = refNode ? `${refNode.name} (${env.sources[refSrc]?.clock.name ?? 'relative'})` : 'none';
  }
  const placedAt = path.map((p) => (p.node.table.orderOnly ? undefined : placement!(srcOf(p))));
  if (placedAt.every((p) => p === undefined)) notes.push('no level of this path is on the reference clock: only lines are shown');
  const steps = path.map((p, i) => step(env, p.node, p.row, p.how, onReference(path, placedAt, i)));
  for (const p of path) if (p.edge?.alignment.method === 'none') notes.push(`${p.edge.alignment.upper} ↔ ${p.edge.alignment.lower}: clocks not aligned`);
  return { reference, steps, notes };
}

interface PathStep {
  node: StackNode;
  row: number;
  edge?: BuiltEdge;
}

function srcOf(p: PathStep): number {
  return p.node.table.src[p.row] ?? p.node.table.src[0] ?? 0;
}

/**
 * Step i's own time → reference interval: through the nearest placed step (itself, else the closest below,
 * else the closest above), composing the edges' clock maps between them, then that step's shift ± uncertainty.
 */
function onReference(path: PathStep[], placed: Array<SourcePlacement | undefined>, i: number): (v: number) => [number, number] {
  let j = -1;
  if (placed[i]) j = i;
  for (let k = i + 1; j < 0 && k < path.length; k++) if (placed[k]) j = k;
  for (let k = i - 1; j < 0 && k >= 0; k--) if (placed[k]) j = k;
  if (j < 0) return () => [NaN, NaN];
  let map: ClockMap = IDENTITY_CLOCK;
  for (let k = Math.min(i, j) + 1; k <= Math.max(i, j); k++) map = composeClock(map, path[k]!.edge!.alignment.clock);
  const conv = j >= i ? (v: number) => map.toLower(v) : (v: number) => map.toUpper(v);
  const { shift, uncertainty } = placed[j]!;
  const s = shift * 1e9;
  const u = uncertainty * 1e9;
  return (v) => {
    const [lo, hi] = conv(v);
    return [lo - s - u, hi - s + u];
  };
}

/** The query's time in the start level's own clock (ns, without the clock base), or why it cannot be. */
function ownTime(env: AnalysisEnv, lv: Level, q: FollowQuery): { own: number } | { error: string } {
  const t = lv.table;
  const T = q.time!;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.n; i++) {
    if (t.tI[i]! < lo) lo = t.tI[i]!;
    const end = Number.isFinite(t.tC[i]!) ? t.tC[i]! : t.tI[i]!;
    if (end > hi) hi = end;
  }
  if (q.placement && q.timeClock !== 'trace') {
    const p = q.placement(t.src[0] ?? 0);
    if (!p) return { error: `--time ${T}: ${lv.name} is not on the reference clock (its clock was not aligned); give its own clock's time as --time trace:SECONDS` };
    const own = (T + p.shift) * 1e9;
    const first = lo / 1e9 - p.shift;
    const last = hi / 1e9 - p.shift;
    if (own < lo - PRINT_TOLERANCE_NS || own > hi + PRINT_TOLERANCE_NS) {
      return { error: `--time ${T} s is outside ${lv.name}'s trace, which runs from ${first.toFixed(6)} to ${last.toFixed(6)} s on the reference clock` };
    }
    return { own };
  }
  const base = env.sources[t.src[0] ?? 0]?.clock.baseSeconds ?? 0;
  const own = (base > 0 && T >= base ? T - base : T) * 1e9;
  if (own < lo - PRINT_TOLERANCE_NS || own > hi + PRINT_TOLERANCE_NS) {
    const shown = (x: number) => (x / 1e9 + (base > 0 && T >= base ? base : 0)).toFixed(6);
    return { error: `--time trace:${T} s is outside ${lv.name}'s trace, which runs from ${shown(lo)} to ${shown(hi)} s in its own clock` };
  }
  return { own };
}

/**
 * The read, write or discard on `sector`: with a time, the one in flight then (issued ≤ T ≤ completed, the
 * nearest of its ends if several), else the first issued after it; without one, the first of all.
 */
function findStart(lv: Level, sector: number, own: number | undefined): number {
  const t = lv.table;
  let inFlight = -1;
  let inFlightGap = Infinity;
  let after = -1;
  for (let i = 0; i < t.n; i++) {
    const k = t.kind[i];
    if (k !== OpKind.Write && k !== OpKind.Read && k !== OpKind.Discard) continue;
    if (!(t.sector[i]! <= sector && sector < t.sector[i]! + Math.max(1, t.count[i]!))) continue;
    const tI = t.tI[i]!;
    if (own === undefined || t.orderOnly) {
      if (after < 0 || tI < t.tI[after]!) after = i;
      continue;
    }
    const tC = Number.isFinite(t.tC[i]!) ? t.tC[i]! : tI;
    if (tI <= own + PRINT_TOLERANCE_NS && own - PRINT_TOLERANCE_NS <= tC) {
      const gap = Math.min(Math.abs(own - tI), Math.abs(tC - own));
      if (gap < inFlightGap) {
        inFlight = i;
        inFlightGap = gap;
      }
    } else if (tI > own && (after < 0 || tI < t.tI[after]!)) after = i;
  }
  return inFlight >= 0 ? inFlight : after;
}

function below(up: OpTable, low: OpTable, p: BuiltEdge, u: number): { row: number; how: string } | undefined {
  if (p.links) {
    const rows = [...(p.links.get(u) ?? [])].filter((l) => low.kind[l] === up.kind[u] || (up.kind[u] === OpKind.Write && low.kind[l] === OpKind.Write));
    return rows.length > 0 ? { row: rows[rows.length - 1]!, how: 'linked' } : undefined;
  }
  const m = p.alignment.pairs.find((x) => x.u === u);
  if (m) return { row: m.l, how: 'matched' };
  const idx = RangeIndex.of(low, [up.kind[u]!]);
  const from = p.alignment.clock.toLower(up.tI[u]!)[0];
  let best = -1;
  for (const [s, n] of p.map.map(up.sector[u]!, up.count[u]!)) {
    idx.overlapping(s, n, (l) => {
      if (low.tI[l]! >= from && (best < 0 || low.tI[l]! < low.tI[best]!)) best = l;
    });
    break;
  }
  return best >= 0 ? { row: best, how: 'searched' } : undefined;
}

function time(lv: Level, v: number, line: number, toRef: (v: number) => [number, number]): FollowTime {
  const t = lv.table;
  if (!Number.isFinite(v)) return { local: null, localLine: null, ref: [null, null] };
  const [lo, hi] = toRef(v);
  // to the ns: the subtraction of large clock values leaves float noise below it (as src/clock/place.ts)
  const f = (x: number) => (Number.isFinite(x) ? Math.round(x) / 1e9 : null);
  return { local: t.orderOnly ? null : v / 1e9, localLine: Number.isFinite(line) ? line : null, ref: [f(lo), f(hi)] };
}

function step(env: AnalysisEnv, lv: Level, row: number, how: string, map: (v: number) => [number, number]): FollowStep {
  const t = lv.table;
  const d = t.durable[row]!;
  const by = t.durableBy[row]!;
  const durHow = t.kind[row] !== OpKind.Write ? 'not a write' : Number.isNaN(d) ? 'failed: no guarantee'
    : d === Infinity ? 'never durable in the trace' : by === -3 ? 'when its data was durable below (it keeps none)' : by === -1 ? (t.writeThrough ? 'at completion (write-through)' : 'at completion (FUA)') : 'by a later flush';
  const durLine = by >= 0 ? t.locC[by]! : by === -1 ? t.locC[row]! : NaN;
  const ev = [opEvidence(env, lv, row, 'I'), opEvidence(env, lv, row, 'C')];
  if (by >= 0) ev.push(opEvidence(env, lv, by, 'C', 'the flush that made it durable'));
  return {
    level: lv.name,
    device: t.device,
    op: rwbsOf(t, row),
    sector: t.sector[row]!,
    sectors: t.count[row]!,
    how,
    issue: time(lv, t.tI[row]!, t.locI[row]!, map),
    complete: time(lv, t.tC[row]!, t.locC[row]!, map),
    durable: { ...time(lv, Number.isFinite(d) ? d : NaN, durLine, map), how: durHow },
    evidence: ev,
  };
}
