/**
 * FormatSpecs for a single blktrace record stream: `blktrace` (one file —
 * a `blkparse -d` dump, one CPU's file — or `blktrace -o -` on stdin) and
 * `ftrace-blk-bin` (the ftrace blk tracer's `options/bin` output). A per-CPU
 * file set is read by `readBlktraceSet` (set-reader.ts) instead, which merges
 * the files like blkparse.
 *
 * A single stream may interleave CPUs slightly out of time order (live
 * piping): events pass through a bounded ReorderWindow; events later than
 * the window allows are counted, not dropped.
 */
import type { FormatSpec, ParseContext, StreamParser } from '../types.js';
import type { EventSink } from '../../model/event.js';
import { ReorderWindow, type ReorderOptions } from '../../sort/reorder-window.js';
import { RecordReader, type Framing } from './reader.js';
import { blktraceMeta, ftraceBlkBinMeta } from './detect.js';
import { Reason } from './decode.js';
import { BlktraceSession, KTIME_CLOCK, type ClockNaming } from './session.js';

export { blktraceConfidence, ftraceBinConfidence } from './detect.js';

const FTRACE_CLOCK: ClockNaming = {
  name: 'trace-clock',
  origin: 'ftrace trace_clock ns (mono, boot or local, as set in tracefs trace_clock)',
};

export class BlktraceStreamParser implements StreamParser {
  private readonly reader: RecordReader;
  private readonly window: ReorderWindow;

  constructor(ctx: ParseContext, framing: Framing = 'blktrace', windowOptions: ReorderOptions = {}) {
    const session = new BlktraceSession(ctx, framing === 'ftrace-bin' ? FTRACE_CLOCK : KTIME_CLOCK);
    this.reader = new RecordReader(session, ctx.sourceName, framing);
    const sink = ctx.sink;
    // A name note may arrive after an event of that pid from another CPU's buffer: look again on the way out.
    const named: EventSink = {
      event(e) {
        if (e.comm === '' && session.comms.size > 0) e.comm = session.commOf(e.pid, e.cpu);
        sink.event(e);
      },
    };
    this.window = new ReorderWindow(named, windowOptions, (e, behind) => {
      ctx.diag.add(Reason.late, 'info', {
        source: ctx.sourceName, locKind: 'offset', loc: e.loc, text: `${behind} ns behind an event already passed on`,
      });
    });
    if (framing === 'ftrace-bin') {
      ctx.limitation('ftrace blk binary output carries no process names and no sequence numbers (loss cannot be seen)');
    }
  }

  push(chunk: Buffer): void {
    const r = this.reader;
    r.append(chunk);
    const ev = r.ev;
    const w = this.window;
    while (r.next()) w.event(ev);
  }

  end(): void {
    this.reader.finish();
    this.window.flush();
  }
}

export const blktraceFormat: FormatSpec = {
  ...blktraceMeta,
  create: (ctx) => new BlktraceStreamParser(ctx, 'blktrace'),
};

export const ftraceBlkBinFormat: FormatSpec = {
  ...ftraceBlkBinMeta,
  create: (ctx) => new BlktraceStreamParser(ctx, 'ftrace-bin'),
};
