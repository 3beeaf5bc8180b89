/**
 * Cross-layer correlation of one analysis: per-layer sinks collect each
 * layer's operations (block events, or QEMU events rebuilt into requests and
 * host jobs); `finish` builds the stack top to bottom, aligns the clocks of
 * adjacent levels, decides each level's durability by its own rules and runs
 * the cross-layer rules on every adjacent pair.
 *
 *   const c = createCorrelator(env, { order: ['guest', 'qemu', 'host'] });
 *   ctx.sink = c.blockSink('guest', sourceIndex);      // blkparse, tracepoints, …
 *   ctx.qemuSink = c.qemuSink('qemu', sourceIndex);    // qemu-log, qemu-simpletrace
 *   const result = c.finish();                         // findings, alignment, statements
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { EventSink } from '../model/event.js';
import type { Finding } from '../model/report.js';
import { isLoopDevice } from '../model/device.js';
import { declaredFor, namesOf } from '../check/cache.js';
import type { CacheDeclaration } from '../check/types.js';
import type { QemuSink } from '../qemu/event.js';
import { spanWords } from '../qemu/cache-mode.js';
import { align, heldAlignment, identityAlignment, type Alignment, type OffsetPrior, type Pair } from './align.js';
import { BlockOpsBuilder } from './block-ops.js';
import { durabilityFromBelow, timedRemap, volatileFromBelow, writeThroughFromBelow } from './durable-below.js';
import { levelId, linkKey, WRITE_THROUGH, type CacheInfo, type Level } from './level.js';
import { buildEdges, type StackEdge, type StackLayer, type StackNode } from './graph.js';
import type { SectorMap } from './mapping.js';
import { opLimits, OpKind, type OpTable } from './ops.js';
import { QemuOpsBuilder, type QemuDeviceView } from './qemu-ops.js';
import { checkPair, type PairStats } from './rules.js';
import { RangeIndex } from './range-index.js';
import { levelSeries, type LevelSeries } from './level-series.js';
import { correlateInSegments, wholeTable, type HeldLink, type LayerParts, type SegmentInput } from './segments.js';
import type { AlignmentReport, BuiltEdge, CorrelationResult, LevelSummary } from './result.js';

export type { AlignmentReport, BuiltEdge, BuiltStack, CorrelationResult, LevelSummary } from './result.js';
import { SpillFile } from './spill.js';

export interface CorrelateOptions {
  /** Layer names top to bottom (default: the order the layers' inputs were given). */
  order?: string[];
  /** Sector map from a layer to the layer below it (default identity). */
  maps?: Record<string, SectorMap>;
  /** Declared cache mode per layer: writeback | writethrough | none | directsync | unsafe. */
  cache?: Record<string, string>;
  /**
   * `--cache DEV=MODE` declarations of single devices ("7,1", "loop1", "/dev/sdb"), as the checker takes them:
   * a block level they name takes that cache here too (a layer's own declaration wins).
   */
  deviceCache?: CacheDeclaration[];
  /** Only this device of a layer takes part ("254,0", a QEMU vdev pointer); default: every device of the layer. */
  devices?: Record<string, string>;
  /** Build the stack even from one layer of one device (`follow` on a single trace): nothing to correlate, but a request to show. */
  always?: boolean;
  /** Every row kept for one correlation of the whole stack, never in segments (`follow` walks one request through all of them). */
  whole?: boolean;
  /**
   * Correlate a long trace a segment at a time (segments.ts): a level that falls quiet with this many rows
   * writes them to a temporary file. 0: keep every row in memory. Default: BLKAUDIT_STREAM_ROWS, else
   * STREAM_ROWS; off with `whole`.
   */
  streamRows?: number;
}

interface LayerInput {
  name: string;
  block?: BlockOpsBuilder;
  qemu?: QemuOpsBuilder;
  sources: number[];
}


export class Correlator {
  private readonly layers = new Map<string, LayerInput>();
  private readonly seen: string[] = [];

  constructor(private readonly env: AnalysisEnv, private readonly opts: CorrelateOptions = {}) {
    this.streamRows = opts.streamRows ?? streamRowsFromEnv();
    if (this.streamRows > 0 && !opts.whole) this.spill = new SpillFile();
  }

  private readonly streamRows: number;

  private layer(name: string, source: number): LayerInput {
    let l = this.layers.get(name);
    if (!l) {
      l = { name, sources: [] };
      this.layers.set(name, l);
      this.seen.push(name);
    }
    if (!l.sources.includes(source)) l.sources.push(source);
    return l;
  }

  /**
   * The cache `--cache DEV=MODE` declarations give each block device, names matched as the checker matches
   * them (a file's stem names its device only when the file carried that one device): dev → mode.
   */
  private declaredCache: Map<number, string> | undefined;

