/**
 * Small caches shared by the ftrace-family readers (tracepoint text and the
 * blk tracer's text): they turn repeated byte strings (RWBS, process names)
 * into the same decoded value without building a string per line.
 */
import { packKey } from '../blkparse/bytes.js';
import { parseRwbs, type Rwbs } from '../../model/rwbs.js';

const SLOTS = 256;

/** Direct-mapped cache of decoded RWBS tokens (keys from packKey: ≤ 7 bytes). */
export class RwbsCache {
  private readonly keys = new Float64Array(SLOTS).fill(-1);
  private readonly vals: Array<Rwbs | undefined> = new Array<Rwbs | undefined>(SLOTS).fill(undefined);

  constructor(private readonly flavor: 'blktrace' | 'tracepoint') {}

  /** Decoded RWBS at bytes [s, e), or undefined when it is not RWBS. */
  get(buf: Buffer, s: number, e: number): Rwbs | undefined {
    const key = packKey(buf, s, e);
    if (key < 0) return parseRwbs(buf.toString('latin1', s, e), this.flavor);
    const k32 = key % 4294967296;
    const slot = (k32 ^ (k32 >>> 11) ^ (key / 4294967296)) & (SLOTS - 1);
    if (this.keys[slot] === key) return this.vals[slot];
    const r = parseRwbs(buf.toString('latin1', s, e), this.flavor);
    this.keys[slot] = key;
    this.vals[slot] = r;
    return r;
  }
}

interface CommSlot {
  pid: number;
  bytes: Buffer;
  text: string;
}

/** Direct-mapped per-pid cache of process names: the same bytes for a pid give the same string. */
export class CommCache {
  private readonly slots: Array<CommSlot | undefined> = new Array<CommSlot | undefined>(1024).fill(undefined);

  get(pid: number, buf: Buffer, s: number, e: number): string {
    const len = e - s;
    if (len <= 0) return '';
    const i = pid & 1023;
    const hit = this.slots[i];
    if (hit !== undefined && hit.pid === pid && hit.bytes.length === len) {
      let same = true;
      for (let k = 0; k < len; k++) {
        if (hit.bytes[k] !== buf[s + k]) {
          same = false;
          break;
        }
      }
      if (same) return hit.text;
    }
    const text = buf.toString('utf8', s, e);
    this.slots[i] = { pid, bytes: Buffer.from(buf.subarray(s, e)), text };
    return text;
  }
}

/**
 * A sector printed with %llu. The flush request's completion prints
 * (sector_t)-1 = 18446744073709551615 (block_rq_complete reads blk_rq_pos of a
 * request whose __sector was never set); blkparse shows the same event as
 * `C FN 0` (blk_rq_trace_sector), so it becomes 0. Any value that rounds to
 * 2^64 in a double is such a "-1 … -4096".
 */
export function sectorValue(v: number): number {
  return v >= 18446744073709547520 ? 0 : v;
}
