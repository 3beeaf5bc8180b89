/**
 * JSON Schema validation of blkaudit's JSON outputs with Ajv (draft 2020-12),
 * against the schemas committed in src/: report (report.schema.json), check
 * (check.schema.json) and stats (stats.schema.json); check and stats refer to
 * the report's definitions of a finding, an evidence record and the skipped
 * counters. Strict mode: a keyword Ajv does not know is an error, so a
 * schema cannot promise more than is checked.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

const read = (rel: string) => JSON.parse(readFileSync(new URL(`../../src/${rel}`, import.meta.url), 'utf8')) as object;

export const SCHEMAS = {
  report: read('report/report.schema.json'),
  check: read('check/check.schema.json'),
  stats: read('stats/stats.schema.json'),
};

const ajv = new Ajv2020({ allErrors: true, strict: true });
for (const s of Object.values(SCHEMAS)) ajv.addSchema(s);
const compiled = new Map<string, ValidateFunction>();

/** Every schema error of `doc` as "pointer: message" (empty = valid). */
export function schemaErrors(kind: keyof typeof SCHEMAS, doc: unknown): string[] {
  let v = compiled.get(kind);
  if (!v) {
    v = ajv.getSchema((SCHEMAS[kind] as { $id: string }).$id)!;
    compiled.set(kind, v);
  }
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params['allowedValues'])}` : ''}`);
}