  private devicesDeclared(): Map<number, string> {
    return (this.declaredCache ??= this.declaredNow());
  }

  private declaredNow(): Map<number, string> {
    const out = new Map<number, string>();
    const decls = this.opts.deviceCache ?? [];
    if (decls.length === 0) return out;
    const srcsOf = new Map<number, Set<number>>();
    const devsOf = new Map<number, Set<number>>();
    for (const l of this.layers.values()) {
      for (const d of l.block?.devices() ?? []) {
        const srcs = srcsOf.get(d.dev) ?? srcsOf.set(d.dev, new Set()).get(d.dev)!;
        for (let i = 0; i < d.table.n; i++) srcs.add(d.table.src[i]!);
        for (const p of d.stream?.pieces ?? []) for (const s of p.srcs) srcs.add(s);
        for (const s of srcs) (devsOf.get(s) ?? devsOf.set(s, new Set()).get(s)!).add(d.dev);
      }
    }
    for (const [dev, srcs] of srcsOf) {
      const mode = declaredFor(decls, dev, namesOf(this.env, dev, srcs, (s) => devsOf.get(s)?.size ?? 0))?.mode;
      if (mode) out.set(dev, mode);
    }
    return out;
  }

  /** A layer whose trace shows devices stacked on one another (remap events from a device in the same layer). */
  hasStackedDevices(): boolean {
    for (const l of this.layers.values()) {
      const devs = l.block?.devices() ?? [];
      const ids = new Set(devs.map((d) => d.dev));
      if (devs.some((d) => [...d.remaps.keys()].some((from) => ids.has(from)))) return true;
    }
    return false;
  }

  blockSink(layer: string, sourceIndex: number): EventSink {
    const l = this.layer(layer, sourceIndex);
    if (l.qemu) throw new Error(`layer ${layer} mixes QEMU and block traces`);
    if (!l.block) {
      l.block = new BlockOpsBuilder(layer);
      if (this.spill) l.block.streamTo(this.spill, this.streamRows);
    }
    return l.block;
  }

  qemuSink(layer: string, sourceIndex: number): QemuSink {
    const l = this.layer(layer, sourceIndex);
    if (l.block) throw new Error(`layer ${layer} mixes QEMU and block traces`);
    if (!l.qemu) {
      l.qemu = new QemuOpsBuilder(layer, this.env.diag, this.env.sources[sourceIndex]?.name ?? '');
      if (this.spill) l.qemu.streamTo(this.spill, this.streamRows);
    }
    return l.qemu;
  }

  /** Layer names in stack order: as asked, then the others in the order their inputs came. */
  private order(): string[] {
    const order = this.opts.order?.filter((n) => this.layers.has(n)) ?? [];
    // layers in the order of the first input that gave each an event (not of arrival: layers are read at once)
    const firstSource = (n: string) => this.layers.get(n)!.sources[0] ?? Infinity;
    const seen = [...this.seen].sort((a, b) => firstSource(a) - firstSource(b));
    for (const n of seen) if (!order.includes(n)) order.push(n);
    return order;
  }

  /**
   * Streaming (segments.ts): every builder writes its rows to one file whenever its level falls quiet with
   * enough of them, unless the whole stack is wanted at the end (`follow` shows any request of it).
   */
  private readonly spill: SpillFile | undefined;

  finish(): CorrelationResult {
    // a trace of up to WHOLE_PIECES pieces' rows is correlated whole, as it always was; a longer one in segments
    let spilled = 0;
    for (const l of this.layers.values()) spilled += l.block?.spilledRows() ?? l.qemu?.spilledRows() ?? 0;
    const streamed = spilled > WHOLE_PIECES * this.streamRows;
    try {
      if (this.spill?.failure) this.env.diag.add(`correlate: ${this.spill.failure}`, 'info');
      if (streamed) {
        return correlateInSegments(this.segmentInput(), (parts, observed, priors, alignOnly, held) => this.correlateParts(parts, observed, priors, alignOnly, held));
      }
      return this.correlateParts(this.wholeParts());
    } finally {
      this.spill?.close();
    }
  }

  /** The whole trace of every layer, as read (or read back from the spill file). */
  private wholeParts(): LayerParts[] {
    return this.order().map((name) => {
      const l = this.layers.get(name)!;
      if (l.block) return { name, block: l.block.devices().map((d) => ({ dev: d.dev, table: wholeTable(d), remaps: d.remaps })) };
      return { name, qemu: { views: l.qemu!.finish(), summary: l.qemu!.summary } };
    });
  }

