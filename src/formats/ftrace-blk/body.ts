/**
 * The part of a blk tracer line from the action on (kernel/trace/blktrace.c,
 * before 6.19: blk_log_action / blk_log_action_classic print
 * `"%2s %3s "` = action, RWBS from fill_rwbs — the blkparse rendering, flush
 * request = `FN` — then what2act[action].print gives the tail):
 *
 *   Q M F G S D I B  blk_log_generic     "sector + n [comm]" | "[comm]" | PC "bytes (hex) [comm]"
 *   C R              blk_log_with_error  "sector + n [err]" | "sector [err]" | PC "(hex) [err]"
 *   P                blk_log_plug        "[comm]"
 *   U UT             blk_log_unplug      "[comm] depth"
 *   X                blk_log_split       "sector / new_sector [comm]"
 *   A                blk_log_remap       "sector + n <- (maj,min) from_sector"
 *   m                blk_log_msg         message text
 *
 * With trace option `verbose` the actions are long names (`queue`, `complete`,
 * `unplug_io`, …). The error is the u16 `t->error` printed with %d (65531 = -EIO).
 * comm comes from ftrace's cmdline cache: `<...>` when unknown.
 */
import { Act, type BlockEvent, clearTail } from '../../model/event.js';
import { makeDev } from '../../model/device.js';
import { Flag } from '../../model/rwbs.js';
import { num, readInt, readUint, skipSpaces, tokenEnd } from '../blkparse/bytes.js';
import { decodeErrno, isDriverStatus } from '../blkparse/parser.js';
import { RwbsCache } from '../tracepoint/common.js';
import { isUnknownComm } from '../tracepoint/context.js';

const SHORT: Record<number, number> = {
  81: Act.Queue, 77: Act.BackMerge, 70: Act.FrontMerge, 71: Act.GetRq, 83: Act.SleepRq, 82: Act.Requeue,
  68: Act.Issue, 67: Act.Complete, 80: Act.Plug, 85: Act.Unplug, 73: Act.Insert, 88: Act.Split,
  66: Act.Bounce, 65: Act.Remap, 109: Act.Message,
};

/** what2act[].act[1], the `verbose` names, and "message". */
const LONG: Record<string, number> = {
  queue: Act.Queue, backmerge: Act.BackMerge, frontmerge: Act.FrontMerge, getrq: Act.GetRq,
  sleeprq: Act.SleepRq, requeue: Act.Requeue, issue: Act.Issue, complete: Act.Complete, plug: Act.Plug,
  unplug_io: Act.Unplug, unplug_timer: Act.UnplugTimer, insert: Act.Insert, split: Act.Split,
  bounce: Act.Bounce, remap: Act.Remap, message: Act.Message,
};

export function actionOf(buf: Buffer, s: number, e: number): number {
  const n = e - s;
  if (n === 1) return SHORT[buf[s]!] ?? -1;
  if (n === 2) return buf[s] === 85 && buf[s + 1] === 84 ? Act.UnplugTimer : -1;
  if (n < 4 || n > 12) return -1;
  return LONG[buf.toString('latin1', s, e)] ?? -1;
}

export class BlkBodyReader {
  private readonly rwbs = new RwbsCache('blktrace');
  /** Set by read(): the error printed was not an errno (2.6.29's plugin printed the sector). */
  oddError = false;

  constructor(
    private readonly ev: BlockEvent,
    private readonly commOf: (buf: Buffer, s: number, e: number) => string,
  ) {}

