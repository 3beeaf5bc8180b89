/**
 * Request operation and flags, decoded from RWBS strings and from
 * `blk_io_trace.action` category bits.
 *
 * Two renderings exist (see shared reference §2.2):
 *  - blkparse / ftrace blk tracer `fill_rwbs`: [F=TC_FLUSH] (D|W|R|N) [F=FUA] [A] [S] [M];
 *    before 2.6.37 also [B] (barrier); a flush request (REQ_OP_FLUSH) prints `FN`.
 *  - kernel tracepoints `blk_fill_rwbs`: [F=PREFLUSH] (W|D|DE|F|R|Z*|WZ|N) [F=FUA] [A] [S] [M] [U];
 *    a flush request prints `FF`; write-zeroes prints `N` before 6.19 and `WZ` from 6.19.
 */

export const Op = {
  None: 0,
  Read: 1,
  Write: 2,
  Discard: 3,
  SecureErase: 4,
  WriteZeroes: 5,
  /** REQ_OP_FLUSH: the block layer's flush request (`FN` in blkparse, `FF` in tracepoints). */
  Flush: 6,
  ZoneAppend: 7,
  ZoneMgmt: 8,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

export const OP_NAMES: Record<Op, string> = {
  0: 'none', 1: 'read', 2: 'write', 3: 'discard', 4: 'secure-erase', 5: 'write-zeroes',
  6: 'flush', 7: 'zone-append', 8: 'zone-mgmt',
};

/** Flag bits (independent of any format's encoding). */
export const Flag = {
  /** REQ_PREFLUSH on a bio (leading F), or the flush bit on a flush op. */
  PREFLUSH: 1 << 0,
  FUA: 1 << 1,
  SYNC: 1 << 2,
  META: 1 << 3,
  AHEAD: 1 << 4,
  /** Pre-2.6.37 REQ_HARDBARRIER (`B`). */
  BARRIER: 1 << 5,
  /** REQ_ATOMIC (`U` in tracepoint rwbs). */
  ATOMIC: 1 << 6,
  /** Passthrough (BLK_TC_PC) request. */
  PC: 1 << 7,
} as const;

export interface Rwbs {
  op: Op;
  flags: number;
}

export function isWriteOp(op: Op): boolean {
  return op === Op.Write || op === Op.WriteZeroes || op === Op.ZoneAppend;
}

/** Data-carrying write that changes device contents (discards and write-zeroes too). */
export function modifiesData(op: Op): boolean {
  return op === Op.Write || op === Op.WriteZeroes || op === Op.ZoneAppend || op === Op.Discard || op === Op.SecureErase;
}

const LETTER_FLAGS: Record<string, number> = {
  A: Flag.AHEAD, S: Flag.SYNC, M: Flag.META, B: Flag.BARRIER, U: Flag.ATOMIC,
};

/**
 * Decode an RWBS string from blkparse, the ftrace blk tracer or a tracepoint.
 * Returns undefined when the string is not RWBS at all. Unknown trailing
 * letters are tolerated (zone ops, future flags) but make `strict` fail.
 *
 * `flavor` = 'tracepoint' makes a lone `F` op letter mean REQ_OP_FLUSH (`FF`,
 * `F`), as printed by blk_fill_rwbs; in blkparse text `FN` is the flush op.
 */
export function parseRwbs(s: string, flavor: 'blktrace' | 'tracepoint' = 'blktrace'): Rwbs | undefined {
  let i = 0;
  let flags = 0;
  let op: Op = Op.None;
  const n = s.length;
  if (n === 0) return undefined;
  if (s[0] === 'F') {
    // Leading F: PREFLUSH (or the flush bit of a flush op). A lone "F" is the
    // tracepoint rendering of REQ_OP_FLUSH without PREFLUSH.
    if (n === 1) return { op: Op.Flush, flags: 0 };
    flags |= Flag.PREFLUSH;
    i = 1;
  }
  const c = s[i];
  switch (c) {
    case 'W':
      if (s[i + 1] === 'Z') { op = Op.WriteZeroes; i += 2; } else { op = Op.Write; i += 1; }
      break;
    case 'R': op = Op.Read; i += 1; break;
    case 'D':
      if (s[i + 1] === 'E') { op = Op.SecureErase; i += 2; } else { op = Op.Discard; i += 1; }
      break;
    case 'E': op = Op.SecureErase; i += 1; break;
    case 'N': op = Op.None; i += 1; break;
    case 'Z':
      // ZA ZR ZRA ZF ZO ZC (tracepoints), ZAS-style RFC text: tolerated
      if (s[i + 1] === 'A' && s[i + 2] !== 'S' && flavor === 'tracepoint') { op = Op.ZoneAppend; i += 2; }
      else if (s[i + 1] === 'A') { op = Op.ZoneAppend; i += 2; }
      else if (s[i + 1] === 'R' && s[i + 2] === 'A') { op = Op.ZoneMgmt; i += 3; }
      else { op = Op.ZoneMgmt; i += 2; }
      break;
    case 'F':
      // "FF" in tracepoints (and a flush op letter after no PREFLUSH in theory)
      op = Op.Flush; i += 1;
      break;
    default:
      if (c === undefined && flags & Flag.PREFLUSH) return { op: Op.Flush, flags };
      return undefined;
  }
  if (s[i] === 'F') { flags |= Flag.FUA; i += 1; }
  for (; i < n; i++) {
    const f = LETTER_FLAGS[s[i]!];
    if (f === undefined) return undefined;
    flags |= f;
  }
  // blkparse prints a flush request as "FN": TC_FLUSH set, no data, not a write.
  if (op === Op.None && flags & Flag.PREFLUSH && flavor === 'blktrace') op = Op.Flush;
  return { op, flags };
}

/** Render op+flags the way blkparse does (used for display and the events CSV). */
export function formatRwbs(op: Op, flags: number): string {
  let s = '';
  if (flags & Flag.PREFLUSH || op === Op.Flush) s += 'F';
  switch (op) {
    case Op.Write: case Op.ZoneAppend: s += 'W'; break;
    case Op.WriteZeroes: s += 'WZ'; break;
    case Op.Read: s += 'R'; break;
    case Op.Discard: s += 'D'; break;
    case Op.SecureErase: s += 'DE'; break;
    default: s += 'N';
  }
  if (flags & Flag.FUA) s += 'F';
  if (flags & Flag.AHEAD) s += 'A';
  if (flags & Flag.BARRIER) s += 'B';
  if (flags & Flag.SYNC) s += 'S';
  if (flags & Flag.META) s += 'M';
  if (flags & Flag.ATOMIC) s += 'U';
  return s;
}
