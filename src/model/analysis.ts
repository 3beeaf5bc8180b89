import type { Diagnostics } from './diagnostics.js';
import type { BlockEvent, EvidenceRef, EventSink } from './event.js';
import { ACT_LETTERS } from './event.js';
import { formatDev } from './device.js';
import { formatRwbs } from './rwbs.js';
import type { ClockDomain } from './time.js';

/** One input as the analysis knows it (a file, a per-CPU file set, or stdin). */
export interface SourceInfo {
  index: number;
  /** Path as given, or "-" for stdin. */
  name: string;
  /** Layer name ("guest", "host", …); "" when the input carried none. */
  layer: string;
  /** FormatSpec.name of the reader used. */
  format: string;
  /** How the format was chosen: "content" (detected) or "--format". */
  detectedBy: string;
  /** "line" for text formats, "offset" for binary. */
  locKind: 'line' | 'offset';
  clock: ClockDomain;
  /** Facts this format cannot show (e.g. "no flush information in CSV traces"). */
  limitations: string[];
}

/** Per-analysis environment handed to every tracker and check (factories, not singletons). */
export interface AnalysisEnv {
  sources: SourceInfo[];
  diag: Diagnostics;
  /** Device declarations from the command line, e.g. cache modes; keyed by rule/option owner. */
  options: Record<string, unknown>;
}

/**
 * An analysis stage fed the normalized event stream of one layer in order.
 * `finish()` is called once after the last event.
 */
export interface EventAnalyzer<R> extends EventSink {
  finish(): R;
}

/** Evidence record for an event, resolved against the source table. */
export function evidenceOf(env: AnalysisEnv, e: BlockEvent, note?: string): EvidenceRef {
  const src = env.sources[e.source];
  const ref: EvidenceRef = {
    source: src?.name ?? `#${e.source}`,
    locKind: src?.locKind ?? 'line',
    loc: e.loc,
    time: e.time / 1e9,
    device: formatDev(e.dev),
    action: ACT_LETTERS[e.act] ?? String(e.act),
    rwbs: formatRwbs(e.op, e.flags),
    sector: e.sector,
    bytes: e.bytes,
  };
  if (e.error) ref.error = e.error;
  if (e.comm) ref.comm = e.comm;
  if (note) ref.note = note;
  return ref;
}
