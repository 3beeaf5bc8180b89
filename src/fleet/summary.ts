/**
 * One capture's check as one NDJSON record (`blkaudit check --each`): the
 * verdict, the report's incidents (findings grouped by rule, layer, device
 * and cause, src/incidents) with their count, first/last time and sentence,
 * per-device counts, and how the clocks were aligned. Built from the same
 * report `blkaudit check --json` prints, so the two never disagree; finding
 * ids and evidence are left out (run `check` on the capture for them).
 */
import type { CheckRun } from '../cli/check-analysis.js';

/**
 * clean: no error and no warning (info allowed), as the corpus' EXPECTED.json
 * defines it; violation: at least one error; undecided: warnings only — a
 * verdict that depends on something the traces do not show (unknown cache,
 * clock alignment too loose, lost events); unreadable: the capture could not
 * be read at all (`error` says why).
 */
export type Verdict = 'clean' | 'undecided' | 'violation' | 'unreadable';

export interface IncidentRecord {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  layer: string;
  device: string;
  /** The device's name where the input gives one (loop1, vda). */
  name?: string;
  /** The shared cause (e.g. the level below that dropped the promises), "" when the rule has none. */
  cause: string;
  count: number;
  /** Reference-clock seconds of the first and last member (null when untimed or not aligned). */
  firstTime: number | null;
  lastTime: number | null;
  summary: string;
}

export interface CaptureSummary {
  capture: string;
  name: string;
  verdict: Verdict;
  /** What `blkaudit check` on this capture alone would exit with (0, 1 or 2). */
  exit: number;
  inputs: Array<{ layer: string; path: string; format: string; events: number }>;
  incidents: IncidentRecord[];
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
  const counts = { errors: 0, warnings: 0, info: 0, events: 0, skipped: 0 };
  for (const f of findings) {
    if (f.severity === 'error') counts.errors++;
    else if (f.severity === 'warning') counts.warnings++;
    else counts.info++;
  }
  const incidents = (report.incidents ?? []).map((i): IncidentRecord => {
    const n = names.get(`${i.layer}\u0000${i.device}`);
    return {
      rule: i.rule, severity: i.severity, layer: i.layer, device: i.device, ...(n ? { name: n } : {}), cause: i.cause,
      count: i.count, firstTime: i.firstTime, lastTime: i.lastTime, summary: i.summary,
    };
  });
  for (const i of report.inputs) counts.events += i.events;
  for (const c of report.diagnostics) if (c.severity !== 'info') counts.skipped += c.count;
  const verdict: Verdict = counts.errors > 0 ? 'violation' : counts.warnings > 0 ? 'undecided' : 'clean';
  return {
    capture,
    name,
    verdict,
    exit: exitCode,
    inputs: report.inputs.map((i) => ({ layer: i.layer, path: i.path, format: i.format, events: i.events })),
    incidents,
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
    incidents: [],
    counts: { errors: 0, warnings: 0, info: 0, events: 0, skipped: 0 },
    devices: [],
    alignment: [],
    error,
    seconds,
  };
}
