/**
 * `report --charts`: per device, over the trace's time (asciichart):
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
import { deviceLabel, deviceViews, formatBytes, formatDuration, formatTime, layerLabel, type DeviceView } from './view.js';
import { painter, term, wrap, type Paint } from './text.js';

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
  const end = s.start + s.buckets * s.interval;
  const title = ` ${layerLabel(d.layer)} ${deviceLabel(d)} · ${formatTime(s.start)}–${formatTime(end)} s · ${formatDuration(s.interval)} per interval, ${s.buckets} intervals `;
  const head = term(`──${title}`);
  const out = [p('bold', head.length > width ? head.slice(0, width - 1) + '…' : head.padEnd(width, '─'))];
  const cache = d.cache ? `cache ${d.cache.mode}${d.cache.source ? ` (${d.cache.source})` : ''}` : 'cache mode not reported';
  out.push(...wrap(term(`${cache}; ${cols.note}`), width, '').map((l) => p('gray', l)));

  const ms = (x: number) => fmtLabel(formatDuration(x));
  const count = (x: number) => fmtLabel(String(Math.round(x)));
  const bytes = (x: number) => fmtLabel(formatBytes(Math.round(x)));

  const say = (text: string, style?: Parameters<Paint>[0]) => out.push(...wrap(text, width, '').map((l) => (style ? p(style, l) : l)));
  out.push('');
  say('Q2C latency per interval (0 = no completion)');
  out.push(`${p('red', '── p99')}  ${p('blue', '── p50')}`);
  out.push(plot([cols.take(s.q2cP99), cols.take(s.q2cP50)], height, ms, color ? [asciichart.red, asciichart.blue] : undefined));

  out.push('');
  say('Requests in flight at the driver (maximum per interval)');
  out.push(plot([cols.take(s.inFlightMax)], Math.min(height, Math.max(2, Math.max(...s.inFlightMax))), count, color ? [asciichart.cyan] : undefined));

  const writethrough = d.cache?.mode === 'writethrough';
  out.push('');
  say(`Acknowledged, not yet durable (bytes, maximum per interval)${writethrough ? ' — write-through device: nothing is really at risk' : ''}`);
  out.push(plot([cols.take(s.volatileBytesMax)], height, bytes, color ? [asciichart.magenta] : undefined));
  out.push(markers(report, d, s, cols, p));
  out.push(axis(s, cols));

  const flushes = s.flushes.reduce((a, b) => a + b, 0);
  out.push('');
  if (flushes === 0 && s.flushErrors.every((x) => x === 0)) {
    say('Flush latency: no flush request completed on this device in the trace', 'yellow');
  } else {
    say(`Flush request latency, issue → completion (maximum per interval; ${flushes} flushes)`);
    out.push(plot([cols.take(s.flushLatencyMax)], Math.min(height, 6), ms, color ? [asciichart.green] : undefined));
    out.push(axis(s, cols));
  }
  return out;
}

function fmtLabel(s: string): string {
  return s.length >= LABEL ? s.slice(0, LABEL) : s.padStart(LABEL);
}

function plot(series: number[][], height: number, format: (x: number) => string, colors?: string[]): string {
  const all = series.flat();
  const max = Math.max(...all);
  const min = Math.min(0, ...all);
  if (!(max > min)) return `${format(max)} ┼${'─'.repeat(Math.max(0, series[0]!.length - 1))}  (constant)`;
  const cfg: PlotConfig = { height, offset: 2, min, format: (x) => format(x) };
  if (colors) cfg.colors = colors;
  return asciichart.plot(series, cfg);
}

/** ▲ a flush completed in the column, ✗ one failed, ! a finding about this device starts there. */
function markers(report: Report, d: DeviceView, s: DeviceSeries, cols: Columns, p: Paint): string {
  const row: string[] = Array.from({ length: cols.m }, () => ' ');
  for (let i = 0; i < s.buckets; i++) {
    const c = cols.col(i);
    if (c >= cols.m) continue;
    if (s.flushErrors[i]! > 0) row[c] = p('red', '✗');
    else if (s.flushes[i]! > 0 && row[c] === ' ') row[c] = p('green', '▲');
  }
  for (const f of report.findings) {
    if (f.layer !== d.layer || (f.device && f.device !== d.device) || f.time === null) continue;
    const i = Math.min(s.buckets - 1, Math.max(0, Math.floor((f.time - s.start) / s.interval)));
    const c = cols.col(i);
    if (c < cols.m) row[c] = p('red', '!');
  }
  const any = row.some((x) => x !== ' ');
  return `${fmtLabel(any ? 'flush ▲' : 'no flush')}${row.join('')}`;
}

function axis(s: DeviceSeries, cols: Columns): string {
  const a = `${formatTime(s.start)} s`;
  const b = `${formatTime(s.start + s.buckets * s.interval)} s`;
  const gap = Math.max(1, cols.m + 1 - a.length - b.length);
  return ' '.repeat(LABEL) + a + ' '.repeat(gap) + b;
}
