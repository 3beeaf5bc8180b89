/**
 * Read `layer=path` inputs into a correlation (for `blkaudit follow` and for
 * tests). Beside index.ts, not in src/correlate/: it calls analyze(), the
 * library entry above every stage. Never prints.
 */
import type { AnalysisEnv } from './model/analysis.js';
import type { Report } from './model/report.js';
import { analyze, type AnalyzeOptions } from './index.js';
import { InputError, parseInputArg } from './io/open.js';
import type { CorrelateOptions, CorrelationResult } from './correlate/correlator.js';

export interface LoadedCorrelation {
  env: AnalysisEnv;
  result: CorrelationResult;
  /** The analysis' report: its reference clock (report.clock) is the one `check` and `report` print times on. */
  report: Report;
}

/**
 * Inputs as "layer=path" (a plain path gets layer "layer<N>"), read by
 * analyze() with only the correlation stage: the same opening, per-CPU sets,
 * gzip, detection and parser cores as every other command.
 */
export async function correlateFiles(
  inputs: string[],
  opts: CorrelateOptions = {},
  read: string | Omit<AnalyzeOptions, 'stages' | 'stageOptions' | 'onStageResult'> = {},
): Promise<LoadedCorrelation> {
  // a string is a --format name (the older signature); an object carries every input option
  const base = typeof read === 'string' ? { format: read } : read;
  let n = 0;
  const named = inputs.map((arg) => {
    const spec = parseInputArg(arg);
    return spec.layer ? arg : `layer${++n}=${spec.path}`;
  });
  let loaded: Omit<LoadedCorrelation, 'report'> | undefined;
  const report = await analyze(named, {
    ...base,
    stages: ['correlate'],
    // whole unless asked otherwise (`stack` describes a long stack from its segments, `follow` needs every row)
    stageOptions: { correlate: { whole: true, ...opts, always: true } },
    onStageResult: (stage, result, env) => {
      if (stage === 'correlate') loaded = { env, result: result as CorrelationResult };
    },
  });
  if (!loaded) throw new InputError('correlation needs two layers or a QEMU trace (name inputs layer=path, top layer first)', inputs[0] ?? '');
  return { ...loaded, report };
}
