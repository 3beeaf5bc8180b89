/**
 * A bio-based device keeps no data of its own. dm and md (no request stage: Q … C, no D) remap each bio to
 * the devices below and complete it when they have (drivers/md/dm.c clone_endio → dm_io_dec_pending;
 * md raid1 raid_end_bio_io): a write it completed sits in the cache of the device it went to, and is durable
 * as soon as that device makes it durable — whoever asked for the flush there. A target may flush its
 * devices itself, past its own queue: dm-thin flushes the pool's data device before it commits metadata
 * (drivers/md/dm-thin.c metadata_pre_commit_callback: "We need to flush the data device **before**
 * committing the metadata", blkdev_issue_flush(pool->data_dev), no remap), and a thin device's data goes through
 * the pool device (thin_map → pool_map), which never sees that flush. Judged by its own flushes alone, the
 * pool device would hold thin's acknowledged writes volatile while they are durable on the disk below.
 *
 * So, before the cross-layer rules run, a write of a bio-based level is durable at the earliest of its own
 * rule (OpTable.computeDurability) and the time all its data is durable below. Only on a remap link (remap
 * events: exact sectors) with a timed clock — one trace, or per-device texts placed by an offset, whose
 * uncertainty widens every window and delays every durable time; lowest links first, so a stack of dm devices
 * passes durability up. Its data below is every lower write that overlaps a mapped piece and ran inside the
 * upper write (a remapped bio completes below before it completes above), and the latest of their durable
 * times counts: another write to those sectors in that window (dm-thin zeroing a new block, md raid5's
 * parity) never makes the data look durable earlier than it is.
 *
 * The same search says where each write went (`reached`): a target routes a write to one of its devices
 * (dm-writecache and dm-cache to the cache or the origin, raid5 to a stripe's data and parity disks), and the
 * extents of the remap events, merged over the whole trace, cover more than one write's route (raid5 traces
 * every parity write as coming from array sector 0: raid5_compute_blocknr returns 0 for the parity disk). A
 * write with no data at one device went elsewhere; only a write with no data at any device it maps to was
 * acknowledged without being written below (dm-flakey drop_writes) — the rules' absence proof (rules.ts).
 */
import type { StackEdge } from './graph.js';
import type { ClockMap } from './clock-map.js';
import { WRITE_THROUGH, type Level } from './level.js';
import { OpFlag, OpKind } from './ops.js';
import { RangeIndex } from './range-index.js';

export interface RemapReach {
  /** Per upper row: 1 when some lower write of a timed remap link ran inside it (its data went below). */
  reached: Uint8Array;
  /**
   * Per upper row: 1 when one of those lower writes carries a remap event (OpFlag.REMAPPED): its data below is
   * then exactly the remapped writes, and a write to the same sectors with no remap is the target's own I/O
   * (dm-writecache writing back an older version from the cache to the origin while the new one goes to the
   * cache device), not this write's data. A target that submits new bios for the data (dm-crypt's encrypted
   * clones) shows no remap for any of it: there every write inside counts, as before.
   */
  remapped: Uint8Array;
}

/** Refines bio-based levels' durability from below and returns, per upper level index, where its writes went. */
/** A link whose clock places the lower events (its alignment: correlator.ts BuiltEdge). */
export interface TimedEdge extends StackEdge {
  alignment: { clock: ClockMap };
}

/** A remap link on a timed clock: the lower writes that ran inside an upper write can be told. */
export function timedRemap(e: TimedEdge): boolean {
  return e.mapSource === 'remap' && (e.alignment.clock.kind === 'identity' || e.alignment.clock.kind === 'offset');
}

export function durabilityFromBelow(levels: readonly Level[], edges: readonly TimedEdge[]): Map<number, RemapReach> {
  const out = new Map<number, RemapReach>();
  const exact = edges.filter(timedRemap);
  if (exact.length === 0) return out;
  // depth of a level above the bottom of the exact links: lower links are settled first
  const below = new Map<number, number[]>();
  for (const e of exact) (below.get(e.upper) ?? below.set(e.upper, []).get(e.upper)!).push(e.lower);
  const depth = new Map<number, number>();
  const depthOf = (i: number, seen: Set<number>): number => {
    const known = depth.get(i);
    if (known !== undefined) return known;
    if (seen.has(i)) return 0; // a cycle (bad remaps): no order to rely on
    seen.add(i);
    let d = 0;
    for (const l of below.get(i) ?? []) d = Math.max(d, depthOf(l, seen) + 1);
    depth.set(i, d);
    return d;
  };
  const order = [...below.keys()].sort((a, b) => depthOf(a, new Set()) - depthOf(b, new Set()));
  for (const u of order) {
    out.set(u, settle(levels[u]!, exact.filter((e) => e.upper === u).map((e) => ({ e, lower: levels[e.lower]! }))));
  }
  return out;
}

