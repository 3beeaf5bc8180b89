/**
 * The stack as a graph of devices. A layer (a name on the command line, or
 * one trace of one machine) holds one or more devices; remap events order the
 * devices inside a trace (dm-0 → md0 → vda, vdb: each remap names the device
 * the bio came from) and join devices across layers given as separate files.
 * Between layers with no remaps (guest ↔ QEMU ↔ host, a loop device over a
 * file) the device below each upper device is found by the data: the map that
 * explains its writes (map-fit.ts). Each edge says how it was established:
 *
 *   remap    — the lower trace's own `A … <- (maj,min) sector` events (exact)
 *   linked   — QEMU's own request → host job links (exact, one clock)
 *   given    — `--map` / the stack file
 *   inferred — identity or an offset, confirmed by the share of writes it explains
 *   none     — no map fits: data cannot be followed; only flush-level and
 *              count-level questions are asked of this edge
 *
 * When several lower devices fit one upper device equally (mirror legs carry
 * the same writes at the same sectors), the edges form an `ambiguous` group:
 * a verdict stands only when it is the same on every candidate.
 */
import type { Level } from './level.js';
import { fitMap, fits, inferMap, MIN_MATCHED, readsFit, score, type MapFit } from './map-fit.js';
import { extentMap, type SectorMap } from './mapping.js';
import { OpKind, type OpTable } from './ops.js';
import type { RemapSet } from './remaps.js';
import type { Links } from './links.js';
import type { WceSwitches } from '../qemu/cache-mode.js';

export type MapSource = 'remap' | 'linked' | 'given' | 'inferred' | 'none';

export interface StackNode extends Level {
  index: number;
  /** Block devices: the kernel dev_t; QEMU: -1. */
  dev: number;
  remaps?: Map<number, RemapSet>;
  /** QEMU front ↔ back partner (node index), and the front's row → back rows links. */
  partner?: number;
  links?: Links;
  /** QEMU front: how the trace shows its guest sees a volatile cache (cache-mode.ts). */
  volatileShown?: string;
  /** QEMU front: the trace shows its guest switched the write cache at run time (cache-mode.ts). */
  switched?: WceSwitches;
  /** QEMU back: each row's protocol node when its writes went to several (qemu-ops.ts writeNodes). */
  writeNodes?: Int32Array;
  /** QEMU back: each read row's protocol node when it is one the device never writes (qemu-ops.ts readOnlyNodes). */
  readOnlyNodes?: Int32Array;
  /**
   * QEMU back of no guest device: a BlockBackend of its own (a block job's, qemu-io) or a node only a block
   * job writes (qemu-ops.ts orphan nodes). A job's target holds copies of a drive's data by construction.
   */
  ownIo?: true;
}

export interface StackLayer {
  name: string;
  kind: 'block' | 'qemu';
  nodes: StackNode[];
}

export interface StackEdge {
  upper: number;
  lower: number;
  map: SectorMap;
  mapSource: MapSource;
  /** How well the map explains the upper level's writes (inferred / given / remap). */
  fit?: { matched: number; writes: number };
  links?: Links;
  /** Edges sharing a group id are the candidates for one upper device (see the header). */
  ambiguous?: number;
  /**
   * The group's candidates hold the writes of different protocol nodes of one QEMU drive (its image changed
   * during the trace, or it writes several): which device held a given write is not a question of the
   * clocks, so no alignment picks one of them (correlator.ts pickByAlignment).
   */
  byNode?: true;
  /** Both ends in one trace: one clock. */
  sameClock: boolean;
}

export const NO_MAP: SectorMap = extentMap([], 'no map');


function sameSource(a: OpTable, b: OpTable): boolean {
  return a.n > 0 && b.n > 0 && a.src[0] === b.src[0];
}

/** In-layer structure from remaps: parent → children edges, roots and leaves. */
function inLayer(layer: StackLayer, edges: StackEdge[]): { roots: StackNode[]; leaves: StackNode[] } {
  if (layer.kind === 'qemu') {
    const fronts = layer.nodes.filter((n) => n.table.role === 'qemu-front');
    for (const f of fronts) {
      if (f.partner === undefined) continue;
      edges.push({ upper: f.index, lower: f.partner, map: extentMap([], 'QEMU request → host job links'), mapSource: 'linked', links: f.links, sameClock: true });
    }
    return { roots: fronts, leaves: layer.nodes.filter((n) => n.table.role === 'qemu-back') };
  }
  const byDev = new Map(layer.nodes.map((n) => [n.dev, n]));
  const hasParent = new Set<number>();
  const hasChild = new Set<number>();
  for (const n of layer.nodes) {
    for (const [from, rs] of n.remaps ?? []) {
      const p = byDev.get(from);
      if (!p || p === n) continue;
      edges.push({ upper: p.index, lower: n.index, map: rs.toMap(p.table.device), mapSource: 'remap', sameClock: sameSource(p.table, n.table) });
      hasParent.add(n.index);
      hasChild.add(p.index);
    }
  }
  return { roots: layer.nodes.filter((n) => !hasParent.has(n.index)), leaves: layer.nodes.filter((n) => !hasChild.has(n.index)) };
}

