import type { Diagnostics } from './diagnostics.js';
import type { BlockEvent, EvidenceRef, EventSink } from './event.js';
import { ACT_LETTERS } from './event.js';
import { formatDev } from './device.js';
import { formatRwbs } from './rwbs.js';
import type { ClockDomain, ClockOutlier } from './time.js';

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
  /**
   * The files of a per-CPU blktrace set, in reading order: an event's `loc`
   * is then `index × FILE_LOC_STRIDE + byte offset in that file` (see `locate`).
   */
  files?: string[];
}

/**
 * A per-CPU set's events carry their file in `loc` (set-reader.ts): two
 * records at offset 1648 of loop1.blktrace.0 and .1 are different events,
 * and a location must say which file. 2^40 bytes per file, and at most
 * MAX_SET_FILES files (above that, offsets are left as they are and evidence
 * names the set), keep loc an exact integer in a double (< 2^53).
 */
export const FILE_LOC_STRIDE = 2 ** 40;
export const MAX_SET_FILES = 8191;

/** Where an event is: the file (a set's member, or the input) and the line or byte offset in it. */
export function locate(src: SourceInfo | undefined, loc: number): { source: string; loc: number } {
  const files = src?.files;
  if (files && files.length > 0 && files.length <= MAX_SET_FILES && loc >= 0) {
    const i = Math.floor(loc / FILE_LOC_STRIDE);
    const file = files[i];
    if (file !== undefined) return { source: file, loc: loc - i * FILE_LOC_STRIDE };
  }
  return { source: src?.name ?? '', loc };
}

/** Per-analysis environment handed to every tracker and check (factories, not singletons). */
export interface AnalysisEnv {
  sources: SourceInfo[];
  diag: Diagnostics;
  /** Device declarations from the command line, e.g. cache modes; keyed by rule/option owner. */
  options: Record<string, unknown>;
  /** CPUs whose clock was off by years, found before the stages ran (src/track/clock-guard.ts). */
  clockOutliers?: ClockOutlier[];
}

/**
 * An analysis stage fed the normalized event stream of one layer in order.
 * `finish()` is called once after the last event.
 */
export interface EventAnalyzer<R> extends EventSink {
  finish(): R;
  /**
   * A device the input names as traced but shows no event for (blkparse's
   * `Events (loop0): 0 entries`): listed with zero counts, not left out.
   */
  declareDevice?(dev: number, source: number): void;
}

/** Evidence record for an event, resolved against the source table. */
export function evidenceOf(env: AnalysisEnv, e: BlockEvent, note?: string): EvidenceRef {
  const src = env.sources[e.source];
  const at = locate(src, e.loc);
  const ref: EvidenceRef = {
    source: src ? at.source : `#${e.source}`,
    locKind: src?.locKind ?? 'line',
    loc: at.loc,
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

/** --max-inflight (AnalysisEnv.options['maxInflight']): requests tracked in flight per device, when given. */
export function maxInflightOf(env: AnalysisEnv): number | undefined {
  const v = env.options['maxInflight'];
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** Names the inputs gave devices ("maj,min" → name: blkparse summaries, named disks), created on first use. */
export function deviceNamesOf(env: AnalysisEnv): Record<string, string> {
  return (env.options['deviceNames'] ??= {}) as Record<string, string>;
}
