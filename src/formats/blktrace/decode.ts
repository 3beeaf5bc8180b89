/**
 * One framed blktrace record → one BlockEvent (reused), or a notify record
 * folded into the session. PDUs (kernel/trace/blktrace.c, always big-endian
 * via cpu_to_be*, whatever the record's byte order):
 *   A  remap   {be32 dev_from, be32 dev_to, be64 sector_from} (blk_add_trace_bio_remap)
 *   X  split   be64 new sector                                 (blk_add_trace_split)
 *   U UT unplug be64 depth                                     (blk_add_trace_unplug)
 *   PC D/I/C   the command bytes, printed as hex like blkparse's dump_pdu
 * A leading 8-byte cgroup id when action bit 0x100 is set is skipped.
 *
 * The remap event takes `dev_to` as its device, as blkparse prints it
 * (blkparse_fmt.c `process_default`: `t->device = r.device_to`): the record's
 * own device field is the traced queue (8,0 for a dm → sda2 remap in the
 * wild/01 capture), while the record's sector is in dev_to's coordinates.
 */
import { Act, emptyEvent, type BlockEvent } from '../../model/event.js';
import type { Severity } from '../../model/diagnostics.js';
import { DRIVER_STATUS_REASON } from '../blkparse/parser.js';
import { ACTION_CGROUP, CGROUP_ID_BYTES, decodeError, decodeFlags, decodeOp, hexPdu, MAX_ACTION, REMAP_PDU_BYTES, TC, TN, type Layout } from './layout.js';
import { u32, u64 } from './bytes.js';
import { commKey, type BlktraceSession } from './session.js';

/** Stable counter names (shown in reports). */
export const Reason = {
  lost: 'lost-events: sequence gap',
  seqBack: 'blktrace: sequence number went backwards',
  seqRepeat: 'blktrace: sequence number repeated',
  badAction: 'blktrace: unknown action',
  badNotify: 'blktrace: unknown notify record',
  badTimestamp: 'blktrace: malformed timestamp note',
  shortPdu: 'blktrace: pdu shorter than its action needs',
  cpuMismatch: 'blktrace: record CPU differs from its file',
  badMagic: 'blktrace: bad magic, rest of input not read',
  badVersion: 'blktrace: unsupported protocol version, rest of input not read',
  truncated: 'blktrace: truncated record at end of input',
  late: 'blktrace: event arrived after the sort window (emitted out of time order)',
  unordered: 'blktrace: per-CPU file not in time order (merge emitted out of order)',
} as const;

const TWO20 = 1 << 20;

export class RecordDecoder {
  readonly ev: BlockEvent = emptyEvent();
  /** Per (record device, cpu) last sequence number: loss detection only (reference §1.4). */
  private readonly seqs = new Map<number, number>();
  private lastKey = -1;
  private lastSeq = 0;
  private commKey = NaN;
  private commVer = -1;
  private commText = '';
  /** Category bits → Flag bits (decodeFlags), filled as categories are seen; -1 = not yet. */
  private readonly flagsOf = new Int32Array(65536).fill(-1);

  constructor(
    private readonly session: BlktraceSession,
    private readonly name: string,
    /** CPU number from the file name, or -1. */
    private readonly fileCpu = -1,
    /** Added to every event's byte offset: which file of a per-CPU set it is in (model/analysis.ts `locate`). */
    private readonly locBase = 0,
  ) {
    this.ev.source = session.ctx.sourceIndex;
  }

  count(reason: string, severity: Severity, loc: number, text: string, n = 1): void {
    this.session.ctx.diag.addMany(reason, severity, n, { source: this.name, locKind: 'offset', loc, text });
  }

