/**
 * For renderers that draw a layer's own time series (charts, timelines): how
 * a layer's stored times (seconds, without the clock base — as in
 * devices[].series) map to what is drawn. On the reference clock when the
 * layer is placed on it; in the layer's own clock, and saying so, otherwise.
 */
import type { Finding, Report } from '../model/report.js';

export interface LayerAxis {
  /** drawn = stored − shift. */
  shift: number;
  /** On the reference clock. */
  reference: boolean;
  /** "reference clock (guest)", "host clock, not aligned". */
  label: string;
  /** ± seconds of the layer's placement (0 when exact or not placed). */
  uncertainty: number;
}

export function layerAxis(report: Report, layer: string): LayerAxis {
  const c = report.clock;
  const l = c?.layers.find((x) => x.layer === layer);
  if (c && l && (l.status === 'reference' || l.status === 'placed')) {
    return { shift: (l.offsetSeconds ?? 0) + c.zeroLocal, reference: true, label: `reference clock (${c.reference || 'trace'})`, uncertainty: l.uncertaintySeconds ?? 0 };
  }
  return { shift: 0, reference: false, label: `${layer || 'trace'} clock${c && report.layers.length > 1 ? ', not aligned' : ''}`, uncertainty: 0 };
}

/** A finding's time on a layer axis (drawn units), or undefined when it has none there. */
export function findingOnAxis(report: Report, f: Finding, axis: LayerAxis): number | undefined {
  if (axis.reference) return f.time ?? undefined;
  if (f.localTime === undefined) return undefined;
  const base = report.inputs.find((i) => i.layer === f.layer)?.clockBase ?? 0;
  return f.localTime - (base && f.localTime >= base / 2 ? base : 0) - axis.shift;
}
