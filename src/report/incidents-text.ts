/**
 * The text that opens `check` and `report`: one verdict line, then the
 * incidents most severe first — each with its sentence, and the evidence of
 * its first and worst members — and, with --all, every member finding with
 * its message and evidence. Every time on the report's reference clock
 * (src/clock) with the source's own time kept in the evidence line
 * ("loop1.blkparse.txt:429  0.310452 s  @9.008023614  C WS 0 + 8").
 */
import type { EvidenceRef } from '../model/event.js';
import type { Finding, Incident, Report } from '../model/report.js';
import { evidenceTimeText, localText, ownTimeText } from '../clock/format.js';
import { plusMinus } from '../clock/format.js';
import { deviceLabel, evidenceEvent, severityCounts } from './view.js';
import { SEVERITY_STYLE, term, wrap, type Paint } from './text.js';

export interface IncidentTextOptions {
  width: number;
  paint: Paint;
  /** Every member finding, with all its evidence. */
  all?: boolean;
  /** Evidence lines per shown member (default 4; --all: every one). */
  maxEvidence?: number;
}

/** "qemu-trace.log" when the base name names one input, the path otherwise. */
export function sourceLabel(report: Report, source: string): string {
  const base = source.replace(/^.*\//, '');
  const same = report.inputs.filter((i) => i.path.replace(/^.*\//, '') === base);
  return same.length <= 1 ? base : source;
}

/** The first line: the verdict, so a clean capture says so at once. */
export function verdictLine(report: Report, command: string, p: Paint): string {
  const c = severityCounts(report.findings);
  const incidents = report.incidents ?? [];
  const counts = `${c['error']} error(s), ${c['warning']} warning(s), ${c['info']} info`;
  if (c['error']! > 0 || c['warning']! > 0) {
    const serious = incidents.filter((i) => i.severity !== 'info').length;
    const verdict = c['error']! > 0 ? p('red', 'promises broken') : p('yellow', 'warnings');
    return `blkaudit ${command}: ${verdict} — ${serious} incident(s) from ${counts}`;
  }
  return `blkaudit ${command}: ${p('green', 'clean — no broken promise found')} (${counts})`;
}

/** A finding's time in words: reference seconds ± uncertainty, its order, or its own clock. */
export function findingWhen(f: Finding): string {
  if (f.time !== null) return `${f.time.toFixed(6)} s${plusMinus(f.timeUncertainty)}`;
  if (f.order) return `order ${f.order.n} of ${f.order.of}`;
  if (f.localTime !== undefined) return `@${localText(f.localTime)} (${f.layer || 'trace'} clock)`;
  return 'whole trace';
}

/** One evidence line: where, reference time, own time, the event, what it proves. */
export function evidenceText(report: Report, ref: EvidenceRef, p: Paint): string {
  const where = `${sourceLabel(report, ref.source)}${ref.locKind === 'offset' ? '@' : ':'}${ref.loc}`;
  const input = report.inputs.find((i) => i.path === ref.source);
  const own = ownTimeText(ref, input?.clockBase);
  const note = ref.note ? `  ${p('gray', '— ' + term(ref.note))}` : '';
  // not on the reference clock: the own time alone, saying whose clock it is
  const when = ref.time === null && own ? `${own} (${input?.layer || 'trace'} clock)` : `${evidenceTimeText(ref, input?.layer)}${own ? `  ${p('gray', own)}` : ''}`;
  return `${term(where)}  ${when}  ${term(evidenceEvent(ref))}${note}`;
}

function memberLines(report: Report, f: Finding, label: string, o: IncidentTextOptions, indent: string, withMessage: boolean): string[] {
  const p = o.paint;
  // a finding with no evidence (a count over the whole trace) is its incident's sentence: nothing more to show
  if (!withMessage && f.evidence.length === 0) return [];
  const out = [`${indent}${p('bold', label)} ${f.id ?? ''} at ${findingWhen(f)}${withMessage ? '' : ':'}`];
  if (withMessage) out.push(...wrap(term(f.message), o.width, indent + '  '));
  const max = o.all ? Infinity : o.maxEvidence ?? 4;
  for (const ref of f.evidence.slice(0, max)) out.push(`${indent}  ${evidenceText(report, ref, p)}`);
  if (f.evidence.length > max) out.push(`${indent}  ${p('gray', `… ${f.evidence.length - max} more evidence line(s) (--all, --json)`)}`);
  return out;
}

export function incidentLines(report: Report, inc: Incident, o: IncidentTextOptions): string[] {
  const p = o.paint;
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const sev = p(SEVERITY_STYLE[inc.severity] ?? 'bold', inc.severity.toUpperCase());
  const dev = report.devices.find((d) => d.layer === inc.layer && d.device === inc.device);
  const where = [inc.layer, inc.device ? deviceLabel({ device: inc.device, name: typeof dev?.name === 'string' ? dev.name : undefined }) : ''].filter(Boolean).join(' ');
  const out = [`  ${p('bold', inc.id)} ${sev} ${p('bold', term(inc.rule))}${inc.count > 1 ? ` ×${inc.count}` : ''}  ${term(where)}`];
  out.push(...wrap(term(inc.summary), o.width, '     '));
  const first = byId.get(inc.first);
  const worst = byId.get(inc.worst);
  if (o.all) {
    for (const id of inc.members) {
      const f = byId.get(id);
      if (f) out.push(...memberLines(report, f, 'finding', o, '     ', true));
    }
    return out;
  }
  if (first) out.push(...memberLines(report, first, inc.count > 1 ? 'first' : 'evidence', o, '     ', false));
  if (worst && worst !== first) out.push(...memberLines(report, worst, 'worst', o, '     ', false));
  return out;
}

/** The INCIDENTS section (without its heading). */
export function incidentsText(report: Report, o: IncidentTextOptions): string[] {
  const incidents = report.incidents ?? [];
  if (incidents.length === 0) return ['  none'];
  const out: string[] = [];
  for (const inc of incidents) out.push(...incidentLines(report, inc, o));
  const hidden = report.findings.length - incidents.length;
  if (!o.all && hidden > 0) out.push(`  ${o.paint('gray', `(${report.findings.length} findings in ${incidents.length} incident(s); --all lists every one)`)}`);
  return out;
}