  /**
   * Decode the record whose header starts at `p` (file offset `loc`).
   * Returns true when `ev` now holds an event to emit.
   */
  decode(b: Buffer, v: DataView, p: number, le: boolean, L: Layout, pduLen: number, loc: number): boolean {
    // DataView reads written out here (not through bytes.ts helpers): this
    // runs once per record and the helpers did not fit TurboFan's inlining budget.
    let action: number;
    let cat2 = 0;
    const pa = p + L.action;
    if (L.actionBytes === 4) {
      action = v.getUint32(pa, le);
    } else {
      action = v.getUint32(le ? pa : pa + 4, le);
      cat2 = v.getUint32(le ? pa + 4 : pa, le);
    }
    const cat = action >>> 16;
    const low = action & 0xffff;
    const actNo = low & ~ACTION_CGROUP;
    const pduEnd = p + L.size + pduLen;
    let pdu = p + L.size;
    if (low & ACTION_CGROUP) pdu = Math.min(pduEnd, pdu + CGROUP_ID_BYTES);
    const session = this.session;
    const pt = p + L.time;
    const tHi = v.getUint32(le ? pt + 4 : pt, le);
    const tLo = v.getUint32(le ? pt : pt + 4, le);
    if (!session.hasBase) session.decideBase(tHi, tLo);
    const time = session.time(tHi, tLo);
    const device = v.getUint32(p + L.device, le);
    const cpu = v.getUint32(p + L.cpu, le);
    const pid = v.getUint32(p + L.pid, le);
    if (cat & TC.NOTIFY) {
      const nseq = v.getUint32(p + L.sequence, le);
      if (nseq !== 0 && cpu < TWO20) this.noteSequence(device * TWO20 + cpu, nseq);
      return this.notify(b, v, actNo, pdu, pduEnd, le, time, device, cpu, pid, loc);
    }
    const seq = v.getUint32(p + L.sequence, le);
    if (cpu < TWO20) this.checkSequence(device * TWO20 + cpu, seq, loc);
    if (actNo === 0 || actNo > MAX_ACTION) {
      this.count(Reason.badAction, 'error', loc, `action 0x${action.toString(16)}`);
      return false;
    }
    if (this.fileCpu >= 0 && cpu !== this.fileCpu) this.count(Reason.cpuMismatch, 'info', loc, `cpu ${cpu} in the file of cpu ${this.fileCpu}`);
    const bytes = v.getUint32(p + L.bytes, le);
    const ps = p + L.sector;
    const ev = this.ev;
    ev.loc = this.locBase + loc;
    ev.time = time;
    ev.dev = device;
    ev.cpu = cpu;
    ev.seq = seq;
    ev.pid = pid;
    ev.act = actNo as Act;
    ev.op = decodeOp(cat, cat2, bytes);
    let flags = this.flagsOf[cat]!;
    if (flags < 0) flags = this.flagsOf[cat] = decodeFlags(cat);
    ev.flags = flags;
    ev.sector = v.getUint32(le ? ps + 4 : ps, le) * 4294967296 + v.getUint32(le ? ps : ps + 4, le);
    ev.bytes = bytes;
    const err = v.getUint16(p + L.error, le);
    ev.error = err === 0 ? 0 : decodeError(err);
    if (err > 0 && err <= 32767) this.count(DRIVER_STATUS_REASON, 'info', loc, `error field ${err}`);
    ev.comm = this.comm(pid, cpu);
    ev.aux = -1;
    ev.auxDev = -1;
    ev.text = '';
    switch (actNo) {
      case Act.Remap:
        if (pduEnd - pdu >= REMAP_PDU_BYTES) {
          ev.auxDev = u32(v, pdu, false);
          ev.dev = u32(v, pdu + 4, false);
          ev.aux = u64(v, pdu + 8, false);
        } else {
          this.count(Reason.shortPdu, 'error', loc, `remap with a ${pduEnd - pdu}-byte pdu`);
        }
        break;
      case Act.Plug:
      case Act.Unplug:
      case Act.UnplugTimer:
        // blk_add_trace_plug/unplug pass sector 0, bytes 0: there is no sector.
        ev.sector = -1;
        if (actNo !== Act.Plug && pduEnd - pdu >= 8) ev.aux = u64(v, pdu, false);
        break;
      case Act.Split:
        if (pduEnd - pdu >= 8) ev.aux = u64(v, pdu, false);
        else this.count(Reason.shortPdu, 'error', loc, `split with a ${pduEnd - pdu}-byte pdu`);
        break;
      case Act.Issue:
      case Act.Complete:
      case Act.Insert:
      case Act.Requeue:
        if (cat & TC.PC && pduEnd > pdu) ev.text = hexPdu(b, pdu, pduEnd);
        break;
    }
    return true;
  }

