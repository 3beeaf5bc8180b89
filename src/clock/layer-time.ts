/**
 * For renderers that draw a source's own time series (charts, timelines): how
 * stored times (seconds, without the clock base — as in devices[].series) of
 * the input holding a device map to what is drawn. On the reference clock
 * when that input is placed on it; in its own clock, and saying so, otherwise.
 */
import { withoutClockBase, type Finding, type InputReport, type Report } from '../model/report.js';
import { findingSource } from './place.js';

export interface LayerAxis {
  /** drawn = stored − shift. */
  shift: number;
  /** On the reference clock. */
  reference: boolean;
  /** "reference clock (guest)", "host clock, not aligned". */
  label: string;
  /** ± seconds of the placement (0 when exact or not placed). */
  uncertainty: number;
}

/** The input holding a device's events (block), or the layer's QEMU log (QEMU levels: device not in any input). */
export function deviceInput(report: Report, layer: string, device: string): InputReport | undefined {
  const mine = report.inputs.filter((i) => i.layer === layer);
  return mine.find((i) => i.devices?.includes(device)) ?? mine.find((i) => i.format.startsWith('qemu')) ?? mine[0];
}

export function inputAxis(report: Report, input: InputReport | undefined, layer: string): LayerAxis {
  const c = report.clock;
  const s = c && input ? c.sources.find((x) => x.source === input.path) : undefined;
  if (c && s && (s.status === 'reference' || s.status === 'placed')) {
    return { shift: (s.offsetSeconds ?? 0) + c.zeroLocal, reference: true, label: `reference clock (${c.reference || 'trace'})`, uncertainty: s.uncertaintySeconds ?? 0 };
  }
  return { shift: 0, reference: false, label: `${layer || 'trace'} clock${c && report.inputs.length > 1 ? ', not aligned' : ''}`, uncertainty: 0 };
}

export function deviceAxis(report: Report, layer: string, device: string): LayerAxis {
  return inputAxis(report, deviceInput(report, layer, device), layer);
}

/** A finding's time on an axis (drawn units), or undefined when it has none there. */
export function findingOnAxis(report: Report, f: Finding, axis: LayerAxis): number | undefined {
  if (axis.reference) return f.time ?? undefined;
  if (f.localTime === undefined) return undefined;
  return withoutClockBase(findingSource(report, f), f.localTime) - axis.shift;
}
