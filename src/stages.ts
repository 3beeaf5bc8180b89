/**
 * The analysis stages run over each layer's event stream, in order. Each is a
 * factory (a fresh analyzer per layer per analysis — no shared state) plus the
 * function that puts its result into the Report.
 */
import type { Stage } from './model/stage.js';

export type { Stage } from './model/stage.js';

/**
 * Every stage in run order, each loaded only when an analysis uses it: a
 * `check` run never loads the statistics, series or correlation code (start-up
 * time of the CLI on small traces).
 */
const LOADERS: ReadonlyArray<readonly [string, () => Promise<Stage>]> = [
  ['series', async () => (await import('./series/stage.js')).seriesStage],
  ['stats', async () => (await import('./stats/stage.js')).statsStage],
  ['check', async () => (await import('./check/stage.js')).checkStage],
  ['correlate', async () => (await import('./correlate/stage.js')).correlateStage],
  // app runs after correlate: it reads the cross-layer findings to name the application calls a lower layer broke
  ['app', async () => (await import('./app/stage.js')).appStage],
];

export const STAGE_NAMES: readonly string[] = LOADERS.map(([name]) => name);

/** The stages named (all of them when `names` is undefined), in run order. */
export async function loadStages(names?: readonly string[]): Promise<Stage[]> {
  return Promise.all(LOADERS.filter(([name]) => !names || names.includes(name)).map(([, load]) => load()));
}
