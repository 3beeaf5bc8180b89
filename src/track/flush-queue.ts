/**
 * The zero-byte side of one device for the request tracker (lifetime.ts):
 * empty bios (`Q FWS` with no data: fsync's cache flush) and the flush
 * requests at the driver (`D FN`), both oldest first. block/blk-flush.c
 * `blk_insert_flush` queues an empty PREFLUSH bio on the pending list; the
 * next flush request issued serves every waiter on it (`blk_kick_flush`),
 * and each waiter then ends with its own 0-byte completion.
 */
import type { BlockEvent } from '../model/event.js';
import { Fifo } from './fifo.js';
import type { FlushRq } from './lifecycle.js';
import type { Bio } from './request.js';

export class FlushQueue {
  /** Zero-byte bios (empty flushes), oldest first. */
  readonly empties = new Fifo<Bio>();
  /** Flush requests in flight, oldest first. */
  readonly flushes = new Fifo<FlushRq>();

  /**
   * D of a flush request: queued, and every empty bio not yet served waits on
   * it. Past `cap` the oldest flush request is dropped (its C was lost);
   * returns the new record and whether one was dropped.
   */
  issue(e: BlockEvent, cap: number): { f: FlushRq; dropped: boolean } {
    const f: FlushRq = { d: e.time, source: e.source, loc: e.loc, ext: 0, ext2: 0 };
    this.flushes.push(f);
    const dropped = this.flushes.length > cap;
    if (dropped) this.flushes.shift();
    this.empties.forEach((b) => {
      if (b.servedBy < 0) {
        b.servedBy = e.time;
        b.d = e.time;
      }
    });
    return { f, dropped };
  }

  /** A 0-byte request issued as itself (no flush machinery): the oldest empty bio not yet issued. */
  issueEmpty(e: BlockEvent): void {
    const b = this.empties.find((x) => x.d < 0);
    if (b) b.servedBy = b.d = e.time;
  }

  /** G of an empty bio. */
  getrq(e: BlockEvent): void {
    const b = this.empties.find((x) => x.g < 0);
    if (b) b.g = e.time;
  }

  /** The empty bio a 0-byte completion ends: the oldest one a flush request served, else the oldest. */
  takeCompleted(): Bio | undefined {
    return this.empties.takeFirst((x) => x.servedBy >= 0) ?? this.empties.shift();
  }

  /** Drops the oldest empty bios down to `keep`; each goes to `fn`. */
  dropTo(keep: number, fn: (b: Bio) => void): number {
    let n = 0;
    for (let b: Bio | undefined; this.empties.length > keep && (b = this.empties.shift()); n++) fn(b);
    return n;
  }

  clear(): void {
    while (this.empties.shift());
    while (this.flushes.shift());
  }
}
