/**
 * The stack description: which layers, top to bottom, which device of each,
 * how sectors map from a layer to the one below, and declared cache modes.
 * From the command line (`layer=path` inputs, `--map LAYER=SPEC`,
 * `--cache LAYER=MODE`, `--device LAYER=DEV`) or from `--stack FILE`:
 *
 *   {
 *     "layers": [
 *       { "name": "guest", "device": "254,0", "inputs": ["guest/vda.blkparse.txt"] },
 *       { "name": "qemu",  "cache": "none",   "inputs": ["qemu-trace.log"], "map": "identity" },
 *       { "name": "host",  "device": "7,1",   "inputs": ["host/loop1.blkparse.txt"] }
 *     ]
 *   }
 *
 * `map` (this layer → the next lower one): "identity", a number or "+N"
 * (sector offset), a file name (filefrag -v, CSV, qemu-img map JSON), or
 * {"offset": N} | {"file": "…"} | {"extents": [[upper, lower, sectors], …]}.
 * Relative file names are relative to the stack file.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../io/open.js';
import type { CorrelateOptions } from './correlator.js';
import { mapFromSpec } from './load.js';
import { extentMap, offsetMap, parseExtentJson, type SectorMap } from './mapping.js';

export interface StackLayerSpec {
  name: string;
  device?: string;
  cache?: string;
  inputs?: string[];
  map?: string | number | { offset?: number; file?: string; extents?: unknown };
}

export interface StackSpec {
  layers: StackLayerSpec[];
}

/** A stack description or option that cannot be used (the CLI exits 2, like an unreadable input). */
export class StackError extends InputError {
  constructor(message: string) {
    super(message, '--stack');
    this.name = 'StackError';
  }
}

const CACHE_MODES = new Set(['writeback', 'writethrough', 'none', 'directsync', 'unsafe', 'write-back', 'write-through', 'wt', 'wb']);

/** Validate a parsed --stack JSON value. */
export function parseStack(value: unknown, name = '--stack'): StackSpec {
  const v = value as { layers?: unknown };
  if (!v || typeof v !== 'object' || !Array.isArray(v.layers) || v.layers.length === 0) {
    throw new StackError(`${name}: expected {"layers": [{"name": …}, …]} (top to bottom)`);
  }
  const seen = new Set<string>();
  const layers = v.layers.map((l, i): StackLayerSpec => {
    const o = l as Record<string, unknown>;
    if (!o || typeof o.name !== 'string' || !/^[A-Za-z][\w.-]{0,31}$/.test(o.name)) {
      throw new StackError(`${name}: layers[${i}].name must be a short word (letters, digits, . _ -)`);
    }
    if (seen.has(o.name)) throw new StackError(`${name}: layer ${o.name} listed twice`);
    seen.add(o.name);
    if (o.cache !== undefined && (typeof o.cache !== 'string' || !CACHE_MODES.has(o.cache))) {
      throw new StackError(`${name}: layers[${i}].cache must be one of ${[...CACHE_MODES].join(', ')}`);
    }
    if (o.device !== undefined && typeof o.device !== 'string') throw new StackError(`${name}: layers[${i}].device must be a string`);
    if (o.inputs !== undefined && (!Array.isArray(o.inputs) || o.inputs.some((x) => typeof x !== 'string'))) {
      throw new StackError(`${name}: layers[${i}].inputs must be a list of paths`);
    }
    return { name: o.name, device: o.device as string | undefined, cache: o.cache as string | undefined, inputs: o.inputs as string[] | undefined, map: o.map as StackLayerSpec['map'] };
  });
  return { layers };
}

export async function readStackFile(path: string): Promise<StackSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new StackError(`cannot read --stack file ${path}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StackError(`--stack ${path}: not JSON (${(err as Error).message})`);
  }
  return parseStack(value, path);
}

async function layerMap(l: StackLayerSpec, baseDir: string): Promise<SectorMap | undefined> {
  const m = l.map;
  if (m === undefined || m === null) return undefined;
  if (typeof m === 'number') return offsetMap(m);
  if (typeof m === 'string') return mapFromSpec(m, baseDir);
  if (typeof m.offset === 'number') return offsetMap(m.offset);
  if (typeof m.file === 'string') return mapFromSpec(m.file, baseDir);
  if (m.extents !== undefined) {
    try {
      return extentMap(parseExtentJson(m.extents), `extents of layer ${l.name} in the stack file`);
    } catch (err) {
      throw new StackError(`layer ${l.name}: ${(err as Error).message}`);
    }
  }
  throw new StackError(`layer ${l.name}: map must be "identity", +N, a file, {"offset"}, {"file"} or {"extents"}`);
}

export interface CliCorrelateArgs {
  stack?: StackSpec;
  /** Directory the stack file's relative paths are relative to. */
  stackDir?: string;
  /** `--map LAYER=SPEC` values. */
  map?: string[];
  /** `--cache LAYER=MODE` values whose LAYER names a layer (device declarations are the checker's). */
  cache?: string[];
  /** `--device LAYER=DEV` values. */
  device?: string[];
}

function splitKv(s: string, opt: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0 || eq === s.length - 1) throw new StackError(`${opt} expects LAYER=VALUE, got ${JSON.stringify(s)}`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

/** Command line + stack file → CorrelateOptions (command-line values win). */
export async function correlateOptions(args: CliCorrelateArgs, layerNames: string[] = []): Promise<CorrelateOptions> {
  const opts: CorrelateOptions = { maps: {}, cache: {}, devices: {} };
  if (args.stack) {
    opts.order = args.stack.layers.map((l) => l.name);
    for (const l of args.stack.layers) {
      const m = await layerMap(l, args.stackDir ?? '.');
      if (m) opts.maps![l.name] = m;
      if (l.cache) opts.cache![l.name] = l.cache;
      if (l.device) opts.devices![l.name] = l.device;
    }
  }
  for (const s of args.map ?? []) {
    const [layer, spec] = splitKv(s, '--map');
    opts.maps![layer] = await mapFromSpec(spec, '.');
  }
  const known = new Set([...layerNames, ...(opts.order ?? [])]);
  for (const s of args.cache ?? []) {
    const [layer, mode] = splitKv(s, '--cache');
    if (known.size > 0 && !known.has(layer)) continue; // a device declaration, for the checker
    if (!CACHE_MODES.has(mode)) throw new StackError(`--cache ${layer}=${mode}: mode must be one of ${[...CACHE_MODES].join(', ')}`);
    opts.cache![layer] = mode;
  }
  for (const s of args.device ?? []) {
    const [layer, dev] = splitKv(s, '--device');
    opts.devices![layer] = dev;
  }
  return opts;
}

/** `layer=path` inputs named by a stack file (relative to it). */
export function stackInputs(stack: StackSpec, stackPath: string): string[] {
  const dir = dirname(stackPath);
  const out: string[] = [];
  for (const l of stack.layers) for (const p of l.inputs ?? []) out.push(`${l.name}=${p.startsWith('/') ? p : `${dir}/${p}`}`);
  return out;
}
