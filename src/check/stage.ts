/**
 * The `check` stage: one durability/ordering checker per layer. Findings go
 * to `report.findings`; per-device numbers to `report.devices[].check`, and
 * the `--at` answer to `report.devices[].atRisk`. Runs when asked for
 * (AnalyzeOptions.stages includes "check", or stageOptions.check is set).
 *
 * Options: `stageOptions.check` = CheckOptions (cache declarations, at);
 * `stageOptions.deviceNames` = Record<"maj,min", string | string[]> — the
 * names inputs gave each device (blkparse summary headers, blktrace file
 * names, TN_PROCESS), used to match `--cache NAME`.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { DeviceReport, Report } from '../model/report.js';
import type { Stage } from '../model/stage.js';
import { createChecker } from './checker.js';
import type { AtRisk, CheckOptions, CheckResult, DeviceCheckSummary } from './types.js';

function entry(report: Report, layer: string, device: string): DeviceReport {
  let d = report.devices.find((x) => x.layer === layer && x.device === device);
  if (!d) {
    d = { device, layer };
    report.devices.push(d);
  }
  return d;
}

export const checkStage: Stage = {
  name: 'check',
  enabled: (options) => options.stageOptions?.['check'] !== undefined,
  create: (env: AnalysisEnv, layer: string) => createChecker(env, { ...((env.options['check'] as CheckOptions | undefined) ?? {}), layer }),
  contribute(report: Report, layer: string, result: unknown): void {
    const r = result as CheckResult;
    for (const f of r.findings) report.findings.push(f);
    for (const d of r.devices) {
      const e = entry(report, layer, d.device);
      if (d.name && !e.name) e.name = d.name;
      e['check'] = d;
    }
    for (const a of r.at ?? []) entry(report, layer, a.device)['atRisk'] = a;
    for (const [dev, from] of Object.entries(r.remapsFrom ?? {})) entry(report, layer, dev)['remapsFrom'] = from;
  },
};

/** The check sections of a Report, in report order. */
export function checkOf(report: Report): { devices: DeviceCheckSummary[]; at: AtRisk[] } {
  const devices: DeviceCheckSummary[] = [];
  const at: AtRisk[] = [];
  for (const d of report.devices) {
    const c = d['check'] as DeviceCheckSummary | undefined;
    if (c) devices.push(c);
    const a = d['atRisk'] as AtRisk | undefined;
    if (a) at.push(a);
  }
  return { devices, at };
}
