import type { CounterEntry } from './diagnostics.js';
import type { EvidenceRef } from './event.js';

/**
 * The one Report object every renderer works from (table, JSON, HTML,
 * charts): data computed once, rendered many ways. Sections are owned by
 * their stage (stats, check, correlate); renderers never recompute.
 */
export const SCHEMA_VERSION = 1 as const;

export type FindingSeverity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable rule id, e.g. "flush-never-issued". */
  rule: string;
  severity: FindingSeverity;
  /** Layer name ("" for a single unnamed layer). */
  layer: string;
  /** "maj,min", or "" when the finding is about the whole layer. */
  device: string;
  /** Seconds in the layer's clock where the finding starts. */
  time: number;
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
  limitations: string[];
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
  alignment: unknown[];
  /** Cross-layer correlation (src/correlate): levels, per-pair promise counts, count-level statements, limits. */
  correlation?: CorrelationSection;
  /** Named skip counters: the JSON contract's `{"<reason>": n}`. */
  skipped: Record<string, number>;
  /** The same counters with severity and first examples (file:line). */
  diagnostics: CounterEntry[];
  /** Side data formats attached (blkparse summaries, wall clock notes …), per input path. */
  attachments: Record<string, Record<string, unknown>>;
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
