/**
 * The seam to the stack (src/correlate): an application call is durable only
 * if its data is durable at the bottom. When a cross-layer rule found that the
 * layer right below the application acknowledged a promise the next layer down
 * did not keep (flush-not-passed-down, fua-not-honored,
 * write-through-not-durable), the calls whose window held that acknowledgement
 * — honored at the device directly below, so no error at the application
 * layer itself — are application promises that lower layer broke.
 *
 * The same holds further down: a level below that one, reached through the stack's clock alignments (each
 * decided: identity, or one causal offset with no drift), that broke a promise the levels above it passed
 * down (a guest's flushes QEMU acknowledged without flushing the host) broke the calls whose window held
 * its acknowledgement, placed on the clock of the layer below the application through those offsets.
 *
 * One incident per lower level is added (rule sync-call-not-durable, layer and
 * device of the level that failed, taken from the cross-layer finding's
 * `details.lower` "name:maj,min"), listing those calls grouped by process,
 * operation and file group, with the first call and the cross-layer finding it
 * rode on as evidence. The cross-layer findings themselves are not edited
 * (data flows one way: a later stage adds findings). Only their public fields
 * are read: rule, layer, device, time (that layer's clock), details.lower.
 */
import type { EvidenceRef } from '../model/event.js';
import { withoutClockBase, type Finding, type Report } from '../model/report.js';
import { findingSource } from '../clock/place.js';
import { formatDev } from '../model/device.js';
import { opText, type SyncCall } from './call.js';
import { fileGroup } from './incidents.js';
import { reportName, shownName, type AppLayerResult } from './layer.js';
import type { AnalysisEnv } from '../model/analysis.js';
import type { AlignmentReport } from '../correlate/result.js';

const LOWER_RULES = new Set(['flush-not-passed-down', 'fua-not-honored', 'write-through-not-durable']);
const MAX_GROUPS = 8;

