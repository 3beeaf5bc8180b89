/**
 * A long stack correlated a segment at a time, in memory that grows with a
 * segment, not with the trace (issue 16).
 *
 * As the layers are read, each level writes its rows to a temporary file
 * whenever it falls quiet with enough of them (block-ops.ts, qemu-ops.ts,
 * spill.ts) and keeps a log of its quiet spans (quiet.ts). Here the rows are
 * read back and cut where no promise can span the cut: an instant at which
 * every level, on its own clock, had nothing in flight and no completed
 * write waiting for a flush still to come. Each segment is correlated by the
 * same code as a whole trace (correlator.ts), and the results added up.
 *
 * Placing one instant on every level's clock needs the clocks aligned. The
 * first rows of every level are correlated once to align them; each
 * segment's own alignment then places the next cut (so a drifting clock is
 * followed). A cut is taken only where every level's quiet span holds the
 * instant with the alignment's uncertainty and a margin on both sides.
 *
 * A periodic workload fits several clock offsets about as well between some
 * levels: when the first rows show that, the ambiguity is held for the whole
 * trace (no offset is searched for in any segment, every verdict that needs
 * that clock is undecided, as on the whole trace) and the cuts are placed with
 * the likeliest offset, which no verdict then depends on; the count-level
 * proofs (nothing durable below, too few durability points below for a chain
 * of flushes) count the lower level's whole trace, since a segment's rows
 * below need not be those of the same stretch.
 *
 * Where that cannot be done — an untimed trace, clocks that do not align on
 * the first rows, a level never quiet — the whole trace is read back and
 * correlated at once, as without streaming: the answer is the same, only the
 * memory is not bounded. A workload with no quiet instant in some level
 * (writes always waiting for the next flush) is one segment, for the same
 * reason.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import { endStream, type BlockDevice, type BlockPiece } from './block-ops.js';
import type { OffsetPrior } from './align.js';
import { offsetClock, type ClockMap } from './clock-map.js';
import { levelId, linkKey } from './level.js';
import type { CorrelationResult } from './result.js';
import type { RemapSet } from './remaps.js';
import { OpTable, type LevelCounts } from './ops.js';
import { keepBefore, type QemuDeviceView, type QemuPiece, type QemuPieces, QemuRows } from './qemu-ops.js';
import type { QuietLog } from './quiet.js';
import type { RebuildSummary } from '../qemu/rebuild.js';
import { rowSpan } from './spill.js';
import { Merge } from './segment-merge.js';
import { ChainLedger } from './flush-chain.js';

/** One layer's levels as correlation takes them: block devices' tables, or a QEMU process' device views. */
export interface LayerParts {
  name: string;
  block?: Array<{ dev: number; table: OpTable; remaps: Map<number, RemapSet> }>;
  qemu?: { views: QemuDeviceView[]; summary: RebuildSummary | undefined; main?: string | undefined; rival?: boolean };
}

export interface SegmentInput {
  env: AnalysisEnv;
  /** Rows a level writes out at a time (the first rows aligned are at least this many per level). */
  rows: number;
  layers: Array<{ name: string; block?: BlockDevice[]; qemu?: QemuPieces | undefined }>;
  /** The whole trace at once (read back): when it cannot be cut. */
  whole(): LayerParts[];
}

/** Correlation of some rows of every level (correlator.ts); `alignOnly`: their clocks only, no promise checked. */
type Correlate = (
  parts: LayerParts[], observed?: Map<number, [number, number]>, priors?: Map<string, OffsetPrior>, alignOnly?: boolean, held?: Map<string, HeldLink>,
) => CorrelationResult;

/**
 * Shortest segment (ns of the first level's clock): long enough for a drifting clock to be measured within it
 * (align.ts looks for drift from 60 s up, in windows of 10 s). A shorter one would be aligned at one offset
 * that a drift of 200 ppm moves by milliseconds across it.
 */
const MIN_SEGMENT = 60e9;
/** Extra room on each side of a cut (ns), beyond the clock alignment's own width. */
const MARGIN = 1_000_000;
/** Clock rate error allowed for between the alignment and a cut (ppm): a guest TSC against the host's. */
const DRIFT_PPM = 500;

