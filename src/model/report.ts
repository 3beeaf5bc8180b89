import type { CounterEntry } from './diagnostics.js';
import type { EvidenceRef } from './event.js';

/**
 * The one Report object every renderer works from (table, JSON, HTML,
 * charts): data computed once, rendered many ways. Sections are owned by
 * their stage (stats, check, correlate); renderers never recompute.
 */
export const SCHEMA_VERSION = 2 as const;

export type FindingSeverity = 'error' | 'warning' | 'info';

/** Timed findings by time, then untimed ones by their order. */
export function compareTimes(a: Pick<Finding, 'time' | 'order'>, b: Pick<Finding, 'time' | 'order'>): number {
  if (a.time !== null && b.time !== null) return a.time - b.time;
  if (a.time !== null) return -1;
  if (b.time !== null) return 1;
  return (a.order?.n ?? 0) - (b.order?.n ?? 0);
}


export interface Finding {
  /** "f1", "f2", … in report order (severity, then time); set when the analysis ends (src/incidents). */
  id?: string;
  /** Stable rule id, e.g. "flush-never-issued". */
  rule: string;
  severity: FindingSeverity;
  /** Layer name ("" for a single unnamed layer). */
  layer: string;
  /** "maj,min", or "" when the finding is about the whole layer. */
  device: string;
  /**
   * Where the finding starts. Stages write seconds in their layer's clock; when the analysis ends
   * (src/clock) it becomes seconds on the report's reference clock (`Report.clock`), the layer's own
   * time moving to `localTime`; null when the layer has no timestamps (`order` places it) or its clock
   * could not be aligned to the reference (`localTime` only).
   */
  time: number | null;
  /** Seconds in the layer's own clock, as its trace prints them (set with the reference time). */
  localTime?: number;
  /** ± seconds of `time`: the clock-alignment uncertainty of the layer (absent when exact). */
  timeUncertainty?: number;
  /** An untimed layer (qemu-io log): the event's position among its source's events. */
  order?: { n: number; of: number };
  /** One plain sentence a storage engineer would accept. */
  message: string;
  /** The events that prove it (bounded). */
  evidence: EvidenceRef[];
  /** Rule-specific numbers (counts, bytes, durations). */
  details?: Record<string, unknown>;
}

export interface InputReport {
  /** Path as given, "-" for stdin. */
  path: string;
  layer: string;
  format: string;
  detectedBy: string;
  /** Bytes read (after decompression). */
  bytes: number;
  events: number;
  gzip: boolean;
  clock: string;
  /** Block devices ("maj,min") whose events this source holds (absent for QEMU logs). */
  devices?: string[];
  /** Seconds the source adds to its stored times to print them (QEMU realtime: the first event's whole second). */
  clockBase?: number;
  /** The source has no timestamps: only the order of its events is known. */
  orderOnly?: boolean;
  /** First event time (s, the source's clock without clockBase); absent when untimed or empty. */
  firstTime?: number;
  limitations: string[];
}

/** Seconds as a stage stored them for `input` (with or without its clock base) → without the base. */
export function withoutClockBase(input: Pick<InputReport, 'clockBase'> | undefined, t: number): number {
  const base = input?.clockBase;
  return base && t >= base / 2 ? t - base : t;
}

export interface LayerReport {
  name: string;
  inputs: string[];
  devices: string[];
  /** Declared or inferred cache mode of the layer (QEMU), with how it was known. */
  cacheMode?: { mode: string; source: 'declared' | 'inferred' | 'unknown'; how?: string };
}

export interface DeviceReport {
  /** "maj,min". */
  device: string;
  /** Name when known ("loop1"). */
  name?: string;
  layer: string;
  [section: string]: unknown;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  generator: { name: 'blkaudit'; version: string };
  inputs: InputReport[];
  layers: LayerReport[];
  devices: DeviceReport[];
  findings: Finding[];
  /** Findings sharing rule, layer, device and cause, grouped (src/incidents), most severe first. */
  incidents?: Incident[];
  /** The one clock every time of the report is on (src/clock). */
  clock?: ReferenceClockSection;
  alignment: unknown[];
  /** Cross-layer correlation (src/correlate): levels, per-pair promise counts, count-level statements, limits. */
  correlation?: CorrelationSection;
  /** The application layer against the layer below (src/app/layer.ts AppSection). */
  app?: AppSection[];
  /** Named skip counters: the JSON contract's `{"<reason>": n}`. */
  skipped: Record<string, number>;
  /** The same counters with severity and first examples (file:line). */
  diagnostics: CounterEntry[];
  /** Side data formats attached (blkparse summaries, wall clock notes …), per input path. */
  attachments: Record<string, Record<string, unknown>>;
}

