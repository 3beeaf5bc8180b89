import type { FormatSpec } from '../types.js';
import { BlkparseCustomParser } from './parser.js';
import { blkparseCustomMeta } from './meta.js';

export const blkparseCustomFormat: FormatSpec = {
  ...blkparseCustomMeta,
  create: (ctx) => new BlkparseCustomParser(ctx),
};
