/**
 * Read `layer=path` inputs straight into a Correlator (for `blkaudit follow`
 * and for tests): the same opening, detection and parser cores as analyze(),
 * with each input's events routed to its layer's sink. Never prints.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AnalysisEnv, SourceInfo } from '../model/analysis.js';
import { Diagnostics } from '../model/diagnostics.js';
import type { ParseContext } from '../formats/types.js';
import { chooseFormat, InputError, openByteStream, parseInputArg, peekStream, pump } from '../io/open.js';
import { createCorrelator, type CorrelateOptions, type CorrelationResult } from './correlator.js';
import { parseMapSpec, type SectorMap } from './mapping.js';

export interface LoadedCorrelation {
  env: AnalysisEnv;
  result: CorrelationResult;
}

/** Inputs as "layer=path" (a plain path gets layer "layer<N>"). */
export async function correlateFiles(inputs: string[], opts: CorrelateOptions = {}, format?: string): Promise<LoadedCorrelation> {
  const env: AnalysisEnv = { sources: [], diag: new Diagnostics(), options: {} };
  const c = createCorrelator(env, opts);
  let n = 0;
  for (const arg of inputs) {
    const spec = parseInputArg(arg);
    const layer = spec.layer || `layer${++n}`;
    const raw = await openByteStream(spec.path);
    const { head, stream } = await peekStream(raw, spec.path);
    const { format: f, detectedBy } = chooseFormat(head, spec.path, format);
    const source: SourceInfo = {
      index: env.sources.length, name: spec.path, layer, format: f.name, detectedBy,
      locKind: f.kind === 'binary' ? 'offset' : 'line', clock: { name: 'relative', origin: 'as printed by the trace' }, limitations: [],
    };
    env.sources.push(source);
    const ctx: ParseContext = {
      sourceIndex: source.index,
      sourceName: spec.path,
      sink: f.produces === 'block' ? c.blockSink(layer, source.index) : { event: () => {} },
      diag: env.diag,
      options: {},
      setClock: (d) => { source.clock = d; },
      attach: () => {},
      limitation: (t) => { if (!source.limitations.includes(t)) source.limitations.push(t); },
    };
    if (f.produces === 'qemu') ctx.qemuSink = c.qemuSink(layer, source.index);
    await pump(stream, f.create(ctx));
  }
  return { env, result: c.finish() };
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


