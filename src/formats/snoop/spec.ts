import type { FormatSpec } from '../types.js';
import { SnoopParser } from './parser.js';
import { biosnoopMeta, iosnoopMeta } from './meta.js';

export { biosnoopConfidence, iosnoopConfidence } from './meta.js';


export const biosnoopFormat: FormatSpec = {
  ...biosnoopMeta,
  create: (ctx) => new SnoopParser(ctx, 'biosnoop'),
};

export const iosnoopFormat: FormatSpec = {
  ...iosnoopMeta,
  create: (ctx) => new SnoopParser(ctx, 'iosnoop'),
};
