/**
 * The terminal report: the stack (layers, inputs, devices, cache modes, clock
 * alignment), the findings by severity then time with their evidence, and a
 * per-device summary (cli-table3) of every section the stages contributed —
 * sections this file does not know are shown generically, never dropped.
 * Every string from a trace goes through term() (text.ts).
 */
import type { Finding, Report } from '../model/report.js';
import {
  deviceLabel, deviceViews, evidenceEvent, evidenceWhere, formatBytes, formatNumber, formatTime,
  layerLabel, scalarLeaves, severityCounts, sortFindings, alignmentText, correlationText, type DeviceView,
} from './view.js';
import { deviceTables } from './terminal-devices.js';
import { painter, SEVERITY_STYLE, term, wrap, type Paint } from './text.js';

export interface TerminalOptions {
  /** Terminal columns (default 80). */
  width?: number;
  /** ANSI colours (only on a TTY, never with NO_COLOR or --no-color: the caller decides). */
  color?: boolean;
  /** Evidence lines shown per finding (default 8). */
  maxEvidence?: number;
  /** Every field of every per-device section, not only the summary. */
  details?: boolean;
}

export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const width = Math.max(40, options.width ?? 80);
  const p = painter(Boolean(options.color));
  const devices = deviceViews(report);
  const out: string[] = [];
  out.push(...header(report, devices, p));
  out.push('', p('bold', 'STACK'), ...stack(report, devices, p, width));
  out.push('', p('bold', `FINDINGS (${report.findings.length})`), ...findings(report, p, width, options.maxEvidence ?? 8));
  const summary = deviceTables(report, devices, width, Boolean(options.color), Boolean(options.details));
  if (summary.length) out.push('', p('bold', 'DEVICES'), ...summary);
  const skipped = skippedLines(report, p);
  if (skipped.length) out.push('', p('bold', 'SKIPPED INPUT'), ...skipped);
  return out.join('\n') + '\n';
}

function header(report: Report, devices: DeviceView[], p: Paint): string[] {
  const c = severityCounts(report.findings);
  const parts = [`${c['error']} error${c['error'] === 1 ? '' : 's'}`, `${c['warning']} warning${c['warning'] === 1 ? '' : 's'}`, `${c['info']} info`];
  const verdict = c['error']! > 0 ? p('red', 'promises broken') : c['warning']! > 0 ? p('yellow', 'warnings') : p('green', 'no broken promise found');
  return [
    `${p('bold', `${term(report.generator.name)} ${term(report.generator.version)} report`)}: ${report.inputs.length} input(s), ` +
      `${report.layers.length} layer(s), ${devices.length} device(s); findings: ${parts.join(', ')} — ${verdict}`,
  ];
}

