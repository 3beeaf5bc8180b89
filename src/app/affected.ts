/**
 * The seam to the stack (src/correlate): an application call is durable only
 * if its data is durable at the bottom. When a cross-layer rule found that the
 * layer right below the application acknowledged a promise the next layer down
 * did not keep (flush-not-passed-down, fua-not-honored,
 * write-through-not-durable), the calls whose window held that acknowledgement
 * — honored at the device directly below, so no error at the application
 * layer itself — are application promises that lower layer broke.
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
import type { Finding, Report } from '../model/report.js';
import { formatDev } from '../model/device.js';
import { opText, type SyncCall } from './call.js';
import { fileGroup } from './incidents.js';
import { reportName, shownName, type AppLayerResult } from './layer.js';
import type { AnalysisEnv } from '../model/analysis.js';

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
  const byLower = new Map<string, { calls: Set<number>; first: Finding; rules: Set<string>; findings: number }>();
  for (const f of report.findings) {
    if (!LOWER_RULES.has(f.rule) || f.layer !== layer) continue;
    const lower = typeof f.details?.['lower'] === 'string' ? (f.details['lower'] as string) : `below ${shownName(below.name)}`;
    let hit = false;
    honored.forEach(([c, v], i) => {
      if (v.kind !== 'honored' || (f.device && f.device !== formatDev(v.dev))) return;
      const from = (c.begin + r.alignment.offsetNs - half) / 1e9 + r.belowBase;
      const to = (c.end + r.alignment.offsetNs + half) / 1e9 + r.belowBase;
      // untimed (null) or count-level (-1) findings are about the whole trace
      const ft = f.time ?? -1;
      if (!(ft < 0 || (ft >= from - 1e-6 && ft <= to + 1e-6))) return;
      let e = byLower.get(lower);
      if (!e) byLower.set(lower, (e = { calls: new Set(), first: f, rules: new Set(), findings: 0 }));
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
        `${calls.length} application sync call(s) of ${r.shown} returned on flushes or writes of ${shownName(below.name)} that ${lowerShown} never made durable ` +
        `(${e.findings} ${[...e.rules].join('/')} finding(s)): ` +
        list.slice(0, MAX_GROUPS).map((g) => `${g.comm || 'pid'} ${g.pid}: ${g.calls} ${opText(g.op)} on ${g.fileGroup}`).join('; ') +
        (list.length > MAX_GROUPS ? `; and ${list.length - MAX_GROUPS} more group(s)` : '') +
        `. At ${shownName(below.name)} itself every one of them was durable when it returned.`,
      evidence: ev,
      details: { cause: `application calls that rode on ${lower}`, affectedAppCalls: calls.length, appLayer: r.shown, via: shownName(below.name), groups: list, lowerFindings: e.findings, rules: [...e.rules] },
    });
    ((report.app ?? []).find((s) => s.layer === r.layer))?.statements.push(
      `${calls.length} sync call(s) at ${r.shown} returned on flushes of ${shownName(below.name)} that ${lowerShown} never made durable`,
    );
  }
}
