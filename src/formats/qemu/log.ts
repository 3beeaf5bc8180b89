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
import { clearQemuArgs, emptyQemuEvent, QemuKind, type QemuEvent } from '../../qemu/event.js';
import { decodeArgs, EVENT_KINDS, isKnownFamily } from '../../qemu/events.js';
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

export class QemuLogParser implements StreamParser {
  private readonly splitter: LineSplitter;
  private readonly ev: QemuEvent = emptyQemuEvent();
  private baseSec = -1;
  private style: PrefixStyle | '' = '';
  private lastTime = -Infinity;
  private seq = 0;

  constructor(private readonly ctx: ParseContext) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf.toString('utf8', s, e), n),
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
    this.ctx.limitation(
      'QEMU up to 10.x has no trace event for a guest or block-layer flush (virtio_blk_handle_flush, bdrv_co_flush): a flush is seen only through the host job it causes or a virtio completion with no read/write',
    );
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text });
  }

  private line(s: string, lineNo: number): void {
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
    ev.loc = lineNo;
    ev.name = s.slice(nameStart, nameEnd);
    ev.tid = prefix.tid;
    ev.seq = ++this.seq;
    if (this.style === '') this.setClock(prefix.style);
    if (prefix.sec >= 0) {
      if (this.baseSec < 0) this.baseSec = Math.floor(prefix.sec);
      ev.time = (prefix.sec - this.baseSec) * 1e9 + prefix.usec * 1e3;
      if (ev.time < this.lastTime) this.count(QemuLogSkip.backwards, 'info', lineNo, s);
      else this.lastTime = ev.time;
    } else {
      if (this.baseSec >= 0) this.count(QemuLogSkip.noTime, 'info', lineNo, s);
      ev.time = -1;
    }
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
    if (style === 'tid@time' || style === 'iso8601') {
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

export const qemuLogFormat: FormatSpec = {
  ...qemuLogMeta,
  create: (ctx: ParseContext) => new QemuLogParser(ctx),
};
