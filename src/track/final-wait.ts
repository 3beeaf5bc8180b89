/**
 * Writes whose data completed while their flush sequence goes on
 * (block/blk-flush.c: a PREFLUSH write, or FUA emulated by a post-flush,
 * completes twice — `mq_flush_data_end_io`, then `blk_flush_complete_seq` →
 * `blk_mq_end_request` with 0 bytes at the same sector). They wait here by
 * sector, oldest first, for that 0-byte final completion.
 */
import type { Bio } from './request.js';

export class FinalWait {
  private readonly bySector = new Map<number, Bio[]>();
  size = 0;

  add(b: Bio): void {
    const list = this.bySector.get(b.start);
    if (list) list.push(b);
    else this.bySector.set(b.start, [b]);
    this.size++;
  }

  /** The oldest write waiting at `sector`, taken out. */
  take(sector: number): Bio | undefined {
    const list = this.bySector.get(sector);
    if (!list || list.length === 0) return undefined;
    const b = list.shift()!;
    if (list.length === 0) this.bySector.delete(sector);
    this.size--;
    return b;
  }

  /** Drops the oldest-added sectors' writes until `keep` are left (final completions lost); each goes to `fn`. */
  dropTo(keep: number, fn: (b: Bio) => void): number {
    let n = 0;
    for (const [sector, list] of this.bySector) {
      while (list.length > 0 && this.size > keep) {
        fn(list.shift()!);
        this.size--;
        n++;
      }
      if (list.length === 0) this.bySector.delete(sector);
      if (this.size <= keep) break;
    }
    return n;
  }

  forEach(fn: (b: Bio) => void): void {
    for (const list of this.bySector.values()) for (const b of list) fn(b);
  }

  clear(): void {
    this.bySector.clear();
    this.size = 0;
  }
}
