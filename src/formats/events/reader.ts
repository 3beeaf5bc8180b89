/**
 * Reads blkaudit's own `events --ndjson` / `--csv` output back into events.
 * Rare path (a user round-tripping through DuckDB): clarity over speed.
 */
import { csvParseSync } from '../csv/load.js';
import { emptyEvent, type BlockEvent } from '../../model/event.js';
import { parseDevNumbers } from '../../model/device.js';
import type { ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { readSecondsNs, num } from '../blkparse/bytes.js';
import { ACT_BY_LETTER, EVENT_COLUMNS, OP_BY_NAME, parseFlagNames } from './codec.js';

type Row = Record<string, string | number>;

function fill(ev: BlockEvent, row: Row, timeNs: number): boolean {
  const act = ACT_BY_LETTER[String(row.action)];
  const dev = parseDevNumbers(String(row.device));
  const op = OP_BY_NAME[String(row.op)];
  if (act === undefined || dev === undefined || op === undefined || !Number.isFinite(timeNs)) return false;
  ev.time = timeNs;
  ev.dev = dev;
  ev.act = act;
  ev.op = op;
  ev.flags = parseFlagNames(String(row.flags ?? ''));
  ev.cpu = Number(row.cpu);
  ev.seq = Number(row.seq);
  ev.pid = Number(row.pid);
  ev.sector = Number(row.sector);
  ev.bytes = Number(row.bytes);
  ev.error = Number(row.error);
  ev.comm = String(row.comm ?? '');
  ev.aux = Number(row.aux);
  ev.auxDev = row.auxDev === '' || row.auxDev === undefined ? -1 : (parseDevNumbers(String(row.auxDev)) ?? -1);
  ev.text = String(row.text ?? '');
  return true;
}

function exactTime(text: string): number {
  const b = Buffer.from(text.trim().replace(/^-/, ''), 'latin1');
  if (!readSecondsNs(b, 0, b.length) || num.pos !== b.length) return Number(text) * 1e9;
  return text.trim().startsWith('-') ? -num.value : num.value;
}

abstract class EventsReader implements StreamParser {
  protected readonly ev = emptyEvent();
  protected readonly splitter: LineSplitter;

  constructor(protected readonly ctx: ParseContext, private readonly kind: string) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf.toString('utf8', s, e), n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.bad(n, `<${len} bytes>`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  protected bad(lineNo: number, text: string): void {
    this.ctx.diag.add(`${this.kind}: unreadable record`, 'error', { source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text });
  }

  protected emit(row: Row, time: number, lineNo: number, text: string): void {
    this.ev.loc = lineNo;
    if (fill(this.ev, row, time)) this.ctx.sink.event(this.ev);
    else this.bad(lineNo, text);
  }

  protected abstract line(text: string, lineNo: number): void;
}

export class NdjsonEventsReader extends EventsReader {
  constructor(ctx: ParseContext) {
    super(ctx, 'events-ndjson');
  }

  protected line(text: string, lineNo: number): void {
    if (text.trim() === '') return;
    let row: Row;
    try {
      row = JSON.parse(text) as Row;
    } catch {
      this.bad(lineNo, text);
      return;
    }
    const m = /"time":(-?[0-9.]+)/.exec(text);
    this.emit(row, m ? exactTime(m[1]!) : NaN, lineNo, text);
  }
}

export class CsvEventsReader extends EventsReader {
  private header: string[] | undefined;

  constructor(ctx: ParseContext) {
    super(ctx, 'events-csv');
  }

  protected line(text: string, lineNo: number): void {
    if (text.trim() === '') return;
    let cells: string[];
    try {
      cells = (csvParseSync()(text, { relax_quotes: true }) as string[][])[0] ?? [];
    } catch {
      this.bad(lineNo, text);
      return;
    }
    if (!this.header) {
      this.header = cells;
      return;
    }
    const row: Row = {};
    this.header.forEach((h, i) => {
      row[h] = cells[i] ?? '';
    });
    this.emit(row, exactTime(String(row.time)), lineNo, text);
  }
}

export { EVENTS_CSV_HEADER } from './codec.js';