  /** What segments.ts needs of each layer: its pieces, quiet spans and a way to make levels of them. */
  private segmentInput(): SegmentInput {
    return {
      env: this.env,
      rows: this.streamRows,
      layers: this.order().map((name) => {
        const l = this.layers.get(name)!;
        if (l.block) return { name, block: l.block.devices() };
        return { name, qemu: l.qemu!.pieces() };
      }),
      whole: () => this.wholeParts(),
    };
  }

  /**
   * Levels of the given parts of every layer, correlated: the whole trace, or one segment of it
   * (segments.ts) with `observed`, each source's span over the whole trace.
   */
  private correlateParts(
    parts: LayerParts[],
    observedSpans?: Map<number, [number, number]>,
    priors?: Map<string, OffsetPrior>,
    alignOnly = false,
    held?: Map<string, HeldLink>,
  ): CorrelationResult {
    const levels: StackNode[] = [];
    const layers: StackLayer[] = [];
    const qemuInfo: CorrelationResult['qemu'] = [];
    const limitations: string[] = [];
    const node = (lv: Omit<StackNode, 'index'>): StackNode => {
      const n = { ...lv, index: levels.length } as StackNode;
      levels.push(n);
      return n;
    };
    const deviceDeclared = this.devicesDeclared();
    for (const part of parts) {
      const name = part.name;
      const declared = this.opts.cache?.[name];
      const want = this.opts.devices?.[name];
      if (part.block) {
        const devs = part.block.filter((d) => !want || d.table.device === want || d.table.device === want.replace(':', ','));
        const layer: StackLayer = { name, kind: 'block', nodes: [] };
        for (const d of devs) {
          const mode = declared ?? deviceDeclared.get(d.dev);
          const cache: CacheInfo = mode ? { mode, source: 'declared' } : { mode: 'writeback', source: 'unknown', how: 'assumed volatile (no --cache)' };
          d.table.writeThrough = mode !== undefined && WRITE_THROUGH.has(mode);
          const display = devs.length > 1 ? `${name} ${d.table.device}` : name;
          layer.nodes.push(node({ name: display, layer: name, table: d.table, cache, dev: d.dev, remaps: d.remaps }));
        }
        if (layer.nodes.length > 0) layers.push(layer);
      } else if (part.qemu) {
        const views = part.qemu.views.filter((v) => !want || v.device === want || v.device === `blk:${want}`);
        qemuInfo.push({ layer: name, device: views[0]?.device ?? '', devices: views.map((x) => x.device), summary: part.qemu.summary });
        const layer: StackLayer = { name, kind: 'qemu', nodes: [] };
        // A QEMU process often has devices the traced guest disk is not (a seed disk, a CD): only when
        // several devices wrote are they told apart by name (by the whole trace's writes when in segments).
        const main = part.qemu.main !== undefined ? views.find((v) => v.device === part.qemu!.main) : views[0];
        const rival = part.qemu.rival ?? views.some((v) => v !== main && v.writes > 0 && v.writes * 10 >= (main?.writes ?? 0));
        for (const v of views) {
          const cache: CacheInfo = declared
            ? { mode: declared, source: 'declared' }
            : { mode: v.cache.mode, source: v.cache.mode === 'unknown' ? 'unknown' : 'inferred', how: v.cache.how };
          v.front.writeThrough = declared !== undefined && WRITE_THROUGH.has(declared);
          const suffix = v !== main || rival ? ` ${v.device}` : '';
          const front = node({ name: `${name}${suffix}`, layer: name, table: v.front, cache, dev: -1, links: v.links });
          if (v.cache.volatileShown && !declared) front.volatileShown = v.cache.volatileShown;
          if (v.cache.switched && !declared) front.switched = v.cache.switched;
          const back = node({ name: `${name}:jobs${suffix}`, layer: name, table: v.back, cache: { mode: 'host syscalls', source: 'inferred', how: 'durable only after a later fdatasync/fsync job' }, dev: -1 });
          if (v.writeNodes) back.writeNodes = v.writeNodes;
          if (v.readOnlyNodes) back.readOnlyNodes = v.readOnlyNodes;
          if (v.ownIo) back.ownIo = true;
          front.partner = back.index;
          layer.nodes.push(front, back);
          limitations.push(...qemuLimitations(front.name, v));
        }
        if (layer.nodes.length > 0) layers.push(layer);
      }
    }
    const graph = buildEdges(layers, this.opts.maps);
    limitations.push(...graph.limitations);
    // Align every edge first: matching resolves host jobs of unknown type into flushes or discards.
    const built: BuiltEdge[] = graph.edges.map((e) => {
      const up = levels[e.upper]!.table;
      const low = levels[e.lower]!.table;
      if (e.links) {
        // the links are the pairs: counted, not copied (a long trace has hundreds of thousands)
        const linked = e.links.pairs;
        return { ...e, alignment: { ...identityAlignment(up, low, []), supportingPairs: linked, candidatePairs: linked }, confirmed: true };
      }
      if (e.sameClock) return { ...e, alignment: identityAlignment(up, low, [], 'one trace, one clock: sectors followed through the remap events'), confirmed: true };
      const key = linkKey(levels[e.upper]!, levels[e.lower]!);
      const h = held?.get(key);
      const a = h ? heldAlignment(up, low, h) : align(up, low, e.map, resolution(up) + resolution(low), priors?.get(key));
      if (e.mapSource !== 'none') resolveUnknown(up, low, a.pairs);
      return { ...e, alignment: a, confirmed: confirmedInTime(e, a, up) };
    });
    const kept = pickByAlignment(built, levels, limitations);
    built.length = 0;
    built.push(...kept);
    if (alignOnly) {
      // the clocks only (segments.ts aligns the first rows of a long trace this way): no promise checked
      return {
        levels: [], pairs: [], findings: [], statements: [], limitations: [], qemu: qemuInfo, cacheFromBelow: [],
        alignment: alignmentsOf(built, levels),
        stack: { levels, edges: built, layers },
      };
    }
    // A guest above a write-through QEMU device sees WCE=0: its writes are promised durable at completion.
    // Above a QEMU device that adds no FUA, it sees WCE=1: a volatile cache, whatever its own queue says.
    // Above one that added FUA from some write on, or until some write (the guest switched WCE at run time):
    // volatile on one side of the switch, written through on the other, the side written through placed on
    // the guest's clock as narrowly as the alignment allows.
    const cacheFromBelow: CorrelationResult['cacheFromBelow'] = [];
    const writeThroughMode = (lv: Level) => WRITE_THROUGH.has(lv.cache.mode.replace(/ .*/, ''));
    // a guest disk whose QEMU device is not told among several (mirror legs written alike) is still written through
    // when every one of them is: whichever it sits on reports WCE=0
    const candidates = (u: number) => built.filter((x) => x.upper === u && levels[x.lower]!.table.role === 'qemu-front');
    const shownThrough = new Set<number>();
    for (const e of built) {
      const up = levels[e.upper]!;
      const low = levels[e.lower]!;
      if (up.table.role !== 'block' || low.table.role !== 'qemu-front') continue;
      if (e.ambiguous !== undefined && !candidates(e.upper).every((x) => writeThroughMode(levels[x.lower]!))) continue;
      if (writeThroughMode(low)) {
        if (shownThrough.has(e.upper)) continue;
        shownThrough.add(e.upper);
        cacheFromBelow.push({ layer: up.layer, device: up.table.device, mode: 'writethrough', how: `the QEMU device below is ${low.cache.mode} (virtio-blk reports WCE=0)` });
        if (up.cache.source === 'declared') continue;
        up.table.writeThrough = true;
        up.cache = { mode: 'writethrough', source: 'inferred', how: `the QEMU device below is ${low.cache.mode} (virtio-blk reports WCE=0)` };
      } else if (low.volatileShown) {
        cacheFromBelow.push({ layer: up.layer, device: up.table.device, mode: 'writeback', how: low.volatileShown, byQemu: true });
      } else if (low.switched) {
        const spans = writeThroughOnUpperClock(e.alignment, low.switched.spans);
        if (spans) {
          cacheFromBelow.push({
            layer: up.layer, device: up.table.device, mode: 'writeback', byQemu: true, writeThroughSpans: spans,
            how: `${low.switched.how} (on this device's clock: written through ${spans.map(spanWords).join(', ')})`,
          });
        }
      }
    }
    // a dm/md device with no flag of its own has the volatile cache of the devices its data goes to (durable-below.ts),
    // or none when every one of them is written through
    for (const c of volatileFromBelow(levels, built)) cacheFromBelow.push({ ...c, mode: 'writeback' });
    for (const c of writeThroughFromBelow(levels, built)) cacheFromBelow.push({ ...c, mode: 'writethrough' });

    for (const lv of levels) lv.table.computeDurability();
    const volatile = knownVolatile(levels, built, cacheFromBelow);
    // a bio-based device's writes are durable when their data is durable below; where each write went (durable-below.ts)
    const reach = durabilityFromBelow(levels, built);
    const spans = observedSpans ?? sourceSpans(levels);
    const findings: Finding[] = [];
    const stats: PairStats[] = [];
    const byGroup = new Map<number, Array<{ findings: Finding[]; stats: PairStats }>>();
    for (const e of built) {
      const lower = levels[e.lower]!;
      const reached = timedRemap(e) ? reach.get(e.upper)?.reached : undefined;
      const remapped = timedRemap(e) ? reach.get(e.upper)?.remapped : undefined;
      // a segment of a trace whose clocks here fit several offsets: the count-level proofs count the whole trace
      const h = held?.get(linkKey(levels[e.upper]!, lower));
      const r = checkPair({
        env: this.env, upper: levels[e.upper]!, lower, map: e.map, mapSource: e.mapSource, mapConfirmed: e.confirmed, links: e.links, alignment: e.alignment,
        lowerObserved: observed(lower.table, spans), lowerVolatile: volatile[e.lower]!, ...(reached ? { reached } : {}), ...(remapped ? { remapped } : {}),
        ...(h?.lowerWhole ? { lowerWhole: h.lowerWhole, chainLedger: h.chains } : {}),
        ...(e.byNode ? { oneOfSeveral: true } : {}),
      });
      r.stats.map = e.map.describe;
      r.stats.mapSource = e.mapSource;
      r.stats.mapConfirmed = e.confirmed;
      if (e.fit) r.stats.mapFit = e.fit;
      stats.push(r.stats);
      if (e.ambiguous === undefined) for (const f of r.findings) findings.push(f);
      else {
        let g = byGroup.get(e.ambiguous);
        if (!g) byGroup.set(e.ambiguous, (g = []));
        g.push(r);
      }
    }
    for (const g of byGroup.values()) for (const f of settleAmbiguous(g)) findings.push(f);
    const summaries = levels.map((lv) => levelSummary(this.env, lv));
    for (const lv of levels) {
      const t = lv.table;
      if (t.dropped === 0) continue;
      // never silent: the promises after the cut are not checked, and the level below is not taken as seen there
      const at = t.orderOnly ? `event ${t.droppedFrom}` : `${(t.droppedFrom / 1e9).toFixed(6)} s (its own clock)`;
      limitations.push(`${lv.name} ${t.device}: ${t.dropped} operation(s) from ${at} on were not kept (at most ${opLimits.maxRows} per device): promises after that point are not checked across layers`);
      this.env.diag.addMany('correlate: operations beyond the per-device row limit (not correlated)', 'data-loss', t.dropped);
    }
    for (const s of summaries) {
      if (s.unknown > 0) limitations.push(`${s.name}: ${s.unknown} host job(s) of unknown type (no read/write event before them, not matched to a host flush or discard): not treated as flushes`);
    }
    const statements = stats.map((s) => s.statement);
    if (layers.length > 1 || summaries.length > 2) {
      const top = layers[0]!.nodes.filter((n) => n.table.role !== 'qemu-back');
      const bottom = layers[layers.length - 1]!.nodes.filter((n) => n.table.role !== 'qemu-front');
      const sum = (ns: StackNode[]) => ns.reduce((a, n) => a + summaries[n.index]!.flushes, 0);
      statements.push(`${sum(top)} flush(es) acknowledged at ${layers[0]!.name} (${top.map((n) => n.table.device).join(', ')}); ${sum(bottom)} flush(es) at ${layers[layers.length - 1]!.name} (${bottom.map((n) => n.table.device).join(', ')})`);
    }
    for (const p of built) {
      const a = p.alignment;
      if (a.method === 'order-only') limitations.push(`${a.upper} ↔ ${a.lower}: ${a.note}`);
      if (a.method === 'ambiguous') limitations.push(`${a.upper} ↔ ${a.lower}: ${a.note}`);
      if (a.method === 'none') limitations.push(`${a.upper} ↔ ${a.lower}: clocks not aligned (${a.note}); only count-level verdicts`);
    }
    return {
      levels: summaries,
      pairs: stats,
      alignment: alignmentsOf(built, levels),
      findings,
      statements,
      limitations: [...new Set(limitations)],
      qemu: qemuInfo,
      stack: { levels, edges: built, layers },
      cacheFromBelow,
    };
  }
}

