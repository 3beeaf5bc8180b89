import type { FormatSpec } from '../types.js';
import { CsvParser } from './parser.js';
import { csvMeta, csvMsrMeta } from './meta.js';

export { msrConfidence } from './meta.js';

export const csvMsrFormat: FormatSpec = {
  ...csvMsrMeta,
  create: (ctx) => new CsvParser(ctx, ctx.options.csvColumns ?? 'msr'),
};

export const csvFormat: FormatSpec = {
  ...csvMeta,
  create: (ctx) => {
    // Without a mapping the MSR layout is assumed (parsers never throw on
    // input; the CLI asks for --csv-columns before choosing this format).
    if (!ctx.options.csvColumns) ctx.limitation('csv: no --csv-columns given: the SNIA/MSR Cambridge layout was assumed');
    return new CsvParser(ctx, ctx.options.csvColumns ?? 'msr');
  },
};
