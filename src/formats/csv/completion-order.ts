/**
 * Puts rows listed in issue order (MSR: sorted by Timestamp = issue) into
 * completion order before they are emitted as Act.IoDone events.
 *
 * A row issued at t cannot complete before t, so once a row with issue time t
 * arrives, every held event completing at or before t is final and is
 * emitted. Memory therefore holds only the requests in flight at t, never the
 * trace. Ties keep input order (a sequence number breaks them).
 */
import { copyEvent, type BlockEvent, type EventSink } from '../../model/event.js';

interface Held {
  ev: BlockEvent;
  seq: number;
}

export class CompletionOrder {
  private readonly heap: Held[] = [];
  private seq = 0;

  constructor(private readonly sink: EventSink) {}

  get size(): number {
    return this.heap.length;
  }

  /** Emit every held event completing at or before `issueTime`. */
  release(issueTime: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.ev.time <= issueTime) this.sink.event(this.pop().ev);
  }

  /** Hold a copy of `e` (its time = completion). */
  add(e: BlockEvent): void {
    const h = this.heap;
    h.push({ ev: copyEvent(e), seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** Emit everything still held, in completion order. */
  flush(): void {
    while (this.heap.length > 0) this.sink.event(this.pop().ev);
  }

  private pop(): Held {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Held, b: Held): boolean {
  return a.ev.time < b.ev.time || (a.ev.time === b.ev.time && a.seq < b.seq);
}
