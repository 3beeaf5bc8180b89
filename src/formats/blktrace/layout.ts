/**
 * The blktrace binary record: byte offsets, category bits and the decoding of
 * `action` into the model's Op and Flag.
 *
 * Source: include/uapi/linux/blktrace_api.h (v7 `struct blk_io_trace`, 48 B;
 * 6.19's v8 `struct blk_io_trace2`, 64 B with a u64 action), blktrace
 * `blkparse_fmt.c` `fill_rwbs`, kernel/trace/blktrace.c `__blk_add_trace`.
 * Summarised in shared/reference/formats-and-semantics.md §1.1–1.3.
 */
import { Op, Flag } from '../../model/rwbs.js';

export const MAGIC = 0x65617400;
export const MAGIC_MASK = 0xffffff00;
export const VERSION_V7 = 0x07;
export const VERSION_V8 = 0x08;

/** Byte offsets of one header layout. `action` is u32 in v7 and u64 in v8. */
export interface Layout {
  version: number;
  size: number;
  sequence: number;
  time: number;
  sector: number;
  bytes: number;
  action: number;
  actionBytes: 4 | 8;
  pid: number;
  device: number;
  cpu: number;
  error: number;
  pduLen: number;
}

/** v7 `struct blk_io_trace` — every kernel through 6.18. */
export const V7: Layout = {
  version: VERSION_V7, size: 48, sequence: 4, time: 8, sector: 16, bytes: 24,
  action: 28, actionBytes: 4, pid: 32, device: 36, cpu: 40, error: 44, pduLen: 46,
};

/** v8 `struct blk_io_trace2` (6.19, BLKTRACESETUP2): pid before a u64 action, pad[12] to 64 B. */
export const V8: Layout = {
  version: VERSION_V8, size: 64, sequence: 4, time: 8, sector: 16, bytes: 24,
  pid: 28, action: 32, actionBytes: 8, device: 40, cpu: 44, error: 48, pduLen: 50,
};

export function layoutFor(version: number): Layout | undefined {
  if (version === VERSION_V7) return V7;
  if (version === VERSION_V8) return V8;
  return undefined;
}

/** `BLK_TC_*` category bits, as found in action bits 31..16 (`BLK_TC_SHIFT` 16). */
export const TC = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  /** REQ_PREFLUSH or REQ_OP_FLUSH; BLK_TC_BARRIER before 2.6.37. */
  FLUSH: 1 << 2,
  SYNC: 1 << 3,
  QUEUE: 1 << 4,
  REQUEUE: 1 << 5,
  ISSUE: 1 << 6,
  COMPLETE: 1 << 7,
  FS: 1 << 8,
  PC: 1 << 9,
  NOTIFY: 1 << 10,
  AHEAD: 1 << 11,
  META: 1 << 12,
  DISCARD: 1 << 13,
  DRV_DATA: 1 << 14,
  FUA: 1 << 15,
} as const;

/** v8 categories 16..22, i.e. bits 32..38 of the u64 action = bits 0..6 of its high word. */
export const TC2 = {
  ZONE_APPEND: 1 << 0,
  ZONE_RESET: 1 << 1,
  ZONE_RESET_ALL: 1 << 2,
  ZONE_FINISH: 1 << 3,
  ZONE_OPEN: 1 << 4,
  ZONE_CLOSE: 1 << 5,
  WRITE_ZEROES: 1 << 6,
} as const;
const TC2_ZONE_MGMT = TC2.ZONE_RESET | TC2.ZONE_RESET_ALL | TC2.ZONE_FINISH | TC2.ZONE_OPEN | TC2.ZONE_CLOSE;

/** `__BLK_TA_CGROUP` / `__BLK_TN_CGROUP`: an 8-byte cgroup id leads the pdu. */
export const ACTION_CGROUP = 0x100;
export const CGROUP_ID_BYTES = 8;

/** Low 16 bits of a notify record's action (`__BLK_TN_*`). */
export const TN = { PROCESS: 0, TIMESTAMP: 1, MESSAGE: 2 } as const;

/** Highest `__BLK_TA_*` number known (19 = ZONE_UNPLUG, v8). */
export const MAX_ACTION = 19;

/** `struct blk_io_trace_remap` {be32 device_from, be32 device_to, be64 sector_from}. */
export const REMAP_PDU_BYTES = 16;

/**
 * Op and flags from the category bits, exactly as blkparse's `fill_rwbs`
 * renders them so the binary and text readers agree: D(iscard) before
 * W(rite), then R only when bytes ≠ 0, else N. A non-write with the FLUSH bit
 * is the flush request (`FN`) → Op.Flush, as `parseRwbs` reads "FN".
 * v8 adds explicit write-zeroes and zone categories (bits 32..38).
 */
export function decodeOp(cat: number, cat2: number, bytes: number): Op {
  if (cat2 !== 0) {
    if (cat2 & TC2.WRITE_ZEROES) return Op.WriteZeroes;
    if (cat2 & TC2.ZONE_APPEND) return Op.ZoneAppend;
    if (cat2 & TC2_ZONE_MGMT) return Op.ZoneMgmt;
  }
  if (cat & TC.DISCARD) return Op.Discard;
  if (cat & TC.WRITE) return Op.Write;
  if (bytes !== 0) return Op.Read;
  return cat & TC.FLUSH ? Op.Flush : Op.None;
}

/** Flag bits from the category bits (FLUSH → PREFLUSH, also for the old BARRIER meaning). */
export function decodeFlags(cat: number): number {
  let f = 0;
  if (cat & TC.FLUSH) f |= Flag.PREFLUSH;
  if (cat & TC.FUA) f |= Flag.FUA;
  if (cat & TC.AHEAD) f |= Flag.AHEAD;
  if (cat & TC.SYNC) f |= Flag.SYNC;
  if (cat & TC.META) f |= Flag.META;
  if (cat & TC.PC) f |= Flag.PC;
  return f;
}

/**
 * The `error` u16 holds a negative errno (blkparse prints -EIO as 65531).
 * Positive values (old kernels' `rq->errors`, PC requests' SCSI status) are a
 * driver status, read as no failure like the blkparse text reader's
 * `decodeErrno` (DRIVER_STATUS_REASON there) so both readers give the same number.
 */
export function decodeError(v: number): number {
  if (v > 32767) return v - 65536;
  return 0;
}

/**
 * blkparse's `dump_pdu`: "%02x" bytes separated by spaces; once the rest is
 * all zeroes, " .." and stop. Used for passthrough (PC) command bytes.
 */
export function hexPdu(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    if (i > start) s += ' ';
    const b = buf[i]!;
    s += (b < 16 ? '0' : '') + b.toString(16);
    if (b === 0) {
      let rest = true;
      for (let j = i + 1; j < end; j++) if (buf[j] !== 0) { rest = false; break; }
      if (rest) {
        s += ' ..';
        break;
      }
    }
  }
  return s;
}

/** A blktrace magic (either byte order) at p. */
export function isMagic(b: Buffer, p: number): boolean {
  if (p + 4 > b.length) return false;
  const m = b[p]! === 0x65 ? b.readUInt32BE(p) : b.readUInt32LE(p);
  return (m & MAGIC_MASK) >>> 0 === MAGIC;
}
