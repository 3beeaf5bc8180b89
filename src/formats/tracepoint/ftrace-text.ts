/**
 * What every ftrace-family text carries besides block events, shared by the
 * tracepoint reader and the blk tracer's text reader:
 *  - `#` header lines; `# entries-in-buffer/entries-written: A/B` with B > A
 *    means the ring buffer overwrote B−A events (kernel/trace/trace.c
 *    print_event_info);
 *  - `CPU:N [LOST M EVENTS]` (trace_pipe, trace-cmd report) and
 *    `##### CPU N buffer started ####` (options/annotate): lost events;
 *  - trace-cmd report banners (`cpus=2`, `version = 6`, `CPU 0 is empty`);
 *  - lines of other events, counted as "other-event: NAME", and
 *    `tracing_mark_write` markers (also trace-cmd's `print: tracing_mark_write:`),
 *    attached at the end as ctx.attach('markers', TraceMarker[]) (at most
 *    MAX_MARKERS kept; the rest are counted).
 */
import type { BlockEvent } from '../../model/event.js';
import { emptyEvent } from '../../model/event.js';
import type { Severity } from '../../model/diagnostics.js';
import { MAX_EXAMPLES } from '../../model/diagnostics.js';
import type { ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { CommCache } from './common.js';
import { newLineContext, type LineContext } from './context.js';
import { nameHash } from './events.js';

/** A marker written to trace_marker, as attached by the readers. */
export interface TraceMarker {
  /** ns, trace clock. */
  time: number;
  /** Untrusted text; escape before display. */
  text: string;
  line: number;
}

export const MAX_MARKER_TEXT = 1024;
export const MAX_MARKERS = 10000;
const MAX_OTHER_NAMES = 256;

const LOST_RE = /^CPU:\s*(\d+)\s+\[LOST\s+(\d+)\s+EVENTS\]/;
const STARTED_RE = /^#{3,}\s*CPU\s+(\d+)\s+buffer started/;
const ENTRIES_RE = /^#\s*entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/;
const BANNER_RE = /^(?:cpus=\d+|version\s*=\s*\d+|CPU\s+\d+\s+is empty|trace-cmd:?\s.*)\s*$/;
const MARKER = Buffer.from('tracing_mark_write', 'latin1');
const STACK = Buffer.from('<stack trace>', 'latin1');
const USER_STACK = Buffer.from('<user stack trace>', 'latin1');
/** Diagnostics reason of the `<stack trace>` lines and their ` => func` frames. */
export const STACK_REASON = 'ftrace: stack trace line (options/stacktrace)';

function startsWithText(buf: Buffer, p: number, e: number, want: Buffer): boolean {
  if (e - p < want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[p + i] !== want[i]) return false;
  return true;
}

export abstract class FtraceTextReader implements StreamParser {
  protected readonly ev: BlockEvent = emptyEvent();
  protected readonly lc: LineContext = newLineContext();
  protected readonly comms = new CommCache();
  private readonly splitter: LineSplitter;
  private readonly otherReasons = new Map<number, { bytes: Buffer; reason: string }>();
  private readonly otherByName = new Map<string, string>();
  private clockSet = false;
  private readonly markers: TraceMarker[] = [];
  /** Time of the last line that had one (for lines printed without a context). */
  protected prevTime = 0;

  constructor(protected readonly ctx: ParseContext) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.ctx.diag.add('line too long', 'error', { source: ctx.sourceName, locKind: 'line', loc: n, text: `<${len} bytes>` }),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    if (this.markers.length > 0) this.ctx.attach('markers', this.markers);
  }

  protected abstract line(buf: Buffer, s: number, e: number, lineNo: number): void;

  /** The clock this text's timestamps are in (named once, at the first event). */
  protected abstract clockOrigin(): string;

  /** Count a skipped line; its text is only decoded while examples are still kept. */
  protected skip(reason: string, severity: Severity, buf: Buffer, s: number, e: number, lineNo: number): void {
    const diag = this.ctx.diag;
    if (diag.count(reason) < MAX_EXAMPLES) {
      diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text: buf.toString('utf8', s, Math.min(e, s + 200)) });
    } else {
      diag.add(reason, severity);
    }
  }

  /** Emit the reused event; `timed` = the line carried a timestamp. */
  protected emit(timed: boolean, buf: Buffer, s: number, e: number): void {
    const ev = this.ev;
    if (!this.clockSet) {
      this.clockSet = true;
      if (timed) {
        this.ctx.setClock({ name: 'trace-clock', origin: this.clockOrigin() });
        const d = this.lc.fracDigits;
        if (d > 0 && d < 9) this.ctx.limitation(`timestamps are printed with ${d} decimals: ${d === 6 ? 'µs' : `1e-${d} s`} precision, not ns`);
      } else {
        this.ctx.setClock({ name: 'order-only', origin: 'lines carry no timestamp', orderOnly: true });
      }
    }
    if (timed) {
      // counted per backward step (two pasted runs = 1), not per event after it
      if (ev.time < this.prevTime) this.skip('time went backwards', 'info', buf, s, e, ev.loc);
      this.prevTime = ev.time;
    }
    this.ctx.sink.event(ev);
  }

  /** A `#` line: headers are structure, except the overwritten-events count. */
  protected header(buf: Buffer, s: number, e: number, lineNo: number): void {
    if (buf[s + 1] === 35 /* ## */) {
      const m = STARTED_RE.exec(buf.toString('latin1', s, Math.min(e, s + 80)));
      if (m) this.skip('lost-events: CPU buffer started late (older events overwritten)', 'data-loss', buf, s, e, lineNo);
      return;
    }
    if (e - s < 30 || buf[s + 2] !== 101 /* e */) return;
    const m = ENTRIES_RE.exec(buf.toString('latin1', s, Math.min(e, s + 120)));
    if (!m) return;
    const lost = Number(m[2]) - Number(m[1]);
    if (lost > 0) {
      this.ctx.diag.addMany('lost-events: ring buffer overwritten (entries-written > entries-in-buffer)', 'data-loss', lost, {
        source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text: buf.toString('latin1', s, Math.min(e, s + 120)),
      });
    }
  }

  /** trace-cmd/trace_pipe lines that are not events. Returns false when not one of them. */
  protected metaLine(buf: Buffer, s: number, e: number, lineNo: number): boolean {
    const c = buf[s];
    if (c !== 67 /* C */ && c !== 99 /* c */ && c !== 118 /* v */ && c !== 116 /* t */) return false;
    const text = buf.toString('latin1', s, Math.min(e, s + 120));
    const lost = LOST_RE.exec(text);
    if (lost) {
      this.ctx.diag.addMany('lost-events: ftrace', 'data-loss', Number(lost[2]), {
        source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text,
      });
      return true;
    }
    return BANNER_RE.test(text);
  }

  /**
   * The stack ftrace records after an event with `options/stacktrace` (or `userstacktrace`, or
   * `echo stacktrace > events/…/trigger`): `<stack trace>` / `<user stack trace>` as an event's body, then one
   * ` => func` line per frame (kernel/trace/trace_output.c trace_stack_print, trace_user_stack_print; the same
   * since 2.6.30). Not a block event: counted, as perf's callchain lines are. `b` is the body after a line
   * context, or the first non-blank byte of a line without one (`b > s`: the kernel indents ` => `).
   */
  protected stackLine(buf: Buffer, s: number, b: number, e: number, inContext: boolean): boolean {
    if (inContext) {
      if (buf[b] !== 60 /* < */ || !(startsWithText(buf, b, e, STACK) || startsWithText(buf, b, e, USER_STACK))) return false;
    } else if (b === s || buf[b] !== 61 /* = */ || buf[b + 1] !== 62 /* > */ || (b + 2 < e && buf[b + 2] !== 32)) return false;
    this.ctx.diag.add(STACK_REASON, 'info');
    return true;
  }

  /**
   * A line of another event (name bytes [ns, ne), its text from `body`).
   * Markers are attached; everything is counted as "other-event: NAME".
   */
  protected otherEvent(buf: Buffer, ns: number, ne: number, body: number, e: number, lineNo: number, time: number): void {
    let ms = -1;
    if (sameBytes(buf, ns, ne, MARKER)) {
      ms = body;
    } else if (ne - ns === 5 && buf.toString('latin1', ns, ne) === 'print') {
      // trace-cmd report: "print:   tracing_mark_write: TEXT"
      if (e - body > MARKER.length && sameBytes(buf, body, body + MARKER.length, MARKER) && buf[body + MARKER.length] === 58) {
        ms = body + MARKER.length + 1;
        ns = body;
        ne = body + MARKER.length;
      }
    }
    if (ms >= 0) {
      while (ms < e && (buf[ms] === 32 || buf[ms] === 9)) ms++;
      if (this.markers.length < MAX_MARKERS) {
        this.markers.push({ time, text: buf.toString('utf8', ms, Math.min(e, ms + MAX_MARKER_TEXT)), line: lineNo });
      } else {
        this.ctx.diag.add(`markers: more than ${MAX_MARKERS}, not kept`, 'info');
      }
    }
    this.ctx.diag.add(this.otherReason(buf, ns, ne), 'info');
  }

  private otherReason(buf: Buffer, s: number, e: number): string {
    const h = nameHash(buf, s, e);
    const hit = this.otherReasons.get(h);
    if (hit && sameBytes(buf, s, e, hit.bytes)) return hit.reason;
    const name = buf.toString('latin1', s, Math.min(e, s + 64));
    let reason = this.otherByName.get(name);
    if (reason === undefined) {
      reason = this.otherByName.size < MAX_OTHER_NAMES ? `other-event: ${name}` : 'other-event: (more names)';
      this.otherByName.set(name, reason);
    }
    if (!hit && this.otherReasons.size < 4096) this.otherReasons.set(h, { bytes: Buffer.from(buf.subarray(s, e)), reason });
    return reason;
  }

  /** The comm of the line context, '' for ftrace's `<...>` (not in the cmdline cache). */
  protected contextComm(buf: Buffer): string {
    const { commStart: s, commEnd: e } = this.lc;
    if (e - s === 5 && buf[s] === 60 && buf[s + 1] === 46) return '';
    return this.comms.get(this.lc.pid, buf, s, e);
  }
}

export function sameBytes(buf: Buffer, s: number, e: number, want: Buffer): boolean {
  if (e - s !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[s + i] !== want[i]) return false;
  return true;
}
