/**
 * What every renderer needs from a Report, computed once: findings in
 * reading order, devices merged per (layer, device) with their sections,
 * cache modes, and number/unit formatting. Renderers never recompute
 * analysis results; they only arrange them.
 */
import type { EvidenceRef } from '../model/event.js';
import { compareTimes, type DeviceReport, type Finding, type FindingSeverity, type LayerReport, type Report } from '../model/report.js';
import type { DeviceSeries } from '../series/types.js';

export const SEVERITIES: readonly FindingSeverity[] = ['error', 'warning', 'info'];

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** Findings by severity (error first), then time, then layer/device/rule for a stable order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
      compareTimes(a, b) ||
      a.layer.localeCompare(b.layer) ||
      a.device.localeCompare(b.device) ||
      a.rule.localeCompare(b.rule),
  );
}

export interface DeviceView {
  layer: string;
  device: string;
  name?: string;
  /** Every section but `series`, in first-seen order. */
  sections: Record<string, unknown>;
  series?: DeviceSeries;
  /** Cache mode as some stage reported it ("writeback", "writethrough", "unknown"), with how it was known. */
  cache?: { mode: string; source?: string };
}

const RESERVED = new Set(['device', 'name', 'layer']);

/** Devices merged per (layer, device), in layer order then device order. */
export function deviceViews(report: Report): DeviceView[] {
  const byKey = new Map<string, DeviceView>();
  for (const d of report.devices as DeviceReport[]) {
    const key = `${d.layer}\u0000${d.device}`;
    let v = byKey.get(key);
    if (!v) {
      v = { layer: String(d.layer ?? ''), device: String(d.device ?? ''), sections: {} };
      byKey.set(key, v);
    }
    if (typeof d.name === 'string' && d.name && !v.name) v.name = d.name;
    for (const [k, val] of Object.entries(d)) {
      if (RESERVED.has(k) || val === undefined) continue;
      if (k === 'series' && isSeries(val)) v.series = val;
      else v.sections[k] = val;
    }
  }
  const layerOrder = new Map(report.layers.map((l, i) => [l.name, i]));
  const out = [...byKey.values()];
  for (const v of out) v.cache = findCache(v, report.layers.find((l) => l.name === v.layer));
  return out.sort(
    (a, b) => (layerOrder.get(a.layer) ?? 1e9) - (layerOrder.get(b.layer) ?? 1e9) || compareDev(a.device, b.device),
  );
}

function compareDev(a: string, b: string): number {
  const [am, an] = a.split(',').map(Number);
  const [bm, bn] = b.split(',').map(Number);
  return (am ?? 0) - (bm ?? 0) || (an ?? 0) - (bn ?? 0) || a.localeCompare(b);
}

function isSeries(v: unknown): v is DeviceSeries {
  return typeof v === 'object' && v !== null && Array.isArray((v as DeviceSeries).volatileBytesMax) && typeof (v as DeviceSeries).interval === 'number';
}

/** A section's `cache` / `cacheMode` field (checker: cache + cacheSource), else the layer's declaration. */
function findCache(v: DeviceView, layer: LayerReport | undefined): DeviceView['cache'] {
  for (const sec of Object.values(v.sections)) {
    if (typeof sec !== 'object' || sec === null) continue;
    const s = sec as Record<string, unknown>;
    const mode = s['cache'] ?? s['cacheMode'];
    if (typeof mode === 'string') {
      const src = s['cacheSource'];
      return typeof src === 'string' ? { mode, source: src } : { mode };
    }
    if (typeof mode === 'object' && mode !== null && typeof (mode as { mode?: unknown }).mode === 'string') {
      const m = mode as { mode: string; source?: unknown };
      return typeof m.source === 'string' ? { mode: m.mode, source: m.source } : { mode: m.mode };
    }
  }
  if (layer?.cacheMode) return { mode: layer.cacheMode.mode, source: layer.cacheMode.source };
  return undefined;
}

/** Display label of a device: "loop1 (7,1)" or "7,1". */
export function deviceLabel(v: { device: string; name?: string }): string {
  return v.name ? `${v.name} (${v.device})` : v.device || '(all devices)';
}

export function layerLabel(layer: string): string {
  return layer === '' ? '(trace)' : layer;
}

