/**
 * The per-layer summary correlation works on: one row per operation a layer
 * received and completed (a block request, a virtio/BlockBackend request, a
 * QEMU host job), in columns of typed arrays — about 100 bytes per write or
 * flush. Reads are kept too (they anchor clock alignment). This is the one
 * structure of blkaudit that grows with the trace: cross-layer matching needs
 * the lower layer's writes by sector, and layers cannot be merged in time
 * order before their clocks are aligned. `MAX_OPS` bounds it per device: the rows
 * beyond it are counted, reported (a limitation and a data-loss diagnostic) and
 * the device is taken as observed only up to the first of them (correlator.ts).
 *
 * Times: a table's clock is ns in its source's clock domain, or — for a source
 * without timestamps (qemu-io logs) — the event's position in its source
 * (`orderOnly`). Both are only compared within one table or through a ClockMap.
 */

export const OpKind = { Read: 1, Write: 2, Flush: 3, Discard: 4, Unknown: 5 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

export const OpFlag = {
  /** Durable at its (final) completion: FUA, or a layer that adds FUA (QEMU cache.writeback=off). */
  FUA: 1,
  /** Completed without error. */
  OK: 2,
  /** A completion was seen. */
  COMPLETE: 4,
  /** Write-zeroes (data write of zeroes). */
  ZEROES: 8,
  /** FUA emulated by a post-flush: data completed, final completion pending. */
  AWAIT_FINAL: 16,
  /** Durable at completion because the layer is write-through (QEMU cache.writeback=off adds FUA), not asked. */
  WT: 32,
  /**
   * Its completion was not traced but placed at its last host job (a BlockBackend request: QEMU 7.2 has no
   * completion event for them): the acknowledgement came then or later.
   */
  ACK_INFERRED: 64,
  /**
   * A remap event (`A … <- (dev) sector`: block_bio_remap, drivers/md/dm.c __map_bio / dm_submit_bio_remap, md)
   * named its bio as coming from another device: the data of an upper write. A target's own I/O to the same
   * sectors has none (dm-writecache's writeback copies through dm-kcopyd, dm-thin zeroing, md resync).
   */
  REMAPPED: 128,
} as const;

export const MAX_OPS = 8_000_000;
/** What the count-level proofs count of a level (rules.ts, flush-chain.ts): its rows and OpTable.counts(). */
export interface LevelCounts {
  rows: number;
  writes: number;
  flushes: number;
  fua: number;
  unknown: number;
}

/** The row limit in force (MAX_OPS; tests lower it to reach the limit on a real capture). */
export const opLimits = { maxRows: MAX_OPS };

const KIND_LETTER: Record<number, string> = { 1: 'R', 2: 'W', 3: 'F', 4: 'D', 5: '?' };

export function opKindName(k: number): string {
  return ({ 1: 'read', 2: 'write', 3: 'flush', 4: 'discard', 5: 'unknown' } as Record<number, string>)[k] ?? 'unknown';
}

export class OpTable {
  n = 0;
  kind: Uint8Array;
  flags: Uint8Array;
  sector: Float64Array;
  count: Float64Array;
  /** Issue and completion in the table's clock (ns or position); NaN = not seen. */
  tI: Float64Array;
  tC: Float64Array;
  locI: Float64Array;
  locC: Float64Array;
  src: Int32Array;
  /** External id: QEMU front/job id; -1 for block ops. */
  ext: Int32Array;
  /** Owner tag (QEMU device index in `tags`); 0 for block ops. */
  tag: Int32Array;
  /** Names for `tag` values. */
  readonly tags: string[] = [];
  /** When durable by this layer's own rules (same clock); Infinity = never in the trace; NaN = no guarantee (failed). */
  durable: Float64Array;
  /**
   * Row of the flush that made it durable; -1 = at its own completion (FUA / write-through); -2 = never;
   * -3 = when its data was durable on the device below (a bio-based device, durable-below.ts).
   */
  durableBy: Int32Array;
  /** As `durable`, counting ops of unknown kind as flushes (the same array when there are none). */
  maybeDurable: Float64Array = new Float64Array(0);
  /** Rows dropped because of MAX_OPS, and the issue time of the first (the table ends there). */
  dropped = 0;
  droppedFrom = Infinity;
  writeThrough = false;
  /**
   * What the trace cannot show about this level (events not traced), in words: its rows can show a promise
   * kept but never prove one broken (rules.ts, reason not-traced): a QEMU level without its host-job events
   * (qemu-ops.ts), a block device whose trace holds events and not one completion (block-ops.ts).
   */
  unobserved: string | undefined = undefined;
  /** A block device with no request stage (no D: dm, md): it holds no data of its own (block-ops.ts). */
  bioBased = false;
  /** Counts resets (reset()): an index made of the rows before one (range-index.ts) is stale after it. */
  generation = 0;

  /** Takes what `t` says of its device beside its rows (a copy of some of its rows stands for the same device). */
  sameDeviceAs(t: OpTable): void {
    this.bioBased = t.bioBased;
    this.unobserved = t.unobserved;
  }

  constructor(
    /** Layer name. */
    readonly layer: string,
    /** Device as shown in reports ("7,1", a vdev pointer, a protocol node). */
    readonly device: string,
    /** 'block' | 'qemu-front' | 'qemu-back'. */
    readonly role: 'block' | 'qemu-front' | 'qemu-back',
    readonly orderOnly: boolean,
    cap = 256,
  ) {
    this.kind = new Uint8Array(cap);
    this.flags = new Uint8Array(cap);
    this.sector = new Float64Array(cap);
    this.count = new Float64Array(cap);
    this.tI = new Float64Array(cap);
    this.tC = new Float64Array(cap);
    this.locI = new Float64Array(cap);
    this.locC = new Float64Array(cap);
    this.src = new Int32Array(cap);
    this.ext = new Int32Array(cap);
    this.tag = new Int32Array(cap);
    this.durable = new Float64Array(0);
    this.durableBy = new Int32Array(0);
  }

  /** Room for `rows` rows at least. */
  reserve(rows: number): void {
    if (rows > this.kind.length) this.grow(Math.max(rows, this.kind.length * 2));
  }

  /** No rows (their columns kept for the next ones): the rows were written to a SpillFile. */
  clear(): void {
    this.n = 0;
  }

  /**
   * No rows, and nothing a correlation set on the table (cache, durability, device names): as a new table,
   * its columns kept for the next rows (a segment's table reused for a later one, segments.ts).
   */
  reset(): void {
    this.generation++;
    this.n = 0;
    this.tags.length = 0;
    this.durable = new Float64Array(0);
    this.durableBy = new Int32Array(0);
    this.maybeDurable = this.durable;
    this.dropped = 0;
    this.droppedFrom = Infinity;
    this.writeThrough = false;
    this.unobserved = undefined;
    this.bioBased = false;
  }

  /** Copies row `i` of `from` (same layout) to the end; returns its row here. */
  copyRow(from: OpTable, i: number): number {
    if (this.n === this.kind.length) this.grow();
    const j = this.n++;
    this.setRow(j, from, i);
    return j;
  }

  /** Row `j` becomes a copy of row `i` of `from` (which may be this table). */
  setRow(j: number, from: OpTable, i: number): void {
    this.kind[j] = from.kind[i]!;
    this.flags[j] = from.flags[i]!;
    this.sector[j] = from.sector[i]!;
    this.count[j] = from.count[i]!;
    this.tI[j] = from.tI[i]!;
    this.tC[j] = from.tC[i]!;
    this.locI[j] = from.locI[i]!;
    this.locC[j] = from.locC[i]!;
    this.src[j] = from.src[i]!;
    this.ext[j] = from.ext[i]!;
    this.tag[j] = from.tag[i]!;
  }

  private grow(cap = this.kind.length * 2): void {
    const g8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
    const g64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
    const g32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
    this.kind = g8(this.kind);
    this.flags = g8(this.flags);
    this.sector = g64(this.sector);
    this.count = g64(this.count);
    this.tI = g64(this.tI);
    this.tC = g64(this.tC);
    this.locI = g64(this.locI);
    this.locC = g64(this.locC);
    this.src = g32(this.src);
    this.ext = g32(this.ext);
    this.tag = g32(this.tag);
  }

  /** Adds an op; returns its row, or -1 when MAX_OPS is reached (counted in `dropped`). */
  add(kind: OpKind, sector: number, count: number, tI: number, locI: number, src: number, flags = 0, ext = -1): number {
    if (this.n >= opLimits.maxRows) {
      if (this.dropped++ === 0) this.droppedFrom = tI;
      return -1;
    }
    if (this.n === this.kind.length) this.grow();
    const i = this.n++;
    this.kind[i] = kind;
    this.flags[i] = flags;
    this.sector[i] = sector;
    this.count[i] = count;
    this.tI[i] = tI;
    this.tC[i] = NaN;
    this.locI[i] = locI;
    this.locC[i] = NaN;
    this.src[i] = src;
    this.ext[i] = ext;
    this.tag[i] = 0;
    return i;
  }

  /**
   * The rows `keep` accepts (in row order) as a table of their own, and the old→new row map (-1: left
   * out). When every row is kept the columns are shared, not copied (one QEMU device: most traces).
   */
  filter(keep: (row: number) => boolean, device = this.device): { table: OpTable; rowMap: Int32Array } {
    const rowMap = new Int32Array(this.n).fill(-1);
    let kept = 0;
    for (let i = 0; i < this.n; i++) if (keep(i)) rowMap[i] = kept++;
    if (kept === this.n) return { table: this.sharing({ device, tags: [...this.tags] }), rowMap };
    const t = new OpTable(this.layer, device, this.role, this.orderOnly, Math.max(16, kept));
    t.writeThrough = this.writeThrough;
    t.tags.push(...this.tags);
    for (let i = 0; i < this.n; i++) {
      if (rowMap[i]! < 0) continue;
      const j = t.add(this.kind[i] as OpKind, this.sector[i]!, this.count[i]!, this.tI[i]!, this.locI[i]!, this.src[i]!, this.flags[i]!, this.ext[i]!);
      if (j < 0) break;
      t.tC[j] = this.tC[i]!;
      t.locC[j] = this.locC[i]!;
      t.tag[j] = this.tag[i]!;
    }
    return { table: t, rowMap };
  }

  /** A table over the same columns, with `patch`'s fields its own (a device view, times on another clock). */
  sharing(patch: Partial<OpTable>): OpTable {
    return Object.assign(Object.create(OpTable.prototype) as OpTable, this, patch);
  }

  complete(i: number, tC: number, locC: number, ok: boolean): void {
    this.tC[i] = tC;
    this.locC[i] = locC;
    this.flags[i] = (this.flags[i]! | OpFlag.COMPLETE | (ok ? OpFlag.OK : 0)) & ~(ok ? 0 : OpFlag.OK);
  }

  has(i: number, f: number): boolean {
    return (this.flags[i]! & f) !== 0;
  }

  isWrite(i: number): boolean {
    return this.kind[i] === OpKind.Write;
  }

  /** Completed successfully. */
  done(i: number): boolean {
    return (this.flags[i]! & (OpFlag.OK | OpFlag.COMPLETE)) === (OpFlag.OK | OpFlag.COMPLETE);
  }

  letter(i: number): string {
    return KIND_LETTER[this.kind[i]!] ?? '?';
  }

  /**
   * Durability of every write by this layer's own promise (reference §3.5):
   * D0 write-through → at completion; D1 FUA → at its final completion;
   * D2 → at the completion of the first successful flush ISSUED after the
   * write completed (a write in flight when a flush starts is not covered);
   * D4 a failed write has no guarantee (NaN).
   */
  computeDurability(): void {
    this.durable = new Float64Array(this.n);
    this.durableBy = new Int32Array(this.n);
    this.fill(this.durable, this.durableBy, false);
    // ops of unknown kind (untyped QEMU host jobs) may be flushes: the durability they could have given
    this.maybeDurable = this.durable;
    if (this.counts().unknown > 0) {
      this.maybeDurable = new Float64Array(this.n);
      this.fill(this.maybeDurable, new Int32Array(this.n), true);
    }
  }

  private fill(durable: Float64Array, durableBy: Int32Array, unknownFlushes: boolean): void {
    const n = this.n;
    const flushes: number[] = [];
    for (let i = 0; i < n; i++) {
      if ((this.kind[i] === OpKind.Flush || (unknownFlushes && this.kind[i] === OpKind.Unknown)) && this.done(i)) flushes.push(i);
    }
    flushes.sort((a, b) => this.tI[a]! - this.tI[b]!);
    // suffix minimum of completion over flushes ordered by issue
    const m = flushes.length;
    const sufMin = new Float64Array(m + 1);
    const sufArg = new Int32Array(m + 1);
    sufMin[m] = Infinity;
    sufArg[m] = -2;
    for (let k = m - 1; k >= 0; k--) {
      const f = flushes[k]!;
      if (this.tC[f]! <= sufMin[k + 1]!) {
        sufMin[k] = this.tC[f]!;
        sufArg[k] = f;
      } else {
        sufMin[k] = sufMin[k + 1]!;
        sufArg[k] = sufArg[k + 1]!;
      }
    }
    for (let i = 0; i < n; i++) {
      if (this.kind[i] !== OpKind.Write) {
        durable[i] = NaN;
        durableBy[i] = -2;
        continue;
      }
      if (!this.done(i) || this.has(i, OpFlag.AWAIT_FINAL)) {
        durable[i] = this.has(i, OpFlag.COMPLETE) && !this.has(i, OpFlag.OK) ? NaN : Infinity;
        durableBy[i] = -2;
        continue;
      }
      const c = this.tC[i]!;
      if (this.writeThrough || this.has(i, OpFlag.FUA)) {
        durable[i] = c;
        durableBy[i] = -1;
        continue;
      }
      // first flush with tI > c
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.tI[flushes[mid]!]! > c) hi = mid;
        else lo = mid + 1;
      }
      durable[i] = sufMin[lo]!;
      durableBy[i] = sufArg[lo]!;
    }
  }

  /** Rows of a kind sorted by sector start (for range lookups). */
  sectorIndex(kinds: number[]): Int32Array {
    const rows: number[] = [];
    for (let i = 0; i < this.n; i++) if (kinds.includes(this.kind[i]!) && this.sector[i]! >= 0) rows.push(i);
    rows.sort((a, b) => this.sector[a]! - this.sector[b]! || this.tI[a]! - this.tI[b]!);
    return Int32Array.from(rows);
  }

  counts(): { reads: number; writes: number; flushes: number; fua: number; discards: number; unknown: number; failed: number } {
    const c = { reads: 0, writes: 0, flushes: 0, fua: 0, discards: 0, unknown: 0, failed: 0 };
    for (let i = 0; i < this.n; i++) {
      if (!this.done(i)) {
        if (this.has(i, OpFlag.COMPLETE)) c.failed++;
        continue;
      }
      switch (this.kind[i]) {
        case OpKind.Read: c.reads++; break;
        case OpKind.Write: c.writes++; if (this.has(i, OpFlag.FUA)) c.fua++; break;
        case OpKind.Flush: c.flushes++; break;
        case OpKind.Discard: c.discards++; break;
        default: c.unknown++;
      }
    }
    return c;
  }
}
