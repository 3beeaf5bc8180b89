/**
 * The results of a long stack's segments (segments.ts) added up into one: findings and counts summed, each
 * link's alignment reported once (the first segment's offset, the widest width, a drift measured within a
 * segment or across the segments' offsets), the levels' series merged, the last segment's stack shown.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { Finding } from '../model/report.js';
import type { DriftInfo } from './align.js';
import type { AlignmentReport, CorrelationResult, LevelSummary } from './result.js';
import { rowSpan } from './spill.js';
import { mergeSeries, type LevelSeries } from './level-series.js';
import type { PairStats } from './rules.js';

/** Segments' series of one level kept before they are merged into one (Merge.add). */
const FOLD_SERIES = 64;

/** The segments' results added up into one. */
export class Merge {
  private readonly findings: Finding[] = [];
  /** The cross-layer-undecided finding of each pair, reason and severity: one for the trace, as on the whole. */
  private readonly undecided = new Map<string, Finding>();
  private readonly levels = new Map<string, LevelSummary>();
  private readonly pairs = new Map<string, PairStats>();
  private readonly alignment = new Map<string, { r: AlignmentReport; offsets: Array<[number, number]>; n: number }>();
  private readonly limitations = new Set<string>();
  private readonly series = new Map<string, LevelSeries[]>();
  /** "upper ↔ lower", as the correlator starts its clock limitations, by pair of level ids. */
  private readonly labels = new Map<string, string>();
  private readonly below = new Map<string, CorrelationResult['cacheFromBelow'][number]>();
  private last: CorrelationResult | undefined;
  segments = 0;

  constructor(private readonly layerOrder: string[]) {}

  add(r: CorrelationResult): void {
    this.segments++;
    this.last = r;
    for (const f of r.findings) this.finding(f);
    for (const lv of r.levels) {
      if (lv.series) {
        const parts = this.series.get(lv.id) ?? this.series.set(lv.id, []).get(lv.id)!;
        parts.push(lv.series);
        // folded as they come, so that a long trace's hundreds of segments are not all kept (the buckets of a
        // fold are put whole into those of the next: a count may land one bucket of the fold's width over)
        if (parts.length > FOLD_SERIES) parts.splice(0, parts.length, mergeSeries(parts)!);
      }
      const m = this.levels.get(lv.id);
      if (!m) {
        const { series: _series, ...rest } = lv;
        this.levels.set(lv.id, { ...rest });
        continue;
      }
      m.reads += lv.reads;
      m.writes += lv.writes;
      m.flushes += lv.flushes;
      m.fua += lv.fua;
      m.unknown += lv.unknown;
      if (m.cache.source === 'unknown' && lv.cache.source !== 'unknown') m.cache = lv.cache;
    }
    for (const p of r.pairs) {
      const key = `${p.upper}\u0000${p.lower}`;
      const m = this.pairs.get(key);
      if (!m) {
        this.pairs.set(key, { ...p, promises: { ...p.promises }, ...(p.mapFit ? { mapFit: { ...p.mapFit } } : {}) });
        continue;
      }
      m.promises.flush += p.promises.flush;
      m.promises.fua += p.promises.fua;
      m.promises.writeThrough += p.promises.writeThrough;
      for (const k of ['honored', 'violated', 'undecided', 'notFollowed', 'upperFlushes', 'lowerFlushes', 'upperWrites', 'lowerWrites', 'flushLevel', 'undecidedNeverDurable', 'notFollowedPromises'] as const) m[k] += p[k];
      if (m.mapFit && p.mapFit) {
        m.mapFit.matched += p.mapFit.matched;
        m.mapFit.writes += p.mapFit.writes;
      }
      if (p.mapConfirmed === false) m.mapConfirmed = false;
    }
    const mids = new Map<string, number>();
    r.alignment.forEach((a, i) => {
      const e = r.stack.edges[i];
      if (!e) return;
      this.labels.set(`${a.upper}\u0000${a.lower}`, `${e.alignment.upper} ↔ ${e.alignment.lower}`);
      const sp = rowSpan(r.stack.levels[e.upper]!.table);
      if (sp.last >= sp.first) mids.set(`${a.upper}\u0000${a.lower}`, (sp.first + sp.last) / 2 / 1e9);
    });
    for (const a of r.alignment) {
      const key = `${a.upper}\u0000${a.lower}`;
      const m = this.alignment.get(key);
      // where this segment's offset holds (upper clock, s): its drift's t0, or the middle of its rows
      const mid = a.drift?.t0Seconds ?? mids.get(key);
      const off: Array<[number, number]> = a.method === 'causal-offset' && a.offsetSeconds !== undefined && mid !== undefined ? [[mid, a.offsetSeconds]] : [];
      if (!m) {
        this.alignment.set(key, { r: { ...a }, offsets: off, n: 1 });
        continue;
      }
      m.n++;
      // a segment with nothing to align (no operation of the upper level matched anything) says nothing of
      // the clocks; the first segment with something to say replaces one that had nothing
      const silent = (x: AlignmentReport) => x.method === 'none' && x.candidatePairs === 0;
      if (silent(m.r) && !silent(a)) {
        const { supportingPairs: _s, candidatePairs: _c, ...rest } = a;
        Object.assign(m.r, rest);
        delete m.r.candidates;
        if (a.candidates) m.r.candidates = a.candidates;
      }
      m.offsets.push(...off);
      m.r.supportingPairs += a.supportingPairs;
      m.r.candidatePairs += a.candidatePairs;
      if (a.widthSeconds !== undefined) m.r.widthSeconds = Math.max(m.r.widthSeconds ?? 0, a.widthSeconds);
      if (a.drift && (!m.r.drift || a.drift.spanSeconds > m.r.drift.spanSeconds)) m.r.drift = a.drift;
      if (m.r.mapFit && a.mapFit) m.r.mapFit = { matched: m.r.mapFit.matched + a.mapFit.matched, writes: m.r.mapFit.writes + a.mapFit.writes };
      if (!a.mapConfirmed) m.r.mapConfirmed = false;
      // a segment whose clocks did not align makes the whole pair's alignment no better than that
      if (!silent(a) && RANK[a.method] > RANK[m.r.method]) {
        m.r.method = a.method;
        m.r.note = a.note;
        if (a.candidates) m.r.candidates = a.candidates;
      }
    }
    for (const l of r.limitations) this.limitations.add(l);
    for (const c of r.cacheFromBelow) this.below.set(`${c.layer}\u0000${c.device}\u0000${c.mode}`, c);
  }

