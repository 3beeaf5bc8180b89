/**
 * What a correlation gives (correlator.ts, and segments.ts adding up segments): the levels, the links between
 * them with their clock alignment, the findings and sentences. Types only.
 */
import type { Finding } from '../model/report.js';
import type { RebuildSummary } from '../qemu/rebuild.js';
import type { Alignment, DriftInfo } from './align.js';
import type { CacheInfo } from './level.js';
import type { StackEdge, StackLayer, StackNode } from './graph.js';
import type { OpTable } from './ops.js';
import type { PairStats } from './rules.js';
import type { LevelSeries } from './level-series.js';
import type { CacheShownBelow } from '../check/cache.js';

export interface AlignmentReport {
  upper: string;
  lower: string;
  method: Alignment['method'];
  offsetSeconds?: number;
  widthSeconds?: number;
  supportingPairs: number;
  candidatePairs: number;
  note: string;
  /** The sector map used for this pair, how it was established, and how many upper writes it explains. */
  map: string;
  mapSource: StackEdge['mapSource'];
  /** The map holds in time too (see BuiltEdge.confirmed). */
  mapConfirmed: boolean;
  /** method 'ambiguous': the offsets that fit about as well. */
  candidates?: Array<{ offsetSeconds: number; supportingPairs: number }>;
  mapFit?: { matched: number; writes: number };
  /** The clocks drift (align.ts DriftInfo): offsetSeconds holds at drift.t0Seconds. */
  drift?: DriftInfo;
}

export interface LevelSummary {
  /** Stable id, as in alignment upper/lower: layer (":jobs" for QEMU's host jobs) and device. */
  id: string;
  name: string;
  layer: string;
  device: string;
  role: OpTable['role'];
  clock: string;
  cache: CacheInfo;
  reads: number;
  writes: number;
  flushes: number;
  fua: number;
  /** QEMU host jobs whose type stayed unknown (not treated as flushes). */
  unknown: number;
  /** Operations completed per interval of the level's clock (absent when untimed): the HTML timeline's QEMU lanes. */
  series?: LevelSeries;
}

export interface CorrelationResult {
  levels: LevelSummary[];
  pairs: PairStats[];
  alignment: AlignmentReport[];
  findings: Finding[];
  /** Count-level sentences, top to bottom. */
  statements: string[];
  limitations: string[];
  qemu: Array<{ layer: string; device: string; devices: string[]; summary?: RebuildSummary }>;
  /** The built stack, for `follow` (not serialized). */
  stack: BuiltStack;
  /**
   * Block devices whose cache the level below shows (a guest disk over a QEMU device): write-through when
   * QEMU adds FUA to every write (WCE=0), write-back when it adds none (WCE=1), whatever the guest's queue says.
   */
  cacheFromBelow: Array<CacheShownBelow & { layer: string; device: string }>;
}

export interface BuiltEdge extends StackEdge {
  alignment: Alignment;
  /**
   * The map holds in time as well as by sector: exact (remap events, QEMU links, one trace), or enough upper
   * writes matched to a lower write at the mapped sectors that ran inside them at the aligned offset.
   * A map that only fits by sector (buffered I/O below, or a wrong offset on a sequential workload) lets
   * sector-level lookups show promises kept, never broken.
   */
  confirmed: boolean;
}

export interface BuiltStack {
  levels: StackNode[];
  /** Upper → lower device edges, with the map and clock alignment of each. */
  edges: BuiltEdge[];
  layers: StackLayer[];
}

