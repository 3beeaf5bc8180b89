/**
 * The analysis stages run over each layer's event stream, in order. Each is a
 * factory (a fresh analyzer per layer per analysis — no shared state) plus the
 * function that puts its result into the Report.
 */
import type { AnalysisEnv, EventAnalyzer } from './model/analysis.js';
import type { Report } from './model/report.js';
import type { AnalyzeOptions } from './index.js';
import { seriesStage } from './series/stage.js';
import { statsStage } from './stats/stage.js';
import { checkStage } from './check/stage.js';
import { correlateStage } from './correlate/stage.js';
import { appStage } from './app/stage.js';

export interface Stage {
  name: string;
  enabled(options: AnalyzeOptions): boolean;
  create(env: AnalysisEnv, layer: string, options: AnalyzeOptions): EventAnalyzer<unknown>;
  contribute(report: Report, layer: string, result: unknown, env: AnalysisEnv): void;
  /**
   * Once, after every layer has been read and before any layer's analyzers finish: cross-layer facts the
   * per-layer rules need (a device's cache mode shown by the layer below), put into `env.options`.
   */
  prepare?(env: AnalysisEnv): void;
  /** Once, after every layer has been read and contributed (cross-layer stages). */
  finishAll?(report: Report, env: AnalysisEnv): unknown;
}

/** app runs after correlate: it reads the cross-layer findings to name the application calls a lower layer broke. */
export const STAGES: Stage[] = [seriesStage, statsStage, checkStage, correlateStage, appStage];
