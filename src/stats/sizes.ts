/**
 * Request-size histogram: requests as dispatched to the driver (D, data
 * only — flush requests carry no data), in power-of-two buckets by direction.
 * Bucket k holds sizes in [2^k, 2^(k+1)) bytes; keys are the lower bound.
 */
import type { BlockEvent } from '../model/event.js';
import { Op } from '../model/rwbs.js';
import { blkparseIsWrite } from './counters.js';

export interface SizeHistogram {
  /** Lower bound in bytes → number of dispatched requests. */
  read: Record<string, number>;
  write: Record<string, number>;
  /** Discards, secure erases and write-zeroes (no data transfer, sizes can be huge). */
  discard: Record<string, number>;
}

export class SizeCounter {
  private readonly read = new Map<number, number>();
  private readonly write = new Map<number, number>();
  private readonly discard = new Map<number, number>();

  issue(e: BlockEvent): void {
    if (e.bytes <= 0) return;
    const k = e.bytes < 2 ** 31 ? 2 ** (31 - Math.clz32(e.bytes)) : 2 ** Math.floor(Math.log2(e.bytes));
    const m = e.op === Op.Discard || e.op === Op.SecureErase || e.op === Op.WriteZeroes ? this.discard : blkparseIsWrite(e.op) ? this.write : this.read;
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  toJson(): SizeHistogram {
    const obj = (m: Map<number, number>) => {
      const out: Record<string, number> = {};
      for (const k of [...m.keys()].sort((a, b) => a - b)) out[String(k)] = m.get(k)!;
      return out;
    };
    return { read: obj(this.read), write: obj(this.write), discard: obj(this.discard) };
  }
}
