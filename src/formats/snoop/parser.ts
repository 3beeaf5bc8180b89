/**
 * bcc biosnoop and perf-tools iosnoop text → one Act.IoDone per row.
 *
 * Each row is one completed I/O with its issue→completion latency, so the
 * event is emitted at the completion time (biosnoop TIME(s) is taken at
 * completion: `data.ts = bpf_ktime_get_ns()` in trace_req_completion,
 * tools/biosnoop.py; iosnoop ENDs is the block_rq_complete time) and
 * `aux` holds the latency in ns; issue time = time − aux.
 *
 * Disk names (biosnoop) become synthetic dev ids (device-names.ts); iosnoop
 * prints real "maj,min". Rows are parsed from the bytes; banners, headers,
 * blank lines, "..." elisions and "lost N events" notes are counted by reason.
 */
import { Act, emptyEvent, type BlockEvent } from '../../model/event.js';
import { makeDev } from '../../model/device.js';
import { Op, parseRwbs, type Rwbs } from '../../model/rwbs.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { num, packKey, readUint, skipSpaces, TextCache } from '../blkparse/bytes.js';
import type { ParseContext, StreamParser } from '../types.js';
import type { ClockDomain } from '../../model/time.js';
import { DEFAULT_HEADERS, looksLikeHeader, parseHeader, type Layout } from './columns.js';
import { DeviceNames } from './device-names.js';

export type SnoopTool = 'biosnoop' | 'iosnoop';

export const SnoopReason = {
  blank: 'snoop: blank line',
  banner: 'snoop: banner line',
  rerun: 'snoop: repeated header (a new run of the tool)',
  elision: 'snoop: elision line (rows left out by the publisher)',
  lost: 'lost-events: reported by the snoop tool',
  noHeader: 'snoop: rows before any header (default columns assumed)',
  shortRow: 'snoop: row with too few columns',
  badRow: 'snoop: unreadable row',
  badType: 'snoop: unreadable T/TYPE',
  zeroRead: 'snoop: zero-byte R row (a non-write request with no data: flush or similar)',
  clockChange: 'snoop: runs with different time columns (the clock of the first timed run is used)',
  tooLong: 'line too long',
} as const;

const MS_NS = 1e6;
const DAY_NS = 86400e9;
const MAX_TOKENS = 64;

export class SnoopParser implements StreamParser {
  private readonly splitter: LineSplitter;
  private readonly ev: BlockEvent = emptyEvent();
  private readonly names = new DeviceNames();
  private readonly rwbsCache = new Map<number, Rwbs | null>();
  private readonly texts = new TextCache();
  private readonly ts = new Int32Array(MAX_TOKENS);
  private readonly te = new Int32Array(MAX_TOKENS);
  private layout: Layout | undefined;
  private headers = 0;
  /**
   * Rows without any time were read (placed at 0 s) and a timed run follows: that run is counted from its
   * own first row (`rebase`), so no duration spans the unknown time between the runs (shared/wild/43: an
   * untimed run, then `iosnoop -ts` at 5,982,800 s uptime).
   */
  private sawUntimed = false;
  private needRebase = false;
  private rebase = 0;
  private rebased = false;
  private clock: ClockDomain | undefined;
  private rwbsSeen = false;
  private rows = 0;
  private dayOffset = 0;
  private lastTod = -1;

