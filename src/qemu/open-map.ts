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
 * set: a key set again is moved to the end. The holes are dropped once they outnumber the requests
 * (plus SLACK), so memory stays that of the requests in flight and the pointers recently used.
 */
const SLACK = 1024;

export class OpenMap<V> {
  private map = new Map<string, V | undefined>();
  private live = 0;

  /** Requests in flight. */
  get size(): number {
    return this.live;
  }

  get(k: string): V | undefined {
    return this.map.get(k);
  }

  has(k: string): boolean {
    return this.map.get(k) !== undefined;
  }

  set(k: string, v: V): void {
    if (this.map.get(k) !== undefined) {
      this.map.set(k, v);
      return;
    }
    // a new key, or one whose request ended: it goes at the end, as a deleted key set again would
    this.map.delete(k);
    this.map.set(k, v);
    this.live++;
  }

  delete(k: string): void {
    if (this.map.get(k) === undefined) return;
    this.map.set(k, undefined);
    this.live--;
    if (this.map.size > 2 * this.live + SLACK) this.compact();
  }

  /** The requests in flight, in the order they were added. */
  values(): V[] {
    const out: V[] = [];
    for (const v of this.map.values()) if (v !== undefined) out.push(v);
    return out;
  }

  clear(): void {
    this.map.clear();
    this.live = 0;
  }

  private compact(): void {
    const m = new Map<string, V | undefined>();
    for (const [k, v] of this.map) if (v !== undefined) m.set(k, v);
    this.map = m;
  }
}
