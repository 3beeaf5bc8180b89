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
 * With -t an elapsed "(nnn)" precedes the bracket, also alone: "(nnn) [comm]" on a
 * zero-sector D/I/Q/B (blkparse_fmt.c). The error is the kernel's
 * negative errno stored in a u16 and printed with %d: 65531 = -EIO.
 *
 * Everything is read straight from the bytes; a line that does not fit is
 * counted by reason with its file:line and the run goes on.
 */
import type { BlockEvent } from '../../model/event.js';
import { Act, emptyEvent, clearTail } from '../../model/event.js';
import { Flag, parseRwbs, type Rwbs } from '../../model/rwbs.js';
import type { ParseContext, StreamParser } from '../types.js';
import { DEFAULT_MAX_LINE, LineSplitter } from '../lines.js';
import { isDigit, num, readInt, readUint, skipSpaces, tokenEnd } from './bytes.js';
import { isSummaryLine, SummaryCollector, type BlkparseSummary } from './summary.js';
import { formatDev, makeDev, type DevId } from '../../model/device.js';
import { syntheticDev } from '../snoop/device-names.js';
import { DUPLICATE_REASON, OrderChecks } from './order.js';

/** Attachment kind a segment parser hands each summary line on as (see the constructor). */
export const SUMMARY_LINE = 'blkparse-summary-line';

/** Attachment kind: devices a trace names as traced but shows no event for (SilentDevice[]). */
export const SILENT_DEVICES = 'silent-devices';

export interface SilentDevice {
  dev: DevId;
  devText: string;
  name: string;
}

/**
 * Devices blkparse's summary lists with `Events (dev): 0 entries`: traced, and
 * silent — a fact (nothing reached that device), not a missing input. blkparse
 * names them "maj,min" or by name ("loop0"); a name gets the synthetic id the
 * named-disk formats use (snoop/device-names.ts), and keeps its name.
 */
export function silentDevices(summary: BlkparseSummary): SilentDevice[] {
  const out: SilentDevice[] = [];
  for (const [name, n] of Object.entries(summary.events)) {
    if (n !== 0) continue;
    const mm = /^(\d+),(\d+)$/.exec(name);
    const dev = mm ? makeDev(Number(mm[1]), Number(mm[2])) : syntheticDev(name);
    out.push({ dev, devText: formatDev(dev), name });
  }
  return out;
}

/** The end of a blkparse text: its summary attached, and its `Skips` counted as lost events. */
export function finishSummary(summary: SummaryCollector, ctx: ParseContext): void {
  if (summary.seen) ctx.attach('blkparse-summary', summary.summary);
  const silent = silentDevices(summary.summary);
  if (silent.length > 0) ctx.attach(SILENT_DEVICES, silent);
  if (summary.summary.skips > 0) {
    ctx.diag.addMany('lost-events: blkparse Skips', 'data-loss', summary.summary.skips, {
      source: ctx.sourceName, locKind: 'line', loc: 0, text: `Skips: ${summary.summary.skips} forward`,
    });
  }
}

/** Size-1 of the RWBS token cache (direct-mapped). */
const RWBS_SLOTS_MASK = 255;

/** Why a line was skipped: stable reasons shown in reports. */
export const SkipReason = {
  notEvent: 'blkparse: not an event line',
  badAction: 'blkparse: unknown action',
  badRwbs: 'blkparse: unreadable RWBS',
  badTail: 'blkparse: unreadable sector/size/comm',
  tooLong: 'line too long',
  duplicate: DUPLICATE_REASON,
} as const;

/**
 * A completion's "[n]" is the kernel's `error` field as an unsigned 16-bit
 * value: a negative errno since the block layer passes blk_status_to_errno()
 * (65531 = -EIO). A positive value is not an errno: pre-2.6.2x kernels
 * traced `rq->errors`, a driver status (cciss on 2.6.16 completes good
 * requests with `[1]`, its "uptodate"), and passthrough completions carry
 * the SCSI status. Such a value is counted under this reason and read as no
 * failure — never "failed with -EPERM".
 */
