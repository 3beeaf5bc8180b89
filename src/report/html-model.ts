/**
 * The data the HTML page draws, arranged once on the Node side (tested
 * TypeScript) so the page's script only lays it out: layers in stack order
 * with their devices, findings in reading order with each evidence event's
 * layer resolved, device sections flattened to rows, series as they are.
 * Control characters in strings are shown as \\xNN (as in the terminal); the
 * page puts every string in the DOM with textContent.
 */
import type { Report } from '../model/report.js';
import type { DeviceSeries } from '../series/types.js';
import {
  deviceLabel, deviceViews, evidenceEvent, evidenceWhere, formatNumber, layerLabel, layerOfSource, scalarLeaves,
  severityCounts, sortFindings, alignmentText, correlationText,
} from './view.js';
import { levelSummaryTable } from './summary.js';
import { term } from './text.js';
import { timelineLanes, type HtmlLane } from './html-timeline.js';
import { evidenceTimeText, ownTimeText } from '../clock/format.js';
import { deviceAxis, findingOnAxis, inputAxis } from '../clock/layer-time.js';
import { findingSource } from '../clock/place.js';
import { findingWhen, sourceLabel, verdictLine } from './incidents-text.js';
import { clockHeading, clockText } from './stack-text.js';

export interface HtmlEvidence {
  /** "loop1.blkparse.txt:429" (the base name when it names one input); `path` in full. */
  where: string;
  path: string;
  layer: string;
  /** Reference-clock seconds (null: untimed or not aligned). */
  time: number | null;
  /** The time in words: "4.822320 s ± 25 µs", "order 6 of 40", "@5.646709214 (host clock)". */
  timeText: string;
  /** The source's own time: "@20:11:16.247740 UTC", "@0.000628403" ("" when untimed). */
  own: string;
  device: string;
  event: string;
  note: string;
}

export interface HtmlFinding {
  id: number;
  /** The Report's finding id ("f12"). */
  fid: string;
  /** Index of its incident in `incidents`. */
  incident: number;
  timeText: string;
  /** Position on the timeline: reference seconds, or the layer's own clock when it is not aligned (`placed` false). */
  axisTime: number | null;
  placed: boolean;
  rule: string;
  severity: string;
  layer: string;
  device: string;
  deviceLabel: string;
  time: number | null;
  message: string;
  details: Array<[string, string]>;
  evidence: HtmlEvidence[];
}

export interface HtmlDevice {
  layer: string;
  device: string;
  label: string;
  /** Charts: drawn time = series time − axisShift; axisLabel says which clock that is. */
  axisShift: number;
  axisLabel: string;
  cache: string;
  findings: number;
  series: DeviceSeries | null;
  sections: Array<{ name: string; rows: Array<[string, string]> }>;
}

export interface HtmlLayer {
  name: string;
  label: string;
  cacheMode: string;
  inputs: Array<{ path: string; format: string; events: number; bytes: number; clock: string; limitations: string[] }>;
  devices: string[];
  findings: Record<string, number>;
}

export interface HtmlIncident {
  id: string;
  severity: string;
  rule: string;
  count: number;
  where: string;
  summary: string;
  /** Indices into `findings`. */
  first: number;
  worst: number;
  members: number[];
}

export interface HtmlModel {
  generator: string;
  /** The first line: the verdict (a clean capture says so), and its two parts for the page. */
  verdict: string;
  status: string;
  statusDetail: string;
  /** What every time is measured on, and each layer's clock on it. */
  clock: { heading: string; layers: Array<{ name: string; text: string }> };
  incidents: HtmlIncident[];
  /** The timeline: every layer's lanes on one axis (html-timeline.ts). */
  lanes: HtmlLane[];
  /** The per-level summary table (summary.ts): every block device and QEMU's requests and host jobs, stack order. */
  summary: { heads: string[]; rows: string[][]; labels: string[] };
  counts: Record<string, number>;
  layers: HtmlLayer[];
  /** Clock alignments, one line each, with the pair they join. */
  alignment: Array<{ upper: string; lower: string; text: string }>;
  /** Count-level cross-layer sentences and limits (the correlation section). */
  statements: string[];
  limitations: string[];
  findings: HtmlFinding[];
  devices: HtmlDevice[];
  diagnostics: Array<{ reason: string; severity: string; count: number; example: string }>;
}

/** Every string of the model with control and bidi characters shown as \\xNN (text.ts), as in the terminal. */
function visible<T>(v: T): T {
  if (typeof v === 'string') return term(v) as T;
  if (Array.isArray(v)) return v.map(visible) as T;
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = visible(x);
    return out as T;
  }
  return v;
}

export function htmlModel(report: Report): HtmlModel {
  return visible(arrange(report));
}

