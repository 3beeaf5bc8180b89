/**
 * `stats --json`: the stats JSON contract. Extend, never rename:
 *   {"schemaVersion": 1, "devices": [{"device": "7,1", "blkparse": {…},
 *    "latency": {"Q2C": {"n","min","avg","max","p50","p90","p99"}, …},
 *    "flushes": {"completed": n, …}, …}], "skipped": {"<reason>": n}}
 * Latencies are in seconds. `latency` is btt-compatible (the figures btt
 * prints); `latencyTrue` holds the requests' real lifetimes (src/track).
 */
import type { InputReport } from '../model/report.js';
import type { DeviceStatsWithCheck } from './stage.js';

export const STATS_SCHEMA_VERSION = 1;

export interface StatsJsonInput {
  devices: Array<{ layer: string; stats: DeviceStatsWithCheck }>;
  skipped: Record<string, number>;
  inputs?: InputReport[];
}

/** One device in contract key order: identity, blkparse, latency, flushes first. */
function deviceJson(layer: string, s: DeviceStatsWithCheck): Record<string, unknown> {
  const out: Record<string, unknown> = { device: s.device };
  if (layer) out['layer'] = layer;
  out['blkparse'] = s.blkparse;
  out['latency'] = s.latency;
  out['flushes'] = s.flushes;
  out['latencyTrue'] = s.latencyTrue;
  out['events'] = s.events;
  out['firstTime'] = s.firstTime;
  out['lastTime'] = s.lastTime;
  out['ops'] = s.ops;
  out['requests'] = s.requests;
  out['facts'] = s.facts;
  out['btt'] = s.btt;
  out['queueDepth'] = s.queueDepth;
  out['sizes'] = s.sizes;
  out['processes'] = s.processes;
  if (s.reported) out['reported'] = s.reported;
  if (s.crossCheck) out['crossCheck'] = s.crossCheck;
  return out;
}

export function statsJsonObject(input: StatsJsonInput): Record<string, unknown> {
  const out: Record<string, unknown> = { schemaVersion: STATS_SCHEMA_VERSION };
  if (input.inputs) {
    out['inputs'] = input.inputs.map((i) => ({ path: i.path, layer: i.layer, format: i.format, events: i.events }));
  }
  out['devices'] = input.devices.map((d) => deviceJson(d.layer, d.stats));
  out['skipped'] = input.skipped;
  return out;
}

export function renderStatsJson(input: StatsJsonInput): string {
  return JSON.stringify(statsJsonObject(input), null, 2) + '\n';
}
