/**
 * A level of the stack: one device of one layer, as an OpTable, with how its
 * write cache is known. A QEMU layer gives two levels (its front and its host
 * jobs); a block layer one. `evidence` turns a row into the report's EvidenceRef.
 */
import { locate, type AnalysisEnv } from '../model/analysis.js';
import type { EvidenceRef } from '../model/event.js';
import { OpFlag, OpKind, type OpTable } from './ops.js';
import { timeMark } from '../model/time-mark.js';

/** Cache modes (declared) under which a completed write is durable: no volatile cache to flush. */
export const WRITE_THROUGH = new Set(['writethrough', 'write-through', 'directsync', 'wt']);

export interface CacheInfo {
  mode: string;
  source: 'declared' | 'inferred' | 'unknown';
  how?: string;
}

export interface Level {
  /** Display name: the layer name, "<layer>:jobs" for QEMU's host jobs. */
  name: string;
  layer: string;
  table: OpTable;
  cache: CacheInfo;
}

const ACTIONS: Record<OpTable['role'], [string, string]> = {
  block: ['D', 'C'],
  'qemu-front': ['request', 'complete'],
  'qemu-back': ['submit', 'complete'],
};

/** A level's stable id in reports: layer (":jobs" for QEMU's host jobs) and device, e.g. "qemu:jobs:0x55…". */
export function levelId(lv: Pick<Level, 'layer' | 'table'>): string {
  return `${lv.table.role === 'qemu-back' ? `${lv.layer}:jobs` : lv.layer}:${lv.table.device}`;
}

/** Two levels' link by their ids: how priors, held ambiguities and the segments' summed pairs are keyed. */
export function linkKey(upper: Level, lower: Level): string {
  return `${levelId(upper)}\u0000${levelId(lower)}`;
}

export function rwbsOf(t: OpTable, row: number): string {
  let s = t.letter(row);
  if (t.kind[row] === OpKind.Write && t.has(row, OpFlag.FUA)) s += 'F';
  if (t.has(row, OpFlag.ZEROES)) s += 'Z';
  return s;
}

/** Evidence for the issue ('I') or completion ('C') of a row. */
export function opEvidence(env: AnalysisEnv, lv: Level, row: number, stage: 'I' | 'C', note?: string): EvidenceRef {
  const t = lv.table;
  const src = env.sources[t.src[row]!];
  const time = stage === 'I' ? t.tI[row]! : t.tC[row]!;
  const at = locate(src, stage === 'I' ? t.locI[row]! : t.locC[row]!);
  const ref: EvidenceRef = {
    source: src ? at.source : `#${t.src[row]}`,
    locKind: src?.locKind ?? 'line',
    loc: at.loc,
    time: t.orderOnly || !Number.isFinite(time) ? -1 : time / 1e9 + (src?.clock.baseSeconds ?? 0),
    // an untimed source's table time is the event's position in it (qemu-ops.ts): the report places it by order
    ...(t.orderOnly && Number.isFinite(time) ? { order: { n: time, of: 0 } } : {}),
    device: `${lv.name}:${t.device}`,
    action: ACTIONS[t.role][stage === 'I' ? 0 : 1],
    rwbs: rwbsOf(t, row),
    sector: t.sector[row]!,
    bytes: t.count[row]! * 512,
  };
  if (note) ref.note = note;
  return ref;
}

/**
 * Where a row is, for messages: a time mark the report writes out on its reference clock
 * ("0.021644 s ± 12 µs", src/clock/place.ts), or "line 27" for an untimed source.
 */
export function whereText(lv: Level, row: number, stage: 'I' | 'C'): string {
  const t = lv.table;
  const v = stage === 'I' ? t.tI[row]! : t.tC[row]!;
  if (t.orderOnly) return `line ${stage === 'I' ? t.locI[row] : t.locC[row]}`;
  return timeMark(t.src[row]!, v / 1e9);
}
