import type { FormatSpec } from '../types.js';
import { CsvEventsReader, NdjsonEventsReader } from './reader.js';
import { eventsCsvMeta, eventsNdjsonMeta } from './meta.js';

export const eventsNdjsonFormat: FormatSpec = {
  ...eventsNdjsonMeta,
  create: (ctx) => new NdjsonEventsReader(ctx),
};

export const eventsCsvFormat: FormatSpec = {
  ...eventsCsvMeta,
  create: (ctx) => new CsvEventsReader(ctx),
};
