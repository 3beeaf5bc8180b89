/**
 * Bounded-window time sorter for one interleaved stream whose parts arrive
 * slightly out of order (`blktrace -o -` writes each CPU's relay buffer as
 * it drains it, so CPUs lag each other).
 *
 * Events are queued per lane — one lane per (device, CPU), whose events the
 * kernel wrote in time order — and the lanes are merged like blkparse merges
 * per-CPU files (MergeList). An event is released once the newest time seen
 * is more than `windowNs` ahead of it, or when more than `maxHeld` events
 * are held, so memory is bounded whatever the trace length. An event older
 * than one already released is late: it is passed on at once (never
 * dropped) and reported through `onLate`, so the report can say the order
 * was not fully restored. A lane that is itself out of order is sorted by
 * insertion (rare, a few steps back from its tail).
 *
 * Held events are pooled copies: after warm-up there is no allocation per
 * event. Like every producer here, the sink gets a reused object.
 *
 * A stream already in time order across its lanes — a `blkparse -d` dump,
 * which blkparse writes merged — needs no window: once SETTLE_EVENTS events
 * have arrived in order while the lanes took turns at least SETTLE_SWITCHES
 * times (a live stream arrives in per-CPU chunks, each CPU's drained relay
 * buffer at once, and shows a step back at the first chunk of a CPU that ran
 * at the same time as another), the window lets go of what it holds and
 * passes each event on as it comes, copying nothing. The first event that
 * comes earlier than one passed on is late, as beyond the window (counted,
 * passed on, never dropped), and the window is used again from then on.
 */
import { emptyEvent, type BlockEvent, type EventSink } from '../model/event.js';
import { MergeList, type MergeStream } from './merge-list.js';

export interface ReorderOptions {
  /** How far behind the newest event an event may arrive and still be sorted in (ns). Default 1 s. */
  windowNs?: number;
  /** Most events held at once. Default 262144 (≈ 50 MB of held events at most). */
  maxHeld?: number;
}

export const DEFAULT_WINDOW_NS = 1e9;
export const DEFAULT_MAX_HELD = 1 << 18;
/** Events that must arrive in time order before a stream is taken as sorted (with SETTLE_SWITCHES). */
export const SETTLE_EVENTS = 1 << 16;
/** Changes of lane among them: a sorted merge of several CPUs changes lane often, a live stream by the chunk. */
export const SETTLE_SWITCHES = 1024;

/** FIFO ring of held events of one (device, CPU). */
class Lane implements MergeStream {
  nextTime = 0;
  listed = false;
  last = -Infinity;
  items: BlockEvent[] = new Array<BlockEvent>(16);
  head = 0;
  size = 0;

  at(i: number): BlockEvent {
    return this.items[(this.head + i) & (this.items.length - 1)]!;
  }

  push(e: BlockEvent): void {
    if (this.size === this.items.length) this.grow();
    const mask = this.items.length - 1;
    // Out of order inside the lane: walk back from the tail to its place.
    let i = this.size;
    while (i > 0 && this.at(i - 1).time > e.time) {
      this.items[(this.head + i) & mask] = this.at(i - 1);
      i--;
    }
    this.items[(this.head + i) & mask] = e;
    this.size++;
    if (e.time > this.last) this.last = e.time;
  }

  shift(): BlockEvent {
    const e = this.items[this.head]!;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return e;
  }

  private grow(): void {
    const n = this.items.length;
    const next = new Array<BlockEvent>(n * 2);
    for (let i = 0; i < n; i++) next[i] = this.at(i);
    this.items = next;
    this.head = 0;
  }
}

