/**
 * CSV block traces (one row per completed request) → Act.IoDone events.
 *
 * Lines are framed by LineSplitter (max line length, CRLF, chunk-size
 * independence) and each line is handed to csv-parse's push-based core
 * (`Parser#api.parse`, no stream code) for quoting, trimming and the BOM.
 * Quoted fields may therefore not contain line breaks; a line with an odd
 * number of quotes is counted and skipped, and after any csv-parse error the
 * core is re-created so one bad line cannot swallow the next ones.
 *
 * Each row becomes one IoDone event at the request's COMPLETION time with
 * aux = latency ns (issue time = time − aux), as the snoop readers do. Rows
 * listed in issue order are put in completion order by CompletionOrder.
 */
import { csvParseParser } from './load.js';
import { Act, emptyEvent, type BlockEvent } from '../../model/event.js';
import { parseDevNumbers } from '../../model/device.js';
import { Flag, Op, type Rwbs } from '../../model/rwbs.js';
import type { ClockDomain } from '../../model/time.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { InputError } from '../../model/errors.js';
import type { ParseContext, StreamParser } from '../types.js';
import { DeviceNames } from '../snoop/device-names.js';
import { CompletionOrder } from './completion-order.js';
import { MappingError, parseMapping, resolveHeader, type CsvMapping, type Field, type FieldMap } from './mapping.js';
import { parseCount, parseDurationNs, parseOp, parseTime, tv } from './values.js';
import { emptyInPlace } from '../../model/arrays.js';

export const CsvReason = {
  blank: 'csv: blank line',
  header: 'csv: header row',
  quotes: 'csv: unbalanced quotes (quoted fields may not span lines)',
  csvError: 'csv: malformed line (csv-parse)',
  short: 'csv: row with too few columns',
  unordered: 'csv: rows not in issue-time order',
  tooLong: 'line too long',
} as const;

const unreadable = (f: Field): string => `csv: unreadable ${f}`;
const NL = Buffer.from('\n');
/** Rebase times when seconds exceed this (~46 days): keeps ns below 2^53 and exact. */
const REBASE_SECONDS = 4e6;
/** Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01. */
const FILETIME_UNIX_OFFSET = 11644473600;

interface CsvCore {
  parse(buf: Buffer | undefined, end: boolean, push: (r: string[]) => void, close: () => void): Error | undefined;
}

export class CsvParser implements StreamParser {
  private readonly mapping: CsvMapping;
  private readonly splitter: LineSplitter;
  private readonly ev: BlockEvent = emptyEvent();
  private readonly names = new DeviceNames();
  private readonly order: CompletionOrder;
  private readonly opCache = new Map<string, Rwbs | null>();
  private readonly maps: Partial<Record<Field, FieldMap>> = {};
  private core: CsvCore;
  /** True when the first line has quotes: every line then goes through csv-parse. */
  private quotedMode: boolean | undefined;
  private readonly fields: string[] = [];
  private broken = false;
  private lineNo = 0;
  private prevLine = 0;
  private rows = 0;
  private headerDone = false;
  private minColumns = 0;
  private base: { sec: number; ns: number } | undefined;
  private lastIssue = -Infinity;
  private flushSeen = false;
  private latencySeen = false;
  private lastDevText = '';
  private lastDev = 0;

