import type { FormatSpec } from '../types.js';
import { SyncCsvParser } from './parser.js';
import { syncCsvMeta } from './meta.js';

export { syncCsvConfidence } from './meta.js';

export const syncCsvFormat: FormatSpec = {
  ...syncCsvMeta,
  create: (ctx) => new SyncCsvParser(ctx),
};
