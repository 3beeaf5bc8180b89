import type { FormatSpec } from '../types.js';
import { BlkparseParser } from './parser.js';
import { blkparseMeta } from './detect.js';

export { blkparseConfidence } from './detect.js';

export const blkparseFormat: FormatSpec = {
  ...blkparseMeta,
  create: (ctx) => new BlkparseParser(ctx),
};
