/**
 * The seam to the stack (src/correlate): an application call is durable only
 * if its data is durable at the bottom. When a cross-layer rule found that the
 * layer right below the application acknowledged a promise the next layer down
 * did not keep (flush-not-passed-down, fua-not-honored,
 * write-through-not-durable), the calls whose window held that acknowledgement
 * — honored at the device directly below, so no error at the application
 * layer itself — are the application promises it broke. They are listed in
 * that finding (details.appCalls, and its message); nothing else of the
 * finding changes. Only a finding's public fields are read (layer, device,
 * time in that layer's clock).
 */
import type { Report } from '../model/report.js';
import { formatDev } from '../model/device.js';
import { opText } from './call.js';
import { fileGroup } from './incidents.js';
import { reportName, shownName, type AppLayerResult } from './layer.js';

const LOWER_RULES = new Set(['flush-not-passed-down', 'fua-not-honored', 'write-through-not-durable']);
const MAX_LISTED = 5;

export function attachAffected(report: Report, r: AppLayerResult): void {
  const below = r.below;
  if (!below || r.alignment.method === 'none') return;
  const layer = reportName(below.name);
  const half = r.alignment.widthNs / 2 + r.alignment.toleranceNs;
  const honored = r.verdicts.filter(([, v]) => v.kind === 'honored');
  if (honored.length === 0) return;
  const hit = new Set<number>();
  for (const f of report.findings) {
    if (!LOWER_RULES.has(f.rule) || f.layer !== layer) continue;
    const calls: number[] = [];
    honored.forEach(([c, v], i) => {
      if (v.kind !== 'honored' || (f.device && f.device !== formatDev(v.dev))) return;
      const from = (c.begin + r.alignment.offsetNs - half) / 1e9 + r.belowBase;
      const to = (c.end + r.alignment.offsetNs + half) / 1e9 + r.belowBase;
      if (f.time < 0 || (f.time >= from - 1e-6 && f.time <= to + 1e-6)) calls.push(i);
    });
    if (calls.length === 0) continue;
    for (const i of calls) hit.add(i);
    const listed = calls.slice(0, MAX_LISTED).map((i) => {
      const c = honored[i]![0];
      return { pid: c.pid, comm: c.comm || below.comms.get(c.pid) || '', op: c.op, path: c.path, fileGroup: fileGroup(c), line: c.loc, layer: r.shown };
    });
    f.details = { ...(f.details ?? {}), affectedAppCalls: calls.length, appCalls: listed };
    const e = listed[0]!;
    f.message += ` It carried ${calls.length} application sync call(s) of ${r.shown}, whose promise is therefore broken: e.g. ${e.comm || 'pid'} ${e.pid} ${opText(e.op)} on ${e.fileGroup} (line ${e.line}).`;
  }
  if (hit.size > 0) {
    const sec = (report.app ?? []).find((s) => s.layer === r.layer);
    sec?.statements.push(`${hit.size} sync call(s) at ${r.shown} returned on flushes of ${shownName(below.name)} that the layer below never made durable`);
  }
}
