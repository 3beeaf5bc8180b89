/**
 * K-way merge order of several time-sorted streams (one per device and CPU
 * file), kept exactly as blkparse keeps it (blkparse.c `ms_sort`,
 * `ms_resort`, `ms_deq`): a list ordered by each stream's next event time.
 * The head stream is drained while its next time is not later than the
 * second stream's, so equal times keep the current stream going, and a
 * stream put back goes after streams of the same time only when it is not
 * earlier than the head. This gives the same order as blkparse's text output
 * even for ties, which makes event-by-event comparisons possible.
 *
 * Cost: O(1) per event while one stream stays ahead, O(k) per switch.
 */

export interface MergeStream {
  /** Time of the stream's next event (valid while the stream is in the list). */
  nextTime: number;
}

export class MergeList<S extends MergeStream> {
  private readonly list: S[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The stream whose event comes next, or undefined when all are drained. */
  get head(): S | undefined {
    return this.list[0];
  }

  /** `ms_sort`: put a stream with a next event into place. */
  insert(s: S): void {
    const list = this.list;
    const t = s.nextTime;
    if (list.length === 0 || t < list[0]!.nextTime) {
      list.unshift(s);
      return;
    }
    let i = 0;
    while (i + 1 < list.length && list[i + 1]!.nextTime < t) i++;
    list.splice(i + 1, 0, s);
  }

  /** Take a stream out of the list (its next time changed other than by advancing). */
  remove(s: S): void {
    const i = this.list.indexOf(s);
    if (i >= 0) this.list.splice(i, 1);
  }

  /**
   * `ms_deq` + `ms_resort`: the head stream moved to its next event
   * (`drained` = it has none left).
   */
  advanced(drained: boolean): void {
    const list = this.list;
    const s = list[0]!;
    if (drained) {
      list.shift();
      return;
    }
    if (list.length > 1 && s.nextTime > list[1]!.nextTime) {
      list.shift();
      this.insert(s);
    }
  }
}
