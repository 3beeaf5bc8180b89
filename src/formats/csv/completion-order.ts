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
import { MinHeap } from '../../sort/heap.js';

interface Held {
  ev: BlockEvent;
  seq: number;
}

export class CompletionOrder {
  private readonly heap = new MinHeap<Held>(less);
  private seq = 0;

  constructor(private readonly sink: EventSink) {}

  get size(): number {
    return this.heap.size;
  }

  /** Emit every held event completing at or before `issueTime`. */
  release(issueTime: number): void {
    while (this.heap.size > 0 && this.heap.peek()!.ev.time <= issueTime) this.sink.event(this.heap.pop()!.ev);
  }

  /** Hold a copy of `e` (its time = completion). */
  add(e: BlockEvent): void {
    this.heap.push({ ev: copyEvent(e), seq: this.seq++ });
  }

  /** Emit everything still held, in completion order. */
  flush(): void {
    while (this.heap.size > 0) this.sink.event(this.heap.pop()!.ev);
  }
}

function less(a: Held, b: Held): boolean {
  return a.ev.time < b.ev.time || (a.ev.time === b.ev.time && a.seq < b.seq);
}
