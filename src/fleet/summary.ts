/**
 * One capture's check as one NDJSON record (`blkaudit check --each`): the
 * verdict, findings grouped by rule, severity, layer and device with their
 * count and first/last time, per-device counts, and how the clocks were
 * aligned. Built from the same report `blkaudit check --json` prints, so the
 * two never disagree; the evidence lines are left out (run `check` on the
 * capture for them).
 */
import type { CheckRun } from '../cli/check.js';

/**
 * clean: no error and no warning (info allowed), as the corpus' EXPECTED.json
 * defines it; violation: at least one error; undecided: warnings only — a
 * verdict that depends on something the traces do not show (unknown cache,
 * clock alignment too loose, lost events); unreadable: the capture could not
 * be read at all (`error` says why).
 */
export type Verdict = 'clean' | 'undecided' | 'violation' | 'unreadable';

export interface FindingGroup {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  layer: string;
  device: string;
  /** The device's name where the input gives one (loop1, vda). */
  name?: string;
  count: number;
  /** Times of the first and last such finding, seconds in the layer's clock. */
  first: number;
  last: number;
}

export interface CaptureSummary {
  capture: string;
  name: string;
  verdict: Verdict;
  /** What `blkaudit check` on this capture alone would exit with (0, 1 or 2). */
  exit: number;
  inputs: Array<{ layer: string; path: string; format: string; events: number }>;
  findings: FindingGroup[];
  counts: { errors: number; warnings: number; info: number; events: number; skipped: number };
  devices: Array<{
    layer: string; device: string; name?: string; cache: string; cacheSource: string;
    writesCompleted: number; flushesCompleted: number; fuaWrites: number;
  }>;
  alignment: Array<{ upper: string; lower: string; method: string; offsetSeconds: number | null; widthSeconds: number | null; supportingPairs: number }>;
  error?: string;
  /** Wall time of this capture's check, seconds. */
  seconds: number;
}

export function summarize(capture: string, name: string, run: CheckRun, seconds: number): CaptureSummary {
  const { report, findings, devices, exitCode } = run;
  const names = new Map(devices.map((d) => [`${d.layer}\u0000${d.device}`, d.name]));
  const groups = new Map<string, FindingGroup>();
  const counts = { errors: 0, warnings: 0, info: 0, events: 0, skipped: 0 };
  for (const f of findings) {
    if (f.severity === 'error') counts.errors++;
    else if (f.severity === 'warning') counts.warnings++;
    else counts.info++;
    const key = `${f.rule}\u0000${f.severity}\u0000${f.layer}\u0000${f.device}`;
    const g = groups.get(key);
    if (g) {
      g.count++;
      g.first = Math.min(g.first, f.time);
      g.last = Math.max(g.last, f.time);
      continue;
    }
    const n = names.get(`${f.layer}\u0000${f.device}`);
    groups.set(key, { rule: f.rule, severity: f.severity, layer: f.layer, device: f.device, ...(n ? { name: n } : {}), count: 1, first: f.time, last: f.time });
  }
  for (const i of report.inputs) counts.events += i.events;
  for (const c of report.diagnostics) if (c.severity !== 'info') counts.skipped += c.count;
  const verdict: Verdict = counts.errors > 0 ? 'violation' : counts.warnings > 0 ? 'undecided' : 'clean';
  return {
    capture,
    name,
    verdict,
    exit: exitCode,
    inputs: report.inputs.map((i) => ({ layer: i.layer, path: i.path, format: i.format, events: i.events })),
    findings: [...groups.values()],
    counts,
    devices: devices.map((d) => ({
      layer: d.layer, device: d.device, ...(d.name ? { name: d.name } : {}), cache: d.cache, cacheSource: d.cacheSource,
      writesCompleted: d.writesCompleted, flushesCompleted: d.flushesCompleted, fuaWrites: d.fuaWrites,
    })),
    alignment: (report.alignment as Array<Record<string, unknown>>).map((a) => ({
      upper: String(a['upper']),
      lower: String(a['lower']),
      method: String(a['method']),
      offsetSeconds: typeof a['offsetSeconds'] === 'number' ? a['offsetSeconds'] : null,
      widthSeconds: typeof a['widthSeconds'] === 'number' ? a['widthSeconds'] : null,
      supportingPairs: Number(a['supportingPairs'] ?? 0),
    })),
    seconds,
  };
}

/** The record of a capture that could not be read (exit 2, as `check` would). */
export function unreadable(capture: string, name: string, inputs: Array<{ layer: string; path: string }>, error: string, seconds: number): CaptureSummary {
  return {
    capture,
    name,
    verdict: 'unreadable',
    exit: 2,
    inputs: inputs.map((i) => ({ layer: i.layer, path: i.path, format: '', events: 0 })),
    findings: [],
    counts: { errors: 0, warnings: 0, info: 0, events: 0, skipped: 0 },
    devices: [],
    alignment: [],
    error,
    seconds,
  };
}
