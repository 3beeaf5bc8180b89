/**
 * Load sector maps (`--map`). Never prints. Reading `layer=path` inputs into
 * a correlation is src/correlate-files.ts (it calls analyze(), above this).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../model/errors.js';
import { parseMapSpec, type SectorMap } from './mapping.js';


/**
 * `--map LAYER=SPEC` values → maps: SPEC is +N/-N sectors, "identity", or a
 * file (filefrag -v output, CSV upper_sector,lower_sector,sectors, JSON).
 */
export async function loadMaps(specs: string[], baseDir = '.'): Promise<Record<string, SectorMap>> {
  const out: Record<string, SectorMap> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new InputError(`--map expects LAYER=SPEC (SPEC: +N, -N, identity, or a file), got ${JSON.stringify(s)}`, s);
    const layer = s.slice(0, eq);
    const spec = s.slice(eq + 1);
    out[layer] = await mapFromSpec(spec, baseDir);
  }
  return out;
}

export async function mapFromSpec(spec: string, baseDir = '.'): Promise<SectorMap> {
  if (/^([+-]?\d+|identity)$/.test(spec.trim())) return parseMapSpec(spec);
  const path = resolve(baseDir, spec);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`cannot read map file ${spec}`, spec);
  }
  try {
    return parseMapSpec(spec, text, spec);
  } catch (err) {
    throw new InputError(`map ${spec}: ${(err as Error).message}`, spec);
  }
}


