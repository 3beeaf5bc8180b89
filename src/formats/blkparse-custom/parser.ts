/**
 * Text written by `blkparse -f/-F` → BlockEvents.
 *
 * Lines are matched against the compiled formats (matcher.ts). A record the
 * text ended inside (MORE) is joined with the next line, up to the format's
 * own line count + MAX_WRAP lines, which reads multi-line formats and
 * mail-wrapped records alike. Lines that match no custom format are handed,
 * one by one, to the default blkparse reader: blkparse prints messages (`m`)
 * in its default layout whatever -f says, actions without a -F format in the
 * default layout, and the per-CPU summary after the events — that reader
 * parses or counts them, with this file's line numbers.
 *
 * Events are built so that the same capture read through a custom format and
 * through the default text gives the same events where both printed the
 * field: e.g. zero-length Q/G/I/D/P/U lines have no sector (-1), as
 * process_default prints none.
 */
import { Act, emptyEvent, type BlockEvent } from '../../model/event.js';
import { makeDev } from '../../model/device.js';
import { Diagnostics, type Severity, type SkipExample } from '../../model/diagnostics.js';
import { Flag, Op } from '../../model/rwbs.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { InputError } from '../../model/errors.js';
import type { ParseContext, StreamParser } from '../types.js';
import { blkparseFormat } from '../blkparse/spec.js';
import { decodeErrno } from '../blkparse/parser.js';
import { compileOptions, FormatSpecError, parseFormatOption, type CompiledFormat } from './format-string.js';
import { FAIL, MATCH, MORE, RecordMatcher } from './matcher.js';
import { formatLimitations } from './limitations.js';

/** Extra lines a record may be wrapped over (mail clients). */
const MAX_WRAP = 2;
const NL = Buffer.from('\n');
const DAY_NS = 86400e9;

export const CustomReason = {
  wrapped: 'blkparse-custom: record wrapped over extra lines (joined)',
  defaultLayout: 'blkparse-custom: line in the default layout (read by the blkparse reader)',
  truncated: 'blkparse-custom: record cut short at the end of the input',
  backwards: 'time went backwards',
  tooLong: 'line too long',
} as const;

const LETTER_ACT: Record<string, number> = {
  Q: Act.Queue, M: Act.BackMerge, F: Act.FrontMerge, G: Act.GetRq, S: Act.SleepRq, R: Act.Requeue,
  D: Act.Issue, C: Act.Complete, P: Act.Plug, U: Act.Unplug, T: Act.UnplugTimer, I: Act.Insert,
  X: Act.Split, B: Act.Bounce, A: Act.Remap,
};

/** Actions whose default line prints a sector even with 0 blocks (process_default). */
const SECTOR_ALWAYS = new Set<number>([Act.Complete, Act.Requeue, Act.Remap, Act.Split]);

/** Forwards the default reader's counters to ours, with our line numbers. */
class RelocatedDiagnostics extends Diagnostics {
  constructor(
    private readonly target: Diagnostics,
    private readonly loc: () => number,
  ) {
    super();
  }

  override add(reason: string, severity: Severity, example?: SkipExample): void {
    this.target.add(reason, severity, example && { ...example, loc: this.loc() || example.loc });
  }

  override addMany(reason: string, severity: Severity, n: number, example?: SkipExample): void {
    this.target.addMany(reason, severity, n, example && { ...example, loc: this.loc() || example.loc });
  }
}

export function compileBlkparseFormat(value: string, source: string): CompiledFormat[] {
  try {
    return compileOptions(parseFormatOption(value));
  } catch (err) {
    if (err instanceof FormatSpecError) throw new InputError(`--blkparse-format: ${err.message}`, source);
    throw err;
  }
}

export class BlkparseCustomParser implements StreamParser {
  private readonly formats: CompiledFormat[];
  private readonly maxLines: number;
  private readonly splitter: LineSplitter;
  private readonly matcher = new RecordMatcher();
  private readonly ev: BlockEvent = emptyEvent();
  private readonly fallback: StreamParser;
  private matched: CompiledFormat | undefined;
  private fallbackLine = 0;
  private fallbackEvents = 0;
  private acc: Buffer = Buffer.alloc(1024);
  private accLen = 0;
  /** Line numbers and start offsets (in acc) of the pending lines. */
  private readonly pendLine: number[] = [];
  private readonly pendStart: number[] = [];
  private lastTime = -Infinity;
  private lastTod = -1;
  private dayOffset = 0;
  private remapSeen = false;