export interface GraphResult {
  edges: StackEdge[];
  limitations: string[];
}

/**
 * Edges of the whole stack. `given` maps apply from a layer to the layer
 * below it (`--map LAYER=SPEC`).
 */
export function buildEdges(layers: StackLayer[], given: Record<string, SectorMap> = {}): GraphResult {
  const edges: StackEdge[] = [];
  const limitations: string[] = [];
  const ends = layers.map((l) => inLayer(l, edges));
  let group = 0;
  for (let k = 0; k + 1 < layers.length; k++) {
    const ups = ends[k]!.leaves;
    const lows = ends[k + 1]!.roots;
    if (ups.length === 0 || lows.length === 0) continue;
    const done = new Set<number>();
    const remapped = new Set<number>();
    // 1. remaps in the lower trace naming an upper device: a leaf of the layer above, or any device above that
    // remaps to devices of several layers (dm-cache remaps to its cache device — a dm-linear, one layer down — and
    // to its origin disk two layers down; dm-cache-target.c remap_to_cache / remap_to_origin)
    const above = layers.slice(0, k + 1).flatMap((x) => x.nodes);
    for (const l of lows) {
      for (const [from, rs] of l.remaps ?? []) {
        const u = ups.find((x) => x.dev === from && x.dev >= 0) ?? above.find((x) => x.dev === from && x.dev >= 0);
        if (!u) continue;
        edges.push({ upper: u.index, lower: l.index, map: rs.toMap(u.table.device), mapSource: 'remap', sameClock: false });
        done.add(u.index);
        remapped.add(l.index);
      }
    }
    const U = ups.filter((u) => !done.has(u.index));
    const L = lows.filter((l) => !remapped.has(l.index));
    if (U.length === 0 || L.length === 0) continue;
    const givenMap = given[layers[k]!.name];
    const unmatched: StackNode[] = [];
    const claimed = new Set<number>();
    const copies = givenMap ? new Set<number>() : jobCopies(U, L);
    const extents = copies.size > 0 ? jobExtents(U) : undefined;
    for (const u of U) {
      const split = u.writeNodes && !givenMap ? fitByNode(u, L, copies, extents) : undefined;
      if (split) {
        for (const x of split.found) claimed.add(x.l.index);
        if (split.lost) {
          limitations.push(`${u.name}: ${split.what}; ${split.lost}: its promises below are not checked (trace the device under each image, or give --device / --map)`);
          continue;
        }
        const g = ++group;
        for (const x of split.found) {
          edges.push({ upper: u.index, lower: x.l.index, map: x.f.map, mapSource: 'inferred', fit: { matched: x.f.matched, writes: x.f.writes }, sameClock: false, ambiguous: g, byNode: true });
        }
        limitations.push(`${u.name}: ${split.what}; their writes fit ${split.found.map((x) => `${x.l.name} (${x.f.matched}/${x.f.writes})`).join(', ')}, and which device held the data at a given time is not in the traces: a verdict is given only where it is the same on each`);
        continue;
      }
      const fitsBy: Array<{ l: StackNode; f: MapFit; src: MapSource }> = [];
      for (const l of L) {
        if (givenMap) {
          const f = fitMap(u.table, l.table, givenMap);
          fitsBy.push({ l, f, src: 'given' });
        } else {
          const f = inferMap(u.table, l.table).best;
          if (!f) continue;
          const copied = extents && !u.ownIo && copies.has(l.index) && fits(f) ? jobsCopy(u, l, f, extents) : undefined;
          if (copied) limitations.push(`${u.name} → ${l.name}: ${copied}: not taken to show ${l.name} below it`);
          else fitsBy.push({ l, f, src: 'inferred' });
        }
      }
      // a given map is a hypothesis too: used only where it explains the writes (a stale filefrag, a wrong offset
      // would turn every write into a "missing" one)
      const good = fitsBy.filter((x) => fits(x.f));
      if (givenMap && good.length === 0) {
        const f = fitsBy.reduce<MapFit | undefined>((a, x) => (!a || x.f.matched > a.matched ? x.f : a), undefined);
        limitations.push(`--map ${layers[k]!.name}=${givenMap.describe}: explains only ${f?.matched ?? 0} of ${f?.writes ?? 0} writes of ${u.name} below: not used`);
      }
      if (good.length === 0) {
        unmatched.push(u);
        continue;
      }
      const tied = bestFits(good);
      const g = tied.length > 1 ? ++group : undefined;
      for (const x of tied) {
        claimed.add(x.l.index);
        const e: StackEdge = { upper: u.index, lower: x.l.index, map: x.f.map, mapSource: x.src, fit: { matched: x.f.matched, writes: x.f.writes }, sameClock: false };
        if (g !== undefined) e.ambiguous = g;
        edges.push(e);
      }
      if (g !== undefined) {
        limitations.push(`${u.name}: ${tied.map((x) => x.l.name).join(', ')} fit its writes equally (${tied.map((x) => `${x.f.matched}/${x.f.writes}`).join(', ')}): a verdict is given only where it is the same on each`);
      }
    }
    // in a kernel's trace, devices whose data was found below are that machine's disks; one beside them whose
    // data was not may be stacked on them (a dm or md device traced without its remap events)
    const peers = layers[k]!.kind === 'qemu' ? [] : U.filter((u) => !unmatched.includes(u));
    group = unmapped(unmatched, L.filter((l) => !claimed.has(l.index)), layers[k]!.name, layers[k + 1]!.name, Boolean(givenMap), edges, limitations, group, peers);
  }
  edges.sort((a, b) => a.upper - b.upper || a.lower - b.lower);
  return { edges, limitations };
}