  /** A finding over every segment (segments.ts: a held link's chain proof), with the promises it breaks on its pair. */
  addFinding(f: Finding, pairKey: string, violated: number): void {
    this.findings.push(f);
    const p = this.pairs.get(pairKey);
    if (p) p.violated += violated;
  }

  /**
   * A segment's finding. A pair's promises left undecided for one reason are one finding over the trace, as
   * the whole trace gives: the segments' counts added up, the first segment's first promise as evidence.
   */
  private finding(f: Finding): void {
    const d = f.details;
    if (f.rule !== 'cross-layer-undecided' || typeof d?.['undecided'] !== 'number') {
      this.findings.push(f);
      return;
    }
    const key = `${f.severity}\u0000${f.layer}\u0000${f.device}\u0000${String(d['lower'])}\u0000${String(d['reason'])}`;
    const m = this.undecided.get(key);
    if (!m) {
      const own = { ...f, details: { ...d } };
      this.undecided.set(key, own);
      this.findings.push(own);
      return;
    }
    const n = (m.details!['undecided'] as number) + d['undecided'];
    m.details!['undecided'] = n;
    // the message starts with the count ("N promise(s) of …")
    m.message = m.message.replace(/^\d+/, String(n));
  }

  result(_env: AnalysisEnv): CorrelationResult {
    const last = this.last!;
    const levels = [...this.levels.values()].map((l) => {
      const series = mergeSeries(this.series.get(l.id) ?? []);
      return series ? { ...l, series } : l;
    });
    const byId = new Map(levels.map((l) => [l.id, l]));
    const pairs = [...this.pairs.values()].map((p) => {
      const u = byId.get(p.upper);
      const l = byId.get(p.lower);
      if (u && l) p.statement = `${u.flushes} flush(es) and ${u.fua} FUA write(s) acknowledged at ${u.name}; ${l.flushes} flush(es) and ${l.writes} write(s) at ${l.name}`;
      return p;
    });
    const statements = pairs.map((p) => p.statement);
    const layers = this.layerOrder.filter((n, i, a) => a.indexOf(n) === i);
    if (layers.length > 1) {
      const top = levels.filter((l) => l.layer === layers[0] && l.role !== 'qemu-back');
      const bottom = levels.filter((l) => l.layer === layers[layers.length - 1] && l.role !== 'qemu-front');
      const sum = (ls: LevelSummary[]) => ls.reduce((a, l) => a + l.flushes, 0);
      statements.push(`${sum(top)} flush(es) acknowledged at ${layers[0]} (${top.map((l) => l.device).join(', ')}); ${sum(bottom)} flush(es) at ${layers[layers.length - 1]} (${bottom.map((l) => l.device).join(', ')})`);
    }
    // a pair's clock limitation once, as its merged alignment says (each segment said its own)
    const labels = [...this.labels.values()];
    const limitations = [...this.limitations].filter((l) => !labels.some((x) => l.startsWith(`${x}: `)));
    for (const [key, { r }] of this.alignment) {
      const label = this.labels.get(key);
      if (!label) continue;
      if (r.method === 'order-only' || r.method === 'ambiguous') limitations.push(`${label}: ${r.note}`);
      if (r.method === 'none') limitations.push(`${label}: clocks not aligned (${r.note}); only count-level verdicts`);
    }
    statements.push(`correlated in ${this.segments} segment(s), cut where every level was quiet and no write waited for a later flush (the trace's rows were kept on disk meanwhile)`);
    const alignment = [...this.alignment.values()].map(({ r, n, offsets }) => {
      if (n <= 1 || r.method !== 'causal-offset') return r;
      const drift = driftAcross(offsets, r.widthSeconds ?? 0);
      const out: AlignmentReport = { ...r, note: `${r.note}; aligned again in each of ${n} segments (offset of the first given, widest width)` };
      if (drift && !(r.drift && r.drift.spanSeconds >= drift.spanSeconds)) {
        out.drift = drift;
        out.offsetSeconds = drift.offsetAtT0;
        delete (out.drift as { offsetAtT0?: number }).offsetAtT0;
        out.note += `; the offsets found segment by segment lie on a line of ${drift.ppm.toFixed(1)} ppm: the clocks drift`;
      }
      return out;
    });
    return {
      levels,
      pairs,
      alignment,
      findings: this.findings,
      statements,
      limitations,
      qemu: last.qemu,
      stack: last.stack,
      cacheFromBelow: [...this.below.values()],
    };
  }
}

