import type { FormatSpec } from '../types.js';
import { StraceParser } from './parser.js';
import { straceMeta } from './meta.js';

export { straceConfidence } from './meta.js';

export const straceFormat: FormatSpec = {
  ...straceMeta,
  create: (ctx) => new StraceParser(ctx),
};