/** Room (ns) an offset found `away` ns of upper clock from here may have moved by: MARGIN and DRIFT_PPM. */
function slackOver(away: number): number {
  return MARGIN + away * DRIFT_PPM * 1e-6;
}

/** All of a block device's rows in one table: its pieces read back, then the rows still in memory. */
export function wholeTable(d: BlockDevice): OpTable {
  if (!d.stream || d.stream.pieces.length === 0) return d.table;
  const t = new OpTable(d.table.layer, d.table.device, 'block', false, 16);
  for (const p of d.stream.pieces) d.stream.spill.readInto(p.rows, t);
  for (let i = 0; i < d.table.n; i++) t.copyRow(d.table, i);
  t.sameDeviceAs(d.table);
  d.stream.pieces.length = 0;
  d.table.clear();
  return t;
}

interface Unit {
  layer: string;
  quiet: QuietLog;
  /** Clock: the source its rows came from. */
  src: number;
  /** Rows of pieces still to read, in order. */
  left: Array<() => void>;
  /** First issue time of the next piece (own clock): every row issued before it is loaded. */
  loadedTo: () => number;
  rows: () => number;
  /** Rows before `t` become the segment's, the others stay. */
  cut: (t: number) => void;
  /** Span of the whole trace on this unit's clock. */
  first: number;
  last: number;
  /** Where the last cut was (own clock). */
  from: number;
  block?: { dev: BlockDevice; carry: OpTable; seg: OpTable | undefined };
  qemu?: { q: QemuPieces; carry: QemuRows; seg: QemuRows | undefined };
}