export function attachAffected(report: Report, env: AnalysisEnv, r: AppLayerResult): void {
  const below = r.below;
  if (!below || r.alignment.method === 'none') return;
  const layer = reportName(below.name);
  const half = r.alignment.widthNs / 2 + r.alignment.toleranceNs;
  const honored = r.verdicts.filter(([, v]) => v.kind === 'honored');
  if (honored.length === 0) return;
  // per lower level ("lower:7,0"): the calls that rode on what it broke, and the first finding they rode on
  const byLower = new Map<string, { calls: Set<number>; first: Finding; rules: Set<string>; findings: number; via?: string }>();
  const chains = new Map<number, Map<string, Hop>>();
  const chainOf = (dev: number) => {
    let m = chains.get(dev);
    if (!m) chains.set(dev, (m = levelsBelow(report, `${below.name}:${formatDev(dev)}`)));
    return m;
  };
  for (const f of report.findings) {
    if (!LOWER_RULES.has(f.rule)) continue;
    const direct = f.layer === layer;
    const level = `${f.layer}:${f.device}`;
    if (!direct && !f.device) continue;
    const lower = typeof f.details?.['lower'] === 'string' ? (f.details['lower'] as string) : `below ${shownName(below.name)}`;
    let hit = false;
    honored.forEach(([c, v], i) => {
      if (v.kind !== 'honored') return;
      if (direct && f.device && f.device !== formatDev(v.dev)) return;
      const hop = direct ? DIRECT : chainOf(v.dev).get(level);
      if (!hop) return;
      const from = (c.begin + r.alignment.offsetNs - half) / 1e9 + r.belowBase - hop.width / 2;
      const to = (c.end + r.alignment.offsetNs + half) / 1e9 + r.belowBase + hop.width / 2;
      // untimed (null) or count-level (-1) findings are about the whole trace; a deeper level's own time is put
      // on the clock of the layer below the application (without its base, less the offsets, with that one's)
      const ft = f.time ?? -1;
      const at = direct || ft < 0 ? ft : withoutClockBase(findingSource(report, f), ft) - hop.offset + r.belowBase;
      if (!(ft < 0 || (at >= from - 1e-6 && at <= to + 1e-6))) return;
      let e = byLower.get(lower);
      if (!e) byLower.set(lower, (e = { calls: new Set(), first: f, rules: new Set(), findings: 0 }));
      if (!direct) e.via = `${shownName(f.layer)} ${f.device}`;
      e.calls.add(i);
      e.rules.add(f.rule);
      hit = true;
    });
    if (hit) byLower.get(lower)!.findings++;
  }
  for (const [lower, e] of byLower) {
    const calls = [...e.calls].sort((a, b) => a - b).map((i) => honored[i]![0]);
    const groups = new Map<string, { pid: number; comm: string; op: SyncCall['op']; fileGroup: string; calls: number }>();
    for (const c of calls) {
      const k = `${c.pid}\0${c.op}\0${fileGroup(c)}`;
      const g = groups.get(k);
      if (g) g.calls++;
      else groups.set(k, { pid: c.pid, comm: c.comm || below.comms.get(c.pid) || '', op: c.op, fileGroup: fileGroup(c), calls: 1 });
    }
    const list = [...groups.values()].sort((a, b) => b.calls - a.calls);
    const c0 = calls[0]!;
    const colon = lower.lastIndexOf(':');
    const lowerLayer = colon > 0 ? lower.slice(0, colon) : lower;
    const lowerDev = colon > 0 ? lower.slice(colon + 1) : '';
    const lowerShown = lowerDev ? `${shownName(lowerLayer)} (${lowerDev})` : lower;
    const src = env.sources[c0.source];
    const ev: EvidenceRef[] = [{
      source: src?.name ?? `#${c0.source}`, locKind: 'line', loc: c0.loc, time: c0.begin / 1e9 + (src?.clock.baseSeconds ?? 0), device: '',
      action: c0.syscall, rwbs: '', sector: -1, bytes: Math.max(0, c0.bytes), note: `first affected call: durable at ${shownName(below.name)}, not below it${c0.path ? ` — ${c0.path}` : ''}`,
    }];
    ev.push(...e.first.evidence.slice(0, 2).map((x) => ({ ...x, note: `${e.first.rule}: ${x.note ?? ''}`.trim() })));
    report.findings.push({
      rule: 'sync-call-not-durable',
      severity: 'error',
      layer: reportName(lowerLayer),
      device: lowerDev,
      time: e.first.time,
      message:
        `${calls.length} application sync call(s) of ${r.shown} returned on flushes or writes of ${shownName(below.name)}${e.via ? `, passed down to ${e.via},` : ''} that ${lowerShown} never made durable ` +
        `(${e.findings} ${[...e.rules].join('/')} finding(s)): ` +
        list.slice(0, MAX_GROUPS).map((g) => `${g.comm || 'pid'} ${g.pid}: ${g.calls} ${opText(g.op)} on ${g.fileGroup}`).join('; ') +
        (list.length > MAX_GROUPS ? `; and ${list.length - MAX_GROUPS} more group(s)` : '') +
        `. At ${shownName(below.name)} itself every one of them was durable when it returned.`,
      evidence: ev,
      details: { cause: `application calls that rode on ${lower}`, affectedAppCalls: calls.length, appLayer: r.shown, via: e.via ?? shownName(below.name), groups: list, lowerFindings: e.findings, rules: [...e.rules] },
    });
    ((report.app ?? []).find((s) => s.layer === r.layer))?.statements.push(
      `${calls.length} sync call(s) at ${r.shown} returned on flushes of ${shownName(below.name)} that ${lowerShown} never made durable`,
    );
  }
}

/** A level below the application's: the clock offset (its time − the upper one's, s) and width summed on the way. */
interface Hop {
  offset: number;
  width: number;
}

const DIRECT: Hop = { offset: 0, width: 0 };

/**
 * The levels reached from `start` ("layer:device") through the stack's alignments, upper to lower, each edge
 * decided (identity: the same trace and clock; a causal offset with no drift). An edge whose clock was not
 * aligned, ambiguous or drifting ends the walk there: times below it say nothing on this clock.
 */
function levelsBelow(report: Report, start: string): Map<string, Hop> {
  const out = new Map<string, Hop>([[start, DIRECT]]);
  const edges = report.alignment as AlignmentReport[];
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const from = out.get(queue[q]!)!;
    for (const a of edges) {
      if (a.upper !== queue[q] || out.has(a.lower)) continue;
      const same = a.method === 'identity';
      if (!same && (a.method !== 'causal-offset' || typeof a.offsetSeconds !== 'number' || a.drift)) continue;
      out.set(a.lower, same ? from : { offset: from.offset + a.offsetSeconds!, width: from.width + (a.widthSeconds ?? 0) });
      queue.push(a.lower);
    }
  }
  out.delete(start);
  return out;
}