/** The result's alignment entries: each kept edge's alignment, named by its levels. */
function alignmentsOf(built: BuiltEdge[], levels: StackNode[]): CorrelationResult['alignment'] {
  return built.map((p) => ({ ...alignmentReport(p.alignment, p), upper: levelId(levels[p.upper]!), lower: levelId(levels[p.lower]!) }));
}

/**
 * Mirror legs carry the same writes at the same sectors, so the map alone cannot tell which QEMU device
 * serves which guest disk, or which host device holds which image. Their clocks can: on the true pair
 * nearly every matched operation is causally contained at one offset (measured on the lab's mirror
 * captures: 0.93–1.0 of them; on the other leg 0.55–0.7, the legs being written µs to ms apart). A
 * candidate with such coverage and 1.3 times the support of every other wins; otherwise the group stays
 * ambiguous and a verdict is given only where every candidate agrees.
 */
/** First and last time of each source (trace file or stream), over every level read from it. */
function sourceSpans(levels: StackNode[]): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const lv of levels) {
    const t = lv.table;
    if (t.orderOnly) continue;
    for (let i = 0; i < t.n; i++) {
      const src = t.src[i]!;
      let sp = out.get(src);
      if (!sp) out.set(src, (sp = [Infinity, -Infinity]));
      const a = t.tI[i]!;
      const b = Number.isFinite(t.tC[i]!) ? t.tC[i]! : a;
      if (a < sp[0]) sp[0] = a;
      if (b > sp[1]) sp[1] = b;
    }
  }
  return out;
}

