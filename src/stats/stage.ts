/**
 * The `stats` stage: runs createStatsAnalyzer over each layer and files one
 * DeviceStats per device under `report.devices[].stats`. When an input of
 * the layer was blkparse text with its summary trailer, the device's
 * counters are compared with it (`stats.crossCheck`). Runs only when asked
 * for (AnalyzeOptions.stages includes "stats", or stageOptions.stats is set).
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { DeviceReport, Report } from '../model/report.js';
import type { Stage } from '../model/stage.js';
import type { BlkparseSummary } from '../formats/blkparse/summary.js';
import { createStatsAnalyzer, type StatsResult } from './analyzer.js';
import { compareWithSummary, summaryDevices, summaryTotal } from './crosscheck.js';
import type { DeviceStats } from './device.js';

export interface CrossCheck {
  /** Input whose summary trailer was used. */
  source: string;
  /** Device name as blkparse printed it ("loop1"). */
  summaryDevice: string;
  /** "Total" or the only "CPUn" block. */
  block: string;
  match: boolean;
  /** "key: blkparse X, ours Y" for each counter that differs. */
  differences: string[];
}

export type DeviceStatsWithCheck = DeviceStats & { crossCheck?: CrossCheck };

function entry(report: Report, layer: string, device: string): DeviceReport {
  let d = report.devices.find((x) => x.layer === layer && x.device === device);
  if (!d) {
    d = { device, layer };
    report.devices.push(d);
  }
  return d;
}

/** Which summary device name is this device? By "maj,min", by being the only one, or by event count. */
function nameFor(d: DeviceStats, names: string[], summary: BlkparseSummary, layerDevices: number): string | undefined {
  if (names.includes(d.device)) return d.device;
  if (names.length === 1 && layerDevices === 1) return names[0];
  const byCount = names.filter((n) => summary.events[n] === d.events);
  return byCount.length === 1 ? byCount[0] : undefined;
}

export function crossCheck(report: Report, layer: string, d: DeviceStats, layerDevices: number): CrossCheck | undefined {
  for (const input of report.inputs) {
    if (input.layer !== layer) continue;
    const summary = report.attachments[input.path]?.['blkparse-summary'] as BlkparseSummary | undefined;
    if (!summary) continue;
    const name = nameFor(d, summaryDevices(summary), summary, layerDevices);
    if (!name) continue;
    const differences = compareWithSummary(d.blkparse, summary, name);
    if (!differences) continue;
    const block = summaryTotal(summary, name)!.scope;
    return { source: input.path, summaryDevice: name, block, match: differences.length === 0, differences };
  }
  return undefined;
}

export const statsStage: Stage = {
  name: 'stats',
  enabled: (options) => options.stageOptions?.['stats'] !== undefined,
  create: (env: AnalysisEnv) => createStatsAnalyzer(env),
  contribute(report: Report, layer: string, result: unknown): void {
    const r = result as StatsResult;
    for (const d of r.devices) {
      const s: DeviceStatsWithCheck = d;
      const check = crossCheck(report, layer, d, r.devices.length);
      if (check) s.crossCheck = check;
      entry(report, layer, d.device)['stats'] = s;
    }
  },
};

/** The stats sections of a Report, in report order, with their layer. */
export function statsOf(report: Report): Array<{ layer: string; stats: DeviceStatsWithCheck }> {
  const out: Array<{ layer: string; stats: DeviceStatsWithCheck }> = [];
  for (const d of report.devices) {
    const s = d['stats'] as DeviceStatsWithCheck | undefined;
    if (s) out.push({ layer: d.layer, stats: s });
  }
  return out;
}
