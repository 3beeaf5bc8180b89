/**
 * Per-interval time series of one device, for charts (terminal `--charts`,
 * HTML). Bounded: at most `maxBuckets` intervals per device whatever the trace
 * length (see buckets.ts for the adaptive interval).
 *
 * Every array has `buckets` entries; entry i covers the layer-clock interval
 * [start + i·interval, start + (i+1)·interval) in seconds. Durations are in
 * seconds, sizes in bytes. `null` means "no sample in this interval".
 */
export interface DeviceSeries {
  /** Seconds (the layer's trace clock) where bucket 0 starts: the layer's first event. */
  start: number;
  /** Width of one bucket, seconds. A power-of-two multiple of 1 µs. */
  interval: number;
  /** Number of buckets (≤ maxBuckets). */
  buckets: number;
  /** Bios with data whose lifetime (src/track) ended in the bucket: one Q2C sample each. */
  completions: number[];
  /** Bytes of reads / writes (incl. write-zeroes) completed successfully in the bucket. */
  readBytes: number[];
  writeBytes: number[];
  /** Median and 99th percentile of Q2C (queue → final completion), seconds; ±9 % (log histogram, 4 bins per octave). */
  q2cP50: Array<number | null>;
  q2cP99: Array<number | null>;
  /** Requests at the driver (issued, D, and not completed, C; flush requests included): time-weighted mean and maximum. */
  inFlightAvg: number[];
  inFlightMax: number[];
  /**
   * Largest number of bytes acknowledged (write completed) but not yet covered
   * by a completed flush issued after that acknowledgement (shared reference
   * §3.5 D2; the checker's durability model, src/check), within the bucket.
   * Assumes a volatile write cache: on a write-through device nothing is
   * really at risk (see the device's cache mode).
   */
  volatileBytesMax: number[];
  /** Successful flush completions (flush requests, C FN / FF) in the bucket. */
  flushes: number[];
  /** Failed flush completions in the bucket. */
  flushErrors: number[];
  /** Flush request issue → completion (D → C), seconds: maximum and mean over the bucket's flushes. */
  flushLatencyMax: Array<number | null>;
  flushLatencyMean: Array<number | null>;
}

/** Options of the series stage, in AnalyzeOptions.stageOptions['series']. */
export interface SeriesOptions {
  /** Most buckets per device (default 200, at least 2). */
  maxBuckets?: number;
}

export const DEFAULT_MAX_BUCKETS = 200;
/** Width of the first buckets (ns); doubled as often as needed. */
export const FIRST_INTERVAL_NS = 1000;