function observed(t: OpTable, spans: Map<number, [number, number]>): [number, number] | undefined {
  if (t.n === 0 || t.orderOnly) return undefined;
  const sp = spans.get(t.src[0]!);
  // a table cut at the row limit shows the device only until its first dropped row
  if (t.dropped > 0) return [sp?.[0] ?? -Infinity, Math.min(sp?.[1] ?? Infinity, t.droppedFrom)];
  return sp ? [sp[0], sp[1]] : undefined;
}

/**
 * Levels whose cache is known to be volatile, so that "no flush and no FUA write in the whole trace" proves
 * nothing was made durable there. A block queue whose cache is write-through has REQ_PREFLUSH and REQ_FUA
 * stripped before the bio is traced and empty flushes ended at once (block/blk-core.c submit_bio_noacct,
 * blk_queue_write_cache): a write-through disk shows no flush at all, and needs none. Known volatile:
 * QEMU's levels (a host syscall is durable only after fdatasync); a loop device (major 7: its queue is
 * write-back over its backing file, and a write_cache set to "write through" on it is itself the loss);
 * a device that received a flush or a FUA write (the kernel sends them to volatile queues only); one
 * declared write-back; a guest disk whose QEMU device shows a volatile cache (cacheFromBelow); and a
 * device stacked on a known volatile one (dm and md advertise a write cache when a device below has one).
 */
