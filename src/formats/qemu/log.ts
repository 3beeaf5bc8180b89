/**
 * QEMU `log` trace backend (`-trace EVENT`, `-d trace:EVENT`, `-D file`, qemu-io
 * `-T EVENT`): one `<prefix><event> <args>` line per event, where the prefix is
 * one of the forms in prefix.ts (or none). Lines that are not trace events —
 * QEMU's own messages, qtest protocol lines, assertion failures — are counted
 * (info) and skipped; an event the analysis does not use is counted, never fatal.
 *
 * Times: the `TID@SEC.USEC:` and ISO-8601 prefixes are CLOCK_REALTIME with µs
 * resolution (gettimeofday / g_date_time). They are stored as ns since the
 * first event's whole second (ClockDomain.baseSeconds) to stay exact in a
 * double. Without a prefix the clock is "order-only".
 */
import type { FormatSpec, ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { clearQemuArgs, clearQemuFields, lazyArgsEvent, QemuKind, type LazyArgs, type QemuEvent } from '../../qemu/event.js';
import { decodeArgs, EVENT_KINDS, isKnownFamily } from '../../qemu/events.js';
import { decodeArgBytes, PointerTexts } from '../../qemu/args-bytes.js';
import { eventNameEnd, parsePrefix, prefix, type PrefixStyle } from './prefix.js';
import { looksLikeBareEvent, qemuLogMeta } from './detect.js';

export { qemuLogConfidence } from './detect.js';

export const QemuLogSkip = {
  notTrace: 'qemu-log: not a trace line',
  unusedEvent: 'qemu: event not used by the analysis',
  unknownEvent: 'qemu: unknown event name',
  noTime: 'qemu-log: event without timestamp among timestamped ones',
  backwards: 'qemu-log: time went backwards',
  tooLong: 'line too long',
  dropped: 'lost-events: qemu trace dropped events',
} as const;

export class QemuLogParser implements StreamParser, LazyArgs {
  /** Lines go through LineSplitter; a line's bytes (buf, argsBuf) are read only while it is handled. */
  readonly keepsNoChunk = true;
  private readonly splitter: LineSplitter;
  private readonly ev: QemuEvent = lazyArgsEvent(this);
  private baseSec = -1;
  private style: PrefixStyle | '' = '';
  private lastTime = -Infinity;
  private seq = 0;
  /** The line being read: its text once made (count examples, the text path), else its bytes. */
  private text: string | undefined;
  private buf: Buffer = EMPTY;
  private lineStart = 0;
  private lineEnd = 0;
  /** `ev.args` not yet made: the bytes it comes from (valid while the sink handles the event). */
  argsBuf: Buffer | null = null;
  argsStart = 0;
  argsEnd = 0;
  argsText = '';
  private readonly names = new EventNames();
  private readonly pointers = new PointerTexts();

  /** `fromText`: read every line from its text (the reference the byte path is tested against). */
  constructor(private readonly ctx: ParseContext, fromText = false) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      fromText ? (buf, s, e, n) => this.line(buf.toString('utf8', s, e), n) : (buf, s, e, n) => this.bytes(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.count(QemuLogSkip.tooLong, 'error', n, `<${len} bytes>`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    if (this.style === '') return;
    if (this.style === 'none' || this.style === 'prog') {
      this.ctx.limitation('QEMU log lines carry no timestamp: events are placed by order only');
    }
    if (this.style === 'pid@ns') {
      // every event carries QEMU's process id (SystemTap pid()): what a thread did in a row (a coroutine's
      // request and the host job it submitted) is not told from another thread's events in between
      this.ctx.limitation('QEMU events printed by qemu-trace-stap carry the process id, not the thread id: QEMU\'s threads are not told apart, a host job is given to a request by order and kind only');
    }
    this.ctx.limitation(
      'QEMU up to 10.x has no trace event for a guest or block-layer flush (virtio_blk_handle_flush, bdrv_co_flush): a flush is seen only through the host job it causes or a virtio completion with no read/write',
    );
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text });
  }

  private lineText(): string {
    return (this.text ??= this.buf.toString('utf8', this.lineStart, this.lineEnd));
  }

  /**
   * The common line, `TID@SEC.USEC:name args` (the log backend up to 10.0), read from its bytes: no string
   * for the line, its name or its arguments. Every other line goes to `line` as text. The decisions are
   * the text path's, made on the same characters (prefix.ts tidAtTime, eventNameEnd), so a line gives the
   * same event either way (test/qemu-bytes.test.ts).
   */
  private bytes(buf: Buffer, s: number, e: number, lineNo: number): void {
    this.text = undefined;
    this.buf = buf;
    this.lineStart = s;
    this.lineEnd = e;
    let p = s;
    while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === e) return;
    // TID@SEC.USEC: — at most 15 digits each, where adding them up is exact (Number() of the text otherwise)
    const a = digitRun(buf, p, e);
    const tid = runValue;
    if (a === p || a - p > 15 || buf[a] !== 64 /* @ */) return this.line(this.lineText(), lineNo);
    const b = digitRun(buf, a + 1, e);
    const sec = runValue;
    if (b === a + 1 || b - a - 1 > 15 || buf[b] !== 46 /* . */) return this.line(this.lineText(), lineNo);
    const c = digitRun(buf, b + 1, e);
    const frac = runValue;
    if (c === b + 1 || c - b - 1 > 15 || buf[c] !== 58 /* : */) return this.line(this.lineText(), lineNo);
    // the event name: an identifier with a "_", then a space or the end (eventNameEnd)
    const n0 = c + 1;
    let q = n0;
    let h = 0;
    let underscore = false;
    for (; q < e; q++) {
      const d = buf[q]!;
      if (d === 95) underscore = true;
      else if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d >= 48 && d <= 57 && q > n0))) break;
      h = (Math.imul(h, 31) + d) | 0;
    }
    if (q === n0 || !underscore || (q < e && buf[q] !== 32)) return this.line(this.lineText(), lineNo);
    prefix.pos = n0;
    prefix.tid = tid;
    prefix.sec = sec;
    prefix.usec = Math.round(frac * Math.pow(10, 6 - (c - b - 1)));
    prefix.style = 'tid@time';
    const name = this.names.get(h, buf, n0, q);
    this.head(lineNo, name.name);
    const ev = this.ev;
    clearQemuFields(ev);
    this.argsText = '';
    this.argsBuf = null;
    ev.kind = name.kind;
    if (name.kind === QemuKind.ScsiRequest) {
      // its CDB text runs to the end of the line: decoded from the text
      decodeArgs(ev, q < e ? buf.toString('utf8', q + 1, e) : '');
    } else {
      if (q < e) {
        this.argsBuf = buf;
        this.argsStart = q + 1;
        this.argsEnd = e;
        if (name.kind !== QemuKind.Other) decodeArgBytes(ev, name.kind, buf, q + 1, e, this.pointers);
      }
      if (name.kind === QemuKind.Other && !name.listed) {
        this.count(name.family ? QemuLogSkip.unusedEvent : QemuLogSkip.unknownEvent, 'info', lineNo, this.lineText());
      }
    }
    if (ev.kind === QemuKind.Dropped) this.count(QemuLogSkip.dropped, 'data-loss', lineNo, this.lineText());
    this.ctx.qemuSink?.qemu(ev);
    // the bytes may be reused once this returns
    this.argsBuf = null;
  }

  /** The event's line, time and name (both paths). */
  private head(lineNo: number, name: string): void {
    const ev = this.ev;
    ev.loc = lineNo;
    ev.name = name;
    ev.tid = prefix.tid;
    ev.seq = ++this.seq;
    if (this.style === '') this.setClock(prefix.style);
    if (prefix.sec >= 0) {
      if (this.baseSec < 0) this.baseSec = Math.floor(prefix.sec);
      ev.time = (prefix.sec - this.baseSec) * 1e9 + prefix.usec * 1e3;
      if (ev.time < this.lastTime) this.count(QemuLogSkip.backwards, 'info', lineNo, this.lineText());
      else this.lastTime = ev.time;
    } else {
      if (this.baseSec >= 0) this.count(QemuLogSkip.noTime, 'info', lineNo, this.lineText());
      ev.time = -1;
    }
  }

  /** Any line, from its text (prefix.ts). */
  private line(s: string, lineNo: number): void {
    this.text = s;
    let p = 0;
    while (p < s.length && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
    if (p === s.length) return;
    parsePrefix(s, p);
    const nameStart = prefix.pos;
    const nameEnd = eventNameEnd(s, nameStart);
    if (nameEnd < 0 || (prefix.style === 'none' && !looksLikeBareEvent(s, nameStart, nameEnd))) {
      this.count(QemuLogSkip.notTrace, 'info', lineNo, s);
      return;
    }
    const ev = this.ev;
    this.head(lineNo, s.slice(nameStart, nameEnd));
    clearQemuArgs(ev);
    decodeArgs(ev, nameEnd < s.length ? s.slice(nameEnd + 1) : '');
    if (ev.kind === QemuKind.Other) {
      if (!EVENT_KINDS.has(ev.name)) {
        this.count(isKnownFamily(ev.name) ? QemuLogSkip.unusedEvent : QemuLogSkip.unknownEvent, 'info', lineNo, s);
      }
    } else if (ev.kind === QemuKind.Dropped) {
      this.count(QemuLogSkip.dropped, 'data-loss', lineNo, s);
    }
    this.ctx.qemuSink?.qemu(ev);
  }

  private setClock(style: PrefixStyle): void {
    this.style = style;
    if (style === 'tid@time' || style === 'iso8601' || style === 'pid@ns') {
      this.ctx.setClock({
        name: 'qemu-realtime',
        origin: `CLOCK_REALTIME (µs), stored from ${Math.floor(prefix.sec)} s`,
        baseSeconds: Math.floor(prefix.sec),
      });
    } else {
      this.ctx.setClock({ name: 'order-only', origin: 'no timestamps: line order', orderOnly: true });
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** The value of the digits digitRun last read: exact up to 15 of them (its callers' bound). */
let runValue = 0;

/** End of the run of ASCII digits at p (p itself when there is none), before e; their value in runValue. */
function digitRun(buf: Buffer, p: number, e: number): number {
  let v = 0;
  while (p < e) {
    const c = buf[p]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    p++;
  }
  runValue = v;
  return p;
}

interface EventName {
  name: string;
  kind: QemuKind;
  /** In EVENT_KINDS (an event the analysis reads, or dropped_event). */
  listed: boolean;
  /** A QEMU event family (isKnownFamily). */
  family: boolean;
}

/** Event names by their bytes (their hash as the name scan computes it): one string and one lookup per name. */
class EventNames {
  private readonly map = new Map<number, EventName[]>();
  private size = 0;

  get(h: number, buf: Buffer, a: number, b: number): EventName {
    const list = this.map.get(h);
    if (list !== undefined) {
      outer: for (const n of list) {
        if (n.name.length !== b - a) continue;
        for (let i = 0; i < n.name.length; i++) if (n.name.charCodeAt(i) !== buf[a + i]) continue outer;
        return n;
      }
    }
    const name = buf.toString('latin1', a, b); // ASCII: the scan took letters, digits and "_" only
    const n: EventName = { name, kind: EVENT_KINDS.get(name) ?? QemuKind.Other, listed: EVENT_KINDS.has(name), family: isKnownFamily(name) };
    if (this.size < 4096) {
      this.size++;
      if (list !== undefined) list.push(n);
      else this.map.set(h, [n]);
    }
    return n;
  }
}

export const qemuLogFormat: FormatSpec = {
  ...qemuLogMeta,
  create: (ctx: ParseContext) => new QemuLogParser(ctx),
};