/** Scalar leaves of a section, "a.b" → value, depth-limited; arrays become their length. */
export function scalarLeaves(value: unknown, maxDepth = 2, prefix = ''): Array<[string, string | number | boolean | null]> {
  const out: Array<[string, string | number | boolean | null]> = [];
  if (typeof value !== 'object' || value === null) {
    out.push([prefix || 'value', value as string | number | boolean | null]);
    return out;
  }
  if (Array.isArray(value)) {
    out.push([prefix || 'items', value.length]);
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (RESERVED.has(k) && !prefix) continue;
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      if (maxDepth > 1) out.push(...scalarLeaves(v, maxDepth - 1, key));
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length > 0 && v.every((x) => typeof x !== 'object' || x === null) && v.length <= 4) out.push([key, v.join(', ')]);
      else out.push([`${key}[]`, v.length]);
      continue;
    }
    out.push([key, v as string | number | boolean | null]);
  }
  return out;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let u = 0;
  let v = Math.abs(n);
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s} ${BYTE_UNITS[u]}`;
}

/** A duration in seconds as µs / ms / s with 3 significant digits. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  const a = Math.abs(s);
  if (a === 0) return '0';
  if (a < 1e-3) return `${sig(s * 1e6)} µs`;
  if (a < 1) return `${sig(s * 1e3)} ms`;
  return `${sig(s)} s`;
}

function sig(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A trace time (seconds, the layer's clock) as blkparse prints it, to the µs. */
export function formatTime(s: number): string {
  return Number.isFinite(s) ? s.toFixed(6) : String(s);
}

export function formatNumber(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a >= 1000 ? v.toFixed(0) : a >= 1 ? v.toFixed(3) : v.toPrecision(3);
  }
  if (v === null || v === undefined) return '-';
  return String(v);
}

/** "file:line" or "file@offset". */
export function evidenceWhere(ref: EvidenceRef): string {
  return `${ref.source}${ref.locKind === 'offset' ? '@' : ':'}${ref.loc}`;
}

/** The event as blkparse would print it: "C WS 266240 + 8 [python3]". */
export function evidenceEvent(ref: EvidenceRef): string {
  const sectors = ref.bytes > 0 ? ` + ${Math.ceil(ref.bytes / 512)}` : '';
  const sector = ref.sector >= 0 ? ` ${ref.sector}${sectors}` : '';
  const err = ref.error ? ` [err ${ref.error}]` : '';
  const comm = ref.comm ? ` [${ref.comm}]` : '';
  return `${ref.action} ${ref.rwbs}${sector}${comm}${err}`;
}

/** Layer of an evidence source, from the report's inputs (evidence carries the path). */
export function layerOfSource(report: Report, source: string): string | undefined {
  return report.inputs.find((i) => i.path === source)?.layer;
}

/** Findings per severity. */
export function severityCounts(findings: readonly Finding[]): Record<string, number> {
  const c: Record<string, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) c[f.severity] = (c[f.severity] ?? 0) + 1;
  return c;
}

/** Sum of a numeric series. */
export function sum(a: readonly (number | null)[]): number {
  let s = 0;
  for (const v of a) if (typeof v === 'number') s += v;
  return s;
}

/**
 * One clock alignment as a line: "guest ↔ host: sector+order, offset 1.23 s ± 4 µs,
 * 98/104 pairs — note" for the correlation stage's entries, key=value otherwise.
 */
export function alignmentText(a: unknown): string {
  const o = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
  if (typeof o['upper'] === 'string' && typeof o['lower'] === 'string') {
    const parts = [String(o['method'] ?? 'unknown method')];
    if (typeof o['offsetSeconds'] === 'number') {
      const w = typeof o["widthSeconds"] === "number" ? ` ± ${formatDuration(o["widthSeconds"] / 2)}` : "";
      parts.push(`offset ${o['offsetSeconds'].toFixed(6)} s${w}`);
    }
    if (typeof o['supportingPairs'] === 'number') {
      parts.push(`${o['supportingPairs']}${typeof o['candidatePairs'] === 'number' ? `/${o['candidatePairs']}` : ''} pairs agree`);
    }
    if (typeof o['map'] === 'string' && o['map']) parts.push(`map ${o['map']}${typeof o['mapSource'] === 'string' ? ` (${o['mapSource']})` : ''}`);
    const note = typeof o['note'] === 'string' && o['note'] ? ` — ${o['note']}` : '';
    return `${layerLabel(o['upper'])} ↔ ${layerLabel(o['lower'])}: ${parts.join(', ')}${note}`;
  }
  return scalarLeaves(a, 2).map(([k, v]) => `${k}=${formatNumber(v)}`).join(', ');
}

/** The correlation section's sentences and limits ({} when absent). */
export function correlationText(report: Report): { statements: string[]; limitations: string[] } {
  const c = (report as { correlation?: { statements?: unknown; limitations?: unknown } }).correlation;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  // the application layer's count-level sentences (src/app) belong with them
  const app = (report.app ?? []).flatMap((a) => strings(a.statements));
  return { statements: [...strings(c?.statements), ...app], limitations: strings(c?.limitations) };
}