function knownVolatile(levels: StackNode[], edges: BuiltEdge[], below: CorrelationResult['cacheFromBelow']): boolean[] {
  const out = levels.map((lv) => {
    const t = lv.table;
    if (t.role !== 'block') return true;
    if (isLoopDevice(lv.dev)) return true;
    if (lv.cache.source === 'declared') return !WRITE_THROUGH.has(lv.cache.mode);
    if (below.some((c) => c.layer === lv.layer && c.device === t.device && c.mode === 'writeback')) return true;
    const c = t.counts();
    return c.flushes > 0 || c.fua > 0;
  });
  // up the stack: a device over a volatile one is volatile (edges point upper → lower)
  for (let changed = true; changed;) {
    changed = false;
    for (const e of edges) {
      if (!out[e.upper] && out[e.lower] && levels[e.upper]!.table.role === 'block' && levels[e.lower]!.table.role === 'block') {
        out[e.upper] = true;
        changed = true;
      }
    }
  }
  return out;
}

/** Share of upper writes matched in time for a non-exact map to be taken as confirmed. */
const MIN_TIME_FIT = 0.5;

function confirmedInTime(e: StackEdge, a: Alignment, up: OpTable): boolean {
  // Remap events and QEMU links are exact. A given map is a hypothesis like an inferred one: a filefrag taken
  // after the workload misses blocks reallocated during it (corpus lol-buffered: mkfs punched holes).
  if (e.mapSource === 'remap' || e.mapSource === 'linked') return true;
  if (e.mapSource === 'none' || a.method !== 'causal-offset') return false;
  let dataPairs = 0;
  for (const x of a.pairs) if (up.kind[x.u] === OpKind.Write) dataPairs++;
  return dataPairs >= MIN_TIME_FIT * up.counts().writes;
}

const MIN_COVERAGE = 0.85;
const CLEAR_LEAD = 1.3;