export const DRIVER_STATUS_REASON = 'completion status is a positive driver status (pre-2.6.2x rq->errors, SCSI status), not an errno: not read as a failure';

/** A positive "[n]" that is a driver status, not an errno (see DRIVER_STATUS_REASON). */
export function isDriverStatus(v: number): boolean {
  return v > 0 && v <= 32767;
}

/** Decode the u16-printed errno: 65531 → -5; already-negative values pass through; a positive driver status → 0. */
export function decodeErrno(v: number): number {
  if (v > 32767 && v <= 65535) return v - 65536;
  if (isDriverStatus(v)) return 0;
  return v;
}

export class BlkparseParser implements StreamParser {
  /** Lines go through LineSplitter, which copies a line cut by a chunk's end; names are strings. */
  readonly keepsNoChunk = true;
  private readonly splitter: LineSplitter;
  private readonly ev: BlockEvent = emptyEvent();
  private readonly rwbsKeys = new Float64Array(RWBS_SLOTS_MASK + 1).fill(-1);
  private readonly rwbsVals: Array<Rwbs | undefined> = new Array<Rwbs | undefined>(RWBS_SLOTS_MASK + 1).fill(undefined);
  private readonly summary = new SummaryCollector();
  private readonly commCache = new Map<number, { bytes: Buffer; text: string }>();
  /** The entry of the last pid looked up (runs of one process's lines skip the map). */
  private lastComm: { bytes: Buffer; text: string } | undefined;
  private lastCommPid = -1;
  /** Checks across consecutive event lines; none in segment mode (they run where the segments meet). */
  private readonly order: OrderChecks | undefined;