function arrange(report: Report): HtmlModel {
  const views = deviceViews(report);
  const ordered = sortFindings(report.findings);
  const incidentOf = new Map<string, number>();
  (report.incidents ?? []).forEach((inc, i) => inc.members.forEach((m) => incidentOf.set(m, i)));
  const findings = ordered.map((f, id): HtmlFinding => {
    const view = views.find((v) => v.layer === f.layer && v.device === f.device);
    const ax = inputAxis(report, findingSource(report, f), f.layer);
    return {
      id,
      fid: f.id ?? '',
      incident: incidentOf.get(f.id ?? '') ?? -1,
      rule: f.rule,
      severity: f.severity,
      layer: f.layer,
      device: f.device,
      deviceLabel: f.device ? deviceLabel(view ?? { device: f.device }) : '',
      time: f.time,
      timeText: findingWhen(f),
      axisTime: findingOnAxis(report, f, ax) ?? null,
      placed: ax.reference,
      message: f.message,
      details: f.details ? scalarLeaves(f.details, 2).map(([k, v]) => [k, formatNumber(v)]) : [],
      evidence: f.evidence.map((e) => {
        const input = report.inputs.find((i) => i.path === e.source);
        return {
          where: `${sourceLabel(report, e.source)}${e.locKind === 'offset' ? '@' : ':'}${e.loc}`,
          path: evidenceWhere(e),
          layer: layerOfSource(report, e.source) ?? f.layer,
          time: e.time,
          timeText: e.time === null && e.localTime !== undefined ? `${ownTimeText(e, input?.clockBase)} (${input?.layer || 'trace'} clock)` : evidenceTimeText(e, input?.layer),
          own: e.time !== null ? ownTimeText(e, input?.clockBase) : '',
          device: e.device,
          event: evidenceEvent(e),
          note: e.note ?? '',
        };
      }),
    };
  });
  const index = new Map(ordered.map((f, i) => [f.id, i]));
  const incidents = (report.incidents ?? []).map((inc): HtmlIncident => {
    const dev = views.find((v) => v.layer === inc.layer && v.device === inc.device);
    return {
      id: inc.id, severity: inc.severity, rule: inc.rule, count: inc.count,
      where: [layerLabel(inc.layer), inc.device ? deviceLabel(dev ?? { device: inc.device }) : ''].filter(Boolean).join(' '),
      summary: inc.summary,
      first: index.get(inc.first) ?? 0,
      worst: index.get(inc.worst) ?? 0,
      members: inc.members.map((m) => index.get(m) ?? 0),
    };
  });
  const devices = views.map((v): HtmlDevice => ({
    layer: v.layer,
    device: v.device,
    label: deviceLabel(v),
    axisShift: deviceAxis(report, v.layer, v.device).shift,
    axisLabel: deviceAxis(report, v.layer, v.device).label,
    cache: v.cache ? `${v.cache.mode}${v.cache.source ? ` (${v.cache.source})` : ''}` : '',
    findings: report.findings.filter((f) => f.layer === v.layer && f.device === v.device).length,
    series: v.series ?? null,
    sections: Object.entries(v.sections).map(([name, sec]) => ({
      name,
      rows: scalarLeaves(sec, 2).map(([k, x]) => [k, formatNumber(x)] as [string, string]),
    })),
  }));
  const layers = report.layers.map((l): HtmlLayer => ({
    name: l.name,
    label: layerLabel(l.name),
    cacheMode: l.cacheMode ? `${l.cacheMode.mode} (${l.cacheMode.source}${l.cacheMode.how ? `: ${l.cacheMode.how}` : ''})` : '',
    inputs: report.inputs
      .filter((i) => i.layer === l.name)
      .map((i) => ({ path: i.path, format: i.format, events: i.events, bytes: i.bytes, clock: i.clock, limitations: i.limitations })),
    devices: l.devices,
    findings: severityCounts(report.findings.filter((f) => f.layer === l.name)),
  }));
  return {
    generator: `${report.generator.name} ${report.generator.version}`,
    ...verdictParts(report),
    clock: { heading: clockHeading(report), layers: report.layers.map((l) => ({ name: layerLabel(l.name), text: clockText(report, l.name) })) },
    incidents,
    lanes: timelineLanes(report),
    summary: levelSummaryTable(report, views),
    counts: severityCounts(report.findings),
    layers,
    alignment: report.alignment.map((a) => {
      const o = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
      return { upper: String(o['upper'] ?? ''), lower: String(o['lower'] ?? ''), text: alignmentText(a) };
    }),
    ...correlationText(report),
    findings,
    devices,
    diagnostics: report.diagnostics.map((c) => {
      const ex = c.examples[0];
      return {
        reason: c.reason,
        severity: c.severity,
        count: c.count,
        example: ex ? `${ex.source}${ex.locKind === 'offset' ? '@' : ':'}${ex.loc}  ${ex.text}` : '',
      };
    }),
  };
}

function verdictParts(report: Report): Pick<HtmlModel, 'verdict' | 'status' | 'statusDetail'> {
  const verdict = verdictLine(report, 'report', (_s, t) => t);
  const c = severityCounts(report.findings);
  const status = c['error']! > 0 ? 'promises broken' : c['warning']! > 0 ? 'warnings' : 'clean';
  const rest = verdict.slice(verdict.indexOf(status) + status.length).replace(/^ — /, '');
  return { verdict, status, statusDetail: rest };
}
