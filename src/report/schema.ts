/**
 * The JSON report's schema (report.schema.json, JSON Schema draft 2020-12,
 * copied to dist/ by tsc: tsconfig includes src/**\/*.json), printed by
 * `blkaudit report --schema`. The tests validate every JSON output against it
 * (and against check.schema.json and stats.schema.json) with Ajv in strict
 * mode (test/helpers/schema.ts).
 */
import { readFileSync } from 'node:fs';

export type Schema = boolean | { [keyword: string]: unknown };

let cached: Schema | undefined;

/** The committed schema, read next to this module (works from dist/ and from a package). */
export function reportSchema(): Schema {
  cached ??= JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as Schema;
  return cached;
}
