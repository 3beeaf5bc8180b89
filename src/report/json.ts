/**
 * The JSON report: the Report object itself, as one document, described by
 * report.schema.json (schema.ts). Nothing is recomputed or renamed here, so
 * the JSON and every other rendering show the same numbers.
 *
 * Untrusted strings stay data: JSON.stringify escapes every control
 * character (an ESC in a process name becomes \u001b), and `<`, `>`, `&`,
 * U+2028 and U+2029 are escaped too so the document can be pasted into HTML
 * or a JavaScript source without changing meaning.
 */
import type { Report } from '../model/report.js';

export function renderJson(report: Report, indent = 2): string {
  return escapeForEmbedding(JSON.stringify(report, replacer, indent)) + '\n';
}

/** NaN/±Infinity are not JSON: write null (the schema requires finite numbers). */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** JSON text safe inside an HTML <script> element or a JS string: same value when parsed. */
export function escapeForEmbedding(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
