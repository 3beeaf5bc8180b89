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
import { DEFAULT_MAX_LINE, LineSplitter } from '../../io/lines.js';
import { clearQemuArgs, emptyQemuEvent, QemuKind, type QemuEvent } from '../../qemu/event.js';
import { decodeArgs, EVENT_KINDS, isKnownFamily } from '../../qemu/events.js';
import { eventNameEnd, parsePrefix, prefix, type PrefixStyle } from './prefix.js';

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

/**
 * Without a prefix any "word_word ..." line could pass for an event: require a
 * known event family, or an argument list that starts like QEMU's ("key value").
 */
function looksLikeBareEvent(s: string, start: number, end: number): boolean {
  const name = s.slice(start, end);
  if (EVENT_KINDS.has(name) || isKnownFamily(name)) return true;
  if (end >= s.length) return false;
  const rest = s.slice(end + 1);
  return /^[A-Za-z_]\w* (?:0x[0-9a-f]+|\(nil\)|-?\d+)/.test(rest) || /^\w+=/.test(rest);
}

const SIMPLETRACE_SHAPE = /^ \d+\.\d+(?: |$)/;

/** Detection: share of non-blank lines in `head` that are QEMU log events. */
export function qemuLogConfidence(head: Buffer): number {
  const lines = head.toString('utf8').split('\n', 400);
  if (lines.length > 1) lines.pop(); // the last line may be cut by the head limit
  let events = 0;
  let known = 0;
  let other = 0;
  for (const raw of lines) {
    const l = raw.replace(/\r$/, '').trimStart();
    if (l === '') continue;
    parsePrefix(l, 0);
    const e = eventNameEnd(l, prefix.pos);
    if (e < 0) {
      other++;
      continue;
    }
    const name = l.slice(prefix.pos, e);
    if (prefix.style === 'none' && SIMPLETRACE_SHAPE.test(l.slice(e))) {
      other++; // "event 0.699 key=0x…": simpletrace.py output, not the log backend
      continue;
    }
    const knownName = EVENT_KINDS.has(name) || isKnownFamily(name);
    if (prefix.style !== 'none' || knownName || looksLikeBareEvent(l, prefix.pos, e)) {
      events++;
      if (knownName) known++;
    } else other++;
  }
  if (events === 0) return 0;
  const share = events / (events + other);
  // a prefixed line or a known event name is strong evidence; bare "a_b key value" lines weaker
  const strength = known > 0 ? 0.95 : 0.6;
  return Math.min(0.97, strength * (0.4 + 0.6 * share));
}

export const qemuLogFormat: FormatSpec = {
  name: 'qemu-log',
  title: 'QEMU trace, log backend (-trace / -d trace: / qemu-io -T), with or without -msg timestamp=on',
  example: '15455@1795464645.507187:virtio_blk_handle_write vdev 0x5648dd17f5c0 req 0x5648dc424800 sector 16930 nsectors 8',
  detectedBy: 'lines "[TID@SEC.USEC:|ISO-8601 |prog(TID:thr): ]event_name key value …" with QEMU event names',
  kind: 'text',
  produces: 'qemu',
  detect: qemuLogConfidence,
  create: (ctx: ParseContext) => new QemuLogParser(ctx),
};
