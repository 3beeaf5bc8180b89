/**
 * Cross-layer correlation: stack levels, clock alignment, cross-layer rules,
 * `follow`. See correlator.ts for the flow and stage.ts for analyze() wiring.
 */
export { createCorrelator, Correlator, type CorrelateOptions, type CorrelationResult, type AlignmentReport, type LevelSummary } from './correlator.js';
export { correlateStage, contributeCorrelation } from './stage.js';
export { correlateOptions, parseStack, readStackFile, stackInputs, StackError, type StackSpec } from './stack.js';
export { follow, type FollowQuery, type FollowResult, type FollowStep } from './follow.js';
export { loadMaps, mapFromSpec } from './load.js';
// correlateFiles (inputs → correlation) calls analyze(): it is src/correlate-files.ts, beside index.ts
export { parseMapSpec, parseFilefrag, parseExtentCsv, parseExtentJson, IDENTITY, offsetMap, extentMap, type SectorMap } from './mapping.js';
export type { PairStats } from './rules.js';
