/**
 * The JSON report's schema (report.schema.json, JSON Schema draft 2020-12,
 * copied to dist/ by tsc: tsconfig includes src/**\/*.json) and a validator
 * for exactly the subset of keywords that schema uses. A keyword outside the
 * subset is an error, never silently ignored, so the schema cannot promise
 * more than the validator checks.
 */
import { readFileSync } from 'node:fs';

export type Schema = boolean | { [keyword: string]: unknown };

let cached: Schema | undefined;

/** The committed schema, read next to this module (works from dist/ and from a package). */
export function reportSchema(): Schema {
  cached ??= JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as Schema;
  return cached;
}

/** Keywords that only annotate. */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'default', 'examples', '$defs']);

export interface SchemaError {
  /** JSON Pointer of the offending value ("" = the root). */
  path: string;
  message: string;
}

/** Validate `value` against `schema` (root holding $defs); returns every error found. */
export function validate(schema: Schema, value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  check(schema, value, '', schema, errors);
  return errors;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  if (t === 'number') return actual === 'number' || actual === 'integer';
  return actual === t;
}

function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref} (only local "#/…" references)`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown> | undefined)?.[key];
  }
  if (node === undefined) throw new Error(`$ref ${ref} points nowhere`);
  return node as Schema;
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function check(schema: Schema, v: unknown, path: string, root: Schema, errors: SchemaError[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ path, message: 'no value is allowed here' });
    return;
  }
  const fail = (message: string) => errors.push({ path, message });
  for (const [kw, arg] of Object.entries(schema)) {
    if (ANNOTATIONS.has(kw)) continue;
    switch (kw) {
      case '$ref':
        check(resolve(root, arg as string), v, path, root, errors);
        break;
      case 'type': {
        const types = Array.isArray(arg) ? (arg as string[]) : [arg as string];
        if (!types.some((t) => hasType(v, t))) fail(`expected ${types.join(' or ')}, got ${typeOf(v)}`);
        if (typeof v === 'number' && !Number.isFinite(v)) fail('expected a finite number');
        break;
      }
      case 'const':
        if (!equal(v, arg)) fail(`expected ${JSON.stringify(arg)}`);
        break;
      case 'enum':
        if (!(arg as unknown[]).some((x) => equal(x, v))) fail(`expected one of ${JSON.stringify(arg)}`);
        break;
      case 'minimum':
        if (typeof v === 'number' && v < (arg as number)) fail(`must be ≥ ${String(arg)}`);
        break;
      case 'maximum':
        if (typeof v === 'number' && v > (arg as number)) fail(`must be ≤ ${String(arg)}`);
        break;
      case 'maxLength':
        if (typeof v === 'string' && [...v].length > (arg as number)) fail(`longer than ${String(arg)} characters`);
        break;
      case 'pattern':
        if (typeof v === 'string' && !new RegExp(arg as string, 'u').test(v)) fail(`does not match ${String(arg)}`);
        break;
      case 'maxItems':
        if (Array.isArray(v) && v.length > (arg as number)) fail(`more than ${String(arg)} items`);
        break;
      case 'items':
        if (Array.isArray(v)) v.forEach((x, i) => check(arg as Schema, x, pointer(path, i), root, errors));
        break;
      case 'required':
        if (isObject(v)) for (const k of arg as string[]) if (!(k in v)) fail(`missing required property "${k}"`);
        break;
      case 'properties':
        if (isObject(v)) {
          for (const [k, s] of Object.entries(arg as Record<string, Schema>)) {
            if (k in v && v[k] !== undefined) check(s, v[k], pointer(path, k), root, errors);
          }
        }
        break;
      case 'additionalProperties':
        if (isObject(v)) {
          const known = (schema as Record<string, unknown>)['properties'] as Record<string, unknown> | undefined;
          for (const [k, x] of Object.entries(v)) {
            if (known && k in known) continue;
            if (x === undefined) continue;
            if (arg === false) errors.push({ path: pointer(path, k), message: 'property not allowed by the schema' });
            else check(arg as Schema, x, pointer(path, k), root, errors);
          }
        }
        break;
      case 'anyOf': {
        const alts = arg as Schema[];
        if (!alts.some((s) => validate2(s, v, root))) fail('matches none of the allowed shapes');
        break;
      }
      default:
        throw new Error(`schema keyword "${kw}" at ${path || '/'} is not supported by this validator`);
    }
  }
}

function validate2(schema: Schema, v: unknown, root: Schema): boolean {
  const errs: SchemaError[] = [];
  check(schema, v, '', root, errs);
  return errs.length === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
