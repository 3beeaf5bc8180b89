/**
 * `report --charts`: per device, over time on the report's reference clock (or
 * the layer's own clock when it is not aligned, said in the title), with
 * 0-based axes of round 1-2-5 steps in one unit and a time axis labelled at
 * regular steps (ticks.ts); two series differ by shape (line, • markers):
 *  - Q2C latency p50 and p99 per interval,
 *  - requests in flight at the driver,
 *  - bytes acknowledged but not yet durable, with flush completions (▲),
 *    failed flushes (✗) and findings (!) marked underneath,
 *  - flush request latency.
 * Charts fit `width` columns: each column is one interval, or the maximum
 * over several when there are more intervals than columns (a short trace is
 * stretched instead). Data comes from devices[].series (src/series).
 */
import asciichart, { type PlotConfig } from 'asciichart';
import type { Report } from '../model/report.js';
import type { DeviceSeries } from '../series/types.js';
import { deviceLabel, deviceViews, formatDuration, formatTime, layerLabel, type DeviceView } from './view.js';
import { painter, term, wrap, type Paint } from './text.js';
import { byteUnit, durationUnit, niceScale, tickLabel, timeTicks, type Unit } from './ticks.js';
import { deviceAxis, findingOnAxis, type LayerAxis } from '../clock/layer-time.js';

export interface ChartOptions {
  width?: number;
  color?: boolean;
  /** Rows per chart (default 8). */
  height?: number;
}

/** Characters of the y-axis label; the plot starts right after it. */
const LABEL = 9;

export function renderCharts(report: Report, options: ChartOptions = {}): string {
  const width = Math.max(40, options.width ?? 80);
  const p = painter(Boolean(options.color));
  const out: string[] = [];
  const devices = deviceViews(report).filter((d) => d.series && d.series.buckets > 0);
  if (devices.length === 0) return 'No time series in this report (run the analysis with the series stage).\n';
  for (const d of devices) out.push(...deviceCharts(report, d, width, options, p), '');
  return out.join('\n');
}

interface Columns {
  /** Number of columns drawn. */
  m: number;
  /** Aggregate one series into the columns (max over grouped buckets). */
  take(values: ReadonlyArray<number | null>): number[];
  /** Column of bucket i. */
  col(i: number): number;
  note: string;
}

function columns(n: number, avail: number): Columns {
  if (n > avail) {
    // every column takes the maximum of the 1–2+ intervals that fall in it: the full width is used
    const m = avail;
    const col = (i: number) => Math.min(m - 1, Math.floor((i * m) / n));
    const per = n / m;
    return {
      m,
      take: (v) => {
        const out = new Array<number>(m).fill(0);
        for (let i = 0; i < n; i++) out[col(i)] = Math.max(out[col(i)]!, v[i] ?? 0);
        return out;
      },
      col,
      note: `each column: the maximum over ${Math.floor(per)}${per % 1 ? `–${Math.ceil(per)}` : ''} intervals`,
    };
  }
  const k = Math.max(1, Math.floor(avail / n));
  return {
    m: n * k,
    take: (v) => Array.from({ length: n * k }, (_, c) => v[Math.floor(c / k)] ?? 0),
    col: (i) => i * k + Math.floor(k / 2),
    note: k > 1 ? `each interval drawn ${k} columns wide` : 'one column per interval',
  };
}

function deviceCharts(report: Report, d: DeviceView, width: number, options: ChartOptions, p: Paint): string[] {
  const s = d.series!;
  const cols = columns(s.buckets, width - LABEL - 3);
  const height = Math.max(2, options.height ?? 8);
  const color = Boolean(options.color);
  const ax = deviceAxis(report, d.layer, d.device);
  const t0 = s.start - ax.shift;
  const t1 = t0 + s.buckets * s.interval;
  const title = ` ${layerLabel(d.layer)} ${deviceLabel(d)} · ${formatTime(t0)}–${formatTime(t1)} s · ${formatDuration(s.interval)}/interval `;
  const head = term(`──${title}`);
  // neutral heading: colour is for findings, not for a device's name
  const out = [p('bold', head.length > width ? head.slice(0, width - 1) + '…' : head.padEnd(width, '─'))];
  const cache = d.cache ? `cache ${d.cache.mode}${d.cache.source ? ` (${d.cache.source})` : ''}` : 'cache mode not reported';
  out.push(...wrap(term(`times: ${ax.label}${ax.uncertainty ? ` ±${formatDuration(ax.uncertainty)}` : ''}; ${cache}; ${cols.note}`), width, '').map((l) => p('gray', l)));
  const time = timeAxis(t0, t1, cols.m);

  const say = (text: string, style?: Parameters<Paint>[0]) => out.push(...wrap(text, width, '').map((l) => (style ? p(style, l) : l)));
  out.push('');
  say('Q2C latency per interval (0 = no completion)');
  out.push(`${' '.repeat(LABEL)}${p('red', '── p99')}   ${p('blue', '• p50')}`);
  out.push(plot([cols.take(s.q2cP99), cols.take(s.q2cP50)], height, durationUnit, p, ['red', 'blue']));
  out.push(...time);

  out.push('');
  say('Requests in flight at the driver (maximum per interval)');
  out.push(plot([cols.take(s.inFlightMax)], height, () => ({ div: 1, name: '' }), p, ['cyan'], true));
  out.push(...time);

  const writethrough = d.cache?.mode === 'writethrough';
  out.push('');
  say(`Acknowledged, not yet durable (bytes, maximum per interval)${writethrough ? ' — write-through device: nothing is really at risk' : ''}`);
  out.push(plot([cols.take(s.volatileBytesMax)], height, byteUnit, p, ['magenta']));
  out.push(markers(report, d, s, cols, p, ax));
  out.push(...time);

  const flushes = s.flushes.reduce((a, b) => a + b, 0);
  out.push('');
  if (flushes === 0 && s.flushErrors.every((x) => x === 0)) {
    say('Flush latency: no flush request completed on this device in the trace');
  } else {
    say(`Flush request latency, issue → completion (maximum per interval; ${flushes} flushes)`);
    out.push(plot([cols.take(s.flushLatencyMax)], Math.min(height, 6), durationUnit, p, ['green']));
    out.push(...time);
  }
  return out;
}

