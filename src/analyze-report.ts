/**
 * The analysis behind `blkaudit report`: every registered stage (each runs
 * when its AnalyzeOptions.stageOptions entry is set), plus the time series
 * the charts need. Library users who want the HTML or charts call this
 * instead of analyze().
 */
import { analyze, type AnalyzeOptions } from './index.js';
import type { InputSpec } from './io/open.js';
import type { Report } from './model/report.js';
import { STAGE_NAMES } from './stages.js';

export function reportAnalyzeOptions(options: AnalyzeOptions = {}): AnalyzeOptions {
  return {
    ...options,
    stageOptions: { ...Object.fromEntries(STAGE_NAMES.map((name) => [name, {}])), ...(options.stageOptions ?? {}) },
  };
}

export function analyzeForReport(inputs: Array<string | InputSpec>, options: AnalyzeOptions = {}): Promise<Report> {
  return analyze(inputs, reportAnalyzeOptions(options));
}
