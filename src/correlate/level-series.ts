/**
 * A level's operations per interval of its own clock (seconds, without the
 * clock base): reads, writes and flushes completed. Block devices have a
 * fuller series from the series stage; this one gives QEMU's requests and
 * host jobs a lane of their own on the HTML timeline. Bounded: at most
 * MAX_BUCKETS intervals of a 1-2-5 width. None for an untimed table.
 */
import { OpKind, type OpTable } from './ops.js';

export interface LevelSeries {
  /** Seconds (the level's clock, without its base) where bucket 0 starts. */
  start: number;
  /** Seconds per bucket. */
  interval: number;
  buckets: number;
  reads: number[];
  writes: number[];
  flushes: number[];
}

const MAX_BUCKETS = 200;

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export function levelSeries(t: OpTable): LevelSeries | undefined {
  if (t.orderOnly) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.n; i++) {
    const c = t.tC[i]!;
    if (!t.done(i) || !Number.isFinite(c)) continue;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  if (!(hi >= lo)) return undefined;
  const start = lo / 1e9;
  const interval = Math.max(1e-6, niceStep(Math.max(1e-6, (hi - lo) / 1e9 / (MAX_BUCKETS - 1))));
  const buckets = Math.min(MAX_BUCKETS, Math.floor((hi - lo) / 1e9 / interval) + 1);
  const s: LevelSeries = { start, interval, buckets, reads: new Array(buckets).fill(0), writes: new Array(buckets).fill(0), flushes: new Array(buckets).fill(0) };
  for (let i = 0; i < t.n; i++) {
    if (!t.done(i) || !Number.isFinite(t.tC[i]!)) continue;
    const b = Math.min(buckets - 1, Math.floor((t.tC[i]! / 1e9 - start) / interval));
    const k = t.kind[i];
    if (k === OpKind.Read) s.reads[b]!++;
    else if (k === OpKind.Write) s.writes[b]!++;
    else if (k === OpKind.Flush) s.flushes[b]!++;
  }
  return s;
}

/**
 * One series from several of the same level (the segments of a streamed correlation, src/correlate/segments.ts):
 * each interval's counts put in the interval of the whole span that holds its middle.
 */
export function mergeSeries(parts: LevelSeries[]): LevelSeries | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  const lo = Math.min(...parts.map((p) => p.start));
  const hi = Math.max(...parts.map((p) => p.start + p.buckets * p.interval));
  const interval = Math.max(1e-6, niceStep(Math.max(1e-6, (hi - lo) / (MAX_BUCKETS - 1))));
  const buckets = Math.min(MAX_BUCKETS, Math.floor((hi - lo) / interval) + 1);
  const s: LevelSeries = { start: lo, interval, buckets, reads: new Array(buckets).fill(0), writes: new Array(buckets).fill(0), flushes: new Array(buckets).fill(0) };
  for (const p of parts) {
    for (let i = 0; i < p.buckets; i++) {
      const b = Math.min(buckets - 1, Math.floor((p.start + (i + 0.5) * p.interval - lo) / interval));
      s.reads[b]! += p.reads[i]!;
      s.writes[b]! += p.writes[i]!;
      s.flushes[b]! += p.flushes[i]!;
    }
  }
  return s;
}
