/**
 * The report's one clock. Every source keeps its own clock (guest and host
 * monotonic, QEMU realtime, blkparse text "since its own first event" — so two
 * blkparse files of one machine are two clocks); the correlate stage bounds
 * the offset between the devices of adjacent levels by causality
 * (src/correlate/align.ts: `offsetSeconds` = lower − upper, `widthSeconds` the
 * feasible interval), one edge per aligned pair of the stack's graph.
 *
 * Here those edges are walked from the top timed level: every source reached
 * through aligned pairs is placed on that source's clock, with the summed
 * half-widths along the path (the tightest path) as its ± uncertainty; time 0
 * is the stack's first event. A source no aligned pair reaches keeps its own
 * clock ("unaligned") and says why; a source without timestamps (qemu-io logs)
 * is placed by order only.
 */
import type { InputReport, Report, ReferenceClockSection, SourceClock } from '../model/report.js';

interface LevelLike {
  id?: unknown;
  name?: unknown;
  layer?: unknown;
  device?: unknown;
  role?: unknown;
  clock?: unknown;
}

interface AlignmentLike {
  upper?: unknown;
  lower?: unknown;
  method?: unknown;
  offsetSeconds?: unknown;
  widthSeconds?: unknown;
  note?: unknown;
  drift?: { ppm?: unknown; spanSeconds?: unknown };
}

/** The correlate stage names an unnamed layer "layer". */
function reportLayer(report: Report, name: string): string {
  return report.layers.some((l) => l.name === name) ? name : name === 'layer' ? '' : name;
}

function timed(i: InputReport): boolean {
  return !i.orderOnly && i.firstTime !== undefined;
}

/** The inputs holding a level's events: the block inputs that saw its device, or the layer's QEMU logs. */
function sourcesOf(report: Report, layer: string, device: string, role: unknown): InputReport[] {
  const mine = report.inputs.filter((i) => i.layer === layer);
  if (role === 'block') {
    const exact = mine.filter((i) => i.devices?.includes(device));
    return exact.length ? exact : mine.filter((i) => !i.format.startsWith('qemu'));
  }
  return mine.filter((i) => i.format.startsWith('qemu'));
}

interface Edge {
  a: string;
  b: string;
  /** b − a, seconds */
  off: number;
  unc: number;
}

