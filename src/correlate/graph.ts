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
import { fitMap, fits, inferMap, MIN_MATCHED, score, type MapFit } from './map-fit.js';
import { extentMap, type SectorMap } from './mapping.js';
import type { OpTable } from './ops.js';
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
    for (const u of U) {
      const fitsBy: Array<{ l: StackNode; f: MapFit; src: MapSource }> = [];
      for (const l of L) {
        if (givenMap) {
          const f = fitMap(u.table, l.table, givenMap);
          fitsBy.push({ l, f, src: 'given' });
        } else {
          const r = inferMap(u.table, l.table);
          if (r.best) fitsBy.push({ l, f: r.best, src: 'inferred' });
        }
      }
      // a given map is a hypothesis too: used only where it explains the writes (a stale filefrag, a wrong offset
      // would turn every write into a "missing" one)
      const good = fitsBy.filter((x) => fits(x.f));
      if (givenMap && good.length === 0) {
        const f = fitsBy.reduce<MapFit | undefined>((a, x) => (!a || x.f.matched > a.matched ? x.f : a), undefined);
        limitations.push(`--map ${layers[k]!.name}=${givenMap.describe}: explains only ${f?.matched ?? 0} of ${f?.writes ?? 0} writes of ${u.name} below: not used`);
      }
      good.sort((a, b) => score(b.f) - score(a.f));
      if (good.length === 0) {
        unmatched.push(u);
        continue;
      }
      const best = good[0]!;
      const near = (a: number, b: number) => b - a <= Math.max(2, 0.05 * b);
      let tied = good.filter((x) => near(score(x.f), score(best.f)));
      // devices that overlap its writes equally: the one that holds them exactly (same start and length) is below it
      // (mirror legs hold them alike and stay tied)
      const exact = Math.max(...tied.map((x) => x.f.exact));
      if (tied.length > 1 && exact >= MIN_MATCHED) tied = tied.filter((x) => near(x.f.exact, exact));
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
    if (L.length === 1) edges.push({ upper: u.index, lower: L[0]!.index, map: NO_MAP, mapSource: 'none', sameClock: false });
    else {
      group++;
      for (const l of L) edges.push({ upper: u.index, lower: l.index, map: NO_MAP, mapSource: 'none', ambiguous: group, sameClock: false });
    }
    limitations.push(`${u.name} → ${L.map((l) => l.name).join(' or ')}: ${why}; sector-level verdicts are undecided there (give --map ${upperLayer}=… to decide them)`);
  }
  return group;
}

