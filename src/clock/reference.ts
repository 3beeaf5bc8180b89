/**
 * The report's one clock. Every source keeps its own clock (guest and host
 * monotonic, QEMU realtime, blkparse "since the first event"); the correlate
 * stage bounds the offset between adjacent levels of a stack by causality
 * (src/correlate/align.ts: `offsetSeconds` = lower − upper, `widthSeconds` the
 * feasible interval). Here the offsets are chained from the top timed layer
 * down, so that every layer reached by an unbroken chain of aligned pairs is
 * placed on that layer's clock, with the chain's summed half-widths as its ±
 * uncertainty; time 0 is the stack's first event. A layer below a pair that
 * could not be aligned keeps its own clock ("unaligned") and says so; a layer
 * without timestamps (qemu-io logs) is placed by order only.
 */
import type { InputReport, Report, ReferenceClockSection } from '../model/report.js';

type LayerClock = ReferenceClockSection['layers'][number];

interface LevelLike {
  name: string;
  layer: string;
  clock?: string;
}

interface AlignmentLike {
  upper?: unknown;
  lower?: unknown;
  method?: unknown;
  offsetSeconds?: unknown;
  widthSeconds?: unknown;
  note?: unknown;
}

/** The correlate stage names an unnamed layer "layer". */
function reportLayer(report: Report, name: string): string {
  return report.layers.some((l) => l.name === name) ? name : name === 'layer' ? '' : name;
}

function untimed(inputs: InputReport[]): boolean {
  return inputs.length > 0 && inputs.every((i) => i.orderOnly || i.firstTime === undefined);
}

export function buildReferenceClock(report: Report): ReferenceClockSection {
  const inputsOf = (layer: string) => report.inputs.filter((i) => i.layer === layer);
  const levels = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as LevelLike[];
  const alignment = report.alignment as AlignmentLike[];
  const clocks = new Map<string, LayerClock>();
  let reference = '';
  if (levels.length > 0 && alignment.length === levels.length - 1) {
    // levels top to bottom; alignment[j] joins levels[j] and levels[j + 1]
    const refIdx = levels.findIndex((lv) => lv.clock !== 'order-only' && !untimed(inputsOf(reportLayer(report, lv.layer))));
    let off = 0;
    let unc = 0;
    let broken = '';
    levels.forEach((lv, j) => {
      const layer = reportLayer(report, lv.layer);
      if (j > refIdx && refIdx >= 0 && !broken) {
        const a = alignment[j - 1]!;
        if (a.method === 'identity') {
          // the same trace and clock (QEMU's requests and its host jobs)
        } else if (typeof a.offsetSeconds === 'number' && Number.isFinite(a.offsetSeconds)) {
          off += a.offsetSeconds;
          unc += typeof a.widthSeconds === 'number' && Number.isFinite(a.widthSeconds) ? a.widthSeconds / 2 : 0;
        } else {
          broken = `${levels[j - 1]!.name} ↔ ${lv.name}: ` + (typeof a.note === 'string' && a.note ? a.note : `alignment ${String(a.method ?? 'none')}`);
        }
      }
      if (clocks.has(layer)) return; // a layer's first level gives its clock (QEMU's jobs share it)
      if (lv.clock === 'order-only' || untimed(inputsOf(layer))) {
        clocks.set(layer, { layer, status: 'order-only', how: 'no timestamps: placed by the order of its events' });
      } else if (j === refIdx) {
        reference = layer;
        clocks.set(layer, { layer, status: 'reference', offsetSeconds: 0, how: 'the reference clock (top layer with timestamps)' });
      } else if (j < refIdx || broken) {
        clocks.set(layer, { layer, status: 'unaligned', how: broken ? `own clock, not aligned (${broken})` : 'own clock' });
      } else {
        const c: LayerClock = { layer, status: 'placed', offsetSeconds: off, how: `offset ${off.toFixed(6)} s from ${levels[refIdx]!.layer}, by causally matched operations` };
        if (unc > 0) c.uncertaintySeconds = unc;
        clocks.set(layer, c);
      }
    });
  }
  // layers the correlation did not reach (a single layer, or stages run without it)
  for (const l of report.layers) {
    if (clocks.has(l.name)) continue;
    if (untimed(inputsOf(l.name))) clocks.set(l.name, { layer: l.name, status: 'order-only', how: 'no timestamps: placed by the order of its events' });
    else if (!reference) {
      reference = l.name;
      clocks.set(l.name, { layer: l.name, status: 'reference', offsetSeconds: 0, how: 'the reference clock (top layer with timestamps)' });
    } else clocks.set(l.name, { layer: l.name, status: 'unaligned', how: 'own clock: not correlated with the other layers' });
  }
  let zero = Infinity;
  for (const i of report.inputs) {
    const c = clocks.get(i.layer);
    if (!c || (c.status !== 'reference' && c.status !== 'placed') || i.firstTime === undefined) continue;
    zero = Math.min(zero, i.firstTime - (c.offsetSeconds ?? 0));
  }
  const ordered = report.layers.map((l) => clocks.get(l.name)!).filter(Boolean);
  return { reference, zeroLocal: Number.isFinite(zero) ? zero : 0, layers: ordered };
}
