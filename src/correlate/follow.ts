/**
 * Follow one request down the stack: starting from the operation at a layer
 * that touched sector S (at or after time T), the operation it caused at each
 * level below (QEMU links, matched pairs, or the first write to the mapped
 * sectors issued after it), with every issue, completion and durability time
 * converted to one reference clock — the lowest level that has timestamps —
 * as an interval whose width is the alignment uncertainty.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { EvidenceRef } from '../model/event.js';
import { RangeIndex } from './align.js';
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
  /** Seconds in that layer's clock: follow the first request issued at or after it. */
  time?: number;
}

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
}

export function follow(env: AnalysisEnv, result: CorrelationResult, q: FollowQuery): FollowResult {
  const { levels, edges } = result.stack;
  const notes: string[] = [];
  const startIdx = q.layer ? levels.findIndex((l) => l.layer === q.layer && l.table.role !== 'qemu-back' && (!q.device || l.table.device === q.device))
    : levels.findIndex((l) => !edges.some((e) => e.lower === l.index));
  if (startIdx < 0) return { reference: '', steps: [], notes: [`no layer ${q.layer}${q.device ? ` with device ${q.device}` : ''}`] };
  const start = levels[startIdx]!;
  const row = findStart(env, start, q);
  if (row < 0) return { reference: '', steps: [], notes: [`no read or write of sector ${q.sector} at ${start.name}${q.time !== undefined ? ` at or after ${q.time} s` : ''}`] };
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
  let refIdx = -1;
  for (let i = path.length - 1; i >= 0; i--) if (!path[i]!.node.table.orderOnly) { refIdx = i; break; }
  if (refIdx < 0) notes.push('no level has timestamps: only lines are shown');
  const toRef = (i: number): ClockMap => {
    if (refIdx < 0) return IDENTITY_CLOCK;
    let c: ClockMap = IDENTITY_CLOCK;
    for (let k = i + 1; k <= refIdx; k++) c = composeClock(c, path[k]!.edge!.alignment.clock);
    return c;
  };
  const steps = path.map((p, i) => step(env, p.node, p.row, p.how, toRef(i)));
  const refNode = refIdx >= 0 ? path[refIdx]!.node : undefined;
  const ref = refNode ? `${refNode.name} (${env.sources[refNode.table.src[0] ?? 0]?.clock.name ?? 'relative'})` : 'none';
  for (const p of path) if (p.edge?.alignment.method === 'none') notes.push(`${p.edge.alignment.upper} ↔ ${p.edge.alignment.lower}: clocks not aligned`);
  return { reference: ref, steps, notes };
}

function findStart(env: AnalysisEnv, lv: Level, q: FollowQuery): number {
  const t = lv.table;
  const base = env.sources[t.src[0] ?? 0]?.clock.baseSeconds ?? 0;
  let tq = q.time;
  if (tq !== undefined && base > 0 && tq >= base) tq -= base;
  let best = -1;
  for (let i = 0; i < t.n; i++) {
    const k = t.kind[i];
    if (k !== OpKind.Write && k !== OpKind.Read && k !== OpKind.Discard) continue;
    if (!(t.sector[i]! <= q.sector && q.sector < t.sector[i]! + Math.max(1, t.count[i]!))) continue;
    if (tq !== undefined && !t.orderOnly && t.tI[i]! < tq * 1e9) continue;
    if (best < 0 || t.tI[i]! < t.tI[best]!) best = i;
  }
  return best;
}

function below(up: OpTable, low: OpTable, p: BuiltEdge, u: number): { row: number; how: string } | undefined {
  if (p.links) {
    const rows = (p.links.get(u) ?? []).filter((l) => low.kind[l] === up.kind[u] || (up.kind[u] === OpKind.Write && low.kind[l] === OpKind.Write));
    return rows.length > 0 ? { row: rows[rows.length - 1]!, how: 'linked' } : undefined;
  }
  const m = p.alignment.pairs.find((x) => x.u === u);
  if (m) return { row: m.l, how: 'matched' };
  const idx = new RangeIndex(low, [up.kind[u]!]);
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

function time(lv: Level, v: number, line: number, map: ClockMap): FollowTime {
  const t = lv.table;
  if (!Number.isFinite(v)) return { local: null, localLine: null, ref: [null, null] };
  const [lo, hi] = map.toLower(v);
  const f = (x: number) => (Number.isFinite(x) ? x / 1e9 : null);
  return { local: t.orderOnly ? null : v / 1e9, localLine: Number.isFinite(line) ? line : null, ref: [f(lo), f(hi)] };
}

function step(env: AnalysisEnv, lv: Level, row: number, how: string, map: ClockMap): FollowStep {
  const t = lv.table;
  const d = t.durable[row]!;
  const by = t.durableBy[row]!;
  const durHow = t.kind[row] !== OpKind.Write ? 'not a write' : Number.isNaN(d) ? 'failed: no guarantee'
    : d === Infinity ? 'never durable in the trace' : by === -1 ? (t.writeThrough ? 'at completion (write-through)' : 'at completion (FUA)') : 'by a later flush';
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
