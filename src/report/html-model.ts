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
import { SUMMARY_METRICS } from './summary.js';
import { term } from './text.js';

export interface HtmlEvidence {
  where: string;
  layer: string;
  time: number | null;
  device: string;
  event: string;
  note: string;
}

export interface HtmlFinding {
  id: number;
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

export interface HtmlModel {
  generator: string;
  /** The per-device summary table (summary.ts), one row per device in `devices` order. */
  summary: { heads: string[]; rows: string[][] };
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
  const findings = sortFindings(report.findings).map((f, id): HtmlFinding => {
    const view = views.find((v) => v.layer === f.layer && v.device === f.device);
    return {
      id,
      rule: f.rule,
      severity: f.severity,
      layer: f.layer,
      device: f.device,
      deviceLabel: f.device ? deviceLabel(view ?? { device: f.device }) : '',
      time: f.time,
      message: f.message,
      details: f.details ? scalarLeaves(f.details, 2).map(([k, v]) => [k, formatNumber(v)]) : [],
      evidence: f.evidence.map((e) => ({
        where: evidenceWhere(e),
        layer: layerOfSource(report, e.source) ?? f.layer,
        time: e.time,
        device: e.device,
        event: evidenceEvent(e),
        note: e.note ?? '',
      })),
    };
  });
  const devices = views.map((v): HtmlDevice => ({
    layer: v.layer,
    device: v.device,
    label: deviceLabel(v),
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
    summary: { heads: SUMMARY_METRICS.map((m) => m.head), rows: views.map((v) => SUMMARY_METRICS.map((m) => m.value(v, report))) },
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