  constructor(
    private readonly ctx: ParseContext,
    mappingText: string,
  ) {
    try {
      this.mapping = parseMapping(mappingText);
    } catch (err) {
      if (err instanceof MappingError) throw new InputError(`--csv-columns: ${err.message}`, ctx.sourceName);
      throw err;
    }
    for (const [f, m] of this.mapping.fields) this.maps[f] = m;
    this.ev.source = ctx.sourceIndex;
    this.ev.act = Act.IoDone;
    this.order = new CompletionOrder(ctx.sink);
    this.core = this.newCore();
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.count(CsvReason.tooLong, 'error', n, `<${len} bytes>`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.core.parse(undefined, true, (r) => this.record(r, this.prevLine), () => {});
    this.order.flush();
    const ctx = this.ctx;
    if (this.names.size > 0) ctx.attach('device-names', this.names.list());
    ctx.limitation(
      'csv: completed requests only, one row per I/O: queueing, merges and the block layer flush sequence are not visible; errors are not reported',
    );
    if (!this.flushSeen) {
      ctx.limitation(
        'csv: no flush or FUA information in this trace (the SNIA/MSR Cambridge layout has none): flush and FUA durability rules cannot be checked',
      );
    }
    if (!this.latencySeen) ctx.limitation('csv: no latency column: issue times are unknown (events are at the row time)');
    if (this.names.list().some((d) => d.synthetic)) {
      ctx.limitation('csv: disks are named, not numbered: device ids are synthetic (major 4095, minor = hash of the name)');
    }
  }

  private newCore(): CsvCore {
    const p = new (csvParseParser())({
      relax_column_count: true,
      trim: true,
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: Error | undefined) => {
        this.broken = true;
        this.count(CsvReason.csvError, 'error', this.lineNo, err?.message ?? 'csv-parse error');
      },
    });
    return (p as unknown as { api: CsvCore }).api;
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text });
  }

  private line(buf: Buffer, start: number, e: number, n: number): void {
    let s = start;
    let quotes = 0;
    let blank = true;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (c === 34) quotes++;
      else if (c !== 32 && c !== 9) blank = false;
    }
    if (blank && quotes === 0) {
      this.count(CsvReason.blank, 'info', n, '');
      return;
    }
    if (quotes % 2 === 1) {
      this.count(CsvReason.quotes, 'error', n, buf.toString('utf8', s, e));
      return;
    }
    if (n === 1 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3; // UTF-8 BOM
    // Files whose first line has no quote are split here (no csv-parse cost per
    // row); a quoted line among them goes through a one-off csv-parse core.
    this.quotedMode ??= quotes > 0;
    if (!this.quotedMode) {
      if (quotes === 0) this.record(this.split(buf, s, e), n);
      else this.oneOff(buf, s, e, n);
      return;
    }
    // csv-parse holds back the last byte of each push (it may start "\r\n"),
    // so the record of a line comes out during the next line's push: it
    // belongs to prevLine. Errors are found inside the current line.
    this.lineNo = n;
    const prev = this.prevLine;
    const push = (r: string[]): void => this.record(r, prev);
    this.core.parse(buf.subarray(s, e), false, push, () => {});
    this.core.parse(NL, false, push, () => {});
    if (this.broken) {
      this.broken = false;
      this.core = this.newCore();
      this.prevLine = 0;
    } else {
      this.prevLine = n;
    }
  }

  /** Split a line with no quotes on commas, trimming blanks like csv-parse's `trim`. */
  private split(buf: Buffer, s: number, e: number): string[] {
    const out = this.fields;
    emptyInPlace(out);
    let a = s;
    for (let i = s; i <= e; i++) {
      if (i < e && buf[i] !== 44 /* , */) continue;
      let x = a;
      let y = i;
      while (x < y && (buf[x] === 32 || buf[x] === 9)) x++;
      while (y > x && (buf[y - 1] === 32 || buf[y - 1] === 9)) y--;
      out.push(buf.toString('utf8', x, y));
      a = i + 1;
    }
    return out;
  }

  /** One quoted line in a file of unquoted ones: its own csv-parse core, flushed at once. */
  private oneOff(buf: Buffer, s: number, e: number, n: number): void {
    const core = this.newCore();
    this.lineNo = n;
    const push = (r: string[]): void => this.record(r, n);
    this.broken = false;
    core.parse(buf.subarray(s, e), false, push, () => {});
    if (!this.broken) core.parse(undefined, true, push, () => {});
    this.broken = false;
  }

  private record(r: string[], loc: number): void {
    if (!this.headerDone) {
      this.headerDone = true;
      if (this.header(r, loc)) return;
    }
    if (r.length < this.minColumns) {
      this.count(CsvReason.short, 'error', loc, r.join(','));
      return;
    }
    this.row(r, loc);
  }

  /** First record: a header (consumed, true) or data (false). */
  private header(r: string[], loc: number): boolean {
    const m = this.mapping;
    if (m.byName) {
      const missing = resolveHeader(m, r);
      if (missing.length > 0) {
        throw new InputError(
          `--csv-columns names ${missing.map((x) => JSON.stringify(x)).join(', ')}, but the header row of ` +
            `${this.ctx.sourceName} has: ${r.map((x) => JSON.stringify(x)).join(', ')}`,
          this.ctx.sourceName,
        );
      }
    }
    for (const fm of m.fields.values()) for (const c of fm.columns) this.minColumns = Math.max(this.minColumns, c.index + 1);
    if (m.byName) {
      this.count(CsvReason.header, 'info', loc, r.join(','));
      return true;
    }
    // Positional mapping: the first row is a header when its time is not a number.
    const tf = this.maps.time ?? this.maps.end!;
    const t = r[tf.columns[0]!.index] ?? '';
    if (!parseTime(t, tf.unit) && /[A-Za-z]/.test(t)) {
      this.count(CsvReason.header, 'info', loc, r.join(','));
      return true;
    }
    return false;
  }

  private bad(f: Field, r: string[], loc: number): void {
    this.count(unreadable(f), 'error', loc, r.join(','));
  }

  private row(r: string[], loc: number): void {
    const maps = this.maps;
    const ev = this.ev;
    // Times: issue (time), completion (end), latency.
    let issue = -1;
    let done = -1;
    let lat = -1;
    if (maps.time) {
      issue = this.timeNs(r[maps.time.columns[0]!.index]!, maps.time.unit);
      if (issue === -1) return this.bad('time', r, loc);
    }
    if (maps.end) {
      done = this.timeNs(r[maps.end.columns[0]!.index]!, maps.end.unit);
      if (done === -1) return this.bad('end', r, loc);
    }
    if (maps.latency) {
      lat = parseDurationNs(r[maps.latency.columns[0]!.index]!, maps.latency.unit);
      if (lat < 0) return this.bad('latency', r, loc);
    }
    if (done === -1) done = lat >= 0 ? issue + lat : issue;
    else if (lat < 0 && issue !== -1) lat = done - issue;
    if (issue === -1) issue = lat >= 0 ? done - lat : done;
    if (lat >= 0) this.latencySeen = true;
    ev.loc = loc;
    ev.time = done;
    ev.aux = lat;
    ev.dev = 0;
    if (maps.device && !this.device(r, maps.device)) return this.bad('device', r, loc);
    ev.op = Op.None;
    ev.flags = 0;
    if (maps.op) {
      const rw = this.op(r[maps.op.columns[0]!.index]!, maps.op);
      if (!rw) return this.bad('op', r, loc);
      ev.op = rw.op;
      ev.flags = rw.flags;
      if (rw.op === Op.Flush || rw.flags & (Flag.PREFLUSH | Flag.FUA)) this.flushSeen = true;
    }
    ev.sector = -1;
    if (maps.offset) {
      const v = parseCount(r[maps.offset.columns[0]!.index]!);
      if (v < 0) return this.bad('offset', r, loc);
      ev.sector = Math.floor((v * maps.offset.unit) / 512);
    } else if (maps.sector) {
      ev.sector = parseCount(r[maps.sector.columns[0]!.index]!);
      if (ev.sector < 0) return this.bad('sector', r, loc);
    }
    ev.bytes = -1;
    if (maps.size) {
      const v = parseCount(r[maps.size.columns[0]!.index]!);
      if (v < 0) return this.bad('size', r, loc);
      ev.bytes = v * maps.size.unit;
    } else if (maps.sectors) {
      const v = parseCount(r[maps.sectors.columns[0]!.index]!);
      if (v < 0) return this.bad('sectors', r, loc);
      ev.bytes = v * 512;
    }
    ev.pid = maps.pid ? parseCount(r[maps.pid.columns[0]!.index]!) : -1;
    ev.comm = maps.comm ? r[maps.comm.columns[0]!.index]! : '';
    this.rows++;
    if (issue < this.lastIssue) this.count(CsvReason.unordered, 'info', loc, r.join(','));
    else this.lastIssue = issue;
    this.order.release(issue);
    // Completing no later than it was issued (no latency): before anything held.
    if (done <= issue) this.ctx.sink.event(ev);
    else this.order.add(ev);
  }

  /** A time column → ns in this source's clock (rebased on the first row when huge). */
  private timeNs(text: string, unit: number): number {
    if (!parseTime(text, unit)) return -1;
    if (!this.base) this.setBase();
    return (tv.sec - this.base!.sec) * 1e9 + (tv.ns - this.base!.ns);
  }

  private setBase(): void {
    const ft = this.mapping.filetime;
    const rebase = ft || tv.sec > REBASE_SECONDS;
    this.base = rebase ? { sec: tv.sec, ns: tv.ns } : { sec: 0, ns: 0 };
    let clock: ClockDomain;
    if (ft) {
      clock = {
        name: 'windows-filetime',
        origin: 'Windows FILETIME of the first row (100 ns ticks since 1601-01-01 UTC); baseSeconds is Unix time',
        baseSeconds: tv.sec - FILETIME_UNIX_OFFSET + tv.ns / 1e9,
      };
    } else if (rebase) {
      clock = { name: 'csv', origin: 'time column of the first row', baseSeconds: tv.sec + tv.ns / 1e9 };
    } else {
      clock = { name: 'csv', origin: 'time column as written' };
    }
    this.ctx.setClock(clock);
  }

  private device(r: string[], fm: FieldMap): boolean {
    let text = r[fm.columns[0]!.index]!;
    for (let i = 1; i < fm.columns.length; i++) text += '_' + r[fm.columns[i]!.index]!;
    if (text === this.lastDevText && this.rows > 0) {
      this.ev.dev = this.lastDev;
      return true;
    }
    if (text === '') return false;
    const real = parseDevNumbers(text);
    this.ev.dev = real !== undefined ? this.names.real(text, real) : this.names.synthetic(text);
    this.lastDevText = text;
    this.lastDev = this.ev.dev;
    return true;
  }

  private op(text: string, fm: FieldMap): Rwbs | undefined {
    let hit = this.opCache.get(text);
    if (hit === undefined) {
      hit = parseOp(text, fm.values) ?? null;
      if (this.opCache.size < 256) this.opCache.set(text, hit);
    }
    return hit ?? undefined;
  }
}

