/**
 * Text of the ftrace `blk` tracer (`echo blk > current_tracer`; kernel/trace/
 * blktrace.c print_one_line), both renderings, line by line:
 *
 *   default     "<comm>-<pid> [CPU] FLAGS SECS.USECS:   7,1    Q WFS 8192 + 128 [python3]"
 *               ftrace context + "%3d,%-3d %2s %3s " (+ "%llx,%-llx " cgroup id or a
 *               cgroup path before the action with blk_cgroup / blk_cgname)
 *   blk_classic "  7,1    0   892.573504000 11683  Q WFS 8192 + 128 [python3]"
 *               "%3d,%-3d %2d %5d.%09lu %5u %2s %3s " = dev cpu time pid act rwbs
 *               (blkparse's header without the sequence column)
 *
 * One parser reads both shapes (a file read while the option was toggled has
 * both); the two FormatSpecs differ in detection only. No sequence numbers
 * exist (seq = -1). The default rendering has µs timestamps, classic ns; both
 * are the absolute trace clock. Lines of other events (markers, tracepoints
 * enabled at the same time) are counted as "other-event: NAME".
 */
import type { ParseContext } from '../types.js';
import { makeDev } from '../../model/device.js';
import { isDigit, num, readSecondsNs, readUint, skipSpaces, tokenEnd } from '../blkparse/bytes.js';
import { name, readEventName, readLineContext } from '../tracepoint/context.js';
import { FtraceTextReader } from '../tracepoint/ftrace-text.js';
import { BlkBodyReader } from './body.js';

export const FtraceBlkSkip = {
  notEvent: 'ftrace-blk: not an event line',
  unreadable: 'ftrace-blk: unreadable action/RWBS/tail',
  unknownAction: 'ftrace-blk: "Unknown action" line',
  blkparseLine: 'ftrace-blk: blkparse line with a sequence column (read it with --format blkparse)',
  oddError: 'ftrace-blk: completion error is not an errno (a positive driver status is read as no failure; others kept as printed)',
} as const;

export class FtraceBlkParser extends FtraceTextReader {
  private readonly body: BlkBodyReader;

  constructor(ctx: ParseContext, private readonly classic: boolean) {
    super(ctx);
    this.body = new BlkBodyReader(this.ev, (buf, s, e) => this.comms.get(this.ev.pid, buf, s, e));
  }

  protected clockOrigin(): string {
    return this.classic
      ? 'ftrace trace clock (tracing/trace_clock; "mono" = CLOCK_MONOTONIC in the corpus), absolute, ns'
      : 'ftrace trace clock (tracing/trace_clock; "mono" = CLOCK_MONOTONIC in the corpus), absolute, printed in µs';
  }

  protected line(buf: Buffer, s: number, e: number, lineNo: number): void {
    let p = s;
    while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === e) return;
    const c = buf[p]!;
    if (c === 35 /* # */) {
      this.header(buf, p, e, lineNo);
      return;
    }
    if (isDigit(c) && this.classicLine(buf, s, p, e, lineNo)) return;
    const lc = this.lc;
    if (!readLineContext(buf, p, e, lc)) {
      if (!this.stackLine(buf, s, p, e, false) && !this.metaLine(buf, p, e, lineNo)) this.skip(FtraceBlkSkip.notEvent, 'error', buf, s, e, lineNo);
      return;
    }
    const b = lc.body;
    if (this.stackLine(buf, s, b, e, true)) return;
    if (b < e && isDigit(buf[b]!)) {
      this.defaultLine(buf, s, b, e, lineNo);
      return;
    }
    const q = readEventName(buf, b, e);
    if (q >= 0) {
      this.otherEvent(buf, name.start, name.end, skipSpaces(buf, q, e), e, lineNo, lc.time);
    } else if (buf[b] === 85 /* U */ && buf.toString('latin1', b, Math.min(e, b + 15)) === 'Unknown action ') {
      this.skip(FtraceBlkSkip.unknownAction, 'error', buf, s, e, lineNo);
    } else {
      this.skip(FtraceBlkSkip.notEvent, 'error', buf, s, e, lineNo);
    }
  }

  /** "maj,min [cgroup] ACT RWBS tail" after the ftrace context. */
  private defaultLine(buf: Buffer, s: number, p: number, e: number, lineNo: number): void {
    const ev = this.ev;
    const lc = this.lc;
    if (!this.dev(buf, p, e)) {
      this.skip(FtraceBlkSkip.unreadable, 'error', buf, s, e, lineNo);
      return;
    }
    p = skipSpaces(buf, num.pos, e);
    // blk_cgroup: "low32,high32" hex id; blk_cgname: a path (or "<...>")
    const te = tokenEnd(buf, p, e);
    if (buf[p] === 47 /* / */ || buf[p] === 60 /* < */ || hasComma(buf, p, te)) p = skipSpaces(buf, te, e);
    ev.loc = lineNo;
    ev.time = lc.time;
    ev.cpu = lc.cpu;
    ev.pid = lc.pid;
    ev.seq = -1;
    this.finish(buf, s, p, e, lineNo, true);
  }

  /** "maj,min cpu secs.nsecs pid ACT RWBS tail"; false when the line is not of that shape. */
  private classicLine(buf: Buffer, s: number, p: number, e: number, lineNo: number): boolean {
    const ev = this.ev;
    if (!this.dev(buf, p, e)) return false;
    p = skipSpaces(buf, num.pos, e);
    if (!readUint(buf, p, e)) return false;
    const cpu = num.value;
    p = skipSpaces(buf, num.pos, e);
    if (!readSecondsNs(buf, p, e)) {
      if (readUint(buf, p, e) && readSecondsNs(buf, skipSpaces(buf, num.pos, e), e)) {
        this.skip(FtraceBlkSkip.blkparseLine, 'error', buf, s, e, lineNo);
        return true;
      }
      return false;
    }
    const time = num.value;
    p = skipSpaces(buf, num.pos, e);
    if (!readUint(buf, p, e)) return false;
    ev.loc = lineNo;
    ev.time = time;
    this.lc.fracDigits = 9; // "%5d.%09lu"
    ev.cpu = cpu;
    ev.pid = num.value;
    ev.seq = -1;
    this.finish(buf, s, skipSpaces(buf, num.pos, e), e, lineNo, false);
    return true;
  }

  /** Action, RWBS, tail; `context` = the line had an ftrace context whose comm serves lines without one. */
  private finish(buf: Buffer, s: number, p: number, e: number, lineNo: number, context: boolean): void {
    if (!this.body.read(buf, p, e)) {
      this.skip(FtraceBlkSkip.unreadable, 'error', buf, s, e, lineNo);
      return;
    }
    if (context && this.ev.comm === '' && this.lc.commEnd > this.lc.commStart) this.ev.comm = this.contextComm(buf);
    if (this.body.oddError) this.skip(FtraceBlkSkip.oddError, 'info', buf, s, e, lineNo);
    this.emit(true, buf, s, e);
  }

  /** "maj,min" at p → ev.dev; num.pos after it. */
  private dev(buf: Buffer, p: number, e: number): boolean {
    if (!readUint(buf, p, e)) return false;
    const major = num.value;
    if (buf[num.pos] !== 44 || !readUint(buf, num.pos + 1, e)) return false;
    this.ev.dev = makeDev(major, num.value);
    return true;
  }
}

function hasComma(buf: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] === 44) return true;
  return false;
}