export function correlateInSegments(input: SegmentInput, correlate: Correlate): CorrelationResult {
  const units = unitsOf(input);
  const debug = process.env['BLKAUDIT_SEGMENTS'] ? (m: string) => process.stderr.write(`segments: ${process.uptime().toFixed(2)} s: ${m}\n`) : undefined;
  debug?.(`${memory()} at the end of reading`);
  debug?.(units ? `${units.length} units: ${units.map((u) => `${u.layer}@${u.src} ${u.left.length} pieces, ${u.quiet.count} quiet spans`).join('; ')}` : 'not streamable');
  if (!units) return correlate(input.whole());
  const observed = new Map<number, [number, number]>();
  for (const u of units) {
    const sp = observed.get(u.src) ?? [Infinity, -Infinity];
    observed.set(u.src, [Math.min(sp[0], u.first), Math.max(sp[1], u.last)]);
  }
  const merged = new Merge(input.layers.map((l) => l.name));
  // a segment's rows, or (`until`) a copy of the loaded rows issued before each unit's time in it
  const partsOf = (until?: Map<Unit, number>): LayerParts[] => input.layers.map((l) => {
    const us = units.filter((u) => u.layer === l.name);
    if (l.block) {
      return {
        name: l.name,
        block: us.map((u) => ({ dev: u.block!.dev.dev, table: until ? cloneTable(u.block!.carry, u.block!.dev.table, until.get(u)!) : u.block!.seg!, remaps: u.block!.dev.remaps })),
      };
    }
    const u = us[0]!;
    const q = u.qemu!.q;
    let rows = u.qemu!.seg!;
    if (until) {
      rows = cloneRows(u.qemu!.carry);
      rows.splitAt(until.get(u)!);
    }
    return { name: l.name, qemu: { views: q.views(rows), summary: q.summary, main: q.main, rival: q.rival } };
  });
  // the first rows of every level, correlated once to align the clocks: as much of each level's own time
  // as the longest first piece spans (the tracers of one capture start about together, whatever their clocks)
  for (const u of units) while (u.rows() < input.rows && u.left.length > 0) u.left.shift()!();
  const elapsed = (u: Unit) => Math.min(u.loadedTo(), u.last) - u.first;
  const span = Math.max(...units.map(elapsed));
  for (const u of units) while (elapsed(u) < span && u.left.length > 0) u.left.shift()!();
  // the same stretch of each level's own time from its first row, so that most operations have their
  // counterparts in the other levels' rows
  const common = Math.min(...units.map(elapsed));
  const trial = correlate(partsOf(new Map(units.map((u) => [u, u.first + common]))), observed, undefined, true);
  let known = alignedEdges(trial, units, (u) => [u.first, u.first + common]);
  debug?.(`first rows: ${trial.alignment.map((a) => `${a.upper} → ${a.lower} ${a.method} ${a.offsetSeconds ?? ""} ${JSON.stringify(a.candidates ?? [])} ${a.note}`).join("; ")} rows ${units.map((u) => `${u.rows()} ${(u.first / 1e9).toFixed(2)}..${(Math.min(u.loadedTo(), u.last) / 1e9).toFixed(2)}`).join(" / ")}`);
  let clocks = clocksOf(trial, units);
  // links whose first rows fit several offsets about as well: that ambiguity is held for every segment
  let held = new Map<string, HeldLink>();
  if (!clocks) {
    held = heldOf(trial);
    if (held.size > 0) clocks = clocksOf(trial, units, held);
    if (clocks) wholeCounts(units, held);
    else held.clear();
  }
  let alignedAt = units[0]!.first;
  debug?.(clocks ? `clocks aligned on the first ${units.map((u) => u.rows()).join('/')} rows${held.size > 0 ? `, ${held.size} link(s) held ambiguous` : ''}` : 'clocks not aligned on the first rows');
  if (!clocks) return correlate(input.whole());
  for (;;) {
    const t = clocks ? findCut(units, clocks, alignedAt) : undefined;
    if (t) {
      debug?.(`cut at ${units.map((u) => (t.get(u)! / 1e9).toFixed(3)).join(' / ')} s; rows ${units.map((u) => u.rows()).join('/')}; ${memory()}`);
      // The first segment is aligned on its own data alone (and with the links held ambiguous so far): the
      // first rows' clocks placed its cut, and they stand only if it finds them too. The first rows of traces
      // that began together align uniquely even on a periodic workload, whose stretches fit several offsets: a
      // link the first segment finds ambiguous is then held too. Later segments start from the clocks found
      // just before them (priorsFor).
      const first = merged.segments === 0;
      const priors = first ? undefined : priorsFor(known, units, t);
      const before = new Map(units.map((u) => [u, Number.isFinite(u.from) ? u.from : u.first]));
      // (a copy of the first segment's rows, should it be correlated again with an ambiguity held: correlation
      // types and tags a segment's rows in place)
      const spare = first ? partsOf(t) : undefined;
      for (const u of units) u.cut(t.get(u)!);
      let r = correlate(partsOf(), observed, priors, false, held);
      let found = alignedEdges(r, units, (u) => [before.get(u)!, t.get(u)!]);
      const off = first ? unconfirmed(known, found, t) : [];
      if (off.length > 0) {
        // The first rows of traces that began together align uniquely even on a periodic workload, whose
        // stretches then fit several offsets: where every clock not confirmed is such an ambiguity, it is held
        // (as when the first rows show it) and the segment correlated again with it; otherwise, whole.
        const amb = heldOf(r);
        if (!spare || !off.every((k) => amb.has(k))) {
          debug?.('the first segment does not find the clocks its cut was placed with: correlated whole');
          return correlate(input.whole());
        }
        for (const [k, h] of amb) if (!held.has(k)) held.set(k, h);
        wholeCounts(units, held);
        // (the segment is correlated again: its chains are told again)
        for (const h of held.values()) h.chains = new ChainLedger();
        r = correlate(spare, observed, undefined, false, held);
        found = alignedEdges(r, units, (u) => [before.get(u)!, t.get(u)!]);
        debug?.(`the first segment fits several offsets where the first rows found one: ${held.size} link(s) held ambiguous in all`);
      }
      known = new Map([...known, ...found]);
      merged.add(r);
      if (debug && r.findings.some((f) => f.rule !== 'io-error')) debug(`segment ${merged.segments}: ${r.findings.map((f) => f.message.slice(0, 200)).join(' | ')}; ${r.alignment.map((a) => `${a.upper}→${a.lower} ${a.method} ${JSON.stringify(a.candidates ?? [])} ${a.note.slice(0, 120)}`).join('; ')}`);
      clocks = clocksOf(r, units, held) ?? clocks;
      alignedAt = t.get(units[0]!)!;
      continue;
    }
    const lagging = units.filter((u) => u.left.length > 0);
    if (lagging.length === 0) break;
    // read on where the data ends first (in the first level's clock), so that the levels stay abreast
    const behind = lagging.reduce((a, b) => (toRef(clocks!, b, b.loadedTo()) < toRef(clocks!, a, a.loadedTo()) ? b : a));
    behind.left.shift()!();
  }
  // what is left after the last cut
  const end = new Map(units.map((u) => [u, u.last + 1]));
  const priors = priorsFor(known, units, end);
  for (const u of units) u.cut(Infinity);
  merged.add(correlate(partsOf(), observed, priors, false, held));
  // a held link's chains of flushes, put end to end, against what the level below made durable in the whole trace
  for (const [key, h] of held) {
    const f = h.lowerWhole ? h.chains.finding(h.lowerWhole) : null;
    if (f) merged.addFinding(f, key, f.details!['notPassedDown'] as number);
  }
  debug?.(`${merged.segments} segments; ${memory()}`);
  return merged.result(input.env);
}

