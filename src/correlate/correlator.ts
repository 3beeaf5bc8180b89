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
import type { QemuSink } from '../qemu/event.js';
import type { RebuildSummary } from '../qemu/rebuild.js';
import { align, identityAlignment, type Alignment, type Pair } from './align.js';
import { BlockOpsBuilder } from './block-ops.js';
import type { CacheInfo, Level } from './level.js';
import { IDENTITY, type SectorMap } from './mapping.js';
import { OpKind, type OpTable } from './ops.js';
import { QemuOpsBuilder, type QemuDeviceView } from './qemu-ops.js';
import { checkPair, type PairStats } from './rules.js';

export interface CorrelateOptions {
  /** Layer names top to bottom (default: the order the layers' inputs were given). */
  order?: string[];
  /** Sector map from a layer to the layer below it (default identity). */
  maps?: Record<string, SectorMap>;
  /** Declared cache mode per layer: writeback | writethrough | none | directsync | unsafe. */
  cache?: Record<string, string>;
  /** Device to follow per layer ("254,0", a QEMU vdev pointer); default: the one with most writes. */
  devices?: Record<string, string>;
}

export interface AlignmentReport {
  upper: string;
  lower: string;
  method: Alignment['method'];
  offsetSeconds?: number;
  widthSeconds?: number;
  supportingPairs: number;
  candidatePairs: number;
  note: string;
}

export interface LevelSummary {
  name: string;
  layer: string;
  device: string;
  role: OpTable['role'];
  clock: string;
  cache: CacheInfo;
  reads: number;
  writes: number;
  flushes: number;
  fua: number;
  /** QEMU host jobs whose type stayed unknown (not treated as flushes). */
  unknown: number;
}

export interface CorrelationResult {
  levels: LevelSummary[];
  pairs: PairStats[];
  alignment: AlignmentReport[];
  findings: Finding[];
  /** Count-level sentences, top to bottom. */
  statements: string[];
  limitations: string[];
  qemu: Array<{ layer: string; device: string; devices: string[]; summary?: RebuildSummary }>;
  /** The built stack, for `follow` (not serialized). */
  stack: BuiltStack;
}

export interface BuiltStack {
  levels: Level[];
  /** pairs[i] joins levels[i] and levels[i+1]. */
  pairs: Array<{ map: SectorMap; alignment: Alignment; links?: Map<number, number[]> }>;
}

interface LayerInput {
  name: string;
  block?: BlockOpsBuilder;
  qemu?: QemuOpsBuilder;
  sources: number[];
}

const WRITE_THROUGH = new Set(['writethrough', 'write-through', 'directsync', 'wt']);

export class Correlator {
  private readonly layers = new Map<string, LayerInput>();
  private readonly seen: string[] = [];

  constructor(private readonly env: AnalysisEnv, private readonly opts: CorrelateOptions = {}) {}

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

  blockSink(layer: string, sourceIndex: number): EventSink {
    const l = this.layer(layer, sourceIndex);
    if (l.qemu) throw new Error(`layer ${layer} mixes QEMU and block traces`);
    l.block ??= new BlockOpsBuilder(layer);
    return l.block;
  }

  qemuSink(layer: string, sourceIndex: number): QemuSink {
    const l = this.layer(layer, sourceIndex);
    if (l.block) throw new Error(`layer ${layer} mixes QEMU and block traces`);
    l.qemu ??= new QemuOpsBuilder(layer, this.env.diag, this.env.sources[sourceIndex]?.name ?? '');
    return l.qemu;
  }