/**
 * Of the devices whose maps fit, those that explain the writes best (within 5 %, or 2 writes); of several, the ones
 * that hold them exactly (same start and length) when any does: mirror legs hold them alike and stay tied.
 */
function bestFits<T extends { f: MapFit }>(good: T[]): T[] {
  const near = (a: number, b: number) => b - a <= Math.max(2, 0.05 * b);
  const top = Math.max(...good.map((x) => score(x.f)));
  let tied = good.filter((x) => near(score(x.f), top)).sort((a, b) => score(b.f) - score(a.f));
  const exact = Math.max(...tied.map((x) => x.f.exact));
  if (tied.length > 1 && exact >= MIN_MATCHED) tied = tied.filter((x) => near(x.f.exact, exact));
  return tied;
}

/** Lower devices a block job's own I/O (ownIo) fits: they hold its writes, copies of some drive's data. */
function jobCopies(U: StackNode[], L: StackNode[]): Set<number> {
  const out = new Set<number>();
  for (const u of U) {
    if (!u.ownIo) continue;
    for (const l of L) {
      const f = inferMap(u.table, l.table).best;
      if (f && fits(f)) out.add(l.index);
    }
  }
  return out;
}

/** The extents (sector, count) a block job's own I/O (ownIo) wrote, in the QEMU layer's offsets. */
function jobExtents(U: StackNode[]): Set<string> {
  const out = new Set<string>();
  for (const u of U) {
    if (!u.ownIo) continue;
    const t = u.table;
    for (let r = 0; r < t.n; r++) if (t.kind[r] === OpKind.Write) out.add(`${t.sector[r]},${t.count[r]}`);
  }
  return out;
}

/**
 * The share of a drive's writes (those `keep` accepts) that a block job wrote again at the same offset and length:
 * an active mirror (copy-mode=write-blocking) writes each guest write to its target in the same request
 * (block/mirror.c do_sync_target_write), so on the target the drive's writes seem to be there as themselves.
 */
function duplicatedShare(u: StackNode, extents: ReadonlySet<string>, keep?: (row: number) => boolean): number {
  const t = u.table;
  let n = 0;
  let dup = 0;
  for (let r = 0; r < t.n; r++) {
    if (t.kind[r] !== OpKind.Write || (keep && !keep(r))) continue;
    n++;
    if (extents.has(`${t.sector[r]},${t.count[r]}`)) dup++;
  }
  return n === 0 ? 0 : dup / n;
}

/**
 * Why a drive's writes found on a device a block job writes (fit `f`) are the job's copies of its data, not its
 * writes (undefined: they are its own). Taken for the drive's, that device was under the drive, and its flushes —
 * a job's target gets none from the guest — were "not passed down" (a backup target traced without the source):
 * - the job wrote most of them again at the same offset and length (an active mirror, copy-mode=write-blocking,
 *   copies each guest write in the same request: block/mirror.c do_sync_target_write), so there they seem to be
 *   there as themselves;
 * - they are there mostly inside larger writes rather than as themselves (map-fit.ts `exact`: same start and
 *   length): blockdev-backup's copy-before-write, a mirror's bulk copy, since a copy of a whole disk overlaps every
 *   sector a drive writes. A drive whose writes reach the device through a host page cache (merged: not themselves
 *   either) is then not linked there: undecided, never a false error.
 */
