/**
 * Block tracepoint text: the tracefs `trace` file (events/block/*), `trace-cmd
 * report` and `perf script` output, and bare "block_xxx: body" lines pasted
 * without a context. One line = one event:
 *
 *   python3-11683 [000] ..... 892.573506: block_bio_queue: 7,1 WFS 8192 + 128 [python3]
 *   python3-11683 [000]   892.573506: block_bio_queue:      7,1 WFS 8192 + 128 [python3]
 *   fio 73790 [000] 1011438.379090: block:block_rq_insert: 253,1 W 0 () 3510 + 255 [fio]
 *
 * Tracepoint → Act (events.ts): bio_queue Q, bio_backmerge/rq_merge M,
 * bio_frontmerge F, getrq G, rq_insert I, rq_issue D, rq_complete/bio_complete C,
 * rq_requeue R, split X, bio_remap/rq_remap A, io_start IS, rq_error E
 * (pseudo: the failed block_rq_complete before it already carries the error).
 * block_io_done and block_plug/unplug (no device) are counted, not emitted.
 * Everything else — other events, blk tracer lines, wrapped or mangled
 * lines — is counted by reason.
 */
import { Act } from '../../model/event.js';
import type { ParseContext } from '../types.js';
import { isDigit } from '../blkparse/bytes.js';
import { name, readEventName, readLineContext, readTimeOnlyContext } from './context.js';
import { lookupTracepoint, NO_DEVICE, NOT_EMITTED, TRACEPOINTS, type TracepointDef } from './events.js';
import { TracepointBodyReader } from './body.js';
import { FtraceTextReader } from './ftrace-text.js';
import { SyscallLines } from './syscalls.js';

export const TracepointSkip = {
  notEvent: 'tracepoint: not an event line',
  blkTracer: 'other-event: blk tracer line (read it with --format ftrace-blk)',
  wrapped: 'tracepoint: event with no body (line wrapped?)',
  callchain: 'perf: callchain line',
} as const;

const UNREADABLE = new Map<string, string>(TRACEPOINTS.map((d) => [d.name, `tracepoint: unreadable ${d.name} body`]));
const SKIPPED = new Map<string, string>(TRACEPOINTS.map((d) => [d.name, `other-event: ${d.name} (${d.why ?? 'not emitted'})`]));
const BLOCK_ = Buffer.from('block_', 'latin1');
const BLOCK_SYS = Buffer.from('block:', 'latin1');

export class TracepointParser extends FtraceTextReader {
  private readonly body: TracepointBodyReader;
  private perfStyle = false;
  private plugNoted = false;
  private timeOnlyNoted = false;
  private readonly syscalls: SyscallLines;

  constructor(ctx: ParseContext) {
    super(ctx);
    this.syscalls = new SyscallLines(ctx);
    this.body = new TracepointBodyReader(this.ev, (buf, s, e) => this.comms.get(this.ev.pid, buf, s, e));
  }

  override end(): void {
    super.end();
    this.syscalls.end();
  }

  protected clockOrigin(): string {
    return this.perfStyle
      ? 'perf sample clock (perf record -k selects it; default perf_clock)'
      : 'ftrace trace clock (tracing/trace_clock; "mono" = CLOCK_MONOTONIC in the corpus), absolute';
  }

