/**
 * `createStatsAnalyzer(env)`: the stats stage. Fed one layer's events in
 * order (devices interleaved), it keeps one DeviceAccumulator per device and
 * returns one DeviceStats per device, sorted by dev_t. Anomalies the request
 * tracker met (completions with no issue, requests still in flight at the
 * end, …) are also counted in env.diag under "track: …" reasons (info).
 */
import { maxInflightOf, type AnalysisEnv, type EventAnalyzer } from '../model/analysis.js';
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import type { TrackCounts } from '../track/request.js';
import { DeviceAccumulator, type DeviceStats } from './device.js';

export interface StatsResult {
  devices: DeviceStats[];
}

/** TrackCounts keys reported to env.diag, with their stable reason text. */
export const TRACK_REASONS: Partial<Record<keyof TrackCounts, string>> = {
  completionWithoutIssue: 'track: completion without issue',
  zeroByteCompletionWithoutIssue: 'track: 0-byte completion without a waiting request',
  flushCompletionWithoutIssue: 'track: flush completion without flush issue',
  issueWithoutQueue: 'track: issue without queue',
  getrqWithoutQueue: 'track: getrq without queue',
  mergeWithoutQueue: 'track: merge without queue',
  insertWithoutQueue: 'track: insert without queue',
  finalCompletionMissing: 'track: flush-sequenced write without final completion',
  inFlightAtEnd: 'track: requests in flight at end of trace',
  evicted: 'track: oldest requests dropped (too many in flight)',
};

export function createStatsAnalyzer(env: AnalysisEnv): EventAnalyzer<StatsResult> {
  const devices = new Map<number, DeviceAccumulator>();
  let lastDev = -1;
  let last: DeviceAccumulator | undefined;
  return {
    declareDevice(dev: number): void {
      if (!devices.has(dev)) devices.set(dev, new DeviceAccumulator(dev, maxInflightOf(env)));
    },
    event(e: BlockEvent): void {
      if (e.act === Act.Message) return;
      if (e.dev !== lastDev || !last) {
        last = devices.get(e.dev);
        if (!last) {
          last = new DeviceAccumulator(e.dev, maxInflightOf(env));
          devices.set(e.dev, last);
        }
        lastDev = e.dev;
      }
      last.event(e);
    },
    finish(): StatsResult {
      const out: DeviceStats[] = [];
      for (const dev of [...devices.keys()].sort((a, b) => a - b)) {
        const s = devices.get(dev)!.finish(env);
        for (const [key, reason] of Object.entries(TRACK_REASONS)) {
          const n = s.requests[key as keyof TrackCounts];
          if (n > 0) env.diag.addMany(reason!, 'info', n, { source: 'stats', locKind: 'line', loc: 0, text: `device ${s.device}: ${n}` });
        }
        out.push(s);
      }
      return { devices: out };
    },
  };
}