function jobsCopy(u: StackNode, l: StackNode, f: MapFit, extents: ReadonlySet<string>): string | undefined {
  const dup = duplicatedShare(u, extents);
  if (dup >= OWN_SHARE) return `a block job writing ${l.name} wrote ${Math.round(dup * 100)} % of its writes again at the same offsets and lengths (an active mirror's copies)`;
  if (f.exact < OWN_SHARE * f.matched) return `its writes are found there mostly inside a block job's own writes (${f.exact} of ${f.matched} as themselves): copies of its data`;
  return undefined;
}

/** Writes of one protocol node a device needs before they can show where the node's image is. */
const NODE_MIN_WRITES = MIN_MATCHED;
/** Share of a node's matched writes found below as themselves that shows its own writes there (fitByNode). */
const EXACT_OWN = 0.8;
/** Below this share of its matched writes found as themselves, a drive's writes on a job's device are its copies. */
const OWN_SHARE = 0.5;

/**
 * A QEMU drive whose host writes went to several protocol nodes (qemu-ops.ts writeNodes): each node's writes
 * are fitted on their own. A blockdev-mirror job that completes moves the drive from its image to the
 * target's (block/mirror.c mirror_exit_common → bdrv_replace_node): its writes before are on one device,
 * after on another, and the mirror's copies put the earlier ones on the target too, so the whole drive
 * seemed to be over the target alone (every flush before the pivot "not passed down"). Undefined when the
 * nodes' writes all fit one device (or fewer than two nodes wrote enough to tell): the usual fit decides.
 * Otherwise the devices that fit some node's writes (`found`), and `lost` when a node's writes fit none.
 */
function fitByNode(u: StackNode, L: StackNode[], copies: ReadonlySet<number>, extents: ReadonlySet<string> | undefined): { found: Array<{ l: StackNode; f: MapFit }>; what: string; lost?: string } | undefined {
  const nodes = u.writeNodes!;
  const count = new Map<number, number>();
  for (const g of nodes) if (g >= 0) count.set(g, (count.get(g) ?? 0) + 1);
  const used = [...count].filter(([, n]) => n >= NODE_MIN_WRITES).map(([g]) => g);
  if (used.length < 2) return undefined;
  const found: Array<{ l: StackNode; f: MapFit }> = [];
  const lostNodes: number[] = [];
  /** Per node: the share of its matched writes found below as themselves (same start and length). */
  const exactShare = new Map<number, number>();
  for (const g of used) {
    const good: Array<{ l: StackNode; f: MapFit }> = [];
    // a job writing a device that wrote this node's writes again there, extent for extent, put them there
    const copied = extents !== undefined && duplicatedShare(u, extents, (row) => nodes[row] === g) >= OWN_SHARE;
    for (const l of L) {
      if (copied && copies.has(l.index)) continue;
      const r = inferMap(u.table, l.table, (row) => nodes[row] === g);
      if (r.best && fits(r.best)) good.push({ l, f: r.best });
    }
    if (good.length === 0) {
      lostNodes.push(g);
      continue;
    }
    const tied = bestFits(good);
    for (const x of tied) if (!found.some((y) => y.l === x.l)) found.push(x);
    exactShare.set(g, Math.max(...tied.map((x) => x.f.exact / Math.max(1, x.f.matched))));
  }
  if (found.length === 1 && lostNodes.length === 0) {
    // Every node's writes on one device: files of one host filesystem alike, unless one node's writes are there
    // only inside larger ones while another's are there as themselves (a direct write below is the job's own,
    // map-fit.ts `exact`): a mirror job's copies of the writes the drive made before its pivot, on the target
    // (the source not traced). Those writes are not on it as the drive wrote them: where they went is not traced.
    const best = Math.max(...exactShare.values());
    if (best >= EXACT_OWN) for (const [g, e] of exactShare) if (e < best / 2) lostNodes.push(g);
  }
  // none fits anywhere (an image on a host filesystem: no identity or offset map), or all fit one device: as usual
  if (found.length === 0 || (found.length < 2 && lostNodes.length === 0)) return undefined;
  const span = (g: number): string => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < nodes.length; r++) {
      if (nodes[r] !== g) continue;
      lo = Math.min(lo, u.table.tI[r]!);
      hi = Math.max(hi, u.table.tI[r]!);
    }
    return u.table.orderOnly || !Number.isFinite(lo) ? '' : ` from ${(lo / 1e9).toFixed(6)} to ${(hi / 1e9).toFixed(6)} s (its own clock)`;
  };
  const what = `its host writes went to ${used.length} protocol nodes of QEMU (${used.map((g) => `${count.get(g)} write(s)${span(g)}`).join('; ')}): its image changed during the trace (a block job completed: blockdev-mirror, block-commit, a snapshot) or its driver writes several files (quorum, an external data file)`;
  if (lostNodes.length > 0) {
    return { found, what, lost: `the writes of ${lostNodes.length === 1 ? 'one of them' : `${lostNodes.length} of them`} (${lostNodes.map((g) => `${count.get(g)} write(s)${span(g)}`).join('; ')}) fit no traced device below` };
  }
  return { found, what };
}