  /**
   * `segment`: this parser reads one block of a file split for parallel
   * parsing (src/io/worker-pump.ts): line numbers count from the block's
   * first line, summary lines are handed on as `SUMMARY_LINE` attachments,
   * and the order checks and the summary's end are left to the reader that
   * joins the blocks.
   */
  constructor(private readonly ctx: ParseContext, private readonly segment = false) {
    this.ev.source = ctx.sourceIndex;
    this.order = segment ? undefined : new OrderChecks(ctx);
    this.splitter = new LineSplitter(
      (buf, s, e, n) => this.line(buf, s, e, n),
      ctx.options.maxLineLength ?? DEFAULT_MAX_LINE,
      (n, len) => this.skip(SkipReason.tooLong, n, `<${len} bytes>`, 'error'),
    );
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  /** Lines read so far (in segment mode: of this block). */
  get lines(): number {
    return this.splitter.lines;
  }

  end(): void {
    this.splitter.end();
    if (!this.segment) finishSummary(this.summary, this.ctx);
  }

  private skip(reason: string, lineNo: number, text: string, severity: 'info' | 'error' = 'error'): void {
    this.ctx.diag.add(reason, severity, { source: this.ctx.sourceName, locKind: 'line', loc: lineNo, text });
  }

  private line(buf: Buffer, start: number, end: number, lineNo: number): void {
    let p = start;
    let c = 0;
    while ((c = buf[p]!) === 32 || c === 9) p++; // stops at the line's sentinel (see event())
    if (p >= end) return; // blank line
    if (!this.event(buf, p, end, lineNo)) {
      const text = buf.toString('utf8', start, end);
      if (isSummaryLine(text)) {
        if (this.segment) this.ctx.attach(SUMMARY_LINE, text);
        else this.summary.line(text);
        return;
      }
      this.skip(this.reason, lineNo, text);
    }
  }

  private reason: string = SkipReason.notEvent;

  /**
   * Parse one event line starting at p (first non-space). Returns false to skip.
   * The fixed header (dev, cpu, sequence, time, pid) is read by hand-inlined
   * loops: this runs once per line and is the reader's hot path. The loops
   * stop at buf[end] without comparing with `end`: LineSplitter guarantees
   * that byte is "\n" or "\r" (see formats/lines.ts).
   */
  private event(buf: Buffer, p: number, end: number, lineNo: number): boolean {
    const ev = this.ev;
    this.reason = SkipReason.notEvent;
    let c = 0;
    let s = p;
    let v = 0;
    // dev "maj,min"
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s || c !== 44 /* , */) return false;
    const major = v;
    s = ++p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    const minor = v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // cpu
    s = p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    const cpu = v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // sequence
    s = p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    const seq = v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // time "SEC.FRAC": FRAC may have any number of digits, those beyond 9 are ignored
    s = p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s || c !== 46 /* . */) return false;
    const sec = v;
    s = ++p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) {
      if (p - s < 9) v = v * 10 + (c - 48);
      p++;
    }
    if (p === s) return false;
    for (let d = p - s; d < 9; d++) v *= 10;
    const time = sec * 1e9 + v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // pid
    s = p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    const pid = v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // action: one letter then a blank is the common case (a table lookup);
    // "UT", or an "ino,gen " cgroup before a message, take the general path
    let act = p < end ? ACT_OF_LETTER[buf[p]!]! : 0;
    let ae = p + 1;
    if (act === 0 || ((c = buf[ae]!) !== 32 && c !== 9) || ae >= end) {
      ae = tokenEnd(buf, p, end);
      if (p < end && isDigit(buf[p]!) && ae < end) {
        p = skipSpaces(buf, ae, end);
        ae = tokenEnd(buf, p, end);
      }
      act = actionAt(buf, p, ae);
      if (act < 0) {
        this.reason = SkipReason.badAction;
        return false;
      }
    }
    p = ae;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    // RWBS token: its bytes packed into a key for the cache (see rwbs())
    const rs = p;
    let key = 0;
    let h = 0;
    while (p < end && (c = buf[p]!) !== 32 && c !== 9) {
      key = key * 256 + c;
      h = (h * 31 + c) & RWBS_SLOTS_MASK;
      p++;
    }
    const re = p;
    const rwbs = this.rwbs(buf, rs, re, key, h);
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
    clearTail(ev);
    p = skipSpaces(buf, re, end);
    if (!this.tail(buf, p, end, act)) {
      this.reason = SkipReason.badTail;
      return false;
    }
    if (this.order !== undefined && !this.order.accept(ev)) return true;
    this.ctx.sink.event(ev);
    return true;
  }

  /**
   * RWBS token → op/flags through a small direct-mapped cache keyed by the
   * exact bytes (tokens of 1..6 bytes packed into one number); a text has a
   * handful of distinct tokens, so this is one probe per line.
   */
  private rwbs(buf: Buffer, s: number, e: number, key: number, h: number): Rwbs | undefined {
    const n = e - s;
    if (n < 1 || n > 6) return parseRwbs(buf.toString('latin1', s, e), 'blktrace');
    h = (h + n) & RWBS_SLOTS_MASK;
    key = key * 8 + n;
    if (this.rwbsKeys[h] === key) return this.rwbsVals[h];
    const r = parseRwbs(buf.toString('latin1', s, e), 'blktrace');
    this.rwbsKeys[h] = key;
    this.rwbsVals[h] = r;
    return r;
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
      case Act.Remap:
        return this.remap(buf, p, end);
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

  /** A tail: "sector + blocks <- (maj,min) sector" (loops stop at the line's sentinel, see event()). */
  private remap(buf: Buffer, p: number, end: number): boolean {
    if (!this.sectorBlocks(buf, p, end)) return false;
    p = num.pos;
    let c = 0;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    if (c !== 60 /* < */ || buf[p + 1] !== 45 /* - */) return false;
    p += 2;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    if (c !== 40 /* ( */) return false;
    let s = ++p;
    let maj = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { maj = maj * 10 + (c - 48); p++; }
    if (p === s || c !== 44 /* , */) return false;
    s = ++p;
    let min = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { min = min * 10 + (c - 48); p++; }
    if (p === s || c !== 41 /* ) */) return false;
    p++;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    s = p;
    let v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    this.ev.auxDev = makeDev(maj, min);
    this.ev.aux = v;
    return true;
  }

  /** "sector + blocks" → ev.sector, ev.bytes; num.pos after it. */
  private sectorBlocks(buf: Buffer, p: number, end: number): boolean {
    let c = 0;
    let s = p;
    let v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    this.ev.sector = v;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    if (c !== 43 /* + */) {
      num.pos = p;
      return true; // "sector" alone (C with 0 blocks)
    }
    p++;
    while ((c = buf[p]!) === 32 || c === 9) p++;
    s = p;
    v = 0;
    while ((c = buf[p]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); p++; }
    if (p === s) return false;
    this.ev.bytes = v * 512;
    num.pos = p;
    return true;
  }

  /** Q/G/I/D/M/F/S/B tails. */
  private request(buf: Buffer, p: number, end: number): boolean {
    const ev = this.ev;
    if (p >= end) return true; // some excerpts trimmed the comm: nothing after rwbs
    if (buf[p] === 91 /* [ */) return this.comm(buf, p, end) >= 0; // zero-sector line
    if (buf[p] === 40 /* ( */) {
      // zero-sector line under -t: "(elapsed) [comm]" (a flush request's `D FN (123) [kworker/0:1H]`);
      // a PC request always prints its byte count before the "(cdb)"
      const close = closeParen(buf, p, end);
      if (close >= end) return false;
      return this.comm(buf, skipSpaces(buf, close + 1, end), end) >= 0;
    }
    let c = 0;
    let q = p;
    let first = 0;
    while ((c = buf[q]!) >= 48 && c <= 57) { first = first * 10 + (c - 48); q++; }
    if (q === p) return false;
    while ((c = buf[q]!) === 32 || c === 9) q++;
    if (c === 40 /* ( */) {
      // PC request: "bytes (cdb hex) [comm]"
      ev.flags |= Flag.PC;
      ev.bytes = first;
      const close = closeParen(buf, q, end);
      ev.text = buf.toString('latin1', q + 1, close);
      q = close >= end ? end : skipSpaces(buf, close + 1, end);
      if (q < end) this.comm(buf, q, end);
      return true;
    }
    if (c === 91 /* [ */) {
      // "bytes [comm]": a PC request with no CDB printed (a non-PC request with
      // no blocks prints "[comm]" alone, never a bare number).
      ev.flags |= Flag.PC;
      ev.bytes = first;
      this.comm(buf, q, end);
      return true;
    }
    ev.sector = first;
    if (c === 43 /* + */) {
      q++;
      while ((c = buf[q]!) === 32 || c === 9) q++;
      const s = q;
      let v = 0;
      while ((c = buf[q]!) >= 48 && c <= 57) { v = v * 10 + (c - 48); q++; }
      if (q === s) return false;
      ev.bytes = v * 512;
      while ((c = buf[q]!) === 32 || c === 9) q++;
    }
    if (q < end && buf[q] === 40) {
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
    if (p < end && buf[p] === 40 /* ( */) {
      ev.flags |= Flag.PC;
      const close = closeParen(buf, p, end);
      ev.text = buf.toString('latin1', p + 1, close);
      p = close >= end ? end : skipSpaces(buf, close + 1, end);
    } else if (p >= end || buf[p] !== 91) {
      if (!this.sectorBlocks(buf, p, end)) return false;
      p = skipSpaces(buf, num.pos, end);
      if (p < end && buf[p] === 40) {
        const close = closeParen(buf, p, end);
        p = close >= end ? end : skipSpaces(buf, close + 1, end);
      }
    }
    if (p < end && buf[p] === 91) {
      // "[err]": 0 is by far the most common
      if (p + 2 < end && buf[p + 1] === 48 && buf[p + 2] === 93) return true;
      if (readInt(buf, p + 1, end) && num.pos < end && buf[num.pos] === 93) {
        ev.error = decodeErrno(num.value);
        if (isDriverStatus(num.value)) {
          this.ctx.diag.add(DRIVER_STATUS_REASON, 'info', { source: this.ctx.sourceName, locKind: 'line', loc: ev.loc, text: `[${num.value}]` });
        }
      }
    }
    return true;
  }

  /**
   * "[comm]" at p: comm runs to the last "]" on the line (names may contain
   * spaces or brackets). Returns the position after "]", or -1.
   */
  private comm(buf: Buffer, p: number, end: number): number {
    if (p >= end || buf[p] !== 91) return -1;
    let close = end - 1;
    while (close > p && buf[close] !== 93) close--;
    if (close <= p) return -1;
    // For U/UT the depth follows; a later "]" inside annotations is unlikely.
    this.ev.comm = this.commText(buf, p + 1, close);
    return close + 1;
  }

  /**
   * Per-pid cache: the same process name bytes give the same string (one
   * probe and a byte compare per line; a string is made only when a pid's
   * name changes).
   */
  private commText(buf: Buffer, s: number, e: number): string {
    const pid = this.ev.pid;
    let hit = this.lastComm;
    if (hit === undefined || this.lastCommPid !== pid) hit = this.commCache.get(pid);
    const len = e - s;
    if (hit !== undefined && hit.bytes.length === len) {
      const b = hit.bytes;
      let i = 0;
      while (i < len && b[i] === buf[s + i]) i++;
      if (i === len) {
        this.lastComm = hit;
        this.lastCommPid = pid;
        return hit.text;
      }
    }
    const text = buf.toString('utf8', s, e);
    if (this.commCache.size > 65536) this.commCache.clear();
    hit = { bytes: Buffer.from(buf.subarray(s, e)), text };
    this.commCache.set(pid, hit);
    this.lastComm = hit;
    this.lastCommPid = pid;
    return text;
  }
}

/** Position of the ")" closing the "(" at p, or `end` when the line has none. */
function closeParen(buf: Buffer, p: number, end: number): number {
  const close = buf.indexOf(41, p);
  return close < 0 || close > end ? end : close;
}

/** Act of a one-letter action token by its byte (0 = not one: see actionAt). */
const ACT_OF_LETTER = new Uint8Array(256);
for (const [letter, act] of Object.entries({ Q: Act.Queue, M: Act.BackMerge, F: Act.FrontMerge, G: Act.GetRq, S: Act.SleepRq,
  R: Act.Requeue, D: Act.Issue, C: Act.Complete, P: Act.Plug, U: Act.Unplug, T: Act.UnplugTimer, I: Act.Insert, X: Act.Split,
  B: Act.Bounce, A: Act.Remap, m: Act.Message })) {
  ACT_OF_LETTER[letter.charCodeAt(0)] = act;
}

/** The action token's Act, or -1: one letter, or "UT". */
function actionAt(buf: Buffer, s: number, e: number): number {
  const n = e - s;
  if (n === 2) return buf[s] === 85 /* U */ && buf[s + 1] === 84 /* T */ ? Act.UnplugTimer : -1;
  if (n !== 1) return -1;
  switch (buf[s]) {
    case 81: return Act.Queue; // Q
    case 77: return Act.BackMerge; // M
    case 70: return Act.FrontMerge; // F
    case 71: return Act.GetRq; // G
    case 83: return Act.SleepRq; // S
    case 82: return Act.Requeue; // R
    case 68: return Act.Issue; // D
    case 67: return Act.Complete; // C
    case 80: return Act.Plug; // P
    case 85: return Act.Unplug; // U
    case 84: return Act.UnplugTimer; // T
    case 73: return Act.Insert; // I
    case 88: return Act.Split; // X
    case 66: return Act.Bounce; // B
    case 65: return Act.Remap; // A
    case 109: return Act.Message; // m
    default: return -1;
  }
}