/**
 * For BLKAUDIT_SEGMENTS: the process's CPU time so far (every thread's: after reading, correlation is this thread
 * and V8's helpers) and memory: the process's, V8's heap, and array buffers (typed arrays' stores, outside it).
 */
function memory(): string {
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  const mib = (n: number) => (n / 2 ** 20).toFixed(0);
  return `cpu ${((c.user + c.system) / 1e6).toFixed(2)} s, rss ${mib(m.rss)} MiB, heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)} MiB, array buffers ${mib(m.arrayBuffers)} MiB`;
}

/** An edge's clock as a segment aligned it, and the stretch of the upper level's clock it was found on. */
interface KnownClock {
  clock: ClockMap;
  upSrc: number;
  from: number;
  to: number;
}

/** The edges a correlation aligned by causality, by level ids, with the stretch (upper clock) they hold on. */
function alignedEdges(r: CorrelationResult, units: Unit[], stretch: (u: Unit) => [number, number]): Map<string, KnownClock> {
  const out = new Map<string, KnownClock>();
  for (const e of r.stack.edges) {
    if (e.alignment.method !== 'causal-offset') continue;
    const up = r.stack.levels[e.upper]!;
    const low = r.stack.levels[e.lower]!;
    if (up.table.n === 0) continue;
    const u = units.find((x) => x.src === up.table.src[0]);
    if (!u) continue;
    const [from, to] = stretch(u);
    out.set(linkKey(up, low), { clock: e.alignment.clock, upSrc: u.src, from, to });
  }
  return out;
}

/**
 * The edges the first rows aligned that the first segment does not align at an offset within both widths (and
 * a margin) at the cut: none when it confirms the first rows' clocks.
 */
function unconfirmed(trial: Map<string, KnownClock>, seg: Map<string, KnownClock>, t: Map<Unit, number>): string[] {
  const out: string[] = [];
  for (const [key, k] of trial) {
    const s = seg.get(key);
    let at = NaN;
    for (const [u, x] of t) if (u.src === k.upSrc) at = Math.min(x, u.last);
    if (!s || !Number.isFinite(at)) {
      out.push(key);
      continue;
    }
    // where the first rows' clocks were found, and how far they may have drifted from there by the cut
    const slack = slackOver(Math.max(0, at - k.to));
    const [a, b] = k.clock.toLower(at);
    const [c, d] = s.clock.toLower(at);
    if (c > b + slack || a > d + slack) out.push(key);
  }
  return out;
}

/**
 * A link whose first rows fit several offsets about as well, held ambiguous for every segment: the correlator
 * searches no offset for it (align.ts heldAlignment) and checks its count-level proofs on the whole trace below.
 */
export interface HeldLink {
  candidates: Array<{ offsetSeconds: number; supportingPairs: number }>;
  note: string;
  /** Where the cuts are placed meanwhile: the likeliest offset, with a margin. */
  clock: ClockMap;
  /** Its lower level, and that level's counts over the whole trace (wholeCounts). */
  lowerId: string;
  lowerWhole?: LevelCounts;
  /** Its chains of flushes, segment by segment (flush-chain.ts): one count-level proof over the whole trace. */
  chains: ChainLedger;
}

