/** Read real traces into a correlator in-process, optionally shifting one input's clock (tests only). */
import { gunzipSync } from 'node:zlib';
import type { AnalysisEnv } from '../../src/model/analysis.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { ParseContext } from '../../src/formats/types.js';
import { detectFormat } from '../../src/formats/registry.js';
import { createCorrelator, type CorrelateOptions, type CorrelationResult } from '../../src/correlate/correlator.js';

export interface Input {
  layer: string;
  file: string;
  /** ns added to every timestamp of this input (the clock-shift test). */
  shift?: number;
}

export function loadLayers(inputs: Input[], opts: CorrelateOptions, read: (file: string) => Buffer): { env: AnalysisEnv; r: CorrelationResult } {
  const env: AnalysisEnv = { sources: [], diag: new Diagnostics(), options: {} };
  const c = createCorrelator(env, opts);
  for (const inp of inputs) {
    const raw = read(inp.file);
    const data = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    const format = detectFormat(data)!.format;
    const index = env.sources.length;
    env.sources.push({ index, name: inp.file, layer: inp.layer, format: format.name, detectedBy: 'content', locKind: 'line', clock: { name: 'relative', origin: '' }, limitations: [] });
    const shift = inp.shift ?? 0;
    const block = format.produces === 'block' ? c.blockSink(inp.layer, index) : undefined;
    const qemu = format.produces === 'qemu' ? c.qemuSink(inp.layer, index) : undefined;
    const ctx: ParseContext = {
      sourceIndex: index, sourceName: inp.file,
      sink: { event: (e) => { e.time += shift; block!.event(e); } },
      diag: env.diag, options: {}, setClock: (d) => { env.sources[index]!.clock = d; }, attach: () => {}, limitation: () => {},
    };
    if (qemu) ctx.qemuSink = { qemu: (e) => { if (e.time >= 0) e.time += shift; qemu.qemu(e); } };
    const p = format.create(ctx);
    p.push(data);
    p.end();
  }
  return { env, r: c.finish() };
}