function pickByAlignment(edges: BuiltEdge[], levels: StackNode[], limitations: string[]): BuiltEdge[] {
  const groups = new Map<number, BuiltEdge[]>();
  for (const e of edges) if (e.ambiguous !== undefined) {
    let g = groups.get(e.ambiguous);
    if (!g) groups.set(e.ambiguous, (g = []));
    g.push(e);
  }
  const drop = new Set<BuiltEdge>();
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => b.alignment.supportingPairs - a.alignment.supportingPairs);
    const [best, second] = sorted;
    if (!best || !second || best.alignment.method !== 'causal-offset' || best.byNode) continue;
    // the true pair: nearly every matched operation contained at one offset, and clearly more of them
    const coverage = best.alignment.supportingPairs / Math.max(1, best.alignment.candidatePairs);
    if (coverage < MIN_COVERAGE || best.alignment.supportingPairs < CLEAR_LEAD * second.alignment.supportingPairs) continue;
    for (const e of sorted.slice(1)) drop.add(e);
    delete best.ambiguous;
    const upName = levels[best.upper]!.name;
    const i = limitations.findIndex((l) => l.startsWith(`${upName}: `) && l.includes('fit its writes equally'));
    if (i >= 0) limitations.splice(i, 1);
    limitations.push(`${levels[best.upper]!.name} is over ${levels[best.lower]!.name}: of the devices its writes fit equally, `
      + `its clock aligns with this one by ${best.alignment.supportingPairs} causally contained pairs (next best ${second.alignment.supportingPairs}, ${levels[second.lower]!.name})`);
  }
  return edges.filter((e) => !drop.has(e));
}

/**
 * Several lower devices could hold an upper device's data (mirror legs with the same writes; a QEMU drive whose
 * image changed during the trace): a promise is broken only if it is broken on each candidate. The upper device
 * is the same in every candidate's findings, so one promise is one key (promiseKey): an error whose promise is
 * broken on every candidate stands (each candidate's finding is kept); the others become one undecided note.
 * Deciding group by group instead (any error on every candidate) held the promises kept on the device that
 * held the data at the time against the one that did not: a drive moved by a mirror job had each candidate
 * break the promises of the other's time span.
 */
export function settleAmbiguous(group: Array<{ findings: Finding[]; stats: PairStats }>): Finding[] {
  const errs = group.map((r) => r.findings.filter((f) => f.severity === 'error'));
  const keys = errs.map((e) => new Set(e.map(promiseKey)));
  const onEach = (f: Finding) => keys.every((k) => k.has(promiseKey(f)));
  const out = group.flatMap((r) => r.findings.filter((f) => f.severity !== 'error' || onEach(f)));
  const broken = group.filter((_, i) => errs[i]!.some((f) => !onEach(f)));
  if (broken.length > 0) {
    const f0 = broken[0]!.findings.find((f) => f.severity === 'error' && !onEach(f))!;
    const kept = group.filter((r) => !broken.includes(r));
    const undecided = new Set(errs.flat().filter((f) => !onEach(f)).map(promiseKey)).size;
    out.push({
      rule: 'cross-layer-undecided',
      severity: 'warning',
      layer: f0.layer,
      device: f0.device,
      time: f0.time,
      message: kept.length > 0
        ? `${f0.layer} ${f0.device}: ${undecided === 1 ? 'a promise holds' : `${undecided} of its promises hold`} if its data went to ${kept.map((r) => r.stats.lower).join(' or ')}, `
          + `not if it went to ${broken.map((r) => r.stats.lower).join(' or ')}; the traces do not say which device is below it (give --device or --map to decide).`
        : `${f0.layer} ${f0.device}: ${undecided} of its promises are broken on some of ${group.map((r) => r.stats.lower).join(', ')} and kept on others; `
          + `the traces do not say which of them held its data at the time (give --device or --map to decide).`,
      evidence: f0.evidence.slice(0, 4),
      details: { candidates: group.map((r) => r.stats.lower), brokenOn: broken.map((r) => r.stats.lower), undecided },
    });
  }
  return out;
}

/** One promise of the upper device: the rule and the upper operation its evidence starts with. */
function promiseKey(f: Finding): string {
  const e = f.evidence[0];
  return `${f.rule}\u0000${f.time}\u0000${e ? `${e.source}:${e.loc}` : ''}`;
}

/** Rows a level holds before its next quiet instant writes them out (measured: README, Performance). */
export const STREAM_ROWS = 8192;
/**
 * Rows written out, in pieces, beyond which the trace is correlated in segments (segments.ts): below, it
 * is read back and correlated whole (about 50 MB at the default), its alignment over all of it.
 */
const WHOLE_PIECES = 64;

function streamRowsFromEnv(): number {
  const v = process.env['BLKAUDIT_STREAM_ROWS'];
  if (v === undefined || v === '') return STREAM_ROWS;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : STREAM_ROWS;
}

export function createCorrelator(env: AnalysisEnv, opts: CorrelateOptions = {}): Correlator {
  return new Correlator(env, opts);
}

/**
 * Clock resolution of a table's source in ns: QEMU prints µs; blkparse prints ns but the ftrace
 * blk tracer and tracepoint text print µs, so block levels get 1 µs too (conservative).
 */
function resolution(_t: OpTable): number {
  return 1000;
}