/**
 * Upper devices no map fits. The one busiest upper device (ten times the writes of any other, a guest's
 * disk beside a seed disk) is taken to be over the lower device(s) left unclaimed, with no map: its
 * flushes can still be asked the flush-level and count-level questions. Anything less certain is left
 * unlinked, and said. That includes a block device beside `peers`, devices of the same kernel's trace whose
 * data was found below: it may be a dm or md device over them whose remap events the trace left out (an md
 * array traced with block_bio_queue and block_rq_complete alone), and a link by elimination would hold its
 * flushes against a disk it never wrote to (the one the guest writes its output on).
 */
function unmapped(U: StackNode[], L: StackNode[], upperLayer: string, lowerLayer: string, given: boolean, edges: StackEdge[], limitations: string[], group: number, peers: StackNode[]): number {
  if (U.length === 0) return group;
  const writes = (n: StackNode) => n.table.counts().writes;
  const sorted = [...U].sort((a, b) => writes(b) - writes(a));
  const top = sorted[0]!;
  const dominant = sorted.slice(1).every((n) => writes(n) * 10 <= writes(top));
  for (const u of sorted) {
    const why = given ? `the given map explains none of its writes on ${lowerLayer}` : `no map (identity or an offset) explains its writes on ${lowerLayer}`;
    if (u === top && dominant && L.length > 0 && peers.length > 0) {
      limitations.push(`${u.name} → ${lowerLayer}: ${why}, and it may be over ${peers.map((p) => p.name).join(', ')}, whose data was found there (a dm or md device traced without its remap events): its promises below are not checked (trace remap events — blktrace's A, block_bio_remap — or give --map)`);
      continue;
    }
    if (u !== top || !dominant || L.length === 0) {
      limitations.push(`${u.name} → ${lowerLayer}: ${why}, and no traced device there is left for it: its promises below are not checked (trace the device under it, or give --device / --map)`);
      continue;
    }
    // A device holding an image the drive only reads (a backing file under its overlay: the drive's reads of
    // that node are found there) and showing no write or flush may hold nothing else: the overlay's device
    // untraced (vm-qstream-none with loop1 alone), or the same device whose writes stayed in the host page
    // cache: the trace cannot tell, so it proves nothing of the drive's writes. One that was written is kept.
    const ro = u.readOnlyNodes;
    const quiet = (l: StackNode) => {
      const c = l.table.counts();
      return c.writes === 0 && c.flushes === 0 && c.fua === 0;
    };
    const backing = ro && !given ? L.filter((l) => quiet(l) && readsFit(u.table, l.table, (row) => ro[row]! >= 0)) : [];
    if (backing.length > 0) {
      limitations.push(`${u.name} → ${lowerLayer}: ${why}; ${backing.map((l) => l.name).join(', ')} ${backing.length === 1 ? 'holds' : 'hold'} an image it only reads (its reads of a QEMU node it never writes are found there: a backing file) and no write or flush: whether its writes went there too is not in the traces`);
      L = L.filter((l) => !backing.includes(l));
      if (L.length === 0) {
        limitations.push(`${u.name} → ${lowerLayer}: no traced device there is left for its writes: its promises below are not checked (trace the device under the image it writes, or give --device / --map)`);
        continue;
      }
    }
    if (L.length === 1) edges.push({ upper: u.index, lower: L[0]!.index, map: NO_MAP, mapSource: 'none', sameClock: false });
    else {
      group++;
      for (const l of L) edges.push({ upper: u.index, lower: l.index, map: NO_MAP, mapSource: 'none', ambiguous: group, sameClock: false });
    }
    limitations.push(`${u.name} → ${L.map((l) => l.name).join(' or ')}: ${why}; sector-level verdicts are undecided there (give --map ${upperLayer}=… to decide them)`);
  }
  return group;
}

