/**
 * Read `layer=path` inputs into a correlation (for `blkaudit follow` and for
 * tests), and load sector maps. Never prints.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AnalysisEnv } from '../model/analysis.js';
import { analyze, type AnalyzeOptions } from '../index.js';
import { InputError, parseInputArg } from '../io/open.js';
import type { CorrelateOptions, CorrelationResult } from './correlator.js';
import { parseMapSpec, type SectorMap } from './mapping.js';

export interface LoadedCorrelation {
  env: AnalysisEnv;
  result: CorrelationResult;
}

/**
 * Inputs as "layer=path" (a plain path gets layer "layer<N>"), read by
 * analyze() with only the correlation stage: the same opening, per-CPU sets,
 * gzip, detection and parser cores as every other command.
 */
export async function correlateFiles(
  inputs: string[],
  opts: CorrelateOptions = {},
  read: string | Omit<AnalyzeOptions, 'stages' | 'stageOptions' | 'onStageResult'> = {},
): Promise<LoadedCorrelation> {
  // a string is a --format name (the older signature); an object carries every input option
  const base = typeof read === 'string' ? { format: read } : read;
  let n = 0;
  const named = inputs.map((arg) => {
    const spec = parseInputArg(arg);
    return spec.layer ? arg : `layer${++n}=${spec.path}`;
  });
  let loaded: LoadedCorrelation | undefined;
  await analyze(named, {
    ...base,
    stages: ['correlate'],
    stageOptions: { correlate: opts },
    onStageResult: (stage, result, env) => {
      if (stage === 'correlate') loaded = { env, result: result as CorrelationResult };
    },
  });
  if (!loaded) throw new InputError('correlation needs two layers or a QEMU trace (name inputs layer=path, top layer first)', inputs[0] ?? '');
  return loaded;
}

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