/** The links a correlation found ambiguous (by level ids), each with its candidates. */
function heldOf(r: CorrelationResult): Map<string, HeldLink> {
  const out = new Map<string, HeldLink>();
  for (const e of r.stack.edges) {
    const a = e.alignment;
    const best = a.candidates?.[0];
    if (a.method !== 'ambiguous' || !best) continue;
    const low = r.stack.levels[e.lower]!;
    const o = best.offsetSeconds * 1e9;
    out.set(linkKey(r.stack.levels[e.upper]!, low), {
      candidates: a.candidates!,
      note: `${a.note}; found at the start of the trace and held for each of its segments`,
      clock: offsetClock(o - MARGIN, o + MARGIN),
      lowerId: levelId(low),
      chains: new ChainLedger(),
    });
  }
  return out;
}

/**
 * Each held link's lower level counted over the whole trace (rules.ts `lowerWhole`): its pieces read once
 * more, one at a time, before the segments are.
 */
function wholeCounts(units: Unit[], held: Map<string, HeldLink>): void {
  const wanted = new Set([...held.values()].map((h) => h.lowerId));
  const sums = new Map<string, LevelCounts>([...wanted].map((id) => [id, { rows: 0, writes: 0, flushes: 0, fua: 0, unknown: 0 }]));
  const add = (id: string, t: OpTable): void => {
    const w = sums.get(id);
    if (!w) return;
    const c = t.counts();
    w.rows += t.n;
    w.writes += c.writes;
    w.flushes += c.flushes;
    w.fua += c.fua;
    w.unknown += c.unknown;
  };
  for (const u of units) {
    if (u.block) {
      const d = u.block.dev;
      const id = levelId({ layer: u.layer, table: d.table });
      if (!wanted.has(id)) continue;
      const scratch = new OpTable(d.table.layer, d.table.device, 'block', false, 16);
      for (const p of d.stream!.pieces) {
        scratch.reset();
        d.stream!.spill.readInto(p.rows, scratch);
        add(id, scratch);
      }
      // the rows not written out (the unit copies them when it reads them)
      add(id, d.table);
    } else {
      const q = u.qemu!.q;
      const scratch = new QemuRows(u.layer, false, 16);
      for (const p of q.pieces) {
        for (const v of q.views(q.load(p, scratch))) {
          add(levelId({ layer: u.layer, table: v.front }), v.front);
          add(levelId({ layer: u.layer, table: v.back }), v.back);
        }
      }
    }
  }
  for (const h of held.values()) h.lowerWhole = sums.get(h.lowerId);
}

/**
 * For the segment before cut `t` (each unit's time), the offsets each edge's clocks can have: the offset
 * found before, widened by how far the clocks can drift (DRIFT_PPM) over the part of the segment outside
 * the stretch it was found on, and a margin.
 */
function priorsFor(known: Map<string, KnownClock>, units: Unit[], t: Map<Unit, number>): Map<string, OffsetPrior> {
  const out = new Map<string, OffsetPrior>();
  for (const [key, k] of known) {
    const u = units.find((x) => x.src === k.upSrc)!;
    const s0 = Number.isFinite(u.from) ? u.from : u.first;
    const s1 = Math.min(t.get(u)!, u.last);
    const away = Math.max(0, s1 - k.to, k.from - s0);
    const slack = slackOver(away);
    const at = Math.min(Math.max(s0, k.from), k.to);
    const [lo, hi] = k.clock.toLower(at);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    const d = k.clock.drift;
    // with a drift measured, the window is of the offset at its t0 (the upper times are moved by its rate)
    const back = d ? d.rate * (at - d.t0) : 0;
    out.set(key, {
      lo: lo - at - back - slack,
      hi: hi - at - back + slack,
      why: `${(slack / 1e9).toFixed(3)} s of the offset found on the stretch before it (clocks drifting at most ${DRIFT_PPM} ppm more)`,
      ...(d ? { drift: { rate: d.rate, t0: d.t0 } } : {}),
    });
  }
  return out;
}

