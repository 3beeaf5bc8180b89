/**
 * Remap events (`A`, block_bio_remap / block_rq_remap) name the device and
 * sector a bio came from: `vda A WS 21050 + 16 <- (9,0) 19002` says md0
 * sector 19002 became vda sector 21050. They are the one sector map a trace
 * carries itself (dm: `__map_bio` → trace_block_bio_remap; md: md_account_bio /
 * raid1's `trace_block_bio_remap` in raid1_write_request; partitions:
 * blk_partition_remap), so a stack of dm / md / partitions needs no `--map`:
 * the map between two devices is exactly the extents their remaps showed.
 *
 * Extents with the same delta that touch or overlap are merged, so memory grows
 * with the number of distinct extents (a linear or mirror layer: one), not with
 * the trace.
 */
import { extentMap, offsetMap, type Extent, type SectorMap } from './mapping.js';

const MAX_EXTENTS = 65_536;

export class RemapSet {
  /** Remap events seen. */
  events = 0;
  /** delta → merged [start, end) upper ranges, kept sorted by start. */
  private readonly byDelta = new Map<number, Array<[number, number]>>();
  private extents = 0;
  /** Extents not kept once MAX_EXTENTS is reached (then the map covers less: fewer verdicts, never wrong ones). */
  dropped = 0;

  add(fromSector: number, toSector: number, sectors: number): void {
    if (!(fromSector >= 0) || !(toSector >= 0)) return;
    this.events++;
    const n = Math.max(1, sectors);
    const delta = toSector - fromSector;
    let list = this.byDelta.get(delta);
    if (!list) {
      list = [];
      this.byDelta.set(delta, list);
    }
    const a = fromSector;
    const b = fromSector + n;
    // most remaps extend the last range touched: check the tail first
    const last = list[list.length - 1];
    if (last && a <= last[1] && b >= last[0]) {
      last[0] = Math.min(last[0], a);
      last[1] = Math.max(last[1], b);
      return;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (list[m]![1] < a) lo = m + 1;
      else hi = m;
    }
    if (lo < list.length && list[lo]![0] <= b) {
      const r = list[lo]!;
      r[0] = Math.min(r[0], a);
      r[1] = Math.max(r[1], b);
      // absorb followers now overlapped
      while (lo + 1 < list.length && list[lo + 1]![0] <= r[1]) {
        r[1] = Math.max(r[1], list[lo + 1]![1]);
        list.splice(lo + 1, 1);
        this.extents--;
      }
      return;
    }
    if (this.extents >= MAX_EXTENTS) {
      this.dropped++;
      return;
    }
    list.splice(lo, 0, [a, b]);
    this.extents++;
  }

  /** Distinct sector deltas seen (a linear or mirror layer has one). */
  deltas(): number[] {
    return [...this.byDelta.keys()];
  }

  /**
   * The map these remaps show: one delta → an offset map; several (a stripe, a
   * dm table of several targets) → the extents seen, so an upper sector never
   * remapped to this device maps to nothing here (it went to another device).
   */
  toMap(fromName: string): SectorMap {
    const ds = this.deltas();
    if (ds.length === 1) {
      const m = offsetMap(ds[0]!);
      return { ...m, describe: `${m.describe} (from ${this.events} remap event(s) of ${fromName})` };
    }
    const ex: Extent[] = [];
    for (const [d, list] of this.byDelta) for (const [a, b] of list) ex.push({ upper: a, lower: a + d, sectors: b - a });
    return extentMap(ex, `${ex.length} extent(s) from ${this.events} remap event(s) of ${fromName}`);
  }
}
