/**
 * Incidents: the findings that share a rule, a severity, a layer, a device and
 * a cause are one thing that went wrong — "QEMU dropped every guest flush" is
 * one incident of 104 findings, not 104 problems. Runs over the finished
 * Report (after src/clock placed every time on the reference clock): it gives
 * every finding an id ("f1"… in report order: severity, then time), groups
 * them and writes one sentence per incident (sentence.ts). Findings are kept,
 * every one; an incident only names its members.
 */
import { compareTimes, type Finding, type Incident, type Report } from '../model/report.js';
import { incidentSentence } from './sentence.js';

const RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** Findings by severity, then time (untimed by order last), then layer, device, rule. */
export function orderFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) ||
      compareTimes(a, b) ||
      a.layer.localeCompare(b.layer) ||
      a.device.localeCompare(b.device) ||
      a.rule.localeCompare(b.rule),
  );
}

/**
 * What the members of one incident share beyond rule, layer and device: the
 * level below that did not keep the promise (cross-layer rules put it in
 * `details.lower`), or the kind of the failure (`details.kind`). Read
 * defensively: `details` is rule-specific.
 */
export function causeOf(f: Finding): string {
  const d = f.details ?? {};
  for (const k of ['lower', 'kind', 'cause']) {
    const v = d[k];
    if (typeof v === 'string' && v) return `${k}=${v}`;
  }
  return '';
}

/** The member that shows the most damage: most writes left not durable; the first when all are alike. */
function worstOf(members: Finding[]): Finding {
  let worst = members[0]!;
  let most = -1;
  for (const f of members) {
    const n = f.details?.['notDurable'];
    if (typeof n === 'number' && n > most) {
      most = n;
      worst = f;
    }
  }
  return worst;
}

/** Ids on every finding, report.incidents filled, most severe first. Returns the incidents. */
export function groupIncidents(report: Report): Incident[] {
  // the id first, so it leads each finding in the JSON
  report.findings = orderFindings(report.findings).map((f, i) => ({ ...f, id: `f${i + 1}` })).map(({ id, ...rest }) => ({ id, ...rest }));
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = [f.rule, f.severity, f.layer, f.device, causeOf(f)].join('\u0000');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(f);
  }
  const list = [...groups.values()].sort(
    (a, b) => (RANK[a[0]!.severity] ?? 3) - (RANK[b[0]!.severity] ?? 3) || b.length - a.length || compareTimes(a[0]!, b[0]!),
  );
  const incidents = list.map((members, i): Incident => {
    const first = members[0]!;
    const last = members[members.length - 1]!;
    const worst = worstOf(members);
    return {
      id: `i${i + 1}`,
      rule: first.rule,
      severity: first.severity,
      layer: first.layer,
      device: first.device,
      cause: causeOf(first),
      summary: incidentSentence(report, members, worst),
      count: members.length,
      firstTime: first.time,
      lastTime: last.time,
      members: members.map((f) => f.id!),
      first: first.id!,
      worst: worst.id!,
    };
  });
  report.incidents = incidents;
  return incidents;
}