/** The levels to cut, or undefined when some layer cannot be streamed (an untimed QEMU trace). */
function unitsOf(input: SegmentInput): Unit[] | undefined {
  const units: Unit[] = [];
  for (const l of input.layers) {
    if (l.qemu === undefined && !l.block) return undefined;
    if (l.block) {
      for (const d of l.block) {
        const st = d.stream;
        if (!st) return undefined;
        const pieces: BlockPiece[] = [...st.pieces];
        // the rows still in memory are the last piece
        const tail = d.table;
        endStream(d);
        const all = pieces.map((p) => p.span);
        if (tail.n > 0) all.push(rowSpan(tail));
        if (all.length === 0) continue;
        const src = pieces[0]?.srcs[0] ?? tail.src[0]!;
        const carry = new OpTable(tail.layer, tail.device, 'block', false, 16);
        const u: Unit = {
          layer: l.name, quiet: st.quiet, src, left: [],
          loadedTo: () => 0, rows: () => carry.n, cut: () => undefined,
          first: Math.min(...all.map((s) => s.first)), last: Math.max(...all.map((s) => s.last)), from: -Infinity,
          block: { dev: d, carry, seg: undefined },
        };
        const starts = all.map((s) => s.first);
        let next = 0;
        u.loadedTo = () => (next < starts.length ? starts[next]! : Infinity);
        for (const p of pieces) u.left.push(() => { st.spill.readInto(p.rows, u.block!.carry); next++; });
        if (tail.n > 0) u.left.push(() => { for (let i = 0; i < tail.n; i++) u.block!.carry.copyRow(tail, i); next++; });
        u.cut = (t) => {
          const b = u.block!;
          // the last segment's table (correlated and added up by now) takes the rows after the cut: two
          // tables serve the whole trace, instead of one more per segment for the garbage collector
          const rest = b.seg ?? new OpTable(tail.layer, tail.device, 'block', false, 16);
          rest.reset();
          keepBefore(b.carry, rest, t);
          b.seg = b.carry;
          b.seg.sameDeviceAs(tail);
          b.carry = rest;
          u.from = t;
        };
        units.push(u);
      }
    } else {
      const q = l.qemu!;
      const pieces: QemuPiece[] = [...q.pieces];
      if (pieces.length === 0) continue;
      let next = 0;
      const u: Unit = {
        layer: l.name, quiet: q.quiet, src: -1, left: [],
        loadedTo: () => (next < pieces.length ? pieces[next]!.span.first : Infinity),
        rows: () => u.qemu!.carry.front.n + u.qemu!.carry.back.n, cut: () => undefined,
        first: Math.min(...pieces.map((p) => p.span.first)), last: Math.max(...pieces.map((p) => p.span.last)), from: -Infinity,
        qemu: { q, carry: new QemuRows(l.name, false, 16), seg: undefined },
      };
      const scratch = new QemuRows(l.name, false, 16);
      for (const p of pieces) {
        u.left.push(() => {
          const r = q.load(p, scratch);
          if (u.src < 0) u.src = r.front.n > 0 ? r.front.src[0]! : r.back.src[0]!;
          u.qemu!.carry.append(r);
          next++;
        });
      }
      u.cut = (t) => {
        const x = u.qemu!;
        const rest = x.carry.splitAt(t, x.seg);
        x.seg = x.carry;
        x.carry = rest;
        u.from = t;
      };
      // its source is known once a piece is read
      u.left.shift()!();
      units.push(u);
    }
  }
  return units.length > 1 ? units : undefined;
}

/** A copy of a table (correlation sets a table's durability and indexes it: the rows are cut later). */
function cloneTable(t: OpTable, device: OpTable, until: number): OpTable {
  const c = new OpTable(t.layer, t.device, 'block', false, Math.max(16, t.n));
  for (let i = 0; i < t.n; i++) if (t.tI[i]! < until) c.copyRow(t, i);
  c.sameDeviceAs(device);
  return c;
}

/** A copy of a QEMU process' rows (device views change a table's kinds and tags). */
function cloneRows(r: QemuRows): QemuRows {
  const c = new QemuRows(r.front.layer, false, 16);
  c.append(r);
  return c;
}

/** Each source's clock as an interval function of the reference clock (the first unit's source), both ways. */
interface Clocks {
  ref: number;
  to: Map<number, (t: number) => [number, number]>;
  from: Map<number, (t: number) => [number, number]>;
}

/**
 * The clocks of every unit's source relative to the first's, through the edges a correlation aligned
 * (identity, or an offset found by causality). Undefined when some source is not reached.
 */
