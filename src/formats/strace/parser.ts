/**
 * strace text → sync calls (src/app/call.ts) through ParseContext.appSink.
 * Lines are framed by split2 (its mapper is called synchronously inside its
 * transform and flush functions, which is all a push parser needs; overlong
 * lines are dropped by split2's skipOverflow and counted here, so line numbers
 * stay right). Each line is taken apart by line.ts; `<unfinished ...>` entries
 * wait per pid for their `<... name resumed>` return; completed syscalls go to
 * the shared SyscallInterpreter (fd table, O_DSYNC writes, sync calls).
 *
 * Times: -ttt is CLOCK_REALTIME epoch seconds (µs, or ns with
 * --absolute-timestamps=precision:ns); stored as ns since the first line's
 * whole second (ClockDomain.baseSeconds) so they stay exact in a double.
 * -tt/-t is the time of day (a wrap past midnight adds a day). The window of
 * a call is [entry, entry + -T duration]; without -T the return time is the
 * `resumed` line's, or unknown (then begin = end and the limitation says so).
 */
import split2 from 'split2';
import type { Transform } from 'node:stream';
import type { ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE } from '../lines.js';
import { SyscallInterpreter, USED, type RawCall } from '../../app/syscalls.js';
import { argsEnd, readLeader, readRet, splitArgs, type Leader } from './line.js';

export const StraceSkip = {
  notStrace: 'strace: not a strace line',
  signal: 'strace: signal or exit line',
  notUsed: 'strace: syscall not used by the analysis',
  noReturn: 'strace: call without a return (unfinished at the end, or no resumed line)',
  orphanResumed: 'strace: resumed line without its unfinished entry',
  backwards: 'strace: time went backwards',
  tooLong: 'line too long',
} as const;

interface Pending {
  name: string;
  head: string;
  leader: Leader;
  loc: number;
}