  constructor(
    private readonly ctx: ParseContext,
    private readonly tool: SnoopTool,
  ) {
    this.ev.source = ctx.sourceIndex;
    this.ev.act = Act.IoDone;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.count(SnoopReason.tooLong, 'error', n, `<${len} bytes>`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    const ctx = this.ctx;
    if (this.names.size > 0) ctx.attach('device-names', this.names.list());
    if (this.names.collisions > 0) {
      ctx.diag.addMany('snoop: synthetic dev id collisions (resolved by probing)', 'info', this.names.collisions);
    }
    ctx.limitation(
      `${this.tool}: one row per completed I/O (issue→completion latency only): queueing, merges, ` +
        'requeues and the block layer flush sequence are not visible; errors are not reported (rows are taken as successful)',
    );
    if (this.tool === 'biosnoop') {
      ctx.limitation('biosnoop: disks are named, not numbered: device ids are synthetic (major 4095, minor = hash of the name)');
      if (!this.rwbsSeen) {
        ctx.limitation(
          'biosnoop: the T column is R/W only (bcc biosnoop.py): flushes, FUA and discards cannot be told apart ' +
            '(every non-write request prints R), so flush/FUA rules cannot be checked',
        );
      }
    }
    if (this.rebased) {
      ctx.limitation(`${this.tool}: rows without timestamps come before a timed run: they are placed at 0 s and the timed run is counted from its own first row (the time between the runs is unknown)`);
    }
    if (this.headers > 1 && this.layout?.roles.includes('time')) {
      ctx.limitation(`${this.tool}: ${this.headers} runs concatenated; each run's TIME(s) starts at its own first I/O, so runs cannot be aligned`);
    }
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text });
  }

  private line(buf: Buffer, start: number, end: number, lineNo: number): void {
    const p = skipSpaces(buf, start, end);
    if (p === end) {
      this.count(SnoopReason.blank, 'info', lineNo, '');
      return;
    }
    const c = buf[p]!;
    // Rows start with a digit (TIME, STARTs) or a task name; everything that
    // is not a row starts with a letter or '.', '[': look closer only then.
    if (c < 48 || c > 57 || this.tool === 'iosnoop' || !this.layout) {
      if (this.other(buf, p, end, lineNo)) return;
    }
    if (!this.layout) {
      this.count(SnoopReason.noHeader, 'info', lineNo, buf.toString('utf8', start, end));
      this.setLayout(parseHeader(DEFAULT_HEADERS[this.tool])!, lineNo);
    }
    this.row(buf, p, end, lineNo);
  }

  /** Non-row lines. Returns true when the line was consumed. */
  private other(buf: Buffer, p: number, end: number, lineNo: number): boolean {
    const text = buf.toString('utf8', p, end);
    if (looksLikeHeader(text)) {
      const layout = parseHeader(text);
      if (layout) {
        if (this.headers > 0) this.count(SnoopReason.rerun, 'info', lineNo, text);
        this.headers++;
        this.setLayout(layout, lineNo);
        return true;
      }
    }
    if (text.startsWith('...') || text.startsWith('[...]') || text.startsWith('\u2026')) {
      this.count(SnoopReason.elision, 'data-loss', lineNo, text);
      return true;
    }
    const lost = /\blost (\d+) (?:events|samples)/i.exec(text);
    if (lost) {
      this.ctx.diag.addMany(SnoopReason.lost, 'data-loss', Number(lost[1]), {
        source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text,
      });
      return true;
    }
    if (/^(?:Tracing\b|Ending tracing|WARNING:|Hit Ctrl-C)/.test(text)) {
      this.count(SnoopReason.banner, 'info', lineNo, text);
      return true;
    }
    return false;
  }

  private setLayout(layout: Layout, lineNo: number): void {
    const before = this.layout;
    this.layout = layout;
    const clock = clockOf(layout, this.tool);
    if (this.sawUntimed && !clock.orderOnly) this.needRebase = true;
    if (this.clock === undefined || (this.clock.orderOnly && !clock.orderOnly)) {
      if (this.clock !== undefined) this.count(SnoopReason.clockChange, 'info', lineNo, layout.names.join(' '));
      this.clock = clock;
      this.ctx.setClock(clock);
    } else if (before && clock.name !== this.clock.name) {
      this.count(SnoopReason.clockChange, 'info', lineNo, layout.names.join(' '));
    }
  }

  private row(buf: Buffer, p: number, end: number, lineNo: number): void {
    const layout = this.layout!;
    const ts = this.ts;
    const te = this.te;
    let n = 0;
    while (p < end && n < MAX_TOKENS) {
      let q = p;
      while (q < end && buf[q] !== 32 && buf[q] !== 9) q++;
      ts[n] = p;
      te[n] = q;
      n++;
      p = skipSpaces(buf, q, end);
    }
    const cols = layout.roles.length;
    if (n < cols || (layout.comm < 0 && n !== cols) || p < end) {
      this.count(SnoopReason.shortRow, 'error', lineNo, buf.toString('utf8', ts[0]!, end));
      return;
    }
    const ev = this.ev;
    ev.loc = lineNo;
    ev.time = 0;
    ev.dev = 0;
    ev.pid = -1;
    ev.op = Op.None;
    ev.flags = 0;
    ev.sector = -1;
    ev.bytes = -1;
    ev.error = 0;
    ev.comm = '';
    ev.aux = -1;
    let time = -1;
    let start = -1;
    let endT = -1;
    let tod = -1;
    let lat = -1;
    let typeS = 0;
    let typeE = 0;
    let ok = true;
    for (let c = 0; c < cols && ok; c++) {
      let s: number;
      let e: number;
      if (c < layout.comm || layout.comm < 0) {
        s = ts[c]!;
        e = te[c]!;
      } else if (c > layout.comm) {
        s = ts[n - (cols - c)]!;
        e = te[n - (cols - c)]!;
      } else {
        s = ts[c]!;
        e = te[n - (cols - c)]!;
      }
      switch (layout.roles[c]) {
        case 'time': ok = (time = decimalNs(buf, s, e, 1e9)) >= 0; break;
        case 'start': ok = (start = decimalNs(buf, s, e, 1e9)) >= 0; break;
        case 'end': ok = (endT = decimalNs(buf, s, e, 1e9)) >= 0; break;
        case 'latency': ok = (lat = decimalNs(buf, s, e, MS_NS)) >= 0; break;
        case 'timestamp': ok = (tod = timeOfDayNs(buf, s, e)) >= 0; break;
        case 'comm': ev.comm = this.texts.get(buf, s, e); break;
        case 'pid': ok = readUint(buf, s, e) && num.pos === e; ev.pid = num.value; break;
        case 'sector': ok = readUint(buf, s, e) && num.pos === e; ev.sector = num.value; break;
        case 'bytes': ok = readUint(buf, s, e) && num.pos === e; ev.bytes = num.value; break;
        case 'disk': ev.dev = this.names.synthetic(this.texts.get(buf, s, e)); break;
        case 'dev': ok = this.devAt(buf, s, e); break;
        case 'type': typeS = s; typeE = e; break;
        default: break; // P, QUE(ms): not in the model
      }
    }
    if (!ok) {
      this.count(SnoopReason.badRow, 'error', lineNo, buf.toString('utf8', ts[0]!, end));
      return;
    }
    if (typeE > typeS && !this.type(buf, typeS, typeE, lineNo)) return;
    // Completion time and latency (see the file comment).
    if (endT >= 0) {
      time = endT;
      if (start >= 0) lat = endT - start;
    } else if (time < 0 && start >= 0) {
      time = lat >= 0 ? start + lat : start;
    } else if (time < 0 && tod >= 0) {
      if (this.lastTod >= 0 && tod + DAY_NS / 2 < this.lastTod) this.dayOffset += DAY_NS;
      this.lastTod = tod;
      time = tod + this.dayOffset;
    }
    if (time < 0) {
      this.sawUntimed = true;
      ev.time = 0;
    } else {
      if (this.needRebase) {
        this.needRebase = false;
        this.rebased = true;
        this.rebase = -time;
      }
      ev.time = time + this.rebase;
    }
    ev.aux = lat;
    this.rows++;
    this.ctx.sink.event(ev);
  }

  private devAt(buf: Buffer, s: number, e: number): boolean {
    if (!readUint(buf, s, e) || buf[num.pos] !== 44 /* , */) return false;
    const major = num.value;
    if (!readUint(buf, num.pos + 1, e) || num.pos !== e) return false;
    this.ev.dev = makeDev(major, num.value);
    return true;
  }

  /** T / TYPE → op + flags. False (and counted) when unreadable. */
  private type(buf: Buffer, s: number, e: number, lineNo: number): boolean {
    const ev = this.ev;
    if (e - s === 1 && (buf[s] === 82 /* R */ || buf[s] === 87) /* W */) {
      if (buf[s] === 87) {
        ev.op = Op.Write;
      } else if (ev.bytes === 0 && this.tool === 'biosnoop') {
        // biosnoop.py prints R for every non-write request; with no data it
        // cannot be a read (a flush, most likely): do not call it one.
        ev.op = Op.None;
        this.count(SnoopReason.zeroRead, 'info', lineNo, buf.toString('utf8', s, e));
      } else {
        ev.op = Op.Read;
      }
      return true;
    }
    const key = packKey(buf, s, e);
    let r = key >= 0 ? this.rwbsCache.get(key) : undefined;
    if (r === undefined) {
      r = parseRwbs(buf.toString('latin1', s, e), 'tracepoint') ?? null;
      if (key >= 0) this.rwbsCache.set(key, r);
    }
    if (!r) {
      this.count(SnoopReason.badType, 'error', lineNo, buf.toString('utf8', s, e));
      return false;
    }
    this.rwbsSeen = true;
    ev.op = r.op;
    ev.flags = r.flags;
    return true;
  }
}

