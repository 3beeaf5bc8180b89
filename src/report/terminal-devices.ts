/**
 * The DEVICES part of the terminal report (cli-table3): one summary table of
 * the figures a storage engineer looks at first, read from the sections the
 * stages contributed (stats, check, series) when they are there; then every
 * other section generically (all of them with --details), so a section this
 * file does not know is shown, never dropped.
 */
import Table from 'cli-table3';
import type { Report } from '../model/report.js';
import { deviceLabel, formatNumber, layerLabel, scalarLeaves, type DeviceView } from './view.js';
import { levelSummaryTable, SUMMARIZED, SUMMARY_METRICS as METRICS } from './summary.js';
import { term } from './text.js';

/** Headers in bold, never red (cli-table3's default): red is for findings, and a clean report has none. */
function tableStyle(color: boolean) {
  return color ? { head: ['bold'], compact: true } : { head: [] as string[], border: [] as string[], compact: true };
}

export function deviceTables(report: Report, devices: DeviceView[], width: number, color: boolean, details: boolean): string[] {
  if (devices.length === 0) return [];
  const out: string[] = [];
  // every level of the stack: block devices, and QEMU's requests and host jobs (summary.ts)
  const table = levelSummaryTable(report, devices);
  const labels = table.labels.map((l) => term(l.replace(' · ', ' ')));
  const cells = table.rows.map((r) => r.map((c) => term(c)));
  const colW = METRICS.map((m, j) => Math.max(m.head.length, ...cells.map((c) => c[j]!.length)) + 2);
  const labelW = Math.max(6, ...labels.map((l) => l.length)) + 2;
  const total = labelW + colW.reduce((a, b) => a + b, 0) + METRICS.length + 1;
  if (total <= width) {
    const t = new Table({ head: ['DEVICE', ...METRICS.map((m) => m.head)], style: tableStyle(color) });
    labels.forEach((_, i) => t.push([labels[i]!, ...cells[i]!]));
    out.push(t.toString());
  } else {
    const rows = new Map<string, Map<number, string>>();
    METRICS.forEach((m, j) => rows.set(m.head, new Map(labels.map((_, i) => [i, cells[i]![j]!]))));
    out.push(...transposed('DEVICE', rows, labels, width, color));
  }
  const names: string[] = [];
  for (const d of devices) for (const k of Object.keys(d.sections)) if (!names.includes(k) && (details || !SUMMARIZED.has(k))) names.push(k);
  for (const name of names) {
    const cols = devices.filter((d) => d.sections[name] !== undefined);
    const rows = new Map<string, Map<number, string>>();
    cols.forEach((d, i) => {
      for (const [k, v] of scalarLeaves(d.sections[name], 2)) {
        if (!rows.has(k)) rows.set(k, new Map());
        rows.get(k)!.set(i, formatNumber(v));
      }
    });
    out.push(...transposed(name, rows, cols.map((d) => term(`${layerLabel(d.layer)} ${deviceLabel(d)}`)), width, color));
  }
  return out;
}

/** Rows are fields, columns devices; several tables when the devices do not fit the width. */
function transposed(title: string, rows: Map<string, Map<number, string>>, heads: string[], width: number, color: boolean): string[] {
  if (rows.size === 0) return [];
  const out: string[] = [];
  const keyWidth = Math.min(32, Math.max(title.length, ...[...rows.keys()].map((k) => term(k).length))) + 2;
  const want = heads.map((h, i) => Math.min(40, Math.max(h.length, ...[...rows.values()].map((v) => term(v.get(i) ?? '').length)) + 2));
  for (let start = 0; start < heads.length;) {
    let end = start + 1;
    let used = keyWidth + 1 + want[start]! + 1;
    while (end < heads.length && used + want[end]! + 1 <= width) used += want[end++]! + 1;
    const idx = Array.from({ length: end - start }, (_, k) => start + k);
    const room = Math.max(8, width - keyWidth - 1 - idx.length);
    const t = new Table({
      head: [term(title), ...idx.map((i) => heads[i]!)],
      style: tableStyle(color),
      wordWrap: true,
      colWidths: [keyWidth, ...idx.map((i) => Math.min(want[i]!, room))],
    });
    for (const [key, vals] of rows) t.push([term(key), ...idx.map((i) => term(vals.get(i) ?? ''))]);
    out.push(t.toString());
    start = end;
  }
  return out;
}
