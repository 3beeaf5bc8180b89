/**
 * Event bodies of the block tracepoints (include/trace/events/block.h
 * TP_printk), read from bytes into the reused BlockEvent. 6.18 formats:
 *
 *   rq_insert|issue|merge, io_start|done  "%d,%d %s %u (%s) %llu + %u %s,%u,%u [%s]"
 *   rq_complete, rq_error                 "%d,%d %s (%s) %llu + %u %s,%u,%u [%d]"
 *   rq_requeue                            "%d,%d %s (%s) %llu + %u %s,%u,%u [0]"
 *   bio_queue|backmerge|frontmerge, getrq "%d,%d %s %llu + %u [%s]"
 *   bio_complete                          "%d,%d %s %llu + %u [%d]"
 *   bio_remap / rq_remap                  "%d,%d %s %llu + %u <- (%d,%d) %llu" [" %u" nr_bios]
 *   split                                 "%d,%d %s %llu / %llu [%s]"
 *   plug "[%s]"     unplug "[%s] %d"      (no device: counted, not emitted)
 *
 * The ioprio group (`be,0,4`; trace-cmd prints `0x2,0,4`) exists since 6.11
 * (aa6ff4eb7c10) and is optional here. Before ~4.11 rq_insert/issue printed
 * 0 bytes for file-system requests (bytes only for BLOCK_PC), so the size
 * comes from nr_sector when it is non-zero.
 */
import { clearTail, type BlockEvent } from '../../model/event.js';
import { makeDev } from '../../model/device.js';
import { Flag, Op } from '../../model/rwbs.js';
import { num, readInt, readUint, skipSpaces, tokenEnd } from '../blkparse/bytes.js';
import { isUnknownComm } from './context.js';
import { RwbsCache, sectorValue } from './common.js';
import { Body, type TracepointDef } from './events.js';

export type CommReader = (buf: Buffer, s: number, e: number) => string;

export class TracepointBodyReader {
  private readonly rwbs = new RwbsCache('tracepoint');

  constructor(
    private readonly ev: BlockEvent,
    private readonly commOf: CommReader,
  ) {}

  /** Fill ev from the body at [p, e) (comm '' when the body prints none). False when it does not fit. */
  read(buf: Buffer, p: number, e: number, def: TracepointDef): boolean {
    const ev = this.ev;
    ev.op = Op.None;
    ev.flags = 0;
    clearTail(ev);
    const body = def.body;
    // (block_plug/unplug bodies are never read: those events are not emitted, see events.ts)
    // "maj,min rwbs "
    if (!readUint(buf, p, e)) return false;
    const major = num.value;
    if (buf[num.pos] !== 44 /* , */ || !readUint(buf, num.pos + 1, e)) return false;
    ev.dev = makeDev(major, num.value);
    p = skipSpaces(buf, num.pos, e);
    const re = tokenEnd(buf, p, e);
    const rwbs = this.rwbs.get(buf, p, re);
    if (!rwbs) return false;
    ev.op = rwbs.op;
    ev.flags = rwbs.flags;
    p = skipSpaces(buf, re, e);
    let bytesField = -1;
    if (body === Body.Rq) {
      if (!readUint(buf, p, e)) return false;
      bytesField = num.value;
      p = skipSpaces(buf, num.pos, e);
    }
    if (body === Body.Rq || body === Body.RqErr) {
      // "(cmd)": a passthrough command, usually empty
      if (buf[p] !== 40 /* ( */) return false;
      let close = p + 1;
      while (close < e && buf[close] !== 41) close++;
      if (close >= e) return false;
      if (close > p + 1) {
        ev.flags |= Flag.PC;
        ev.text = buf.toString('latin1', p + 1, close);
      }
      p = skipSpaces(buf, close + 1, e);
    }
    // "sector"
    if (!readUint(buf, p, e)) return false;
    ev.sector = sectorValue(num.value);
    p = skipSpaces(buf, num.pos, e);
    if (body === Body.Split) {
      if (buf[p] !== 47 /* / */ || !readUint(buf, skipSpaces(buf, p + 1, e), e)) return false;
      ev.aux = num.value;
      ev.bytes = -1;
      p = skipSpaces(buf, num.pos, e);
      return this.comm(buf, p, e) >= 0;
    }
    // "+ nr"
    if (buf[p] !== 43 /* + */ || !readUint(buf, skipSpaces(buf, p + 1, e), e)) return false;
    const nr = num.value;
    p = skipSpaces(buf, num.pos, e);
    ev.bytes = nr > 0 || bytesField < 0 ? nr * 512 : bytesField;
    // blk_fill_rwbs has no REQ_OP_WRITE_ZEROES case before 6.19: it prints "N"
    // with a size (blktrace prints the same request as "W"); a passthrough
    // request prints nr_sector 0 (blk_rq_trace_nr_sectors).
    if (ev.op === Op.None && nr > 0 && !(ev.flags & Flag.PC)) ev.op = Op.WriteZeroes;
    if (body === Body.Remap) {
      if (buf[p] !== 60 /* < */ || buf[p + 1] !== 45 /* - */) return false;
      p = skipSpaces(buf, p + 2, e);
      if (buf[p] !== 40 || !readUint(buf, p + 1, e)) return false;
      const fromMajor = num.value;
      if (buf[num.pos] !== 44 || !readUint(buf, num.pos + 1, e)) return false;
      const fromMinor = num.value;
      if (buf[num.pos] !== 41) return false;
      p = skipSpaces(buf, num.pos + 1, e);
      if (!readUint(buf, p, e)) return false;
      ev.auxDev = makeDev(fromMajor, fromMinor);
      ev.aux = num.value;
      return true; // rq_remap's trailing nr_bios is not needed
    }
    // optional ioprio "class,hint,level" before the bracket
    if (buf[p] !== 91 /* [ */ && (body === Body.Rq || body === Body.RqErr)) p = skipSpaces(buf, tokenEnd(buf, p, e), e);
    if (body === Body.RqErr || body === Body.BioErr) {
      if (buf[p] !== 91 || !readInt(buf, p + 1, e) || num.pos >= e || buf[num.pos] !== 93) return false;
      ev.error = num.value;
      return true;
    }
    return this.comm(buf, p, e) >= 0;
  }

  /**
   * "[comm]" at p, running to the last "]" of the line (names may hold
   * brackets: `[highpool[1]]`). Sets ev.comm unless it is `<...>`; returns
   * the position after "]" or -1.
   */
  private comm(buf: Buffer, p: number, e: number): number {
    if (buf[p] !== 91) return -1;
    let close = e - 1;
    while (close > p && buf[close] !== 93) close--;
    if (close <= p) return -1;
    if (close > p + 1 && !isUnknownComm(buf, p + 1, close)) this.ev.comm = this.commOf(buf, p + 1, close);
    return close + 1;
  }
}
