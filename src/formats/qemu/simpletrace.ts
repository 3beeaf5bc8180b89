/**
 * Output of QEMU's scripts/simpletrace.py (the `simple` backend decoded with
 * trace-events-all): `<event> <delta_us %0.3f> [pid=<pid>] name=value …`, with
 * every integer (pointers included) printed as 0x%x and strings raw. The 2010
 * first format has no `pid=` (QEMU 0.13, commit 26f7227bfe9a). The delta is
 * relative to the previous record, so times are the running sum: a relative
 * clock whose zero is the first record, with no absolute time at all.
 *
 * A record wrapped onto the next line (mail, commit messages: a line of
 * `key=value` tokens only) is joined to the record before it, so a record is
 * emitted only when the next one starts or at end of input.
 */
import type { FormatSpec, ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { clearQemuArgs, emptyQemuEvent, QemuKind, type QemuEvent } from '../../qemu/event.js';
import { decodeArgs, EVENT_KINDS, isKnownFamily } from '../../qemu/events.js';
import { QemuLogSkip } from './log.js';
import { CONTINUATION, qemuSimpletraceMeta, RECORD } from './detect.js';

export { simpletraceConfidence } from './detect.js';


export const SimpletraceSkip = {
  notRecord: 'qemu-simpletrace: not a record line',
  joined: 'qemu-simpletrace: wrapped record joined',
} as const;

export class SimpletraceParser implements StreamParser {
  private readonly splitter: LineSplitter;
  private readonly ev: QemuEvent = emptyQemuEvent();
  private pending = '';
  private pendingLine = 0;
  private time = 0;
  private seq = 0;
  private clockSet = false;

  constructor(private readonly ctx: ParseContext) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf.toString('utf8', s, e).trim(), n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.count(QemuLogSkip.tooLong, 'error', n, `<${len} bytes>`),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.flush();
    if (this.clockSet) {
      this.ctx.limitation('simpletrace.py prints deltas between records, not absolute times: the clock is relative to the first record');
    }
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text });
  }

  private line(s: string, lineNo: number): void {
    if (s === '') return;
    if (RECORD.test(s)) {
      this.flush();
      this.pending = s;
      this.pendingLine = lineNo;
      return;
    }
    if (this.pending !== '' && CONTINUATION.test(s)) {
      this.pending += ' ' + s;
      this.count(SimpletraceSkip.joined, 'info', lineNo, s);
      return;
    }
    this.count(SimpletraceSkip.notRecord, 'info', lineNo, s);
  }

  private flush(): void {
    if (this.pending === '') return;
    const m = RECORD.exec(this.pending)!;
    const lineNo = this.pendingLine;
    this.pending = '';
    if (!this.clockSet) {
      this.clockSet = true;
      this.ctx.setClock({ name: 'qemu-simpletrace', origin: 'first record (simpletrace.py deltas summed)' });
    }
    const ev = this.ev;
    ev.loc = lineNo;
    ev.name = m[1]!;
    ev.seq = ++this.seq;
    // delta in µs with 3 decimals; round to whole ns
    if (this.seq > 1) this.time += Math.round(Number(m[2]) * 1000);
    ev.time = this.time;
    ev.tid = -1;
    clearQemuArgs(ev);
    decodeArgs(ev, m[3] ?? '');
    if (ev.kind === QemuKind.Other) {
      if (!EVENT_KINDS.has(ev.name)) {
        this.count(isKnownFamily(ev.name) ? QemuLogSkip.unusedEvent : QemuLogSkip.unknownEvent, 'info', lineNo, ev.name);
      }
    } else if (ev.kind === QemuKind.Dropped) {
      this.count(QemuLogSkip.dropped, 'data-loss', lineNo, ev.args);
    }
    this.ctx.qemuSink?.qemu(ev);
  }
}

export const qemuSimpletraceFormat: FormatSpec = {
  ...qemuSimpletraceMeta,
  create: (ctx: ParseContext) => new SimpletraceParser(ctx),
};