function fmtLabel(s: string): string {
  return s.length >= LABEL ? s.slice(0, LABEL) : s.padStart(LABEL);
}

const BOX = /[─│╭╮╯╰┼┤]/;

/**
 * One chart: a 0-based axis of 1-2-5 steps in one unit (ticks.ts), the first series as a line
 * (asciichart), every further one as • markers on top — told apart by shape, not only by colour.
 */
function plot(series: number[][], maxRows: number, unitOf: (top: number) => Unit, p: Paint, styles: Array<Parameters<Paint>[0]>, integer = false): string {
  const max = Math.max(0, ...series.flat());
  if (!(max > 0)) return `${fmtLabel('0')} ┼${'─'.repeat(Math.max(0, series[0]!.length - 1))}  (all zero)`;
  const unit = unitOf(max);
  const sc = niceScale(max / unit.div, maxRows, integer);
  const top = sc.top * unit.div;
  const cfg: PlotConfig = { height: sc.rows, offset: 2, min: 0, max: top, format: (x) => fmtLabel(tickLabel(x, sc.step * unit.div, unit)) };
  const lines = asciichart.plot([series[0]!], cfg).split('\n').map((l) => [...l]);
  const axisAt = lines.map((l) => l.findIndex((c) => c === '┤' || c === '┼'));
  for (let k = 1; k < series.length; k++) {
    series[k]!.forEach((v, i) => {
      if (i === 0 || !(v > 0)) return;
      const row = sc.rows - Math.round((v / top) * sc.rows);
      const line = lines[row];
      if (line && axisAt[row]! >= 0) line[axisAt[row]! + i] = '\u2022';
    });
  }
  return lines
    .map((l, r) => {
      const a = axisAt[r]!;
      return l.map((c, i) => (i <= a ? c : c === '\u2022' ? p(styles[1] ?? 'blue', c) : BOX.test(c) ? p(styles[0] ?? 'red', c) : c)).join('');
    })
    .join('\n');
}

/** ▲ a flush completed in the column, ✗ one failed, ! a finding about this device starts there. */
function markers(report: Report, d: DeviceView, s: DeviceSeries, cols: Columns, p: Paint, ax: LayerAxis): string {
  const row: string[] = Array.from({ length: cols.m }, () => ' ');
  for (let i = 0; i < s.buckets; i++) {
    const c = cols.col(i);
    if (c >= cols.m) continue;
    if (s.flushErrors[i]! > 0) row[c] = p('red', '✗');
    else if (s.flushes[i]! > 0 && row[c] === ' ') row[c] = p('green', '▲');
  }
  for (const f of report.findings) {
    if (f.layer !== d.layer || (f.device && f.device !== d.device)) continue;
    const t = findingOnAxis(report, f, ax);
    if (t === undefined) continue;
    const i = Math.min(s.buckets - 1, Math.max(0, Math.floor((t + ax.shift - s.start) / s.interval)));
    const c = cols.col(i);
    if (c < cols.m) row[c] = p('red', '!');
  }
  const any = row.some((x) => x !== ' ');
  return `${fmtLabel(any ? 'flush ▲' : 'no flush')}${row.join('')}`;
}

/** Two rows under a chart: ┬ at regular 1-2-5 steps of time, and their labels in seconds. */
function timeAxis(t0: number, t1: number, m: number): string[] {
  const { step, ticks } = timeTicks(t0, t1, m, 12);
  const marks = Array.from({ length: m }, () => '─');
  const labels = Array.from({ length: m + 12 }, () => ' ');
  let free = 0;
  for (const [t, c] of ticks) {
    marks[c] = '┬';
    const text = tickLabel(t, step, { div: 1, name: '' });
    const at = Math.max(0, c - Math.floor(text.length / 2));
    if (at < free) continue;
    for (let i = 0; i < text.length; i++) labels[at + i] = text[i]!;
    free = at + text.length + 2;
  }
  // the plot's columns start at the axis character, LABEL columns in (markers() and plot() alike)
  return [' '.repeat(LABEL) + marks.join(''), fmtLabel('time (s)') + labels.join('').trimEnd()];
}