  private comm(pid: number, cpu: number): string {
    const v = this.session.commVersion;
    const key = commKey(pid, cpu);
    if (key !== this.commKey || v !== this.commVer) {
      this.commKey = key;
      this.commVer = v;
      this.commText = this.session.comms.get(key) ?? '';
    }
    return this.commText;
  }

  /** Per-CPU sequence numbers count up by one; u32 wrap-around is not a gap. */
  private checkSequence(key: number, seq: number, loc: number): void {
    let prev: number;
    if (key === this.lastKey) {
      prev = this.lastSeq;
    } else {
      if (this.lastKey >= 0) this.seqs.set(this.lastKey, this.lastSeq);
      prev = this.seqs.get(key) ?? -1;
      this.lastKey = key;
    }
    this.lastSeq = seq;
    // ftrace's synthesized records carry sequence 0 throughout: nothing to check.
    if (prev < 0 || (seq === 0 && prev !== 0xffffffff)) {
      if (seq === 0) this.lastSeq = prev;
      return;
    }
    const delta = (seq - prev) >>> 0;
    if (delta === 1) return;
    if (delta === 0) this.count(Reason.seqRepeat, 'info', loc, `sequence ${seq} again`);
    else if (delta < 0x80000000) this.count(Reason.lost, 'data-loss', loc, `sequence ${prev} → ${seq}: ${delta - 1} lost`, delta - 1);
    else this.count(Reason.seqBack, 'info', loc, `sequence ${prev} → ${seq}`);
  }

  /**
   * A notify record that carries the next sequence number of its (device, CPU)
   * stream takes that number. The kernel never numbers notes (`trace_note` in
   * kernel/trace/blktrace.c leaves `sequence` unset and does not advance the
   * per-CPU counter), so a note normally carries 0 and is ignored here. A tool
   * that rebuilds blktrace files from ftrace output and numbers every record
   * in order (the corpus' lab `blkcap.split_to_blktrace`: a cgroup-tagged
   * `md md_update_sb` message holds md0's sequence 21) would otherwise show a
   * gap where nothing is missing. Any other number on a note is ignored, never
   * counted: it is not the kernel's counter.
   */
  private noteSequence(key: number, seq: number): void {
    let prev: number;
    if (key === this.lastKey) {
      prev = this.lastSeq;
    } else {
      prev = this.seqs.get(key) ?? -1;
    }
    if (prev < 0 || ((seq - prev) >>> 0) !== 1) return;
    if (key === this.lastKey) this.lastSeq = seq;
    else this.seqs.set(key, seq);
  }

  /** BLK_TN_PROCESS / TIMESTAMP / MESSAGE (blkparse.c `handle_notify`). */
  private notify(
    b: Buffer, v: DataView, kind: number, pdu: number, pduEnd: number, le: boolean,
    time: number, device: number, cpu: number, pid: number, loc: number,
  ): boolean {
    switch (kind) {
      case TN.PROCESS: {
        let e = pdu;
        while (e < pduEnd && b[e] !== 0) e++;
        this.session.setComm(pid, cpu, b.toString('utf8', pdu, e));
        return false;
      }
      case TN.TIMESTAMP:
        // Two u32 (tv_sec, tv_nsec) in the file's byte order (blkparse swaps them only for non-native files).
        if (pduEnd - pdu !== 8) {
          this.count(Reason.badTimestamp, 'info', loc, `pdu of ${pduEnd - pdu} bytes`);
          return false;
        }
        this.session.addWallclock(device, time, u32(v, pdu, le), u32(v, pdu + 4, le));
        return false;
      case TN.MESSAGE: {
        let e = pduEnd;
        while (e > pdu && (b[e - 1] === 0 || b[e - 1] === 10)) e--;
        const ev = this.ev;
        ev.loc = this.locBase + loc;
        ev.time = time;
        ev.dev = device;
        ev.cpu = cpu;
        ev.seq = 0;
        ev.pid = pid;
        ev.act = Act.Message;
        ev.op = 0;
        ev.flags = 0;
        ev.sector = -1;
        ev.bytes = 0;
        ev.error = 0;
        ev.comm = this.comm(pid, cpu);
        ev.aux = -1;
        ev.auxDev = -1;
        ev.text = b.toString('utf8', pdu, e);
        return true;
      }
      default:
        this.count(Reason.badNotify, 'info', loc, `notify kind ${kind}`);
        return false;
    }
  }
}