export function buildReferenceClock(report: Report): ReferenceClockSection {
  const levels = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as LevelLike[];
  const alignment = report.alignment as AlignmentLike[];
  // one node per source (a file is one clock); the alignment's "layer:device" names lead to sources
  const byKey = new Map<string, InputReport[]>();
  for (const lv of levels) {
    const layer = reportLayer(report, String(lv.layer ?? ''));
    const device = String(lv.device ?? '');
    const key = typeof lv.id === 'string' ? lv.id : `${String(lv.layer ?? '')}:${device}`;
    if (!byKey.has(key)) byKey.set(key, sourcesOf(report, layer, device, lv.role));
  }
  // an alignment endpoint naming a layer that has no level (the application layer, src/app/layer.ts) stands for its inputs
  const levelLayers = new Set(levels.map((lv) => reportLayer(report, String(lv.layer ?? ''))));
  for (const a of alignment) {
    for (const end of [String(a.upper), String(a.lower)]) {
      if (!byKey.has(end) && !levelLayers.has(end) && report.layers.some((l) => l.name === end)) {
        byKey.set(end, report.inputs.filter((i) => i.layer === end));
      }
    }
  }
  const edges: Edge[] = [];
  const notes = new Map<string, string>();
  for (const a of alignment) {
    const ups = byKey.get(String(a.upper)) ?? [];
    const lows = byKey.get(String(a.lower)) ?? [];
    let off: number | undefined;
    let unc = 0;
    if (a.method === 'identity') off = 0; // one trace, one clock (QEMU's requests and its host jobs)
    else if (typeof a.offsetSeconds === 'number' && Number.isFinite(a.offsetSeconds)) {
      off = a.offsetSeconds;
      unc = typeof a.widthSeconds === 'number' && Number.isFinite(a.widthSeconds) ? a.widthSeconds / 2 : 0;
      // clocks that drift (align.ts): one offset for the whole report, taken mid-trace, is off by up to the
      // drift over half the trace — said as uncertainty (the verdicts use the drifting clock itself)
      const ppm = a.drift?.ppm;
      const span = a.drift?.spanSeconds;
      if (typeof ppm === 'number' && typeof span === 'number' && Number.isFinite(ppm * span)) {
        off += (ppm * 1e-6 * span) / 2;
        unc += (Math.abs(ppm) * 1e-6 * span) / 2;
      }
    }
    for (const u of ups) {
      for (const l of lows) {
        if (u === l) continue;
        if (off === undefined) {
          notes.set(l.path, `${String(a.upper)} ↔ ${String(a.lower)}: ${typeof a.note === 'string' && a.note ? a.note : `alignment ${String(a.method ?? 'none')}`}`);
          continue;
        }
        // stored times without the clock base on both sides: the correlator aligned them so
        edges.push({ a: u.path, b: l.path, off, unc });
      }
    }
  }
  // the reference: the first timed source of the top level (command-line order when nothing was correlated)
  const ordered = levels.flatMap((lv) => byKey.get(typeof lv.id === 'string' ? lv.id : `${String(lv.layer ?? '')}:${String(lv.device ?? '')}`) ?? []);
  const ref = ordered.find(timed) ?? report.inputs.find(timed);
  const placed = new Map<string, { off: number; unc: number }>();
  if (ref) {
    // the tightest path from the reference (uncertainties add along a path): a small Dijkstra
    placed.set(ref.path, { off: 0, unc: 0 });
    const todo = [ref.path];
    while (todo.length) {
      todo.sort((x, y) => placed.get(y)!.unc - placed.get(x)!.unc);
      const cur = todo.pop()!;
      const c = placed.get(cur)!;
      for (const e of edges) {
        const [next, off] = e.a === cur ? [e.b, c.off + e.off] : e.b === cur ? [e.a, c.off - e.off] : [undefined, 0];
        if (next === undefined) continue;
        const unc = c.unc + e.unc;
        const old = placed.get(next);
        if (!old || unc < old.unc) {
          placed.set(next, { off, unc });
          todo.push(next);
        }
      }
    }
  }
  const sources: SourceClock[] = report.inputs.map((i): SourceClock => {
    const base = { source: i.path, layer: i.layer };
    if (!timed(i)) return { ...base, status: 'order-only', how: 'no timestamps: placed by the order of its events' };
    if (i === ref) return { ...base, status: 'reference', offsetSeconds: 0, how: 'the reference clock (top source with timestamps)' };
    const p = placed.get(i.path);
    if (p) {
      const s: SourceClock = { ...base, status: 'placed', offsetSeconds: p.off, how: `offset ${p.off.toFixed(6)} s from ${ref!.path}, by causally matched operations` };
      if (p.unc > 0) s.uncertaintySeconds = p.unc;
      return s;
    }
    const why = notes.get(i.path);
    return { ...base, status: 'unaligned', how: why ? `own clock, not aligned (${why})` : levels.length ? 'own clock: no aligned pair reaches it' : 'own clock: not correlated with the other inputs' };
  });
  let zero = Infinity;
  for (const s of sources) {
    const i = report.inputs.find((x) => x.path === s.source)!;
    if ((s.status === 'reference' || s.status === 'placed') && i.firstTime !== undefined) zero = Math.min(zero, i.firstTime - (s.offsetSeconds ?? 0));
  }
  return {
    reference: ref?.layer ?? '',
    referenceSource: ref?.path ?? '',
    zeroLocal: Number.isFinite(zero) ? zero : 0,
    sources,
    layers: report.layers.map((l) => layerSummary(l.name, sources.filter((s) => s.layer === l.name))),
  };
}

function layerSummary(layer: string, sources: SourceClock[]): ReferenceClockSection['layers'][number] {
  if (sources.length === 0 || sources.every((s) => s.status === 'order-only')) {
    return { layer, status: 'order-only', how: 'no timestamps: placed by the order of its events' };
  }
  const bad = sources.find((s) => s.status === 'unaligned');
  if (bad) return { layer, status: 'unaligned', how: sources.length > 1 ? `${bad.source}: ${bad.how}` : bad.how };
  const ref = sources.find((s) => s.status === 'reference');
  const placed = sources.filter((s) => s.status === 'placed');
  const unc = Math.max(0, ...placed.map((s) => s.uncertaintySeconds ?? 0));
  const out: ReferenceClockSection['layers'][number] = ref
    ? { layer, status: 'reference', offsetSeconds: 0, how: placed.length ? `the reference clock and ${placed.length} more input(s) placed on it` : 'the reference clock (top layer with timestamps)' }
    : { layer, status: 'placed', offsetSeconds: placed[0]!.offsetSeconds ?? 0, how: placed[0]!.how };
  if (unc > 0) out.uncertaintySeconds = unc;
  return out;
}
