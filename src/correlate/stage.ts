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
import type { CacheShownBelow } from '../check/cache.js';
import { createCorrelator, type CorrelateOptions, type CorrelationResult, type Correlator } from './correlator.js';
import { BlockOpsBuilder, DeviceOps } from './block-ops.js';
import { sharedTrackers } from '../track/lifecycle-pair.js';

export interface LayerCorrelateAnalyzer extends EventAnalyzer<undefined>, QemuSink {}

interface State {
  correlator: Correlator;
  layers: Set<string>;
  qemuLayers: Set<string>;
  /** An input without a layer name (the correlator calls its layer 'layer'). */
  unnamed?: boolean;
  result?: CorrelationResult;
  done: boolean;
}

/** Where the correlate stage leaves each device's cache as the layer below shows it (read by the checker). */
export const CACHE_FROM_BELOW = 'cacheFromBelow';
export type CacheFromBelow = Record<string, Record<string, CacheShownBelow>>;

const states = new WeakMap<AnalysisEnv, State>();

function state(env: AnalysisEnv): State {
  let s = states.get(env);
  if (!s) {
    s = { correlator: createCorrelator(env, (env.options['correlate'] as CorrelateOptions | undefined) ?? {}), layers: new Set(), qemuLayers: new Set(), done: false };
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
    if (!layer) s.unnamed = true;
    s.layers.add(name);
    let block: EventSink | undefined;
    let qemu: QemuSink | undefined;
    // When the checker reads this layer, its request trackers feed the operation tables too (one match per
    // event, track/lifecycle-pair.ts): each device's table is made when the checker's tracker is.
    const shared = sharedTrackers(env, layer);
    const attached = new Map<number, DeviceOps>();
    if (shared) {
      shared.second = (dev) => {
        let d = attached.get(dev);
        if (!d) attached.set(dev, (d = new DeviceOps(name, dev, true)));
        return d;
      };
    }
    return {
      event(e: BlockEvent) {
        if (!block) {
          block = s.correlator.blockSink(name, e.source);
          if (shared && block instanceof BlockOpsBuilder) block.adopt(attached);
        }
        block.event(e);
      },
      qemu(e: QemuEvent) {
        s.qemuLayers.add(name);
        (qemu ??= s.correlator.qemuSink(name, e.source)).qemu(e);
      },
      finish: () => undefined,
    };
  },
  contribute(): void {},
  /**
   * After every layer is read, before the per-layer rules finish: correlate when there are two layers or
   * more, a QEMU trace (its own front/back pair) or a layer whose devices are stacked (remap events), and
   * hand the checker each device's cache as the layer below shows it.
   */
  prepare(env: AnalysisEnv): void {
    const s = states.get(env);
    if (!s || s.done) return;
    s.done = true;
    const always = (env.options['correlate'] as CorrelateOptions | undefined)?.always === true;
    if (!always && s.layers.size < 2 && s.qemuLayers.size === 0 && !s.correlator.hasStackedDevices()) return;
    s.result = s.correlator.finish();
    const below: CacheFromBelow = {};
    // keyed by the checker's layer name: an unnamed input's layer is '' there ('layer' here)
    for (const { layer, device, ...shown } of s.result.cacheFromBelow) (below[layer === 'layer' && s.unnamed ? '' : layer] ??= {})[device] = shown;
    env.options[CACHE_FROM_BELOW] = below;
  },
  finishAll(report: Report, env: AnalysisEnv): CorrelationResult | undefined {
    correlateStage.prepare(env);
    const s = states.get(env);
    if (!s?.result) return undefined;
    contributeCorrelation(report, s.result);
    return s.result;
  },
};

/** Put a correlation result into the report (findings, alignment, layer cache modes, the correlation section). */
export function contributeCorrelation(report: Report, r: CorrelationResult): void {
  for (const f of r.findings) report.findings.push(f);
  report.alignment.push(...r.alignment);
  for (const lv of r.levels) {
    const lr = report.layers.find((l) => l.name === lv.layer || (l.name === '' && lv.layer === 'layer'));
    if (lr && lv.name === lv.layer && lv.cache.source !== 'unknown') {
      lr.cacheMode = { mode: lv.cache.mode, source: lv.cache.source, how: lv.cache.how };
    }
  }
  report.correlation = {
    levels: r.levels,
    pairs: r.pairs,
    statements: r.statements,
    limitations: r.limitations,
    qemu: r.qemu,
  };
}