  finish(): CorrelationResult {
    const order = this.opts.order?.filter((n) => this.layers.has(n)) ?? [];
    for (const n of this.seen) if (!order.includes(n)) order.push(n);
    const levels: Level[] = [];
    const links = new Map<number, Map<number, number[]>>();
    const qemuInfo: CorrelationResult['qemu'] = [];
    const limitations: string[] = [];
    for (const name of order) {
      const l = this.layers.get(name)!;
      const declared = this.opts.cache?.[name];
      if (l.block) {
        const t = pickTable(l.block.tables(), this.opts.devices?.[name]);
        if (!t) continue;
        const cache: CacheInfo = declared ? { mode: declared, source: 'declared' } : { mode: 'writeback', source: 'unknown', how: 'assumed volatile (no --cache)' };
        t.writeThrough = declared !== undefined && WRITE_THROUGH.has(declared);
        levels.push({ name, layer: name, table: t, cache });
      } else if (l.qemu) {
        const views = l.qemu.finish();
        const v = pickView(views, this.opts.devices?.[name]);
        qemuInfo.push({ layer: name, device: v?.device ?? '', devices: views.map((x) => x.device), summary: l.qemu.summary });
        if (!v) continue;
        const cache: CacheInfo = declared
          ? { mode: declared, source: 'declared' }
          : { mode: v.cache.mode, source: v.cache.mode === 'unknown' ? 'unknown' : 'inferred', how: v.cache.how };
        v.front.writeThrough = declared !== undefined && WRITE_THROUGH.has(declared);
        const frontIdx = levels.length;
        levels.push({ name, layer: name, table: v.front, cache });
        levels.push({ name: `${name}:jobs`, layer: name, table: v.back, cache: { mode: 'host syscalls', source: 'inferred', how: 'durable only after a later fdatasync/fsync job' } });
        links.set(frontIdx, v.links);
        limitations.push(...qemuLimitations(name, v));
      }
    }
    // A guest above a write-through QEMU device sees WCE=0: its writes are promised durable at completion.
    for (let i = 0; i + 1 < levels.length; i++) {
      const up = levels[i]!;
      const low = levels[i + 1]!;
      if (up.table.role === 'block' && low.table.role === 'qemu-front' && up.cache.source !== 'declared'
        && WRITE_THROUGH.has(low.cache.mode.replace(/ .*/, ''))) {
        up.table.writeThrough = true;
        up.cache = { mode: 'writethrough', source: 'inferred', how: `the QEMU device below is ${low.cache.mode} (virtio-blk reports WCE=0)` };
      }
    }
    // Align every pair first: matching resolves host jobs of unknown type into flushes or discards.
    const pairs: BuiltStack['pairs'] = [];
    for (let i = 0; i + 1 < levels.length; i++) {
      const up = levels[i]!;
      const low = levels[i + 1]!;
      const lk = links.get(i);
      if (lk && up.layer === low.layer) {
        const ps: Pair[] = [];
        for (const [u, rows] of lk) for (const l of rows) ps.push({ u, l });
        pairs.push({ map: IDENTITY, alignment: identityAlignment(up.table, low.table, ps), links: lk });
        continue;
      }
      const map = this.opts.maps?.[up.layer] ?? IDENTITY;
      const res = resolution(up.table) + resolution(low.table);
      const a = align(up.table, low.table, map, res);
      resolveUnknown(up.table, low.table, a.pairs);
      pairs.push({ map, alignment: a });
    }
    for (const lv of levels) lv.table.computeDurability();
    const findings: Finding[] = [];
    const stats: PairStats[] = [];
    pairs.forEach((p, i) => {
      const r = checkPair({ env: this.env, upper: levels[i]!, lower: levels[i + 1]!, map: p.map, links: p.links, alignment: p.alignment });
      findings.push(...r.findings);
      stats.push(r.stats);
    });
    const summaries = levels.map((lv) => levelSummary(this.env, lv));
    for (const s of summaries) {
      if (s.unknown > 0) limitations.push(`${s.name}: ${s.unknown} host job(s) of unknown type (no read/write event before them, not matched to a host flush or discard): not treated as flushes`);
    }
    const statements = stats.map((s) => s.statement);
    if (summaries.length > 2) {
      const top = summaries[0]!;
      const bottom = summaries[summaries.length - 1]!;
      statements.push(`${top.flushes} flush(es) acknowledged at ${top.name} (${top.device}); ${bottom.flushes} flush(es) at ${bottom.name} (${bottom.device})`);
    }
    for (const p of pairs) {
      if (p.alignment.method === 'order-only') limitations.push(`${p.alignment.upper} ↔ ${p.alignment.lower}: ${p.alignment.note}`);
      if (p.alignment.method === 'none') limitations.push(`${p.alignment.upper} ↔ ${p.alignment.lower}: clocks not aligned (${p.alignment.note}); only count-level verdicts`);
    }
    return {
      levels: summaries,
      pairs: stats,
      alignment: pairs.map((p) => alignmentReport(p.alignment)),
      findings,
      statements,
      limitations: [...new Set(limitations)],
      qemu: qemuInfo,
      stack: { levels, pairs },
    };
  }
}

export function createCorrelator(env: AnalysisEnv, opts: CorrelateOptions = {}): Correlator {
  return new Correlator(env, opts);
}

function pickTable(tables: OpTable[], want?: string): OpTable | undefined {
  if (want) return tables.find((t) => t.device === want || t.device === want.replace(':', ','));
  let best: OpTable | undefined;
  let bestW = -1;
  for (const t of tables) {
    const w = t.counts().writes;
    if (w > bestW) {
      best = t;
      bestW = w;
    }
  }
  return best;
}

function pickView(views: QemuDeviceView[], want?: string): QemuDeviceView | undefined {
  if (want) return views.find((v) => v.device === want || v.device === `blk:${want}`);
  return views[0];
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
  for (const p of pairs) {
    if (up.kind[p.u] !== OpKind.Unknown) continue;
    const k = low.kind[p.l];
    if (k === OpKind.Flush || k === OpKind.Discard) up.kind[p.u] = k;
  }
}

function levelSummary(env: AnalysisEnv, lv: Level): LevelSummary {
  const c = lv.table.counts();
  const src = env.sources[lv.table.src[0] ?? 0];
  return {
    name: lv.name, layer: lv.layer, device: lv.table.device, role: lv.table.role,
    clock: lv.table.orderOnly ? 'order-only' : src?.clock.name ?? 'relative', cache: lv.cache,
    reads: c.reads, writes: c.writes, flushes: c.flushes, fua: c.fua, unknown: c.unknown,
  };
}

function alignmentReport(a: Alignment): AlignmentReport {
  const r: AlignmentReport = {
    upper: a.upper, lower: a.lower, method: a.method, supportingPairs: a.supportingPairs, candidatePairs: a.candidatePairs, note: a.note,
  };
  if (a.offsetSeconds !== undefined) r.offsetSeconds = a.offsetSeconds;
  if (a.widthSeconds !== undefined) r.widthSeconds = a.widthSeconds;
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
  } else if (frontFlushes > 0) {
    out.push(`${layer}: virtio flushes are recognised as requests with no read/write handled (QEMU 7.2 has no virtio_blk_handle_flush event)`);
  }
  if (v.cache.mode === 'unsafe') {
    out.push(`${layer}: cache=unsafe inferred (${v.cache.how}): QEMU completes every flush without a host flush`);
  }
  return out;
}