/**
 * Unsigned decimal "I[.F]" in a unit of `unitNs` ns → ns, exact to the ns
 * (fraction digits past ns resolution are rounded off). -1 if not a number.
 */
export function decimalNs(buf: Buffer, s: number, e: number, unitNs: number): number {
  let i = s;
  let whole = 0;
  while (i < e && buf[i]! >= 48 && buf[i]! <= 57) whole = whole * 10 + (buf[i++]! - 48);
  if (i === s && buf[i] !== 46) return -1;
  let frac = 0;
  let scale = unitNs;
  if (i < e && buf[i] === 46 /* . */) {
    i++;
    while (i < e && buf[i]! >= 48 && buf[i]! <= 57) {
      scale /= 10;
      if (scale >= 1) frac += (buf[i]! - 48) * scale;
      i++;
    }
  }
  if (i !== e) return -1;
  return whole * unitNs + Math.round(frac);
}

/** "HH:MM:SS[.fff]" → ns since midnight, or -1. */
export function timeOfDayNs(buf: Buffer, s: number, e: number): number {
  if (e - s < 8 || buf[s + 2] !== 58 || buf[s + 5] !== 58) return -1;
  const h = twoDigits(buf, s);
  const m = twoDigits(buf, s + 3);
  if (h < 0 || m < 0) return -1;
  const sec = decimalNs(buf, s + 6, e, 1e9);
  if (sec < 0) return -1;
  return (h * 3600 + m * 60) * 1e9 + sec;
}

function twoDigits(buf: Buffer, s: number): number {
  const a = buf[s]! - 48;
  const b = buf[s + 1]! - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function clockOf(layout: Layout, tool: SnoopTool): ClockDomain {
  const r = layout.roles;
  if (r.includes('end') || r.includes('start')) {
    return { name: 'ftrace', origin: 'ftrace trace clock of the traced host (iosnoop STARTs/ENDs; s since boot for the default "local" clock)' };
  }
  if (r.includes('time')) return { name: 'relative', origin: `first I/O completion printed by ${tool} (TIME(s) 0)` };
  if (r.includes('timestamp')) {
    return { name: 'local-time-of-day', origin: 'wall-clock time of day when the row was printed (libbpf biosnoop -t; no date)' };
  }
  return { name: 'order-only', origin: `${tool} printed no timestamps: only the completion order is known`, orderOnly: true };
}
