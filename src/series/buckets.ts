/**
 * Bounded per-interval accumulators with an adaptive interval.
 *
 * The trace's duration is unknown while it streams, so the interval starts at
 * 1 µs and doubles whenever an event falls beyond the last bucket: adjacent
 * buckets are merged pairwise (counts and areas add, maxima take the larger,
 * histograms add). Memory is fixed per device (maxBuckets × fields) and the
 * final count is between maxBuckets/2 and maxBuckets once the trace is longer
 * than maxBuckets µs. All devices of a layer share one clock so their charts
 * line up.
 */
import { BINS, binOf, quantile } from './histogram.js';
import type { DeviceSeries } from './types.js';
import { FIRST_INTERVAL_NS } from './types.js';

export class SeriesClock {
  start = Number.NaN;
  width = FIRST_INTERVAL_NS;
  /** Highest bucket index used + 1. */
  used = 0;
  /** Last event time seen (ns). */
  end = Number.NaN;
  private readonly devices: DeviceBuckets[] = [];

  constructor(readonly max: number) {}

  add(d: DeviceBuckets): void {
    this.devices.push(d);
  }

  /** Bucket of time t (ns), merging buckets first if t lies beyond the last one. */
  index(t: number): number {
    if (Number.isNaN(this.start)) this.start = t;
    if (!(t <= this.end)) this.end = t;
    let i = Math.floor((t - this.start) / this.width);
    if (i < 0) return 0; // earlier than the layer's first event (a second input of the layer)
    while (i >= this.max) {
      for (const d of this.devices) d.mergePairs();
      this.width *= 2;
      this.used = Math.ceil(this.used / 2);
      i = Math.floor((t - this.start) / this.width);
    }
    if (i >= this.used) this.used = i + 1;
    return i;
  }
}

const FIELDS = [
  'completions', 'readBytes', 'writeBytes', 'inFlightArea', 'inFlightMax', 'volatileMax',
  'flushes', 'flushErrors', 'flushLatMax', 'flushLatSum', 'flushLatCount',
] as const;
type Field = (typeof FIELDS)[number];
const MAX_FIELDS = new Set<Field>(['inFlightMax', 'volatileMax', 'flushLatMax']);

export class DeviceBuckets {
  readonly f: Record<Field, Float64Array>;
  readonly q2c: Uint32Array;
  inFlight = 0;
  volatile = 0;
  private lastT = Number.NaN;

  constructor(private readonly clock: SeriesClock) {
    const f = {} as Record<Field, Float64Array>;
    for (const k of FIELDS) f[k] = new Float64Array(clock.max);
    this.f = f;
    this.q2c = new Uint32Array(clock.max * BINS);
    clock.add(this);
  }

  /** Bucket of t after accounting the held in-flight/volatile values up to t. */
  at(t: number): number {
    const i = this.clock.index(t);
    this.advance(t);
    return i;
  }

  /** Integrate the held values over [lastT, t) bucket by bucket, and note them as maxima there. */
  advance(t: number): void {
    const c = this.clock;
    if (Number.isNaN(this.lastT)) {
      this.lastT = t;
      return;
    }
    let from = Math.max(this.lastT, c.start);
    if (t > from) {
      let i = Math.min(Math.floor((from - c.start) / c.width), c.max - 1);
      const area = this.f.inFlightArea, ifMax = this.f.inFlightMax, vMax = this.f.volatileMax;
      while (from < t && i < c.max) {
        const end = Math.min(t, c.start + (i + 1) * c.width);
        if (this.inFlight > 0) {
          area[i]! += this.inFlight * (end - from);
          if (this.inFlight > ifMax[i]!) ifMax[i] = this.inFlight;
        }
        if (this.volatile > vMax[i]!) vMax[i] = this.volatile;
        from = end;
        i++;
      }
    }
    if (t > this.lastT) this.lastT = t;
  }

  setInFlight(i: number, v: number): void {
    this.inFlight = v;
    if (v > this.f.inFlightMax[i]!) this.f.inFlightMax[i] = v;
  }

  setVolatile(i: number, v: number): void {
    this.volatile = v;
    if (v > this.f.volatileMax[i]!) this.f.volatileMax[i] = v;
  }

  q2cSample(i: number, ns: number): void {
    this.f.completions[i]!++;
    this.q2c[i * BINS + binOf(ns)]!++;
  }

  flushDone(i: number, latencyNs: number | undefined, ok: boolean): void {
    if (!ok) {
      this.f.flushErrors[i]!++;
      return;
    }
    this.f.flushes[i]!++;
    if (latencyNs === undefined) return;
    if (latencyNs > this.f.flushLatMax[i]!) this.f.flushLatMax[i] = latencyNs;
    this.f.flushLatSum[i]! += latencyNs;
    this.f.flushLatCount[i]!++;
  }

  mergePairs(): void {
    const n = this.clock.max;
    for (const k of FIELDS) {
      const a = this.f[k];
      const isMax = MAX_FIELDS.has(k);
      for (let j = 0; j < n; j++) {
        const x = 2 * j < n ? a[2 * j]! : 0;
        const y = 2 * j + 1 < n ? a[2 * j + 1]! : 0;
        a[j] = isMax ? Math.max(x, y) : x + y;
      }
    }
    const h = this.q2c;
    for (let j = 0; j < n; j++) {
      for (let b = 0; b < BINS; b++) {
        const x = 2 * j < n ? h[2 * j * BINS + b]! : 0;
        const y = 2 * j + 1 < n ? h[(2 * j + 1) * BINS + b]! : 0;
        h[j * BINS + b] = x + y;
      }
    }
  }

  /** The JSON form (seconds, bytes), trimmed to the buckets the layer used. */
  result(): DeviceSeries {
    const c = this.clock;
    if (!Number.isNaN(c.end)) this.advance(c.end);
    const n = Math.max(c.used, 1);
    const w = c.width;
    const list = (k: Field, scale = 1): number[] => Array.from(this.f[k].subarray(0, n), (v) => v * scale);
    const ns2s = (v: number | null) => (v === null ? null : v / 1e9);
    const q50: Array<number | null> = [], q99: Array<number | null> = [], avg: number[] = [];
    const latMax: Array<number | null> = [], latMean: Array<number | null> = [];
    for (let i = 0; i < n; i++) {
      q50.push(ns2s(quantile(this.q2c, i * BINS, 0.5)));
      q99.push(ns2s(quantile(this.q2c, i * BINS, 0.99)));
      avg.push(round3(this.f.inFlightArea[i]! / w));
      const cnt = this.f.flushLatCount[i]!;
      latMax.push(cnt > 0 ? this.f.flushLatMax[i]! / 1e9 : null);
      latMean.push(cnt > 0 ? this.f.flushLatSum[i]! / cnt / 1e9 : null);
    }
    return {
      start: Number.isNaN(c.start) ? 0 : c.start / 1e9,
      interval: w / 1e9,
      buckets: n,
      completions: list('completions'),
      readBytes: list('readBytes'),
      writeBytes: list('writeBytes'),
      q2cP50: q50,
      q2cP99: q99,
      inFlightAvg: avg,
      inFlightMax: list('inFlightMax'),
      volatileBytesMax: list('volatileMax'),
      flushes: list('flushes'),
      flushErrors: list('flushErrors'),
      flushLatencyMax: latMax,
      flushLatencyMean: latMean,
    };
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