function stack(report: Report, devices: DeviceView[], p: Paint, width: number): string[] {
  const out: string[] = [];
  const nameWidth = Math.min(12, Math.max(5, ...report.layers.map((l) => layerLabel(l.name).length)));
  report.layers.forEach((layer, li) => {
    if (li > 0) out.push(`  ${' '.repeat(nameWidth)}  ${p('gray', '│')}`);
    const head = `  ${p('bold', term(layerLabel(layer.name)).padEnd(nameWidth))}  `;
    const inputs = report.inputs.filter((i) => i.layer === layer.name);
    const lines: string[] = [];
    for (const i of inputs) {
      lines.push(`${term(i.path)}  ${p('gray', `${term(i.format)}, ${i.events} events, ${formatBytes(i.bytes)}${i.gzip ? ' gzip' : ''}, clock ${term(i.clock)}`)}`);
      for (const l of i.limitations) lines.push(p('gray', `  limit: ${term(l)}`));
    }
    if (layer.cacheMode) {
      const cm = layer.cacheMode;
      lines.push(`cache ${p('bold', term(cm.mode))} (${term(cm.source)}${cm.how ? `: ${term(cm.how)}` : ''})`);
    }
    const layerDevices = devices.filter((d) => d.layer === layer.name);
    for (const d of layerDevices) {
      const cache = d.cache ? `  cache ${term(d.cache.mode)}${d.cache.source ? ` (${term(d.cache.source)})` : ''}` : '';
      const n = report.findings.filter((f) => f.layer === layer.name && f.device === d.device).length;
      const flag = n > 0 ? '  ' + p('red', `${n} finding(s)`) : '';
      lines.push(`device ${p('bold', term(deviceLabel(d)))}${cache}${flag}`);
    }
    if (lines.length === 0) lines.push(p('gray', '(no input)'));
    const indent = ' '.repeat(nameWidth + 4);
    lines.forEach((l, i) => out.push(i === 0 ? head + l : indent + l));
  });
  if (report.layers.length === 0) out.push('  (no layer)');
  const align = report.alignment.flatMap((a) => wrap(term(alignmentText(a)), width, '    '));
  if (align.length) out.push('', `  ${p('bold', 'clock alignment')}`, ...align);
  else if (report.layers.length > 1) out.push('', `  ${p('bold', 'clock alignment')}: ${p('gray', 'none reported (layers are shown in their own clocks)')}`);
  const { statements, limitations } = correlationText(report);
  if (statements.length) out.push('', `  ${p('bold', 'across layers')}`, ...statements.flatMap((s) => wrap(term(s), width, '    ')));
  if (limitations.length) out.push('', `  ${p('bold', 'what the traces cannot show')}`, ...limitations.flatMap((s) => wrap(p('gray', term(s)), width, '    ')));
  return out;
}

function findings(report: Report, p: Paint, width: number, maxEvidence: number): string[] {
  const list = sortFindings(report.findings);
  if (list.length === 0) return ['  none'];
  const out: string[] = [];
  for (const f of list) out.push(...finding(f, report, p, width, maxEvidence), '');
  out.pop();
  return out;
}

function finding(f: Finding, report: Report, p: Paint, width: number, maxEvidence: number): string[] {
  const sev = p(SEVERITY_STYLE[f.severity] ?? 'bold', f.severity.toUpperCase().padEnd(7));
  const where = [layerLabel(f.layer), f.device ? deviceLabel({ device: f.device, name: deviceName(report, f) }) : ''].filter(Boolean).join(' ');
  const out = [`  ${sev} ${p('bold', term(f.rule))}  ${term(where)}  at ${f.time === null ? 'n/a' : formatTime(f.time)} s`];
  out.push(...wrap(term(f.message), width, '          '));
  if (f.details && Object.keys(f.details).length) {
    const d = scalarLeaves(f.details, 2).map(([k, v]) => `${term(k)}=${term(formatNumber(v))}`).join(', ');
    out.push(...wrap(p('gray', d), width, '          '));
  }
  if (f.evidence.length) {
    out.push(`          ${p('gray', 'evidence:')}`);
    for (const ref of f.evidence.slice(0, maxEvidence)) {
      const note = ref.note ? `  ${p('gray', '— ' + term(ref.note))}` : '';
      out.push(`            ${term(evidenceWhere(ref))}  ${ref.time === null ? 'n/a' : formatTime(ref.time)}  ${term(ref.device)}  ${term(evidenceEvent(ref))}${note}`);
    }
    if (f.evidence.length > maxEvidence) out.push(`            … ${f.evidence.length - maxEvidence} more (see --json or --html)`);
  }
  return out;
}

function deviceName(report: Report, f: Finding): string | undefined {
  const d = report.devices.find((x) => x.layer === f.layer && x.device === f.device);
  return typeof d?.name === 'string' ? d.name : undefined;
}

function skippedLines(report: Report, p: Paint): string[] {
  const out: string[] = [];
  for (const c of report.diagnostics) {
    const ex = c.examples[0];
    const where = ex ? p('gray', ` (first: ${term(ex.source)}${ex.locKind === 'offset' ? '@' : ':'}${ex.loc})`) : '';
    const sev = c.severity === 'info' ? p('gray', 'info') : c.severity === 'data-loss' ? p('red', 'data-loss') : p('yellow', c.severity);
    out.push(`  ${String(c.count).padStart(8)} × ${term(c.reason)}  ${sev}${where}`);
  }
  return out;
}
