/**
 * The shape of an analysis stage (src/stages.ts lists them): a factory of one
 * analyzer per layer per analysis (no shared state) plus the function that
 * puts its result into the Report. In the model, below every stage and the
 * library entry, so no stage imports the list it is in (no import cycle).
 */
import type { AnalysisEnv, EventAnalyzer } from './analysis.js';
import type { Report } from './report.js';

/** What a stage reads of the analysis options (AnalyzeOptions in src/index.ts extends it). */
export interface StageSelection {
  /** Which stages to run (default: those `enabled` says). */
  stages?: string[];
  /** Stage-specific options (e.g. cache declarations), passed through AnalysisEnv.options. */
  stageOptions?: Record<string, unknown>;
}

/** What a stage can know of an input before it is read: its format. */
export interface InputFormat {
  name: string;
  produces: string;
  carriesCalls?: boolean;
}

export interface Stage {
  name: string;
  enabled(options: StageSelection): boolean;
  create(env: AnalysisEnv, layer: string, options: StageSelection): EventAnalyzer<unknown>;
  contribute(report: Report, layer: string, result: unknown, env: AnalysisEnv): void;
  /**
   * True when what this stage makes of the inputs depends on which of them is read first, given their
   * formats: analyze() then reads them one after another in argument order instead of every layer at once
   * (src/read/schedule.ts). A stage's per-layer analyzers see their own layer in order either way.
   */
  needsInputOrder?(formats: ReadonlyArray<InputFormat>): boolean;
  /**
   * False when, given the inputs' formats, nothing this stage's analyzers could make of a block event is ever
   * used: their `event` is then not called (the app stage with no input that can carry a sync call). Default true.
   */
  usesBlockEvents?(formats: ReadonlyArray<InputFormat>): boolean;
  /**
   * Once, after every layer has been read and before any layer's analyzers finish: cross-layer facts the
   * per-layer rules need (a device's cache mode shown by the layer below), put into `env.options`.
   */
  prepare?(env: AnalysisEnv): void;
  /** Once, after every layer has been read and contributed (cross-layer stages). */
  finishAll?(report: Report, env: AnalysisEnv): unknown;
}
