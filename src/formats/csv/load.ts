/**
 * csv-parse, loaded the first time a reader needs it, as its one-file
 * CommonJS build (the ESM build is eleven modules): commands and formats that
 * never read CSV start without it (CLI start-up, README "Performance").
 */
import { createRequire } from 'node:module';
import type { Parser } from 'csv-parse';
import type { parse } from 'csv-parse/sync';

const requireHere = createRequire(import.meta.url);
let parserClass: typeof Parser | undefined;
let parseSync: typeof parse | undefined;

/** csv-parse's push-based Parser class. */
export function csvParseParser(): typeof Parser {
  parserClass ??= (requireHere('csv-parse') as { Parser: typeof Parser }).Parser;
  return parserClass;
}

/** csv-parse/sync's parse(). */
export function csvParseSync(): typeof parse {
  parseSync ??= (requireHere('csv-parse/sync') as { parse: typeof parse }).parse;
  return parseSync;
}
