/**
 * blkparse default output (blkparse.c `process_default`; blkparse(1)).
 *
 * Header `"%D %2c %8s %5T.%9t %5p %2a %3d "` — dev, cpu, sequence, time,
 * pid, action, rwbs — then a tail that depends on the action:
 *   C R      "sector + blocks [error]" | "sector [error]" | PC "(hex) [error]"
 *   D I Q B  "sector + blocks [comm]"  | "[comm]"         | PC "bytes (hex) [comm]"
 *   M F G S  "sector + blocks [comm]"  | "[comm]"
 *   P        "[comm]"          U UT  "[comm] depth"
 *   A        "sector + blocks <- (maj,min) sector"
 *   X        "sector / sector [comm]"
 *   m        "N text"          (message; seq printed as 0; "ino,gen " before m with cgroups)
 * With -t an elapsed "(nnn)" precedes the bracket. The error is the kernel's
 * negative errno stored in a u16 and printed with %d: 65531 = -EIO.
 *
 * Everything is read straight from the bytes; a line that does not fit is
 * counted by reason with its file:line and the run goes on.
 */
import type { BlockEvent } from '../../model/event.js';
import { Act, emptyEvent } from '../../model/event.js';
import { makeDev } from '../../model/device.js';
import { Flag, parseRwbs, type Rwbs } from '../../model/rwbs.js';
import type { ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../../io/lines.js';
import { isDigit, num, packKey, readInt, readSecondsNs, readUint, skipSpaces, tokenEnd } from './bytes.js';
import { isSummaryLine, SummaryCollector } from './summary.js';

const ACTIONS: Record<string, number> = {
  Q: Act.Queue, M: Act.BackMerge, F: Act.FrontMerge, G: Act.GetRq, S: Act.SleepRq, R: Act.Requeue,
  D: Act.Issue, C: Act.Complete, P: Act.Plug, U: Act.Unplug, UT: Act.UnplugTimer, T: Act.UnplugTimer,
  I: Act.Insert, X: Act.Split, B: Act.Bounce, A: Act.Remap, m: Act.Message,
};

/** Why a line was skipped: stable reasons shown in reports. */
export const SkipReason = {
  notEvent: 'blkparse: not an event line',
  badAction: 'blkparse: unknown action',
  badRwbs: 'blkparse: unreadable RWBS',
  badTail: 'blkparse: unreadable sector/size/comm',
  tooLong: 'line too long',
} as const;

/** Decode the u16-printed errno: 65531 → -5; already-negative values pass through. */
export function decodeErrno(v: number): number {
  if (v > 32767 && v <= 65535) return v - 65536;
  if (v > 0 && v < 4096) return -v; // some tools print the positive errno
  return v;
}

export class BlkparseParser implements StreamParser {
  private readonly splitter: LineSplitter;
  private readonly ev: BlockEvent = emptyEvent();
  private readonly rwbsCache = new Map<number, Rwbs | null>();
  private readonly summary = new SummaryCollector();
  private readonly commCache = new Map<number, { bytes: Buffer; text: string }>();
  private lastTime = -Infinity;

  constructor(private readonly ctx: ParseContext) {
    this.ev.source = ctx.sourceIndex;
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.skip(SkipReason.tooLong, n, `<${len} bytes>`, 'error'),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    if (this.summary.seen) this.ctx.attach('blkparse-summary', this.summary.summary);
    if (this.summary.summary.skips > 0) {
      this.ctx.diag.addMany('lost-events: blkparse Skips', 'data-loss', this.summary.summary.skips, {
        source: this.ctx.sourceName, locKind: 'line', loc: 0, text: `Skips: ${this.summary.summary.skips} forward`,
      });
    }
  }

  private skip(reason: string, lineNo: number, text: string, severity: 'info' | 'error' = 'error'): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text });
  }

  private line(buf: Buffer, start: number, end: number, lineNo: number): void {
    let p = skipSpaces(buf, start, end);
    if (p === end) return; // blank line
    if (!this.event(buf, p, end, lineNo)) {
      const text = buf.toString('utf8', start, end);
      if (isSummaryLine(text)) {
        this.summary.line(text);
        return;
      }
      this.skip(this.reason, lineNo, text);
    }
  }

  private reason: string = SkipReason.notEvent;

  /** Parse one event line starting at p (first non-space). Returns false to skip. */
  private event(buf: Buffer, p: number, end: number, lineNo: number): boolean {
    const ev = this.ev;
    this.reason = SkipReason.notEvent;
    // dev "maj,min"
    if (!readUint(buf, p, end)) return false;
    const major = num.value;
    p = num.pos;
    if (buf[p] !== 44 /* , */) return false;
    if (!readUint(buf, p + 1, end)) return false;
    const minor = num.value;
    p = skipSpaces(buf, num.pos, end);
    // cpu
    if (!readUint(buf, p, end)) return false;
    const cpu = num.value;
    p = skipSpaces(buf, num.pos, end);
    // sequence
    if (!readUint(buf, p, end)) return false;
    const seq = num.value;
    p = skipSpaces(buf, num.pos, end);
    // time
    if (!readSecondsNs(buf, p, end)) return false;
    const time = num.value;
    p = skipSpaces(buf, num.pos, end);
    // pid
    if (!readUint(buf, p, end)) return false;
    const pid = num.value;
    p = skipSpaces(buf, num.pos, end);
    // optional "ino,gen " cgroup before a message action
    let ae = tokenEnd(buf, p, end);
    if (isDigit(buf[p]!) && ae < end) {
      p = skipSpaces(buf, ae, end);
      ae = tokenEnd(buf, p, end);
    }
    const act = actionAt(buf, p, ae);
    if (act === undefined) {
      this.reason = SkipReason.badAction;
      return false;
    }
    p = skipSpaces(buf, ae, end);
    const re = tokenEnd(buf, p, end);
    const rwbs = this.rwbs(buf, p, re);
    if (!rwbs) {
      this.reason = SkipReason.badRwbs;
      return false;
    }
    ev.loc = lineNo;
    ev.time = time;
    ev.dev = makeDev(major, minor);
    ev.cpu = cpu;
    ev.seq = seq;
    ev.pid = pid;
    ev.act = act as Act;
    ev.op = rwbs.op;
    ev.flags = rwbs.flags;
    ev.sector = -1;
    ev.bytes = 0;
    ev.error = 0;
    ev.comm = '';
    ev.aux = -1;
    ev.auxDev = -1;
    ev.text = '';
    p = skipSpaces(buf, re, end);
    if (!this.tail(buf, p, end, act)) {
      this.reason = SkipReason.badTail;
      return false;
    }
    if (time < this.lastTime) {
      this.ctx.diag.add('time went backwards', 'info', {
        source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text: buf.toString('utf8', p, Math.min(end, p + 80)),
      });
    } else {
      this.lastTime = time;
    }
    this.ctx.sink.event(ev);
    return true;
  }

  private rwbs(buf: Buffer, s: number, e: number): Rwbs | undefined {
    const key = packKey(buf, s, e);
    if (key >= 0) {
      const hit = this.rwbsCache.get(key);
      if (hit !== undefined) return hit ?? undefined;
    }
    const r = parseRwbs(buf.toString('latin1', s, e), 'blktrace') ?? null;
    if (key >= 0 && this.rwbsCache.size < 4096) this.rwbsCache.set(key, r);
    return r ?? undefined;
  }

  private tail(buf: Buffer, p: number, end: number, act: number): boolean {
    const ev = this.ev;
    switch (act) {
      case Act.Message:
        ev.text = buf.toString('utf8', p, end);
        return true;
      case Act.Plug:
        return this.comm(buf, p, end) >= 0;
      case Act.Unplug:
      case Act.UnplugTimer: {
        const q = this.comm(buf, p, end);
        if (q < 0) return false;
        const d = skipSpaces(buf, q, end);
        if (readUint(buf, d, end)) ev.aux = num.value;
        return true;
      }
      case Act.Remap: {
        if (!this.sectorBlocks(buf, p, end)) return false;
        p = skipSpaces(buf, num.pos, end);
        // "<- (maj,min) sector"
        if (buf[p] !== 60 || buf[p + 1] !== 45) return false;
        p = skipSpaces(buf, p + 2, end);
        if (buf[p] !== 40 /* ( */) return false;
        if (!readUint(buf, p + 1, end)) return false;
        const maj = num.value;
        p = num.pos;
        if (buf[p] !== 44) return false;
        if (!readUint(buf, p + 1, end)) return false;
        const min = num.value;
        p = num.pos;
        if (buf[p] !== 41 /* ) */) return false;
        p = skipSpaces(buf, p + 1, end);
        if (!readUint(buf, p, end)) return false;
        ev.auxDev = makeDev(maj, min);
        ev.aux = num.value;
        return true;
      }
      case Act.Split: {
        if (!readUint(buf, p, end)) return false;
        ev.sector = num.value;
        p = skipSpaces(buf, num.pos, end);
        if (buf[p] !== 47 /* / */) return false;
        p = skipSpaces(buf, p + 1, end);
        if (!readUint(buf, p, end)) return false;
        ev.aux = num.value;
        p = skipSpaces(buf, num.pos, end);
        if (p < end) this.comm(buf, p, end);
        return true;
      }
      case Act.Complete:
      case Act.Requeue:
        return this.completion(buf, p, end);
      default:
        return this.request(buf, p, end);
    }
  }

  /** "sector + blocks" → ev.sector, ev.bytes; num.pos after it. */
  private sectorBlocks(buf: Buffer, p: number, end: number): boolean {
    if (!readUint(buf, p, end)) return false;
    this.ev.sector = num.value;
    p = skipSpaces(buf, num.pos, end);
    if (buf[p] !== 43 /* + */) {
      num.pos = p;
      return true; // "sector" alone (C with 0 blocks)
    }
    p = skipSpaces(buf, p + 1, end);
    if (!readUint(buf, p, end)) return false;
    this.ev.bytes = num.value * 512;
    return true;
  }

  /** Q/G/I/D/M/F/S/B tails. */
  private request(buf: Buffer, p: number, end: number): boolean {
    const ev = this.ev;
    if (buf[p] === 91 /* [ */) return this.comm(buf, p, end) >= 0; // zero-sector line
    if (!readUint(buf, p, end)) {
      // Some excerpts trimmed the comm; accept a bare line with nothing after rwbs.
      return p >= end;
    }
    const first = num.value;
    let q = skipSpaces(buf, num.pos, end);
    if (buf[q] === 40 /* ( */) {
      // PC request: "bytes (cdb hex) [comm]"
      ev.flags |= Flag.PC;
      ev.bytes = first;
      const close = closeParen(buf, q, end);
      ev.text = buf.toString('latin1', q + 1, close);
      q = close >= end ? end : skipSpaces(buf, close + 1, end);
      if (q < end) this.comm(buf, q, end);
      return true;
    }
    if (buf[q] !== 43 /* + */ && buf[q] === 91 /* [ */) {
      // "bytes [comm]": a PC request with no CDB printed (a non-PC request with
      // no blocks prints "[comm]" alone, never a bare number).
      ev.flags |= Flag.PC;
      ev.bytes = first;
      this.comm(buf, q, end);
      return true;
    }
    ev.sector = first;
    if (buf[q] === 43 /* + */) {
      q = skipSpaces(buf, q + 1, end);
      if (!readUint(buf, q, end)) return false;
      ev.bytes = num.value * 512;
      q = skipSpaces(buf, num.pos, end);
    }
    if (buf[q] === 40) {
      // -t elapsed "(nnn)"
      const close = closeParen(buf, q, end);
      q = close >= end ? end : skipSpaces(buf, close + 1, end);
    }
    if (q < end) this.comm(buf, q, end);
    return true;
  }

  /** C/R tails: "sector + blocks [err]", "sector [err]", "(hex) [err]". */
  private completion(buf: Buffer, p: number, end: number): boolean {
    const ev = this.ev;
    if (buf[p] === 40 /* ( */) {
      ev.flags |= Flag.PC;
      const close = closeParen(buf, p, end);
      ev.text = buf.toString('latin1', p + 1, close);
      p = close >= end ? end : skipSpaces(buf, close + 1, end);
    } else if (buf[p] !== 91) {
      if (!this.sectorBlocks(buf, p, end)) return false;
      p = skipSpaces(buf, num.pos, end);
      if (buf[p] === 40) {
        const close = closeParen(buf, p, end);
        p = close >= end ? end : skipSpaces(buf, close + 1, end);
      }
    }
    if (buf[p] === 91) {
      if (readInt(buf, p + 1, end) && buf[num.pos] === 93) ev.error = decodeErrno(num.value);
    }
    return true;
  }

  /**
   * "[comm]" at p: comm runs to the last "]" on the line (names may contain
   * spaces or brackets). Returns the position after "]", or -1.
   */
  private comm(buf: Buffer, p: number, end: number): number {
    if (buf[p] !== 91) return -1;
    let close = end - 1;
    while (close > p && buf[close] !== 93) close--;
    if (close <= p) return -1;
    // For U/UT the depth follows; a later "]" inside annotations is unlikely.
    this.ev.comm = this.commText(buf, p + 1, close);
    return close + 1;
  }

  /** Per-pid cache: the same process name bytes give the same string. */
  private commText(buf: Buffer, s: number, e: number): string {
    const pid = this.ev.pid;
    const hit = this.commCache.get(pid);
    const len = e - s;
    if (hit && hit.bytes.length === len) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (hit.bytes[i] !== buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit.text;
    }
    const text = buf.toString('utf8', s, e);
    if (this.commCache.size > 65536) this.commCache.clear();
    this.commCache.set(pid, { bytes: Buffer.from(buf.subarray(s, e)), text });
    return text;
  }
}

/** Position of the ")" closing the "(" at p, or `end` when the line has none. */
function closeParen(buf: Buffer, p: number, end: number): number {
  const close = buf.indexOf(41, p);
  return close < 0 || close > end ? end : close;
}

function actionAt(buf: Buffer, s: number, e: number): number | undefined {
  const n = e - s;
  if (n === 1) return ACTIONS[String.fromCharCode(buf[s]!)];
  if (n === 2) return ACTIONS[String.fromCharCode(buf[s]!, buf[s + 1]!)];
  return undefined;
}