/** Host jobs of unknown type matched to a host flush or discard take that kind. */
function resolveUnknown(up: OpTable, low: OpTable, pairs: Pair[]): void {
  let changed = false;
  for (const p of pairs) {
    if (up.kind[p.u] !== OpKind.Unknown) continue;
    const k = low.kind[p.l];
    if (k === OpKind.Flush || k === OpKind.Discard) {
      up.kind[p.u] = k;
      changed = true;
    }
  }
  // a discard is now in its rows: an index of them made before is stale
  if (changed) RangeIndex.forget(up);
}

function levelSummary(env: AnalysisEnv, lv: Level): LevelSummary {
  const c = lv.table.counts();
  const src = env.sources[lv.table.src[0] ?? 0];
  return {
    id: levelId(lv), name: lv.name, layer: lv.layer, device: lv.table.device, role: lv.table.role,
    clock: lv.table.orderOnly ? 'order-only' : src?.clock.name ?? 'relative', cache: lv.cache,
    reads: c.reads, writes: c.writes, flushes: c.flushes, fua: c.fua, unknown: c.unknown,
    ...(lv.table.role !== 'block' ? seriesOf(lv.table) : {}),
  };
}

function seriesOf(t: OpTable): { series?: LevelSeries } {
  const series = levelSeries(t);
  return series ? { series } : {};
}

function alignmentReport(a: Alignment, e: BuiltEdge): AlignmentReport {
  const r: AlignmentReport = {
    upper: a.upper, lower: a.lower, method: a.method, supportingPairs: a.supportingPairs, candidatePairs: a.candidatePairs, note: a.note,
    map: e.map.describe, mapSource: e.mapSource, mapConfirmed: e.confirmed,
  };
  if (e.fit) r.mapFit = e.fit;
  if (a.offsetSeconds !== undefined) r.offsetSeconds = a.offsetSeconds;
  if (a.candidates) r.candidates = a.candidates;
  if (a.widthSeconds !== undefined) r.widthSeconds = a.widthSeconds;
  if (a.drift) r.drift = a.drift;
  return r;
}

function qemuLimitations(layer: string, v: QemuDeviceView): string[] {
  const out: string[] = [];
  let frontFlushes = 0;
  for (let i = 0; i < v.front.n; i++) if (v.front.kind[i] === OpKind.Flush) frontFlushes++;
  if (v.device.startsWith('blk:')) {
    out.push(
      `${layer}: BlockBackend flushes (qemu-io "flush", block jobs) have no trace event in QEMU 7.2 (bdrv_co_flush is not traced): ` +
        'a flush is seen only through the host job it causes; one elided because nothing was written since the last flush, ' +
        'or dropped by cache=unsafe, leaves no event at all, so its promise cannot be checked from this trace',
    );
  } else if (v.device.startsWith('scsi:')) {
    out.push(`${layer}: SCSI flushes are SYNCHRONIZE CACHE commands read from scsi_disk_new_request's CDB; their host flush job is untyped in QEMU 7.2 and taken as theirs by order`);
  } else if (v.device.startsWith('nvme:')) {
    out.push(
      `${layer}: NVMe flushes are Flush commands (pci_nvme_io_cmd opcode 0); pci_nvme_write does not print a write's FUA bit, ` +
        'and QEMU 7.2 does not act on it (hw/nvme/ctrl.c nvme_do_write submits the data with no BDRV_REQ_FUA), so an NVMe write is durable only after a later flush',
    );
  } else if (frontFlushes > 0) {
    out.push(`${layer}: virtio flushes are recognised as requests with no read/write handled (QEMU 7.2 has no virtio_blk_handle_flush event)`);
  }
  // an inferred cache mode (cache=unsafe …) is a fact about the stack (LayerReport.cacheMode), not a limitation
  return out;
}

/**
 * The stretches in which a guest that switched its write cache at run time had its device written through
 * (QEMU-clock spans), on the upper device's clock, narrowed by the alignment's uncertainty: from the latest
 * time each switch to write-through can be there, until the earliest time the switch back can. A stretch the
 * uncertainty swallows is left out. Undefined when the clocks are not aligned (no offset, order only,
 * ambiguous) or no stretch is left.
 */
function writeThroughOnUpperClock(a: BuiltEdge['alignment'], spans: ReadonlyArray<readonly [number, number]>): Array<[number, number]> | undefined {
  if (a.clock.kind !== 'offset' && a.clock.kind !== 'identity') return undefined;
  const out: Array<[number, number]> = [];
  for (const [from, until] of spans) {
    const lo = from === -Infinity ? -Infinity : a.clock.toUpper(from)[1];
    const hi = until === Infinity ? Infinity : a.clock.toUpper(until)[0];
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo === Infinity || hi === -Infinity) return undefined;
    if (lo <= hi) out.push([lo, hi]);
  }
  return out.length > 0 ? out : undefined;
}