export class ReorderWindow implements EventSink {
  private readonly lanes = new Map<number, Lane>();
  private readonly list = new MergeList<Lane>();
  private readonly pool: BlockEvent[] = [];
  private lastKey = -1;
  private lastLane: Lane | undefined;
  private held_ = 0;
  private newest = -Infinity;
  private released = -Infinity;
  private readonly windowNs: number;
  private readonly maxHeld: number;
  /** Events passed on out of order. */
  late = 0;
  /** Arrival order so far: every event at or after the one before it (until the first step back). */
  private ordered = true;
  private lastArrival = -Infinity;
  private arrivals = 0;
  private switches = 0;
  /** Sorted stream: events go straight on (see the class comment). */
  private passThrough = false;

  constructor(
    private readonly sink: EventSink,
    options: ReorderOptions = {},
    private readonly onLate: (e: BlockEvent, behindNs: number) => void = () => {},
  ) {
    this.windowNs = options.windowNs ?? DEFAULT_WINDOW_NS;
    this.maxHeld = Math.max(1, options.maxHeld ?? DEFAULT_MAX_HELD);
  }

  get held(): number {
    return this.held_;
  }

  /** True once the stream was found sorted and events pass straight through. */
  get passing(): boolean {
    return this.passThrough;
  }

  event(e: BlockEvent): void {
    if (this.passThrough) {
      if (e.time >= this.released) {
        this.released = e.time;
        this.sink.event(e);
        return;
      }
      // not sorted after all: the window again from here
      this.passThrough = false;
    }
    if (e.time < this.released) {
      this.ordered = false;
      this.late++;
      this.onLate(e, this.released - e.time);
      this.sink.event(e);
      return;
    }
    const key = e.dev * 4096 + (e.cpu & 4095);
    let lane = this.lastLane;
    if (key !== this.lastKey || !lane) {
      lane = this.lanes.get(key);
      if (!lane) this.lanes.set(key, (lane = new Lane()));
      if (lane !== this.lastLane && this.lastLane !== undefined) this.switches++;
      this.lastKey = key;
      this.lastLane = lane;
    }
    if (this.ordered) {
      if (e.time < this.lastArrival) this.ordered = false;
      else if (++this.arrivals >= SETTLE_EVENTS && this.switches >= SETTLE_SWITCHES) {
        // everything held is in arrival order: let it go, then this event (the pooled copies are not needed now)
        this.flush();
        this.pool.length = 0;
        this.passThrough = true;
        this.released = e.time;
        this.sink.event(e);
        return;
      }
      this.lastArrival = e.time;
    }
    const copy = this.pool.pop() ?? emptyEvent();
    copyInto(copy, e);
    const wasFirst = !lane.listed || e.time < lane.nextTime;
    lane.push(copy);
    this.held_++;
    if (wasFirst) {
      if (lane.listed) this.list.remove(lane);
      lane.nextTime = lane.at(0).time;
      lane.listed = true;
      this.list.insert(lane);
    }
    if (e.time > this.newest) this.newest = e.time;
    while (this.held_ > this.maxHeld || (this.held_ > 0 && this.newest - this.list.head!.nextTime > this.windowNs)) {
      this.release();
    }
  }

  /** End of input: release everything held, in order. */
  flush(): void {
    while (this.held_ > 0) this.release();
  }

  private release(): void {
    const lane = this.list.head!;
    const e = lane.shift();
    this.held_--;
    if (lane.size === 0) {
      lane.listed = false;
      this.list.advanced(true);
    } else {
      lane.nextTime = lane.at(0).time;
      this.list.advanced(false);
    }
    this.released = e.time;
    this.sink.event(e);
    this.pool.push(e);
  }
}

export function copyInto(d: BlockEvent, e: BlockEvent): void {
  d.source = e.source;
  d.loc = e.loc;
  d.time = e.time;
  d.dev = e.dev;
  d.cpu = e.cpu;
  d.seq = e.seq;
  d.pid = e.pid;
  d.act = e.act;
  d.op = e.op;
  d.flags = e.flags;
  d.sector = e.sector;
  d.bytes = e.bytes;
  d.error = e.error;
  d.comm = e.comm;
  d.aux = e.aux;
  d.auxDev = e.auxDev;
  d.text = e.text;
}
