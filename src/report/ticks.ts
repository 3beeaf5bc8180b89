/**
 * Axis ticks people can read: steps of 1, 2 or 5 times a power of ten, in a
 * unit chosen for the axis as a whole ("0 µs, 200 µs, 400 µs", "0, 2, 4 KiB"),
 * and time-axis labels at regular steps. Used by the terminal charts; the
 * HTML page's script carries its own copy (it is serialized standalone).
 */

/** The smallest 1-2-5 step ≥ raw (raw > 0). */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  // a tolerance, so 0.30000000000000004 / 0.1 still reads as 3 → 5
  return (m <= 1 + 1e-9 ? 1 : m <= 2 + 1e-9 ? 2 : m <= 5 + 1e-9 ? 5 : 10) * p;
}

export interface Scale {
  /** Value at the top of the axis: a whole number of steps ≥ the data's maximum. */
  top: number;
  step: number;
  /** Rows (steps) from 0 to top. */
  rows: number;
}

/** A 0-based scale of at most `maxRows` 1-2-5 steps covering `max`; `integer` keeps steps ≥ 1. */
export function niceScale(max: number, maxRows: number, integer = false): Scale {
  const rowsMax = Math.max(1, maxRows);
  let step = niceStep(max / rowsMax);
  if (integer) step = Math.max(1, Math.round(step));
  const rows = Math.max(1, Math.ceil(max / step - 1e-9));
  return { top: rows * step, step, rows };
}

export interface Unit {
  div: number;
  name: string;
}

/** The unit of a duration axis whose largest value is `top` seconds. */
export function durationUnit(top: number): Unit {
  if (top < 1e-3) return { div: 1e-6, name: 'µs' };
  if (top < 1) return { div: 1e-3, name: 'ms' };
  return { div: 1, name: 's' };
}

/** The unit of a byte axis whose largest value is `top` bytes. */
export function byteUnit(top: number): Unit {
  if (top >= 1 << 30) return { div: 1 << 30, name: 'GiB' };
  if (top >= 1 << 20) return { div: 1 << 20, name: 'MiB' };
  if (top >= 1 << 10) return { div: 1 << 10, name: 'KiB' };
  return { div: 1, name: 'B' };
}

/** A tick value in its unit, with just the decimals the step needs ("0.5 ms", "200 µs"). */
export function tickLabel(v: number, step: number, unit: Unit): string {
  const x = v / unit.div;
  const s = step / unit.div;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(s) + 1e-9)));
  return `${x.toFixed(decimals)}${unit.name ? ` ${unit.name}` : ''}`;
}

/** A scale in a 1-2-5 step of the chosen unit (bytes: steps of 1-2-5 KiB/MiB, not of 1024-powers). */
export function unitScale(max: number, maxRows: number, unitOf: (top: number) => Unit): Scale & { unit: Unit } {
  const unit = unitOf(max);
  const s = niceScale(max / unit.div, maxRows);
  return { top: s.top * unit.div, step: s.step * unit.div, rows: s.rows, unit };
}

/** Time ticks from t0 to t1 (seconds), about one per `every` of `columns`: [value, column]. */
export function timeTicks(t0: number, t1: number, columns: number, every = 12): { step: number; ticks: Array<[number, number]> } {
  const span = t1 - t0;
  if (!(span > 0) || columns < 2) return { step: 1, ticks: [] };
  const step = niceStep(span / Math.max(1, Math.floor(columns / every)));
  const ticks: Array<[number, number]> = [];
  for (let k = Math.ceil(t0 / step - 1e-9); k * step <= t1 + step * 1e-9; k++) {
    const t = k * step;
    ticks.push([t, Math.min(columns - 1, Math.round(((t - t0) / span) * (columns - 1)))]);
  }
  return { step, ticks };
}
