/**
 * The per-device figures a storage engineer looks at first, read from the
 * sections the stages contributed (stats, check, series) when present, "-"
 * when not. Shared by the terminal and HTML reports so both show the same.
 */
import { levelBaseName, type Report } from '../model/report.js';
import { deviceLabel, formatBytes, formatDuration, formatNumber, layerLabel, sum, type DeviceView } from './view.js';

/** Sections the summary table already covers (shown in full with --details). */
export const SUMMARIZED = new Set(['stats', 'check']);

function get(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface Metric {
  head: string;
  value(d: DeviceView, report: Report): string;
}

const dash = '-';

/** The summary columns; units in the headers (bcc style). */
export const SUMMARY_METRICS: Metric[] = [
  { head: 'CACHE', value: (d) => (d.cache ? d.cache.mode : dash) },
  { head: 'READS', value: (d) => formatNumber(num(get(d.sections['stats'], 'blkparse.readsCompleted')) ?? dash) },
  { head: 'WRITES', value: (d) => formatNumber(num(get(d.sections['check'], 'writesCompleted')) ?? num(get(d.sections['stats'], 'blkparse.writesCompleted')) ?? dash) },
  {
    head: 'FLUSHES',
    value: (d) => {
      const n = num(get(d.sections['stats'], 'flushes.completed')) ?? num(get(d.sections['check'], 'flushesCompleted')) ?? (d.series ? sum(d.series.flushes) : undefined);
      const failed = num(get(d.sections['stats'], 'flushes.errors')) ?? num(get(d.sections['check'], 'flushesFailed'));
      return n === undefined ? dash : failed ? `${n} (${failed} failed)` : String(n);
    },
  },
  { head: 'FUA', value: (d) => formatNumber(num(get(d.sections['stats'], 'flushes.fuaWrites')) ?? num(get(d.sections['check'], 'fuaWrites')) ?? dash) },
  { head: 'Q2C p50', value: (d) => dur(get(d.sections['stats'], 'latencyTrue.Q2C.p50')) },
  { head: 'Q2C p99', value: (d) => dur(get(d.sections['stats'], 'latencyTrue.Q2C.p99')) },
  { head: 'FLUSH p99', value: (d) => dur(get(d.sections['stats'], 'flushes.latency.p99')) },
  {
    head: 'NOT DURABLE max',
    value: (d) => {
      const v = num(get(d.sections['check'], 'maxVolatileBytes')) ?? (d.series ? Math.max(0, ...d.series.volatileBytesMax) : undefined);
      return v === undefined ? dash : formatBytes(v);
    },
  },
  { head: 'FINDINGS', value: (d, r) => String(r.findings.filter((f) => f.layer === d.layer && f.device === d.device).length) },
];

function dur(v: unknown): string {
  const n = num(v);
  return n === undefined ? dash : formatDuration(n);
}

/**
 * The devices table: every level of the stack, QEMU's requests and host jobs included (their
 * counts from the correlation; the columns they have no value for read "-").
 */
export function levelSummaryTable(report: Report, views: DeviceView[]): { heads: string[]; rows: string[][]; labels: string[] } {
  const heads = SUMMARY_METRICS.map((m) => m.head);
  const rows: string[][] = [];
  const labels: string[] = [];
  const levels = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as Array<Record<string, unknown>>;
  for (const layer of report.layers) {
    for (const v of views.filter((x) => x.layer === layer.name)) {
      labels.push(`${layerLabel(v.layer)} · ${deviceLabel(v)}`);
      rows.push(SUMMARY_METRICS.map((m) => m.value(v, report)));
    }
    for (const lv of levels.filter((l) => (l['layer'] === layer.name || (layer.name === '' && l['layer'] === 'layer')) && l['role'] !== 'block')) {
      const cache = lv['cache'] as { mode?: unknown } | undefined;
      const n = (k: string) => (typeof lv[k] === 'number' ? String(lv[k]) : '-');
      labels.push(`${levelBaseName(lv['name'], lv['device'])} · QEMU ${lv['role'] === 'qemu-back' ? 'host jobs' : 'requests'} ${String(lv['device'] ?? '')}`);
      const device = String(lv['device'] ?? '');
      const findings = report.findings.filter((f) => f.layer === layer.name && f.device === device && lv['role'] !== 'qemu-back').length;
      rows.push(heads.map((h) => ({ CACHE: typeof cache?.mode === 'string' ? cache.mode : '-', READS: n('reads'), WRITES: n('writes'), FLUSHES: n('flushes'), FUA: n('fua'), FINDINGS: String(findings) } as Record<string, string>)[h] ?? '-'));
    }
  }
  return { heads, rows, labels };
}
