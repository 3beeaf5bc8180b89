/**
 * Puts every time of a finished Report on its reference clock (reference.ts):
 * finding and evidence `time` become reference seconds (null when a layer is
 * untimed or not aligned), the source's own time is kept in `localTime`, the
 * alignment uncertainty in `timeUncertainty`, untimed events get their
 * `order` among their source's events, and the time marks stages wrote into
 * their messages (model/time-mark.ts) are written out on the reference clock.
 * Runs once, when analyze() ends; no stage sees reference times.
 */
import type { EvidenceRef } from '../model/event.js';
import type { Finding, InputReport, Report, ReferenceClockSection } from '../model/report.js';
import { resolveTimeMarks } from '../model/time-mark.js';
import { buildReferenceClock } from './reference.js';
import { localText, plusMinus, refSeconds } from './format.js';

type LayerClock = ReferenceClockSection['layers'][number];

export interface Placement {
  time: number | null;
  uncertainty?: number;
}

export class ReferenceClock {
  private readonly byLayer: Map<string, LayerClock>;
  private readonly inputs: Map<string, InputReport>;

  constructor(readonly section: ReferenceClockSection, private readonly report: Report) {
    this.byLayer = new Map(section.layers.map((l) => [l.layer, l]));
    this.inputs = new Map(report.inputs.map((i) => [i.path, i]));
  }

  layerClock(layer: string): LayerClock | undefined {
    return this.byLayer.get(layer);
  }

  /** Seconds as a stage stored them (with or without the clock base) → without the base. */
  private stripBase(input: InputReport | undefined, t: number): number {
    const base = input?.clockBase;
    return base && t >= base / 2 ? t - base : t;
  }

  /** As the trace prints it (with the base). */
  local(input: InputReport | undefined, t: number): number {
    return this.stripBase(input, t) + (input?.clockBase ?? 0);
  }

  /** A layer's own time (seconds, stored form) on the reference clock. */
  place(layer: string, input: InputReport | undefined, t: number): Placement {
    const c = this.byLayer.get(layer);
    if (!c || (c.status !== 'reference' && c.status !== 'placed') || !Number.isFinite(t) || t < 0) return { time: null };
    // to the ns: the subtraction of large clock values leaves float noise below it
    const time = Math.round((this.stripBase(input, t) - (c.offsetSeconds ?? 0) - this.section.zeroLocal) * 1e9) / 1e9;
    return c.uncertaintySeconds ? { time, uncertainty: c.uncertaintySeconds } : { time };
  }

  /** Reference seconds of a layer's own time from a time series or table (no base), or undefined. */
  toReference(layer: string, localNoBase: number): number | undefined {
    const c = this.byLayer.get(layer);
    if (!c || (c.status !== 'reference' && c.status !== 'placed')) return undefined;
    return localNoBase - (c.offsetSeconds ?? 0) - this.section.zeroLocal;
  }

  input(path: string): InputReport | undefined {
    return this.inputs.get(path);
  }

  /** A time in a message, in words. */
  words(input: InputReport | undefined, t: number): string {
    const layer = input?.layer ?? '';
    if (input?.orderOnly) return `${refSecondsOrLine(t)} (untimed: by order)`;
    const p = this.place(layer, input, t);
    if (p.time !== null) return refSeconds(p.time) + plusMinus(p.uncertainty);
    return `${localText(this.local(input, t), input?.clockBase)} (${layer || 'trace'} clock, not aligned)`;
  }
}

function refSecondsOrLine(t: number): string {
  return Number.isInteger(t) ? `event ${t}` : `${t}`;
}

export function placeOnReferenceClock(report: Report): ReferenceClock {
  const section = buildReferenceClock(report);
  report.clock = section;
  const clock = new ReferenceClock(section, report);
  const firstInput = (layer: string) => report.inputs.find((i) => i.layer === layer);
  for (const f of report.findings) {
    for (const ev of f.evidence) placeEvidence(clock, ev);
    placeFinding(clock, f, firstInput(f.layer));
    f.message = resolveTimeMarks(f.message, (src, sec) => clock.words(report.inputs[src], sec));
  }
  return clock;
}

export function placeEvidence(clock: ReferenceClock, ev: EvidenceRef): void {
  const input = clock.input(ev.source);
  const t = ev.time;
  if (input?.orderOnly || t === null || t < 0) {
    ev.time = null;
    if (input?.orderOnly) ev.order = { n: ev.order?.n ?? ev.loc, of: input.events };
    return;
  }
  ev.localTime = clock.local(input, t);
  const p = clock.place(input?.layer ?? '', input, t);
  ev.time = p.time;
  if (p.uncertainty) ev.timeUncertainty = p.uncertainty;
}

function placeFinding(clock: ReferenceClock, f: Finding, input: InputReport | undefined): void {
  const t = f.time;
  if (input?.orderOnly || t === null || t < 0) {
    f.time = null;
    const ordered = f.evidence.find((e) => e.order && clock.input(e.source)?.layer === f.layer) ?? f.evidence.find((e) => e.order);
    if (ordered?.order) f.order = { ...ordered.order };
    return;
  }
  f.localTime = clock.local(input, t);
  const p = clock.place(f.layer, input, t);
  f.time = p.time;
  if (p.uncertainty) f.timeUncertainty = p.uncertainty;
}