function clocksOf(r: CorrelationResult, units: Unit[], held?: Map<string, HeldLink>): Clocks | undefined {
  const ref = units[0]!.src;
  const to = new Map<number, (t: number) => [number, number]>([[ref, (t) => [t, t]]]);
  const from = new Map<number, (t: number) => [number, number]>([[ref, (t) => [t, t]]]);
  const edges: Array<{ a: number; b: number; c: ClockMap }> = [];
  for (const e of r.stack.edges) {
    const m = e.alignment.method;
    // a link held ambiguous: the cuts are placed with its likeliest offset (no verdict needs it)
    const h = m === 'ambiguous' ? held?.get(linkKey(r.stack.levels[e.upper]!, r.stack.levels[e.lower]!)) : undefined;
    if (m !== 'identity' && m !== 'causal-offset' && !h) continue;
    const up = r.stack.levels[e.upper]!.table;
    const low = r.stack.levels[e.lower]!.table;
    if (up.n === 0 || low.n === 0) continue;
    edges.push({ a: up.src[0]!, b: low.src[0]!, c: h ? h.clock : e.alignment.clock });
  }
  const via = (f: (t: number) => [number, number], g: (t: number) => [number, number]) => (t: number): [number, number] => {
    const [lo, hi] = f(t);
    return [g(lo)[0], g(hi)[1]];
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const { a, b, c } of edges) {
      if (to.has(a) && !to.has(b)) {
        to.set(b, via(to.get(a)!, (t) => c.toLower(t)));
        from.set(b, via((t) => c.toUpper(t), from.get(a)!));
        changed = true;
      } else if (to.has(b) && !to.has(a)) {
        to.set(a, via(to.get(b)!, (t) => c.toUpper(t)));
        from.set(a, via((t) => c.toLower(t), from.get(b)!));
        changed = true;
      }
    }
  }
  return units.every((u) => to.has(u.src)) ? { ref, to, from } : undefined;
}

function toRef(c: Clocks, u: Unit, t: number): number {
  if (!Number.isFinite(t)) return t;
  return c.from.get(u.src)!(t)[0];
}

/**
 * The latest instant (reference clock) within what is loaded at which every unit is inside a quiet span
 * that leaves no write waiting for a later flush, with the clocks' uncertainty and a margin on both sides;
 * each unit's own time of it. Undefined when there is none after the last cut.
 */
function findCut(units: Unit[], c: Clocks, alignedAt: number): Map<Unit, number> | undefined {
  const ref = units[0]!;
  const start = Number.isFinite(ref.from) ? ref.from : ref.first;
  for (let k = ref.quiet.count - 1; k >= 0; k--) {
    const s = ref.quiet.span(k);
    if (s.from <= ref.from || s.to < start + MIN_SEGMENT) break;
    // the reference interval where every unit is quiet
    let lo = Math.max(s.from, start + MIN_SEGMENT);
    let hi = Math.min(s.to, ref.loadedTo());
    if (!(hi > lo) || !ref.quiet.cutOk(s)) continue;
    const at = new Map<Unit, number>();
    let ok = true;
    for (const u of units) {
      if (u === ref) continue;
      const slack = slackOver(Math.abs(lo - alignedAt));
      const [a, b] = c.to.get(u.src)!(lo);
      const [a2, b2] = c.to.get(u.src)!(hi);
      const span = u.quiet.around(Math.min(a, a2), Math.max(b, b2));
      if (!span || !u.quiet.cutOk(span) || span.from <= u.from) { ok = false; break; }
      const end = Math.min(span.to, u.loadedTo());
      // the reference times whose whole interval on this clock, widened, is inside the span
      const rlo = c.from.get(u.src)!(span.from + slack)[1];
      const rhi = c.from.get(u.src)!(end - slack)[0];
      lo = Math.max(lo, rlo);
      hi = Math.min(hi, rhi);
      if (!(hi > lo)) { ok = false; break; }
    }
    if (!ok) continue;
    const t = (lo + hi) / 2;
    at.set(ref, t);
    for (const u of units) {
      if (u === ref) continue;
      const [a, b] = c.to.get(u.src)!(t);
      at.set(u, (a + b) / 2);
    }
    return at;
  }
  return undefined;
}
