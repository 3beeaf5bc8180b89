/**
 * The `series` stage: bounded per-interval time series per device (latency,
 * requests in flight, volatile bytes, flushes) for the charts of
 * `blkaudit report`. Runs only when asked for (stageOptions.series set, or
 * named in AnalyzeOptions.stages): other commands do not pay for it.
 * Result: `devices[].series` (types.ts).
 */
import type { AnalysisEnv, EventAnalyzer } from '../model/analysis.js';
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import { formatDev } from '../model/device.js';
import type { DeviceReport, Report } from '../model/report.js';
import type { Stage } from '../model/stage.js';
import { DeviceBuckets, SeriesClock } from './buckets.js';
import { DeviceSeriesBuilder } from './device.js';
import { DEFAULT_MAX_BUCKETS, type DeviceSeries, type SeriesOptions } from './types.js';

export type { DeviceSeries, SeriesOptions } from './types.js';

export interface LayerSeries {
  devices: Map<string, DeviceSeries>;
}

/** One layer's analyzer: a tracker per device, one clock for all of them. */
export function createSeriesAnalyzer(env: AnalysisEnv, layer: string, options: SeriesOptions = {}): EventAnalyzer<LayerSeries> {
  const max = Math.max(2, Math.floor(options.maxBuckets ?? DEFAULT_MAX_BUCKETS));
  const clock = new SeriesClock(max);
  const trackers = new Map<number, { builder: DeviceSeriesBuilder; buckets: DeviceBuckets }>();
  let lastDev = -1;
  let last: DeviceSeriesBuilder | undefined;
  return {
    event(e: BlockEvent): void {
      if (e.act === Act.Message || e.time < 0) return;
      if (e.dev !== lastDev || !last) {
        let t = trackers.get(e.dev);
        if (!t) {
          const buckets = new DeviceBuckets(clock);
          t = { builder: new DeviceSeriesBuilder(env, e.dev, layer, buckets), buckets };
          trackers.set(e.dev, t);
        }
        last = t.builder;
        lastDev = e.dev;
      }
      last.event(e);
    },
    finish(): LayerSeries {
      const devices = new Map<string, DeviceSeries>();
      const sorted = [...trackers.entries()].sort((a, b) => a[0] - b[0]);
      for (const [dev, t] of sorted) {
        t.builder.finish();
        devices.set(formatDev(dev), t.buckets.result());
      }
      return { devices };
    },
  };
}

/** The device entry of `report` for (layer, device), created when missing. */
export function deviceEntry(report: Report, layer: string, device: string): DeviceReport {
  let d = report.devices.find((x) => x.layer === layer && x.device === device);
  if (!d) {
    d = { device, layer };
    report.devices.push(d);
  }
  return d;
}

export const seriesStage: Stage = {
  name: 'series',
  enabled: (options) => options.stageOptions?.['series'] !== undefined,
  create: (env: AnalysisEnv, layer: string) => createSeriesAnalyzer(env, layer, (env.options['series'] as SeriesOptions | undefined) ?? {}),
  contribute(report: Report, layer: string, result: unknown): void {
    const r = result as LayerSeries;
    for (const [device, s] of r.devices) deviceEntry(report, layer, device)['series'] = s;
  },
};
