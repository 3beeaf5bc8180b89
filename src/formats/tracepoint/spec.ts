import type { FormatSpec } from '../types.js';
import { tracepointMeta } from './meta.js';
import { TracepointParser } from './parser.js';

export const tracepointFormat: FormatSpec = {
  ...tracepointMeta,
  create: (ctx) => new TracepointParser(ctx),
};
