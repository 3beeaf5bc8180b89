/**
 * The shape of a check rule: one file per rule in this folder, each a factory
 * (a fresh instance per device per analysis — no shared state) with hooks the
 * device model calls at the points of a request's life that the rule needs,
 * and a `finish` that emits findings once the cache mode is resolved.
 */
import type { EvidenceRef } from '../../model/event.js';
import type { DeviceModel, FinishContext } from '../device-model.js';
import type { Finding, FindingSeverity } from '../types.js';

// The hooks a rule implements are declared where they are called (device-model.ts): one-way imports.
export type { DeviceRule, FinishContext, RuleFactory } from '../device-model.js';

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
