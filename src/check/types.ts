/**
 * Types of the durability and ordering checker (issue 4).
 *
 * The Finding itself is the Report's (src/model/report.ts): re-exported here so
 * check code and its callers have one import, never a fork.
 */
import type { DeviceFacts } from '../track/facts.js';
import type { EvidenceRef } from '../model/event.js';
import type { Finding, FindingSeverity } from '../model/report.js';

export type { Finding, FindingSeverity } from '../model/report.js';

/** A device's volatile write cache as the checker knows it. */
export type CacheMode = 'writeback' | 'writethrough' | 'unknown';

/**
 * How the cache mode was known: `--cache` (declared), from flush/FUA flags
 * reaching the queue (inferred; shared reference §3.1: the kernel strips them
 * before block_bio_queue when the device has no write cache), or not at all.
 */
export type CacheSource = 'declared' | 'inferred' | 'unknown';

/** One `--cache DEV=MODE` declaration. */
export interface CacheDeclaration {
  /** As typed: "7,1", "7:1", "loop1", "/dev/sda". */
  device: string;
  mode: 'writeback' | 'writethrough';
}

/** Options of one checker (one per layer). Lives in AnalysisEnv.options['check']. */
export interface CheckOptions {
  /** Layer name put in findings ("" for a single unnamed layer). */
  layer?: string;
  /** `--cache` declarations; unmatched ones are listed in CheckResult.unmatchedCache. */
  cache?: CacheDeclaration[];
  /** `--at trace:TIME`: seconds in each source's own trace clock; the writes a power cut then would lose. */
  at?: number;
  /**
   * `--at` on the report's clock, converted before the checker (src/cli/check-analysis.ts): seconds in each
   * source's own clock by input path. When given, it replaces `at`; a device of a source not listed (not on
   * the reference clock) gets no snapshot.
   */
  atBySource?: Record<string, number>;
}

/** A sector range [start, end) in 512-byte sectors. */
export interface SectorRange {
  start: number;
  end: number;
}

/** The `--at` answer for one device: acknowledged writes not yet durable at that time. */
export interface AtRisk {
  layer: string;
  device: string;
  name?: string;
  /**
   * Seconds, the snapshot's time: in the device's own clock as the checker gives it; on the report's
   * reference clock once the report is placed on it (src/clock/place.ts), null when not placed.
   */
  time: number | null;
  /** The snapshot's time in the device's own clock (set when the report is placed on its clock). */
  localTime?: number;
  /** ± seconds of its place on the reference clock (absent when exact). */
  timeUncertainty?: number;
  /** True when the trace of this device ended before `time` (the state at its end is shown). */
  afterEnd: boolean;
  /** True when `time` is before this device's first traced event: nothing was traced there yet. */
  beforeStart?: boolean;
  writes: number;
  bytes: number;
  /** Completion time (s) of the oldest write still volatile, or null; on the reference clock once placed (null when not placed). */
  oldest: number | null;
  /** The same in the device's own clock (set when placed). */
  oldestLocal?: number;
  /** Merged sector ranges; `approximate` when the per-epoch cap merged neighbours (a superset). */
  ranges: SectorRange[];
  approximate: boolean;
  /** First and last volatile writes (bounded). */
  evidence: EvidenceRef[];
  cache: CacheMode;
}

/** Per-device numbers of the JSON contract (`devices[]`), plus a few more. */
export interface DeviceCheckSummary {
  device: string;
  name?: string;
  layer: string;
  cache: CacheMode;
  cacheSource: CacheSource;
  /** How an inferred cache mode was shown (by the layer below); absent otherwise. */
  cacheHow?: string;
  /** The `--cache` DEV text that matched this device, when declared. */
  cacheDeclared?: string;
  /** Completions of writes with data (C W… + n, 0-byte final completions excluded). */
  writesCompleted: number;
  /** Completed flush requests (C FN), and bio-level flushes on devices with no request stage. */
  flushesCompleted: number;
  /** Failed flush completions (included in flushesCompleted). */
  flushesFailed: number;
  /** Writes with data queued with FUA. */
  fuaWrites: number;
  /** Largest amount of completed-but-not-durable write data at any time (bytes; 0 when write-through). */
  maxVolatileBytes: number;
  /** Longest time a completed write stayed not durable (s); counts writes still volatile at the end up to the last event. */
  maxVolatileSeconds: number;
  /** Successful flushes that made at least one write durable. */
  flushEpochs: number;
  /** Most sync+meta write completions between two successful flushes (journal/log writes per commit). */
  maxSyncMetaPerEpoch: number;
  /** Writes (and bytes) still not durable when the trace ended. */
  volatileAtEndWrites: number;
  volatileAtEndBytes: number;
  /** Most ordered levels of sync metadata writes completed with no flush or FUA evidence between them (flush-never-issued). */
  maxLevelsWithoutFlush: number;
  /** The per-device facts `stats` states too, from the same code (src/track/facts.ts). */
  facts: DeviceFacts;
}

export interface CheckResult {
  layer: string;
  findings: Finding[];
  devices: DeviceCheckSummary[];
  /** Present when CheckOptions.at was given. */
  at?: AtRisk[];
  /** `--cache` declarations that matched no device of this layer. */
  unmatchedCache: CacheDeclaration[];
  /** Per device ("maj,min"): the devices whose bios its remap events came from. */
  remapsFrom?: Record<string, string[]>;
}

/** Catalogue entry of a rule: shown by `check --help` and in the README table. */
export interface RuleInfo {
  id: string;
  /** Severity when it fires with full knowledge (the cache declared). */
  severity: FindingSeverity;
  meaning: string;
  evidence: string;
  /** The kernel / QEMU source the rule's semantics come from (file, function). */
  citation: string;
}
