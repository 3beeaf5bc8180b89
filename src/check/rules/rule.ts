/**
 * The shape of a check rule: one file per rule in this folder, each a factory
 * (a fresh instance per device per analysis — no shared state) with hooks the
 * device model calls at the points of a request's life that the rule needs,
 * and a `finish` that emits findings once the cache mode is resolved.
 */
import type { BlockEvent, EvidenceRef } from '../../model/event.js';
import type { DeviceModel } from '../device-model.js';
import type { ResolvedCache } from '../cache.js';
import type { Req } from '../request.js';
import type { Finding, FindingSeverity, RuleInfo } from '../types.js';

export interface FinishContext {
  cache: ResolvedCache;
  /** "loop1 (7,1)" or "7,1": how messages name the device. */
  label: string;
  emit(f: Finding): void;
}

export interface DeviceRule {
  /** A bio with PREFLUSH, FUA or barrier was queued (Q). */
  flaggedQueue?(m: DeviceModel, r: Req): void;
  /** A data request reached the driver (D); it is already in the model's in-flight set. */
  issue?(m: DeviceModel, r: Req, e: BlockEvent): void;
  /** A flush request reached the driver (D FN). */
  flushIssue?(m: DeviceModel, e: BlockEvent): void;
  /** A completion with data; `r` undefined when no issue of it was seen. */
  dataComplete?(m: DeviceModel, r: Req | undefined, e: BlockEvent): void;
  /** The 0-byte final completion of a flush-sequenced request (`r`), or of an empty flush bio (`emptyFlush`). */
  finalComplete?(m: DeviceModel, r: Req | undefined, e: BlockEvent, emptyFlush: boolean): void;
  /** A flush request completed (C FN), successfully or not, before the model applied it. */
  flushComplete?(m: DeviceModel, e: BlockEvent): void;
  /** A request waiting for its final completion was dropped from memory (too many waiting). */
  abandoned?(m: DeviceModel, r: Req): void;
  finish?(m: DeviceModel, ctx: FinishContext): void;
}

export interface RuleFactory {
  info: RuleInfo;
  create(m: DeviceModel): DeviceRule;
}

/** Findings kept individually per rule and device; the rest are summed into one. */
export const MAX_FINDINGS_PER_DEVICE = 5;

/** Severity of a finding that holds only if the cache is volatile. */
export function cacheSeverity(ctx: FinishContext, whenKnown: FindingSeverity): FindingSeverity {
  return ctx.cache.source === 'declared' || ctx.cache.fromBelow !== undefined ? whenKnown : 'warning';
}

export function makeFinding(
  m: DeviceModel,
  rule: string,
  severity: FindingSeverity,
  timeNs: number,
  message: string,
  evidence: EvidenceRef[],
  details?: Record<string, unknown>,
): Finding {
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  const f: Finding = { rule, severity, layer: m.layer, device: m.devText, time: timeNs / 1e9, message: sentence, evidence };
  if (details) f.details = details;
  return f;
}

/** "1.5 MiB", "4 KiB", "512 B". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} B`;
}

/** "0.123456 s" with up to 6 decimals. */
export function formatSecs(ns: number): string {
  return `${(ns / 1e9).toFixed(6)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "was" / "were" for a count. */
export function was(n: number): string {
  return n === 1 ? 'was' : 'were';
}
