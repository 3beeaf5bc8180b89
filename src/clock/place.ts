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
import { withoutClockBase, type Finding, type InputReport, type Report, type ReferenceClockSection, type SourceClock } from '../model/report.js';
import { resolveTimeMarks } from '../model/time-mark.js';
import { buildReferenceClock } from './reference.js';
import { localText, plusMinus, refSeconds } from './format.js';

export interface Placement {
  time: number | null;
  uncertainty?: number;
}

export class ReferenceClock {
  private readonly bySource: Map<string, SourceClock>;
  private readonly inputs: Map<string, InputReport>;

  constructor(readonly section: ReferenceClockSection, private readonly report: Report) {
    this.bySource = new Map(section.sources.map((s) => [s.source, s]));
    this.inputs = new Map(report.inputs.map((i) => [i.path, i]));
  }

  sourceClock(path: string): SourceClock | undefined {
    return this.bySource.get(path);
  }

  /** As the trace prints it (with the base). */
  local(input: InputReport | undefined, t: number): number {
    return withoutClockBase(input, t) + (input?.clockBase ?? 0);
  }

  /**
   * A source's own time (seconds, stored form) on the reference clock. A negative time is a stage's "none"
   * (-1), unless `beforeFirst`: an instant asked for before the source's clock began (check --at on a
   * layer whose trace started later).
   */
  place(input: InputReport | undefined, t: number, beforeFirst = false): Placement {
    const c = input ? this.bySource.get(input.path) : undefined;
    if (!c || (c.status !== 'reference' && c.status !== 'placed') || !Number.isFinite(t) || (t < 0 && !beforeFirst)) return { time: null };
    // to the ns: the subtraction of large clock values leaves float noise below it
    const time = Math.round((withoutClockBase(input, t) - (c.offsetSeconds ?? 0) - this.section.zeroLocal) * 1e9) / 1e9;
    return c.uncertaintySeconds ? { time, uncertainty: c.uncertaintySeconds } : { time };
  }

  input(path: string): InputReport | undefined {
    return this.inputs.get(path);
  }

  /** A time in a message, in words. */
  words(input: InputReport | undefined, t: number): string {
    const layer = input?.layer ?? '';
    if (input?.orderOnly) return `${refSecondsOrLine(t)} (untimed: by order)`;
    const p = this.place(input, t);
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
  for (const f of report.findings) {
    const input = findingSource(report, f);
    for (const ev of f.evidence) placeEvidence(clock, ev);
    placeFinding(clock, f, input);
    f.message = resolveTimeMarks(f.message, (src, sec) => clock.words(report.inputs[src], sec));
  }
  // evidence kept beside the findings (the checker's --at answer: devices[].atRisk.evidence)
  for (const d of report.devices) {
    for (const section of Object.values(d)) {
      const ev = (section as { evidence?: unknown } | null)?.evidence;
      if (typeof section === 'object' && section !== null && Array.isArray(ev)) for (const e of ev as EvidenceRef[]) if (typeof e?.source === 'string') placeEvidence(clock, e);
    }
    const at = d['atRisk'] as AtRiskTimes | undefined;
    if (at && typeof at.time === 'number') placeAtRisk(clock, findingSource(report, { layer: d.layer, device: d.device, evidence: [] }), at);
  }
  return clock;
}

/** The time fields of the checker's --at answer (src/check/types.ts AtRisk), read structurally. */
interface AtRiskTimes {
  time: number | null;
  localTime?: number;
  timeUncertainty?: number;
  oldest: number | null;
  oldestLocal?: number;
}

/** The --at snapshot's time and its oldest volatile write's completion on the reference clock; each own time kept. */
function placeAtRisk(clock: ReferenceClock, input: InputReport | undefined, a: AtRiskTimes): void {
  const t = a.time!;
  a.localTime = clock.local(input, t);
  const p = clock.place(input, t, true);
  a.time = p.time;
  if (p.uncertainty) a.timeUncertainty = p.uncertainty;
  if (a.oldest !== null) {
    a.oldestLocal = clock.local(input, a.oldest);
    a.oldest = clock.place(input, a.oldest).time;
  }
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
  const p = clock.place(input, t);
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
  const p = clock.place(input, t);
  f.time = p.time;
  if (p.uncertainty) f.timeUncertainty = p.uncertainty;
}

/**
 * The input whose clock a finding's time is in: the one holding its device (blkparse files are one
 * clock each), else its first evidence on its layer, else its layer's first input.
 */
export function findingSource(report: Report, f: Pick<Finding, 'layer' | 'device' | 'evidence'>): InputReport | undefined {
  const mine = report.inputs.filter((i) => i.layer === f.layer);
  if (f.device) {
    const holder = mine.find((i) => i.devices?.includes(f.device));
    if (holder) return holder;
  }
  const ev = f.evidence.find((e) => mine.some((i) => i.path === e.source));
  return (ev && mine.find((i) => i.path === ev.source)) ?? mine.find((i) => !i.devices || i.devices.length === 0 || !f.device) ?? mine[0];
}