/** Where each write of `up` went below, and (bio-based) when all of it was durable there. */
function settle(up: Level, links: Array<{ e: TimedEdge; lower: Level }>): RemapReach {
  const U = up.table;
  const reached = new Uint8Array(U.n);
  const remapped = new Uint8Array(U.n);
  const idx = links.map(({ lower }) => RangeIndex.of(lower.table, [OpKind.Write]));
  const pieces: number[] = [];
  // the lower writes inside the upper write being settled: link index, row (pairs)
  const found: number[] = [];
  for (let u = 0; u < U.n; u++) {
    if (U.kind[u] !== OpKind.Write || !U.done(u)) continue;
    found.length = 0;
    for (let k = 0; k < links.length; k++) {
      const L = links[k]!.lower.table;
      const clock = links[k]!.e.alignment.clock;
      const from = clock.toLower(U.tI[u]!)[0];
      const to = clock.toLower(U.tC[u]!)[1];
      for (let x = 0, m = links[k]!.e.map.mapInto(U.sector[u]!, U.count[u]!, pieces); x < m; x++) {
        idx[k]!.within(pieces[2 * x]!, pieces[2 * x + 1]!, from, to, (l) => {
          reached[u] = 1;
          if (L.has(l, OpFlag.REMAPPED)) remapped[u] = 1;
          found.push(k, l);
        });
      }
    }
    let at = -Infinity;
    for (let i = 0; i < found.length; i += 2) {
      const k = found[i]!;
      const l = found[i + 1]!;
      const L = links[k]!.lower.table;
      if (remapped[u] && !L.has(l, OpFlag.REMAPPED)) continue;
      // when durable below, on this level's clock: the latest instant the uncertainty allows
      const d = L.durable[l]!;
      at = Number.isNaN(d) ? Infinity : Math.max(at, Number.isFinite(d) ? links[k]!.e.alignment.clock.toUpper(d)[1] : d);
    }
    // a device with a request stage keeps its own data: only its own rule says when it is durable
    if (!U.bioBased || !reached[u] || !(at < U.durable[u]!)) continue;
    U.durable[u] = at;
    U.durableBy[u] = -3;
    if (U.maybeDurable !== U.durable && at < U.maybeDurable[u]!) U.maybeDurable[u] = at;
  }
  return { reached, remapped };
}

/**
 * A bio-based device whose own trace shows no PREFLUSH/FUA (ext4 mounted nobarrier on it) still has a volatile
 * write cache when every device its data goes to has one: dm advertises a write cache when its devices do
 * (drivers/md/dm-table.c dm_table_set_restrictions → dm_table_supports_flush), md always does (drivers/md/md.c
 * md_alloc: blk_queue_write_cache(q, true, true)), and a write it completed sits in those devices' caches.
 * A lower device shows its cache volatile by the flags it was sent (the kernel keeps PREFLUSH/FUA only for a
 * volatile cache, block/blk-core.c submit_bio_noacct), or by inheriting it the same way; lowest first.
 */
export function volatileFromBelow(levels: readonly Level[], edges: readonly StackEdge[]): CacheFromBelow[] {
  const below = lowerLevels(edges, (e) => e.mapSource === 'remap' && levels[e.upper]!.table.role === 'block');
  // a declaration (--cache) says it outright, either way
  const declared = (i: number): boolean | undefined => {
    const cache = levels[i]!.cache;
    return cache.source === 'declared' ? !WRITE_THROUGH.has(cache.mode) : undefined;
  };
  // by its flags only, not by being a loop device (knownVolatile in correlator.ts takes loop as volatile for
  // a lower level's promises): a loop with no flush in its trace keeps an unknown cache here, as in its own
  // check, so ext4 nobarrier on dm-crypt over a loop stays undecided until --cache says (fixtures/host
  // dm-crypt-ext4-nobarrier; tried 2026-12-06: taking loop as volatile here made it an error)
  const shown = (i: number): boolean => showsFlushFlags(levels[i]!);
  const volatile = new Map<number, boolean>();
  const out: CacheFromBelow[] = [];
  const settle = (i: number, seen: Set<number>): boolean => {
    const known = volatile.get(i);
    if (known !== undefined) return known;
    const said = declared(i);
    if (said !== undefined) return volatile.set(i, said).get(i)!;
    if (shown(i)) return volatile.set(i, true).get(i)!;
    const lows = below.get(i);
    if (!lows || seen.has(i) || !levels[i]!.table.bioBased) return volatile.set(i, false).get(i)!;
    seen.add(i);
    const all = lows.every((l) => settle(l, seen));
    volatile.set(i, all);
    if (all) {
      const up = levels[i]!;
      const names = lows.map((l) => levels[l]!.table.device).join(', ');
      out.push({
        layer: up.layer, device: up.table.device,
        how: `its data goes to ${names} (remap events), whose write cache is volatile; a dm or md device has the write cache of the devices under it, and flushes it sends them on its own (md superblock updates) are not flushes of this device`,
      });
    }
    return all;
  };
  for (const i of below.keys()) settle(i, new Set());
  return out;
}