  constructor(private readonly ctx: ParseContext) {
    const spec = ctx.options.blkparseFormat;
    // Without a format every line goes to the default reader (parsers never
    // throw on input; the CLI asks for --blkparse-format before we get here).
    this.formats = spec ? compileBlkparseFormat(spec, ctx.sourceName) : [];
    if (!spec) ctx.limitation('blkparse-custom: no --blkparse-format given: the text was read as default blkparse output');
    this.maxLines = Math.max(1, ...this.formats.map((f) => f.lines)) + MAX_WRAP;
    this.ev.source = ctx.sourceIndex;
    this.fallback = blkparseFormat.create({
      ...ctx,
      diag: new RelocatedDiagnostics(ctx.diag, () => this.fallbackLine),
      sink: {
        event: (e) => {
          e.loc = this.fallbackLine || e.loc;
          this.fallbackEvents++;
          ctx.sink.event(e);
        },
      },
    });
    const has = (c: string): boolean => this.formats.some((f) => f.has.has(c));
    if (has('T') || has('t')) ctx.setClock({ name: 'relative', origin: 'blkparse: time since the first event (%T.%t)' });
    else if (has('z')) ctx.setClock({ name: 'local-time-of-day', origin: 'blkparse %z: local wall-clock time of day (no date)' });
    else ctx.setClock({ name: 'order-only', origin: 'the --blkparse-format prints no time (%T, %t or %z)', orderOnly: true });
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => ctx.diag.add(CustomReason.tooLong, 'error', { source: ctx.sourceName, locKind: 'line', loc: n, text: `<${len} bytes>` }),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.flushPending(true);
    this.fallbackLine = 0;
    this.fallback.end();
    for (const text of formatLimitations(this.formats, this.remapSeen)) this.ctx.limitation(text);
  }

  private line(buf: Buffer, s: number, e: number, n: number): void {
    let blank = true;
    for (let i = s; i < e && blank; i++) if (buf[i] !== 32 && buf[i] !== 9) blank = false;
    if (blank) {
      this.flushPending();
      this.unmatched(buf, s, e, n);
      return;
    }
    this.feed(buf, s, e, n);
  }

  /** One non-blank line, alone or after pending ones. */
  private feed(buf: Buffer, s: number, e: number, n: number): void {
    if (this.pendLine.length === 0) {
      const r = this.tryAll(buf, s, e);
      if (r === MATCH) this.emit(n, 1);
      else if (r === FAIL) this.unmatched(buf, s, e, n);
      else this.append(buf, s, e, n);
      return;
    }
    this.append(buf, s, e, n);
    const r = this.tryAll(this.acc, 0, this.accLen);
    if (r === MATCH) {
      this.emit(this.pendLine[0]!, this.pendLine.length);
      this.clearPending();
    } else if (r === FAIL || this.pendLine.length >= this.maxLines) {
      this.shiftAndRefeed();
    }
  }

  /** Give the first pending line up to the default reader, then feed the others again. */
  private shiftAndRefeed(): void {
    const lines: Array<[Buffer, number]> = [];
    for (let i = 0; i < this.pendLine.length; i++) {
      const s = this.pendStart[i]!;
      const e = i + 1 < this.pendLine.length ? this.pendStart[i + 1]! - 1 : this.accLen;
      lines.push([Buffer.from(this.acc.subarray(s, e)), this.pendLine[i]!]);
    }
    this.clearPending();
    const [first, ...rest] = lines;
    this.unmatched(first![0], 0, first![0].length, first![1]);
    for (const [b, n] of rest) this.feed(b, 0, b.length, n);
  }

  /** Pending lines before a blank line, or at the end of the input (then: one record cut short). */
  private flushPending(atEnd = false): void {
    if (atEnd && this.pendLine.length > 0) {
      const e = this.pendLine.length > 1 ? this.pendStart[1]! - 1 : this.accLen;
      this.ctx.diag.add(CustomReason.truncated, 'data-loss', {
        source: this.ctx.sourceName, locKind: 'line', loc: this.pendLine[0]!, text: this.acc.toString('utf8', 0, Math.min(e, 160)),
      });
      this.clearPending();
    }
    while (this.pendLine.length > 0) this.shiftAndRefeed();
  }

