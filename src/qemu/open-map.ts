/**
 * Requests in flight by their pointer text (rebuild.ts: virtio requests by `req`, host jobs by pool/req).
 *
 * A plain Map made a new hash table over and over: V8 shrinks a Map's table when fewer than a quarter of
 * its slots are used (OrderedHashTable::Delete → Shrink) and grows it again as requests come, so every
 * burst after a quiet moment reallocated it — about 90 MiB of garbage on the 1,000-copy stack bench. QEMU
 * reuses a freed request's memory for the next one (hw/block/virtio-blk.c virtio_blk_alloc_request;
 * util/thread-pool.c), so the keys are a few hundred pointers seen again and again: a key whose request
 * ended stays in the table with no value, and the table keeps its size.
 *
 * Iteration gives the requests in flight in the order they were added, as the Map did after delete and
 * set: a key set again is moved to the end. Each key has a slot that keeps its place in the table for as
 * long as the key is used: a request ending empties its slot, and a request taking the key again fills it
 * with a new sequence number, so neither changes the table (a delete and a set on a Map both did, and V8
 * made a new table whenever the deleted entries filled the old one: about 24 MiB sampled on that bench). The
 * order is the sequence numbers', read only when every request is listed (values()). The empty slots are
 * dropped once they outnumber the requests (plus SLACK), so memory stays that of the requests in flight and
 * the pointers recently used.
 */
import { emptyInPlace } from '../model/arrays.js';

const SLACK = 1024;

interface Slot<V> {
  v: V | undefined;
  /** When the key was last set while it had no request: its place in the order. */
  seq: number;
}

export class OpenMap<V> {
  private readonly map = new Map<string, Slot<V>>();
  private live = 0;
  private seq = 0;

  /** Requests in flight. */
  get size(): number {
    return this.live;
  }

  get(k: string): V | undefined {
    return this.map.get(k)?.v;
  }

  has(k: string): boolean {
    return this.map.get(k)?.v !== undefined;
  }

  set(k: string, v: V): void {
    const slot = this.map.get(k);
    if (slot === undefined) {
      this.map.set(k, { v, seq: this.seq++ });
      this.live++;
    } else if (slot.v !== undefined) {
      // a request in flight given a new value keeps its place, as Map.set does
      slot.v = v;
    } else {
      // a key whose request ended: it goes at the end, as a deleted key set again would
      slot.v = v;
      slot.seq = this.seq++;
      this.live++;
    }
  }

  delete(k: string): void {
    const slot = this.map.get(k);
    if (slot === undefined || slot.v === undefined) return;
    slot.v = undefined;
    this.live--;
    if (this.map.size > 2 * this.live + SLACK) this.compact();
  }

  /** The requests in flight, in the order they were added. */
  values(): V[] {
    const slots: Array<Slot<V>> = [];
    for (const s of this.map.values()) if (s.v !== undefined) slots.push(s);
    slots.sort((a, b) => a.seq - b.seq);
    return slots.map((s) => s.v!);
  }

  clear(): void {
    this.map.clear();
    this.live = 0;
  }

  private compact(): void {
    for (const [k, s] of this.map) if (s.v === undefined) this.map.delete(k);
  }
}

/** Spare empty entries an IdMap keeps before it closes them up. */
const ID_SLACK = 64;

/**
 * Requests in flight by their id, ids given in increasing order (rebuild.ts: fronts by `OpenFront.id`). A Map
 * keyed by ever-new numbers shrinks and grows its table as requests end and start (V8's OrderedHashTable):
 * about 35 MiB of garbage on the 1,000-copy stack bench. Here the ids and values are two arrays in id order,
 * an ended request leaves a hole, and the holes are closed up in place once they outnumber the requests
 * (plus ID_SLACK). Iteration is in id order: the order the Map gave, since ids only grow.
 */
export class IdMap<V> {
  private readonly ids: number[] = [];
  private readonly vals: Array<V | undefined> = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  get(id: number): V | undefined {
    const i = this.find(id);
    return i >= 0 ? this.vals[i] : undefined;
  }

  /** `id` must be above every id set before (ids are handed out in increasing order). */
  set(id: number, v: V): void {
    const n = this.ids.length;
    if (n > 0 && id <= this.ids[n - 1]!) throw new Error(`IdMap: id ${id} not above ${this.ids[n - 1]}`);
    this.ids.push(id);
    this.vals.push(v);
    this.live++;
  }

  delete(id: number): void {
    const i = this.find(id);
    if (i < 0 || this.vals[i] === undefined) return;
    this.vals[i] = undefined;
    this.live--;
    if (this.ids.length > 2 * this.live + ID_SLACK) this.compact();
  }

  /** Entries, holes included: at(0 … entries − 1) walks the values in id order with no array made. */
  get entries(): number {
    return this.ids.length;
  }

  /** The value of entry i, undefined for a hole. */
  at(i: number): V | undefined {
    return this.vals[i];
  }

  /** The values in id order. */
  values(): V[] {
    const out: V[] = [];
    for (const v of this.vals) if (v !== undefined) out.push(v);
    return out;
  }

  clear(): void {
    emptyInPlace(this.ids);
    emptyInPlace(this.vals);
    this.live = 0;
  }

  /** The index of `id` (binary search), or -1. */
  private find(id: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (this.ids[m]! < id) lo = m + 1;
      else hi = m;
    }
    return lo < this.ids.length && this.ids[lo] === id ? lo : -1;
  }

  private compact(): void {
    let k = 0;
    for (let i = 0; i < this.ids.length; i++) {
      if (this.vals[i] === undefined) continue;
      this.ids[k] = this.ids[i]!;
      this.vals[k] = this.vals[i];
      k++;
    }
    while (this.ids.length > k) {
      this.ids.pop();
      this.vals.pop();
    }
  }
}