/**
 * The segments' offsets (upper time s, offset s) on one line, when they move by more than the alignment's
 * width over the trace and lie within that width of a straight line: the clocks drift (as drift.ts finds
 * within one stretch). The offset is given at the middle of the trace.
 */
function driftAcross(points: Array<[number, number]>, width: number): (DriftInfo & { offsetAtT0: number }) | undefined {
  if (points.length < 3) return undefined;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const mo = points.reduce((a, p) => a + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [t, o] of points) {
    sxx += (t - mt) * (t - mt);
    sxy += (t - mt) * (o - mo);
  }
  if (!(sxx > 0)) return undefined;
  const rate = sxy / sxx;
  const ts = points.map((p) => p[0]);
  const span = Math.max(...ts) - Math.min(...ts);
  let residual = 0;
  for (const [t, o] of points) residual = Math.max(residual, Math.abs(o - (mo + rate * (t - mt))));
  if (Math.abs(rate) * span <= 2 * width || residual > Math.max(width, 1e-6)) return undefined;
  return { ppm: rate * 1e6, windows: n, spanSeconds: span, residualSeconds: residual, t0Seconds: mt, offsetAtT0: mo };
}

const RANK: Record<AlignmentReport['method'], number> = { identity: 0, 'causal-offset': 1, 'order-only': 2, ambiguous: 3, none: 4 };
