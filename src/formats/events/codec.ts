/**
 * blkaudit's own normalized event stream (`blkaudit events --ndjson|--csv`):
 * one record per event, for DuckDB, pandas or a spreadsheet — and readable
 * back in, giving the same analysis. Times are written as exact decimal
 * seconds text (never rounded through a float) so reading back is lossless.
 */
import { ACT_LETTERS, Act, type BlockEvent } from '../../model/event.js';
import { formatDev } from '../../model/device.js';
import { Flag, OP_NAMES, type Op, formatRwbs } from '../../model/rwbs.js';

export const EVENT_COLUMNS = [
  'source', 'loc', 'time', 'device', 'cpu', 'seq', 'pid', 'action', 'rwbs', 'op', 'flags',
  'sector', 'bytes', 'error', 'comm', 'aux', 'auxDev', 'text',
] as const;

/** The header line of `events --csv`. */
export const EVENTS_CSV_HEADER = EVENT_COLUMNS.join(',');

const FLAG_NAMES: Array<[number, string]> = Object.entries(Flag).map(([k, v]) => [v, k]);

export function flagNames(flags: number): string {
  const out: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) out.push(name);
  return out.join('|');
}

export function parseFlagNames(s: string): number {
  let f = 0;
  for (const name of s.split('|')) {
    const bit = (Flag as Record<string, number>)[name];
    if (bit !== undefined) f |= bit;
  }
  return f;
}

export const OP_BY_NAME: Record<string, Op> = Object.fromEntries(
  Object.entries(OP_NAMES).map(([k, v]) => [v, Number(k) as Op]),
);

export const ACT_BY_LETTER: Record<string, Act> = Object.fromEntries(
  Object.entries(ACT_LETTERS).map(([k, v]) => [v, Number(k) as Act]),
);

/** Exact decimal seconds for integer ns (no float rounding). */
export function nsToDecimal(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(Math.round(ns));
  const sec = Math.floor(a / 1e9);
  const frac = a - sec * 1e9;
  return `${neg ? '-' : ''}${sec}.${String(frac).padStart(9, '0')}`;
}

/** Values in column order. */
export function eventValues(e: BlockEvent, sourceName: string, loc: number = e.loc): Array<string | number> {
  return [
    sourceName, loc, nsToDecimal(e.time), formatDev(e.dev), e.cpu, e.seq, e.pid,
    ACT_LETTERS[e.act] ?? String(e.act), formatRwbs(e.op, e.flags), OP_NAMES[e.op] ?? 'none', flagNames(e.flags),
    e.sector, e.bytes, e.error, e.comm, e.aux, e.auxDev === -1 ? '' : formatDev(e.auxDev), e.text,
  ];
}

export function toNdjson(e: BlockEvent, sourceName: string, loc: number = e.loc): string {
  const v = eventValues(e, sourceName, loc);
  let s = '{';
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const col = EVENT_COLUMNS[i]!;
    const val = v[i]!;
    if (i > 0) s += ',';
    // time is written as a bare JSON number with its exact decimal text
    s += `"${col}":` + (col === 'time' || typeof val === 'number' ? String(val) : jsonString(val));
  }
  return s + '}\n';
}

/** JSON string with DEL and C1 controls escaped too (JSON.stringify leaves U+007F–U+009F raw; U+009B is CSI). */
export function jsonString(v: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(v).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Control characters in CSV text are written as \xNN: a spreadsheet or terminal never sees them raw. */
function csvText(v: string): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function csvField(v: string | number): string {
  if (typeof v === 'number') return String(v);
  v = csvText(v);
  if (/[",\n\r]/.test(v) || /^[=+\-@\t]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

export function csvHeader(): string {
  return EVENT_COLUMNS.join(',') + '\n';
}

export function toCsv(e: BlockEvent, sourceName: string, loc: number = e.loc): string {
  return eventValues(e, sourceName, loc).map(csvField).join(',') + '\n';
}