  protected line(buf: Buffer, s: number, e: number, lineNo: number): void {
    let p = s;
    while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
    if (p === e) return;
    if (buf[p] === 35 /* # */) {
      this.header(buf, p, e, lineNo);
      return;
    }
    const lc = this.lc;
    let timed = true;
    let b: number;
    if (readLineContext(buf, p, e, lc)) {
      b = lc.body;
      if (b < e && isDigit(buf[b]!)) {
        this.skip(TracepointSkip.blkTracer, 'info', buf, s, e, lineNo);
        return;
      }
      if (this.stackLine(buf, s, b, e, true)) return;
    } else if (readTimeOnlyContext(buf, p, e, lc) && readEventName(buf, lc.body, e) >= 0) {
      // "53.633340: block_bio_queue: …": timed, no task or CPU
      b = lc.body;
      if (!this.timeOnlyNoted) {
        this.timeOnlyNoted = true;
        this.ctx.limitation('event lines with a timestamp and no task or CPU column (cut by whoever published them): the CPU and pid of each event are unknown');
      }
    } else if (startsWith(buf, p, e, BLOCK_) || startsWith(buf, p, e, BLOCK_SYS)) {
      // a bare "block_rq_issue: …" line (pasted without its context)
      timed = false;
      b = p;
      lc.time = this.prevTime;
      lc.cpu = -1;
      lc.pid = -1;
      lc.commStart = lc.commEnd = 0;
    } else {
      if (p > s && isCallchainLine(buf, p, e)) this.ctx.diag.add(TracepointSkip.callchain, 'info');
      else if (this.stackLine(buf, s, p, e, false)) return;
      else if (!this.metaLine(buf, p, e, lineNo)) this.skip(TracepointSkip.notEvent, 'error', buf, s, e, lineNo);
      return;
    }
    if (timed && buf[b] === 115 /* s */ && buf[b + 1] === 121 && buf[b + 2] === 115 && buf[b + 3] === 95 /* sys_ */
      && this.syscalls.tracefs(buf.toString('utf8', b, e), lc.pid, this.contextComm(buf), lc.time, lineNo)) {
      return;
    }
    const q = readEventName(buf, b, e);
    if (q < 0) {
      this.skip(TracepointSkip.notEvent, 'error', buf, s, e, lineNo);
      return;
    }
    if (!this.perfStyle && name.start > b) this.perfStyle = true;
    const def = lookupTracepoint(buf, name.start, name.end);
    let bs = q;
    while (bs < e && (buf[bs] === 32 || buf[bs] === 9)) bs++;
    if (!def) {
      if (name.end - name.start > 8 && buf[name.start] === 115 /* s */ && buf[name.start + 3] === 95
        && this.syscalls.named(buf.toString('latin1', name.start, name.end), buf.toString('utf8', bs, e), lc.pid, this.contextComm(buf), lc.time, lineNo)) {
        return;
      }
      this.otherEvent(buf, name.start, name.end, bs, e, lineNo, lc.time);
      return;
    }
    if (def.act === NOT_EMITTED) {
      this.ctx.diag.add(SKIPPED.get(def.name)!, 'info');
      if (def.why === NO_DEVICE && !this.plugNoted) {
        this.plugNoted = true;
        this.ctx.limitation('block_plug/block_unplug tracepoints name no device: plugs and unplugs are not reported');
      }
      return;
    }
    if (bs === e) {
      this.skip(TracepointSkip.wrapped, 'error', buf, s, e, lineNo);
      return;
    }
    this.event(buf, s, bs, e, lineNo, def, timed);
  }

  private event(buf: Buffer, s: number, bs: number, e: number, lineNo: number, def: TracepointDef, timed: boolean): void {
    const ev = this.ev;
    const lc = this.lc;
    ev.loc = lineNo;
    ev.time = lc.time;
    ev.cpu = lc.cpu;
    ev.pid = lc.pid;
    ev.seq = -1;
    ev.act = def.act as Act;
    if (!this.body.read(buf, bs, e, def)) {
      this.skip(UNREADABLE.get(def.name)!, 'error', buf, s, e, lineNo);
      return;
    }
    // completions and remaps print no comm: the task's comm comes from the context
    if (ev.comm === '' && lc.commEnd > lc.commStart) ev.comm = this.contextComm(buf);
    if (!timed && lc.time !== 0) this.ctx.diag.add('tracepoint: line without timestamp (time of the previous line used)', 'info');
    this.emit(timed, buf, s, e);
  }
}

function startsWith(buf: Buffer, p: number, e: number, want: Buffer): boolean {
  if (e - p < want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[p + i] !== want[i]) return false;
  return true;
}

/** perf script -g: an indented "ADDR symbol (dso)" frame under an event. */
function isCallchainLine(buf: Buffer, p: number, e: number): boolean {
  let i = p;
  while (i < e && ((buf[i]! >= 48 && buf[i]! <= 57) || (buf[i]! >= 97 && buf[i]! <= 102))) i++;
  if (i === p || buf[i] !== 32) return false;
  let j = e;
  while (j > i && (buf[j - 1] === 32 || buf[j - 1] === 9)) j--;
  return buf[j - 1] === 41 /* ) */;
}