/** One application layer's verdicts (owned by src/app/layer.ts). */
export interface AppSection {
  layer: string;
  below: string;
  calls: number;
  honored: number;
  violated: number;
  undecided: number;
  noIo: number;
  hints: number;
  /** Plain O_DIRECT writes (no O_DSYNC): no promise of their own. */
  directWrites: number;
  failed: number;
  byOp: Record<string, Record<string, number>>;
  statements: string[];
}

/** The correlate stage's section (shapes owned by src/correlate/correlator.ts). */
export interface CorrelationSection {
  levels: unknown[];
  pairs: unknown[];
  /** Count-level sentences, e.g. "104 flush(es) acknowledged at guest (254,0); 0 flush(es) at host (7,1)". */
  statements: string[];
  /** What the traces cannot show (promises without events, order-only clocks, unknown job types). */
  limitations: string[];
  qemu: unknown[];
}

/** Findings of one rule, layer, device and cause: what a postmortem quotes. */
export interface Incident {
  /** "i1", "i2", … most severe first. */
  id: string;
  rule: string;
  severity: FindingSeverity;
  layer: string;
  device: string;
  /** The shared cause (e.g. the level below that dropped the promises), "" when the rule has none. */
  cause: string;
  /** One sentence, on the reference clock. */
  summary: string;
  count: number;
  /** Reference-clock seconds of the first and last member (null when untimed or not aligned). */
  firstTime: number | null;
  lastTime: number | null;
  /** Member finding ids, in time order. */
  members: string[];
  /** The first member and the worst one (most writes left not durable; the first when all are alike). */
  first: string;
  worst: string;
}

/** Where one source's clock (one input) sits on the reference clock. */
export interface SourceClock {
  /** Input path. */
  source: string;
  layer: string;
  status: 'reference' | 'placed' | 'order-only' | 'unaligned';
  /** reference = stored − offsetSeconds − zeroLocal (s; stored times are without the clock base). */
  offsetSeconds?: number;
  /** ± seconds: half the feasible offset interval of each aligned pair, summed along the path. */
  uncertaintySeconds?: number;
  how: string;
}

/** How each source's and layer's clock sits on the reference clock (JSON `clock`). */
export interface ReferenceClockSection {
  /** Layer whose clock is the reference: the top layer with timestamps. */
  reference: string;
  /** The input whose clock is the reference. */
  referenceSource: string;
  /** Reference time 0 in that source's own clock (s): the stack's first event. */
  zeroLocal: number;
  /** Per input: each file keeps its own clock (blkparse text is relative to its own first event). */
  sources: SourceClock[];
  /** Per layer, a summary of its sources' clocks (for the stack view). */
  layers: Array<{
    layer: string;
    /** placed: every source on the reference clock; order-only: no timestamps; unaligned: some source on its own clock only. */
    status: 'reference' | 'placed' | 'order-only' | 'unaligned';
    /** The layer's first placed source's offset (reference = stored − offsetSeconds − zeroLocal). */
    offsetSeconds?: number;
    /** The largest ± of its sources. */
    uncertaintySeconds?: number;
    how: string;
  }>;
}

/**
 * A correlation level's name without its device: the correlator names a layer's first device's level
 * after the layer ("qemu", "qemu:jobs") and the others "<name> <device>" ("qemu 0x55…").
 */
export function levelBaseName(name: unknown, device: unknown): string {
  const n = String(name ?? '');
  const d = String(device ?? '');
  return d && n.endsWith(` ${d}`) ? n.slice(0, -d.length - 1) : n;
}
