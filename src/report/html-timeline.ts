/**
 * The HTML timeline's lanes, arranged on the Node side: every layer on one
 * axis — the report's reference clock (src/clock) — with one lane per block
 * device (bytes completed, bytes not yet durable, flushes) and one per QEMU
 * level (its requests, its host jobs: operations completed per interval),
 * each carrying its layer's alignment uncertainty (drawn as a band around
 * the events on it). A layer whose clock is not aligned to the reference
 * keeps its own clock: its lanes go to a panel of their own, said so.
 */
import type { Report } from '../model/report.js';
import { deviceAxis } from '../clock/layer-time.js';
import { deviceLabel, deviceViews } from './view.js';

export interface HtmlLane {
  layer: string;
  /** "vda (254,0)", "requests 0x55…", "host jobs 0x55…". */
  label: string;
  sub: string;
  kind: 'block' | 'qemu';
  /** Device the lane's findings are about ("" = the whole layer). */
  device: string;
  /** On the reference axis (false: the layer's own clock). */
  placed: boolean;
  /** ± seconds of the layer's placement. */
  uncertainty: number;
  /** Axis seconds where bucket 0 starts, seconds per bucket. */
  start: number;
  interval: number;
  buckets: number;
  /** Per bucket: bytes completed (block) or operations completed (QEMU). */
  writes: number[];
  reads: number[];
  /** Bytes acknowledged, not yet durable (block only). */
  volatile: number[] | null;
  flushes: number[];
  flushErrors: number[];
}

interface LevelLike {
  name?: unknown;
  layer?: unknown;
  device?: unknown;
  role?: unknown;
  cache?: { mode?: unknown; source?: unknown };
  series?: { start: number; interval: number; buckets: number; reads: number[]; writes: number[]; flushes: number[] };
}

export function timelineLanes(report: Report): HtmlLane[] {
  const lanes: HtmlLane[] = [];
  const views = deviceViews(report);
  const levels = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as LevelLike[];
  for (const layer of report.layers) {
    for (const v of views.filter((d) => d.layer === layer.name && d.series)) {
      const s = v.series!;
      const ax = deviceAxis(report, layer.name, v.device);
      lanes.push({
        layer: layer.name, label: deviceLabel(v), sub: v.cache ? `cache ${v.cache.mode}${v.cache.source ? ` (${v.cache.source})` : ''}` : '',
        kind: 'block', device: v.device, placed: ax.reference, uncertainty: ax.uncertainty,
        start: s.start - ax.shift, interval: s.interval, buckets: s.buckets,
        writes: s.writeBytes, reads: s.readBytes, volatile: s.volatileBytesMax, flushes: s.flushes, flushErrors: s.flushErrors,
      });
    }
    for (const lv of levels.filter((l) => (l.layer === layer.name || (layer.name === '' && l.layer === 'layer')) && l.role !== 'block' && l.series)) {
      const s = lv.series!;
      const ax = deviceAxis(report, layer.name, String(lv.device ?? ''));
      const what = lv.role === 'qemu-back' ? 'host jobs' : 'requests';
      lanes.push({
        layer: layer.name, label: `QEMU ${what}`, sub: `${String(lv.device ?? '')}`,
        kind: 'qemu', device: lv.role === 'qemu-back' ? '\u0000jobs' : String(lv.device ?? ''), placed: ax.reference, uncertainty: ax.uncertainty,
        start: s.start - ax.shift, interval: s.interval, buckets: s.buckets,
        writes: s.writes, reads: s.reads, volatile: null, flushes: s.flushes, flushErrors: new Array<number>(s.buckets).fill(0),
      });
    }
  }
  return lanes;
}