const CALL = /^([a-z_][a-z0-9_]*)\(/;
const RESUMED = /^<\.\.\.\s+([a-z_][a-z0-9_]*)\s+resumed>\s?/;
const UNFINISHED = /\s*<unfinished\s*\.\.\.>\s*$/;
const DAY = 86400;

type Splitter = Transform & { overflow: boolean; _transform: Transform['_transform']; _flush: NonNullable<Transform['_flush']> };

export class StraceParser implements StreamParser {
  private readonly split: Splitter;
  private readonly interp: SyscallInterpreter;
  private readonly pending = new Map<number, Pending>();
  private lineNo = 0;
  private baseSec = -1;
  private dayShift = 0;
  private lastSecs = -Infinity;
  private clock: Leader['clock'] | '' = '';
  private sawDuration = false;
  private sawNoDuration = false;

  constructor(private readonly ctx: ParseContext) {
    this.interp = new SyscallInterpreter(ctx.appSink);
    this.split = split2((line: string) => {
      this.line(line, ++this.lineNo);
      return undefined;
      // skipOverflow is split2 ≥ 4.1 (not in @types/split2)
    }, { maxLength: ctx.options.maxLineLength ?? DEFAULT_MAX_LINE, skipOverflow: true } as split2.Options) as Splitter;
  }

  push(chunk: Buffer): void {
    const was = this.split.overflow;
    this.split._transform(chunk, 'binary', noop);
    if (!was && this.split.overflow) {
      // split2 now drops the rest of this line: it still had a number
      this.lineNo++;
      this.count(StraceSkip.tooLong, 'error', this.lineNo, '<overlong line>');
    }
  }

  end(): void {
    this.split._flush(noop);
    for (const p of this.pending.values()) this.count(StraceSkip.noReturn, 'data-loss', p.loc, p.head);
    this.pending.clear();
    if (this.clock === 'none') this.ctx.limitation('strace without -t/-tt/-ttt: calls have no time and cannot be related to block traces');
    if (this.sawNoDuration && !this.sawDuration) {
      this.ctx.limitation('strace without -T: a call printed on one line has no return time (record with strace -f -ttt -T -y)');
    }
    if (this.clock === 'time-of-day') this.ctx.limitation('strace -tt/-t prints the time of day only (no date): record with -ttt');
  }

  private count(reason: string, severity: 'info' | 'data-loss' | 'error', loc: number, text: string): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc, text: text.slice(0, 200) });
  }

  private line(raw: string, n: number): void {
    const s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (s.trim() === '') return;
    const ld = readLeader(s);
    const body = s.slice(ld.rest);
    if (body.startsWith('---') || body.startsWith('+++')) {
      this.ctx.diag.add(StraceSkip.signal, 'info');
      return;
    }
    const res = RESUMED.exec(body);
    if (res) {
      const p = this.pending.get(ld.pid);
      if (!p || p.name !== res[1]) {
        this.count(StraceSkip.orphanResumed, 'info', n, s);
        return;
      }
      this.pending.delete(ld.pid);
      this.complete(p.name, p.head + body.slice(res[0].length), p.leader, ld, p.loc, n, s);
      return;
    }
    const m = CALL.exec(body);
    if (!m) {
      this.count(StraceSkip.notStrace, 'error', n, s);
      return;
    }
    this.setClock(ld, n, s);
    const name = m[1]!;
    if (UNFINISHED.test(body)) {
      if (!USED.has(name)) {
        this.ctx.diag.add(StraceSkip.notUsed, 'info');
        return;
      }
      this.pending.set(ld.pid, { name, head: body.slice(m[0].length).replace(UNFINISHED, ''), leader: ld, loc: n });
      return;
    }
    if (!USED.has(name)) {
      this.ctx.diag.add(StraceSkip.notUsed, 'info');
      return;
    }
    this.complete(name, body.slice(m[0].length), ld, undefined, n, n, s);
  }

  /** `rest` = the arguments after "name(" through the end of the line. */
  private complete(name: string, rest: string, entry: Leader, exit: Leader | undefined, loc: number, locEnd: number, s: string): void {
    const close = argsEnd(rest, 0);
    const r = close > 0 ? readRet(rest.slice(close)) : undefined;
    if (!r) {
      this.count(StraceSkip.notStrace, 'error', locEnd, s);
      return;
    }
    const begin = this.ns(entry);
    let end: number;
    if (r.durNs >= 0) {
      this.sawDuration = true;
      end = begin + r.durNs;
    } else {
      this.sawNoDuration = true;
      end = exit ? this.ns(exit) : begin;
    }
    const raw: RawCall = {
      source: this.ctx.sourceIndex, loc, locEnd, pid: entry.pid, comm: '', name,
      args: splitArgs(rest.slice(0, close - 1)), ret: r.ret, retPath: r.retPath, retNote: r.note, begin, end,
    };
    this.interp.handle(raw);
  }

  private setClock(ld: Leader, n: number, s: string): void {
    if (this.clock === '') {
      this.clock = ld.clock;
      if (ld.clock === 'epoch') {
        this.baseSec = ld.whole;
        this.ctx.setClock({ name: 'strace-realtime', origin: `CLOCK_REALTIME (strace -ttt), ns since ${ld.whole} s`, baseSeconds: ld.whole });
      } else if (ld.clock === 'time-of-day') {
        this.baseSec = 0;
        this.ctx.setClock({ name: 'strace-time-of-day', origin: 'time of day (strace -tt/-t), seconds since midnight', baseSeconds: 0 });
      } else {
        this.ctx.setClock({ name: 'order-only', origin: 'strace without -t/-tt/-ttt', orderOnly: true });
      }
    }
    if (ld.clock === 'none') return;
    let secs = ld.secs + this.dayShift;
    if (ld.clock === 'time-of-day' && secs < this.lastSecs - DAY / 2) {
      this.dayShift += DAY;
      secs += DAY;
    }
    if (secs < this.lastSecs - 1e-6) this.count(StraceSkip.backwards, 'info', n, s);
    this.lastSecs = Math.max(this.lastSecs, secs);
  }

  private ns(ld: Leader): number {
    if (ld.clock === 'none') return this.lineNo;
    return (ld.whole + this.dayShift - Math.max(this.baseSec, 0)) * 1e9 + ld.fracNs;
  }
}

function noop(): void {}
