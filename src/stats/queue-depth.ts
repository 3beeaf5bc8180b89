/**
 * A level over time (requests in flight): maximum, time-weighted average, and
 * a series of at most MAX_WINDOWS equal windows over the trace. The window
 * width starts at 1 ms and doubles (merging neighbours) whenever the trace
 * outgrows the series, so memory stays fixed whatever the trace length.
 */

export const MAX_WINDOWS = 120;

export interface DepthJson {
  max: number;
  /** Time-weighted mean level between the first and the last event, requests. */
  avg: number;
  /** Width of each series window, seconds. */
  windowSeconds: number;
  /** Start of window 0, seconds in the source clock. */
  start: number;
  /** Highest level reached in each window. */
  seriesMax: number[];
  /** Time-weighted mean level in each window. */
  seriesAvg: number[];
}

export class DepthTracker {
  private cur = 0;
  private first = -1;
  private last = -1;
  private area = 0;
  private max = 0;
  private width = 1e6;
  private wMax: number[] = [];
  private wArea: number[] = [];

  /** The level changed to `level` at time t (ns). Times must not go backwards (late ones are clamped). */
  set(t: number, level: number): void {
    if (this.first < 0) {
      this.first = this.last = t;
    }
    if (t < this.last) t = this.last;
    this.accumulate(t);
    this.cur = level;
    if (level > this.max) this.max = level;
    const w = this.window(t);
    if (level > this.wMax[w]!) this.wMax[w] = level;
  }

  /** Note the passage of time without a change (the last event of the trace). */
  touch(t: number): void {
    if (this.first < 0 || t <= this.last) return;
    this.accumulate(t);
    this.window(t);
  }

  private accumulate(t: number): void {
    let from = this.last;
    while (from < t) {
      const w = this.window(from);
      const wEnd = this.first + (w + 1) * this.width;
      const to = Math.min(t, wEnd);
      this.wArea[w]! += this.cur * (to - from);
      if (this.cur > this.wMax[w]!) this.wMax[w] = this.cur;
      from = to;
    }
    this.area += this.cur * (t - this.last);
    this.last = t;
  }

  /** Index of the window holding t, growing (and coarsening) the series as needed. */
  private window(t: number): number {
    let w = Math.floor((t - this.first) / this.width);
    while (w >= MAX_WINDOWS) {
      const m: number[] = [];
      const a: number[] = [];
      for (let i = 0; i < this.wMax.length; i += 2) {
        m.push(Math.max(this.wMax[i]!, this.wMax[i + 1] ?? 0));
        a.push(this.wArea[i]! + (this.wArea[i + 1] ?? 0));
      }
      this.wMax = m;
      this.wArea = a;
      this.width *= 2;
      w = Math.floor((t - this.first) / this.width);
    }
    while (this.wMax.length <= w) {
      this.wMax.push(this.cur);
      this.wArea.push(0);
    }
    return w;
  }

  toJson(): DepthJson {
    const span = this.last - this.first;
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      max: this.max,
      avg: span > 0 ? round(this.area / span) : this.cur,
      windowSeconds: this.width / 1e9,
      start: this.first < 0 ? 0 : this.first / 1e9,
      seriesMax: [...this.wMax],
      seriesAvg: this.wArea.map((a, i) => {
        const ws = this.first + i * this.width;
        const len = Math.min(this.width, this.last - ws);
        return len > 0 ? round(a / len) : this.wMax[i]!;
      }),
    };
  }
}