  private append(buf: Buffer, s: number, e: number, n: number): void {
    const sep = this.pendLine.length > 0 ? 1 : 0;
    const need = this.accLen + sep + (e - s);
    if (need > this.acc.length) {
      const grown = Buffer.allocUnsafe(need * 2);
      this.acc.copy(grown, 0, 0, this.accLen);
      this.acc = grown;
    }
    if (sep) this.acc[this.accLen++] = 10;
    this.pendLine.push(n);
    this.pendStart.push(this.accLen);
    buf.copy(this.acc, this.accLen, s, e);
    this.accLen += e - s;
  }

  private clearPending(): void {
    this.accLen = 0;
    this.pendLine.length = 0;
    this.pendStart.length = 0;
  }

  /** Try every format; MATCH when one matches and its %a (if any) is an action it formats. */
  private tryAll(buf: Buffer, s: number, e: number): number {
    let more = false;
    const m = this.matcher;
    for (const f of this.formats) {
      const r = m.match(f, buf, s, e);
      if (r === MATCH) {
        if (m.actLetter === 0 || f.letters.includes(String.fromCharCode(m.actLetter))) {
          this.matched = f;
          return MATCH;
        }
      } else if (r === MORE) {
        more = true;
      }
    }
    return more ? MORE : FAIL;
  }

  private unmatched(buf: Buffer, s: number, e: number, n: number): void {
    this.fallbackLine = n;
    const before = this.fallbackEvents;
    this.fallback.push(buf.subarray(s, e));
    this.fallback.push(NL);
    if (this.fallbackEvents > before) {
      this.ctx.diag.add(CustomReason.defaultLayout, 'info', {
        source: this.ctx.sourceName, locKind: 'line', loc: n, text: buf.toString('utf8', s, Math.min(e, s + 160)),
      });
    }
    this.fallbackLine = 0;
  }

  private emit(lineNo: number, lines: number): void {
    const m = this.matcher;
    const f = this.matched!;
    const ev = this.ev;
    if (lines > f.lines) {
      this.ctx.diag.add(CustomReason.wrapped, 'info', {
        source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text: `${lines} lines for a ${f.lines}-line format`,
      });
    }
    const act = m.act >= 0 ? m.act : LETTER_ACT[f.letters[0]!]!;
    ev.loc = lineNo;
    ev.act = act as Act;
    ev.dev = m.major >= 0 && m.minor >= 0 ? makeDev(m.major, m.minor) : 0;
    ev.cpu = m.cpu;
    ev.seq = m.seq;
    ev.pid = m.pid;
    ev.op = m.rwbs ? m.rwbs.op : Op.None;
    ev.flags = m.rwbs ? m.rwbs.flags : 0;
    ev.bytes = m.bytes >= 0 ? m.bytes : m.blocks >= 0 ? m.blocks * 512 : -1;
    ev.sector = ev.bytes === 0 && !SECTOR_ALWAYS.has(act) ? -1 : m.sector;
    ev.error = m.error > 0 ? decodeErrno(m.error) : 0;
    ev.comm = m.comm;
    // %U is the pdu's first 8 bytes: the depth of U/UT, the new sector of X; garbage otherwise.
    ev.aux = act === Act.Unplug || act === Act.UnplugTimer || act === Act.Split ? m.pduInt : -1;
    ev.auxDev = -1;
    ev.text = m.pdu;
    if (m.pdu !== '') ev.flags |= Flag.PC;
    if (act === Act.Remap) this.remapSeen = true;
    ev.time = this.time();
    if (ev.time < this.lastTime) {
      this.ctx.diag.add(CustomReason.backwards, 'info', { source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text: '' });
    } else {
      this.lastTime = ev.time;
    }
    this.ctx.sink.event(ev);
  }

  private time(): number {
    const m = this.matcher;
    if (m.secs >= 0) return m.secs * 1e9 + (m.nsec >= 0 ? m.nsec : 0);
    if (m.nsec >= 0) return m.nsec;
    if (m.tod >= 0) {
      if (this.lastTod >= 0 && m.tod + DAY_NS / 2 < this.lastTod) this.dayOffset += DAY_NS;
      this.lastTod = m.tod;
      return m.tod + this.dayOffset;
    }
    return 0;
  }
}
