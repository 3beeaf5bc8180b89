/**
 * The correlate stage: one Correlator per analysis (kept per AnalysisEnv, so
 * no state outlives an analysis), one analyzer per layer feeding it block
 * events (`event`) or QEMU events (`qemu`), and a cross-layer finish that runs
 * once every layer has been read.
 *
 * Wiring in analyze() (additive):
 *   - ParseContext.qemuSink → every layer analyzer that has `qemu(e)`;
 *   - after all layers: `stage.finishAll?.(report, env)`.
 * Options: AnalysisEnv.options['correlate'] = CorrelateOptions (see stack.ts
 * `correlateOptions` for --stack / --map / --cache LAYER=MODE / --device).
 */
import type { AnalysisEnv, EventAnalyzer } from '../model/analysis.js';
import type { BlockEvent, EventSink } from '../model/event.js';
import type { Report } from '../model/report.js';
import type { QemuEvent, QemuSink } from '../qemu/event.js';
import { createCorrelator, type CorrelateOptions, type CorrelationResult, type Correlator } from './correlator.js';

export interface LayerCorrelateAnalyzer extends EventAnalyzer<undefined>, QemuSink {}

interface State {
  correlator: Correlator;
  layers: Set<string>;
  qemuLayers: Set<string>;
}

const states = new WeakMap<AnalysisEnv, State>();

function state(env: AnalysisEnv): State {
  let s = states.get(env);
  if (!s) {
    s = { correlator: createCorrelator(env, (env.options['correlate'] as CorrelateOptions | undefined) ?? {}), layers: new Set(), qemuLayers: new Set() };
    states.set(env, s);
  }
  return s;
}

export const correlateStage = {
  name: 'correlate',
  /**
   * On when the caller asks for it (stageOptions.correlate, set by the CLI for two or more layers,
   * --stack or --map): collecting per-layer operations costs memory a single-layer run should not pay.
   */
  enabled: (options: { stageOptions?: Record<string, unknown> }): boolean => options.stageOptions?.['correlate'] !== undefined,
  create(env: AnalysisEnv, layer: string): LayerCorrelateAnalyzer {
    const s = state(env);
    const name = layer || 'layer';
    s.layers.add(name);
    let block: EventSink | undefined;
    let qemu: QemuSink | undefined;
    return {
      event(e: BlockEvent) {
        (block ??= s.correlator.blockSink(name, e.source)).event(e);
      },
      qemu(e: QemuEvent) {
        s.qemuLayers.add(name);
        (qemu ??= s.correlator.qemuSink(name, e.source)).qemu(e);
      },
      finish: () => undefined,
    };
  },
  contribute(): void {},
  /** After every layer: correlate when there are two layers or more, or a QEMU trace (its own front/back pair). */
  finishAll(report: Report, env: AnalysisEnv): CorrelationResult | undefined {
    const s = states.get(env);
    if (!s || (s.layers.size < 2 && s.qemuLayers.size === 0)) return undefined;
    const result = s.correlator.finish();
    contributeCorrelation(report, result);
    return result;
  },
};

/**
 * A single-layer check cannot tell a write-through device from `nobarrier`
 * (no flush either way): when the stack shows the layer is write-through
 * (e.g. QEMU reports WCE=0 and writes FUA to the host), a flush-never-issued
 * that only held "if the cache is volatile" is not a violation: it becomes
 * info, saying why.
 */
function settleWriteThrough(report: Report, layer: string, device: string, how: string | undefined): void {
  for (const f of report.findings) {
    if (f.rule !== 'flush-never-issued' || f.severity !== 'warning' || f.layer !== layer) continue;
    if (device && f.device && f.device !== device) continue;
    f.severity = 'info';
    f.message += ` Not a violation: the stack shows this device is write-through${how ? ` (${how})` : ''}, so no flush is needed.`;
  }
}

/** Put a correlation result into the report (findings, alignment, layer cache modes, the correlation section). */
export function contributeCorrelation(report: Report, r: CorrelationResult): void {
  report.findings.push(...r.findings);
  report.alignment.push(...r.alignment);
  for (const lv of r.levels) {
    const lr = report.layers.find((l) => l.name === lv.layer || (l.name === '' && lv.layer === 'layer'));
    if (lr && lv.name === lv.layer && lv.cache.source !== 'unknown') {
      lr.cacheMode = { mode: lv.cache.mode, source: lv.cache.source, how: lv.cache.how };
    }
    if (lv.name === lv.layer && lv.cache.mode === 'writethrough') settleWriteThrough(report, lv.layer, lv.device, lv.cache.how);
  }
  report.correlation = {
    levels: r.levels,
    pairs: r.pairs,
    statements: r.statements,
    limitations: r.limitations,
    qemu: r.qemu,
  };
}
