/**
 * The terminal report: the verdict, the incidents (src/incidents) with the
 * evidence of their first and worst members, the stack (layers, inputs,
 * devices, cache modes, clocks), and a
 * per-device summary (cli-table3) of every section the stages contributed —
 * sections this file does not know are shown generically, never dropped.
 * Every string from a trace goes through term() (text.ts).
 */
import type { Report } from '../model/report.js';
import { deviceLabel, deviceViews, formatBytes, layerLabel, alignmentText, correlationText, type DeviceView } from './view.js';
import { incidentsText, sourceLabel, verdictLine } from './incidents-text.js';
import { clockHeading, clockText } from './stack-text.js';
import { deviceTables } from './terminal-devices.js';
import { painter, term, wrap, type Paint } from './text.js';

export interface TerminalOptions {
  /** Terminal columns (default 80). */
  width?: number;
  /** ANSI colours (only on a TTY, never with NO_COLOR or --no-color: the caller decides). */
  color?: boolean;
  /** Evidence lines shown per member (default 4; every one with `all`). */
  maxEvidence?: number;
  /** Every field of every per-device section, not only the summary. */
  details?: boolean;
  /** Every finding of every incident, with all its evidence. */
  all?: boolean;
}

/**
 * The verdict line (a clean capture says so first), the incidents most severe first, the stack
 * (layers, cache modes as facts, where each clock sits on the reference clock, what the traces
 * cannot show), the devices, the skipped input.
 */
export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const width = Math.max(40, options.width ?? 80);
  const p = painter(Boolean(options.color));
  const devices = deviceViews(report);
  const out: string[] = [];
  out.push(verdictLine(report, 'report', p));
  out.push(p('gray', `${term(report.generator.name)} ${term(report.generator.version)}: ${report.inputs.length} input(s), ${report.layers.length} layer(s), ${devices.length} device(s); ${clockHeading(report)}`));
  const heading = `INCIDENTS (${(report.incidents ?? []).length}, from ${report.findings.length} finding(s))`;
  out.push('', p('bold', heading), ...incidentsText(report, { width, paint: p, all: options.all, maxEvidence: options.maxEvidence }));
  out.push('', p('bold', 'STACK'), ...stack(report, devices, p, width));
  const summary = deviceTables(report, devices, width, Boolean(options.color), Boolean(options.details));
  if (summary.length) out.push('', p('bold', 'DEVICES'), ...summary);
  const skipped = skippedLines(report, p);
  if (skipped.length) out.push('', p('bold', 'SKIPPED INPUT'), ...skipped);
  return out.join('\n') + '\n';
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
      lines.push(`${term(i.path)}  ${p('gray', `${term(i.format)}, ${i.events} events, ${formatBytes(i.bytes)}${i.gzip ? ' gzip' : ''}`)}`);
    }
    if (layer.cacheMode) {
      const cm = layer.cacheMode;
      lines.push(...wrap(`cache=${p('bold', term(cm.mode))} (${term(cm.source)}${cm.how ? `: ${term(cm.how)}` : ''})`, width - nameWidth - 4, ''));
    }
    const clock = clockText(report, layer.name);
    if (clock) lines.push(...wrap(`clock: ${term(clock)}`, width - nameWidth - 4, ''));
    const layerDevices = devices.filter((d) => d.layer === layer.name);
    if (layerDevices.length === 0) {
      // a QEMU layer: its devices are the correlation's levels (virtio devices, BlockBackends)
      const lv = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as Array<Record<string, unknown>>;
      const qd = [...new Set(lv.filter((l) => l['layer'] === layer.name && l['role'] === 'qemu-front').map((l) => String(l['device'])))];
      if (qd.length) lines.push(`QEMU device(s) ${qd.map((d) => p('bold', term(d))).join(', ')}`);
    }
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
  const { statements, limitations } = correlationText(report);
  if (statements.length) out.push('', `  ${p('bold', 'across layers')}`, ...statements.flatMap((s) => wrap(term(s), width, '    ')));
  const limits = [
    ...report.inputs.flatMap((i) => i.limitations.map((l) => `${sourceLabel(report, i.path)}: ${l}`)),
    ...limitations,
  ];
  if (limits.length) out.push('', `  ${p('bold', 'what the traces cannot show')}`, ...limits.flatMap((s) => wrap(p('gray', term(s)), width, '    ')));
  return out;
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