/**
 * A bio-based device whose own trace shows no PREFLUSH/FUA, every device its data goes to (remap events, or the
 * link its data made) written through — declared so, a guest disk over a QEMU device that adds FUA to every write (virtio-blk WCE=0), or such a
 * device itself: a write it completed was durable below when it completed, and dm advertises no write cache over
 * devices that have none (drivers/md/dm-table.c dm_table_supports_flush), so the filesystem's PREFLUSH/FUA were
 * stripped before its trace saw them (block/blk-core.c submit_bio_noacct). Its cache is write-through, not
 * unknown: a filesystem sending it no flush breaks nothing (fixtures/stacks/vm-mirror-directsync-*: dm-raid1 over
 * two directsync drives). Lowest first.
 */
export function writeThroughFromBelow(levels: readonly Level[], edges: readonly StackEdge[]): CacheFromBelow[] {
  // every link from a block device to a block device below, by remap events or by the sectors the data went to
  // (a trace cut by -a write or to Q and C has no remap event of dm-raid1, whose remaps are its reads'): the
  // claim rests on every device beside them being written through, not on the map
  const below = lowerLevels(edges, (e) => levels[e.upper]!.table.role === 'block' && levels[e.lower]!.table.role === 'block');
  const through = new Map<number, boolean>();
  const out: CacheFromBelow[] = [];
  const settle = (i: number, seen: Set<number>): boolean => {
    const known = through.get(i);
    if (known !== undefined) return known;
    const lv = levels[i]!;
    if (lv.cache.source === 'declared') return through.set(i, WRITE_THROUGH.has(lv.cache.mode)).get(i)!;
    if (lv.table.writeThrough) return through.set(i, true).get(i)!;
    const lows = below.get(i);
    if (showsFlushFlags(lv) || !lows || seen.has(i) || !lv.table.bioBased) return through.set(i, false).get(i)!;
    seen.add(i);
    // remap events name the devices a bio went to, not every device of the table (dm-raid1 writes its other legs
    // through dm-io): every block device beside them in their layer must be written through too, but those that
    // send data to this one
    const layers = new Set(lows.map((l) => levels[l]!.layer));
    const peers = levels.map((_, k) => k).filter((k) => k !== i && layers.has(levels[k]!.layer) && levels[k]!.table.role === 'block'
      && !(below.get(k) ?? []).includes(i));
    const all = peers.length > 0 && peers.every((l) => settle(l, seen));
    through.set(i, all);
    if (all) {
      out.push({
        layer: lv.layer, device: lv.table.device,
        how: `its data goes to ${lows.map((l) => levels[l]!.table.device).join(', ')}, written through, as is every device beside them (${peers.map((l) => levels[l]!.table.device).join(', ')}); a dm device over devices with no write cache has none (dm_table_supports_flush), and its own trace shows no flush or FUA`,
      });
    }
    return all;
  };
  for (const i of below.keys()) settle(i, new Set());
  return out;
}

/** A device's cache as the layer below shows it (volatileFromBelow, writeThroughFromBelow): its words. */
type CacheFromBelow = { layer: string; device: string; how: string };

/** The levels each upper level's kept edges go to. */
function lowerLevels(edges: readonly StackEdge[], keep: (e: StackEdge) => boolean): Map<number, number[]> {
  const below = new Map<number, number[]>();
  for (const e of edges) {
    if (!keep(e)) continue;
    const lows = below.get(e.upper);
    if (lows) lows.push(e.lower);
    else below.set(e.upper, [e.lower]);
  }
  return below;
}

/** Its own trace shows flush requests or FUA writes: the kernel sent them, so it advertised a volatile cache. */
function showsFlushFlags(lv: Level): boolean {
  const c = lv.table.counts();
  return c.flushes > 0 || c.fua > 0;
}