  /**
   * Reads "ACT RWBS tail" at p into ev (dev, time, cpu, pid already set;
   * comm '' when the tail prints none). Returns false when the text does not fit.
   */
  read(buf: Buffer, p: number, e: number): boolean {
    const ev = this.ev;
    const ae = tokenEnd(buf, p, e);
    const act = actionOf(buf, p, ae);
    if (act < 0) return false;
    p = skipSpaces(buf, ae, e);
    const re = tokenEnd(buf, p, e);
    const rwbs = this.rwbs.get(buf, p, re);
    if (!rwbs) return false;
    ev.act = act as Act;
    ev.op = rwbs.op;
    ev.flags = rwbs.flags;
    clearTail(ev);
    this.oddError = false;
    p = skipSpaces(buf, re, e);
    switch (act) {
      case Act.Message:
        ev.text = buf.toString('utf8', p, e);
        return true;
      case Act.Plug:
        return this.comm(buf, p, e) >= 0;
      case Act.Unplug:
      case Act.UnplugTimer: {
        const q = this.comm(buf, p, e);
        if (q < 0 || !readUint(buf, skipSpaces(buf, q, e), e)) return false;
        ev.aux = num.value;
        return true;
      }
      case Act.Split:
        if (!readUint(buf, p, e)) return false;
        ev.sector = num.value;
        p = skipSpaces(buf, num.pos, e);
        if (buf[p] !== 47 /* / */ || !readUint(buf, skipSpaces(buf, p + 1, e), e)) return false;
        ev.aux = num.value;
        ev.bytes = -1;
        return this.comm(buf, skipSpaces(buf, num.pos, e), e) >= 0;
      case Act.Remap: {
        if (!this.sectorSize(buf, p, e)) return false;
        p = skipSpaces(buf, num.pos, e);
        if (buf[p] !== 60 || buf[p + 1] !== 45) return false; // "<-"
        p = skipSpaces(buf, p + 2, e);
        if (buf[p] !== 40 || !readUint(buf, p + 1, e)) return false;
        const maj = num.value;
        if (buf[num.pos] !== 44 || !readUint(buf, num.pos + 1, e)) return false;
        const min = num.value;
        if (buf[num.pos] !== 41 || !readUint(buf, skipSpaces(buf, num.pos + 1, e), e)) return false;
        ev.auxDev = makeDev(maj, min);
        ev.aux = num.value;
        return true;
      }
      case Act.Complete:
      case Act.Requeue:
        return this.withError(buf, p, e);
      default:
        return this.generic(buf, p, e);
    }
  }

  /** "sector [+ n]" → ev.sector, ev.bytes; num.pos after it. */
  private sectorSize(buf: Buffer, p: number, e: number): boolean {
    if (!readUint(buf, p, e)) return false;
    this.ev.sector = num.value;
    const q = skipSpaces(buf, num.pos, e);
    if (buf[q] !== 43 /* + */) {
      num.pos = q;
      return true;
    }
    if (!readUint(buf, skipSpaces(buf, q + 1, e), e)) return false;
    this.ev.bytes = num.value * 512;
    return true;
  }

  private generic(buf: Buffer, p: number, e: number): boolean {
    const ev = this.ev;
    if (buf[p] === 91 /* [ */) return this.comm(buf, p, e) >= 0;
    if (!readUint(buf, p, e)) return false;
    const first = num.value;
    let q = skipSpaces(buf, num.pos, e);
    if (buf[q] === 43 /* + */) {
      ev.sector = first;
      if (!readUint(buf, skipSpaces(buf, q + 1, e), e)) return false;
      ev.bytes = num.value * 512;
      return this.comm(buf, skipSpaces(buf, num.pos, e), e) >= 0;
    }
    // PC request: "bytes (hex) [comm]" or "bytes [comm]"
    ev.flags |= Flag.PC;
    ev.bytes = first;
    if (buf[q] === 40) {
      q = this.pdu(buf, q, e);
      if (q < 0) return false;
    }
    return this.comm(buf, q, e) >= 0;
  }

  private withError(buf: Buffer, p: number, e: number): boolean {
    const ev = this.ev;
    if (buf[p] === 40 /* ( */) {
      ev.flags |= Flag.PC;
      p = this.pdu(buf, p, e);
      if (p < 0) return false;
    } else if (buf[p] !== 91) {
      if (!this.sectorSize(buf, p, e)) return false;
      p = skipSpaces(buf, num.pos, e);
    }
    if (buf[p] !== 91 || !readInt(buf, p + 1, e) || num.pos >= e || buf[num.pos] !== 93) return false;
    ev.error = decodeErrno(num.value);
    // a positive value is a driver status, read as no failure (blkparse/parser.ts DRIVER_STATUS_REASON)
    if (isDriverStatus(num.value) || num.value > 65535 || ev.error < -4095) this.oddError = true;
    return true;
  }

  /** "(hex …) " → ev.text; position after it, or -1. */
  private pdu(buf: Buffer, p: number, e: number): number {
    let close = p + 1;
    while (close < e && buf[close] !== 41) close++;
    if (close >= e) return -1;
    this.ev.text = buf.toString('latin1', p + 1, close);
    return skipSpaces(buf, close + 1, e);
  }

  /** "[comm]" to the last "]" of the line (`<...>` = unknown, left empty). Position after "]" or -1. */
  private comm(buf: Buffer, p: number, e: number): number {
    if (buf[p] !== 91) return -1;
    let close = e - 1;
    while (close > p && buf[close] !== 93) close--;
    if (close <= p) return -1;
    if (close > p + 1 && !isUnknownComm(buf, p + 1, close)) this.ev.comm = this.commOf(buf, p + 1, close);
    return close + 1;
  }
}
