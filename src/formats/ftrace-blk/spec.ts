import type { FormatSpec } from '../types.js';
import { ftraceBlkClassicMeta, ftraceBlkMeta } from './detect.js';
import { FtraceBlkParser } from './parser.js';

export const ftraceBlkFormat: FormatSpec = {
  ...ftraceBlkMeta,
  create: (ctx) => new FtraceBlkParser(ctx, false),
};

export const ftraceBlkClassicFormat: FormatSpec = {
  ...ftraceBlkClassicMeta,
  create: (ctx) => new FtraceBlkParser(ctx, true),
};
