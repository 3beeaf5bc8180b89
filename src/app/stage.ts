/**
 * The `app` stage: the application layer (sync calls from strace, a sync-call
 * CSV, or syscall tracepoints beside the block events) checked against the
 * device layer directly below it — rule `sync-call-not-durable` (judge.ts),
 * grouped into incidents (incidents.ts) — plus the seam to the stack: calls
 * that rode on flushes a lower layer never made durable become one incident at
 * that lower layer (affected.ts), read from the cross-layer findings.
 *
 * Wiring (additive, like the correlate stage): ParseContext.appSink → every
 * layer analyzer's `call(c)`; block events → `event(e)`, recorded only once
 * the analysis has seen a sync call (the application layer is given first,
 * top layer first; in one tracepoint stream the first syscall comes before
 * the I/O it causes). Options: AnalysisEnv.options['app'] = AppOptions.
 */
import type { AnalysisEnv, EventAnalyzer } from '../model/analysis.js';
import type { BlockEvent } from '../model/event.js';
import type { Report } from '../model/report.js';
import type { InputFormat, Stage } from '../model/stage.js';
import type { AppOptions, LayerData, MountDecl } from './types.js';

export type { AppOptions, LayerData, MountDecl } from './types.js';
import type { AppSink, SyncCall } from './call.js';
import { DeviceTimeline } from './timeline.js';
import { analyzeAppLayer, type AppLayerResult } from './layer.js';
import { attachAffected } from './affected.js';

/** Calls kept per layer before more are counted and dropped. */
export const MAX_CALLS = 1 << 21;


interface State {
  appSeen: boolean;
  order: string[];
  layers: Map<string, LayerData>;
}

const states = new WeakMap<AnalysisEnv, State>();

function state(env: AnalysisEnv): State {
  let s = states.get(env);
  if (!s) states.set(env, (s = { appSeen: false, order: [], layers: new Map() }));
  return s;
}

export function parseMount(text: string): MountDecl {
  const eq = text.lastIndexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new Error(`--mount expects PATH=DEV (e.g. /var/lib/postgresql=loop1), got ${JSON.stringify(text)}`);
  let path = text.slice(0, eq).trim();
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, dev: text.slice(eq + 1).trim() };
}

/** Whether some input, given its format, can carry sync calls. */
function someCarryCalls(formats: ReadonlyArray<InputFormat>): boolean {
  return formats.some((f) => f.produces === 'app' || f.carriesCalls === true);
}

export const appStage: Stage = {
  name: 'app',
  enabled: (options) => options.stageOptions?.['app'] !== undefined,
  create(env: AnalysisEnv, layer: string): EventAnalyzer<undefined> & AppSink {
    const s = state(env);
    const name = layer || 'layer';
    let d = s.layers.get(name);
    if (!d) {
      d = { name, calls: [], dropped: 0, devices: new Map(), comms: new Map() };
      s.layers.set(name, d);
      s.order.push(name);
    }
    const data = d;
    let last: DeviceTimeline | undefined;
    return {
      event(e: BlockEvent) {
        if (!s.appSeen) return;
        if (!last || last.dev !== e.dev) {
          last = data.devices.get(e.dev);
          if (!last) data.devices.set(e.dev, (last = new DeviceTimeline(e.dev)));
        }
        last.event(e, data.comms);
      },
      call(c: SyncCall) {
        s.appSeen = true;
        if (data.calls.length < MAX_CALLS) data.calls.push(c);
        else data.dropped++;
      },
      finish: () => undefined,
    };
  },
  contribute(): void {},
  /**
   * Block events are kept only once a sync call has been seen, in any layer (above): which layer's calls
   * come first decides what is kept, so inputs that can carry calls are read in argument order.
   */
  needsInputOrder: (formats) => someCarryCalls(formats),
  /** With no input that can carry a sync call, no block event is ever kept (nor looked at). */
  usesBlockEvents: (formats) => someCarryCalls(formats),
  /** Returns every application layer's result (alignment and per-call verdicts) for AnalyzeOptions.onStageResult. */
  finishAll(report: Report, env: AnalysisEnv): AppLayerResult[] | undefined {
    const s = states.get(env);
    if (!s) return undefined;
    const results: AppLayerResult[] = [];
    const opts = (env.options['app'] as AppOptions | undefined) ?? {};
    // one trace given as two layers (a tracepoint stream split by --device) carries the same calls twice:
    // they belong to the upper one only
    const judged = new Set<string>();
    for (let i = 0; i < s.order.length; i++) {
      const d = s.layers.get(s.order[i]!)!;
      if (d.calls.length === 0) continue;
      const paths = new Set(d.calls.map((c) => env.sources[c.source]?.name ?? ''));
      if ([...paths].every((p) => judged.has(p))) continue;
      for (const p of paths) judged.add(p);
      // the device layer below: the same stream when it carried block events too, else the next layer down
      let below: LayerData | undefined;
      if (d.devices.size > 0) below = d;
      else for (let k = i + 1; k < s.order.length && !below; k++) if (s.layers.get(s.order[k]!)!.devices.size > 0) below = s.layers.get(s.order[k]!);
      const result = analyzeAppLayer(report, env, d, below, opts);
      attachAffected(report, env, result);
      results.push(result);
    }
    return results.length > 0 ? results : undefined;
  },
};
