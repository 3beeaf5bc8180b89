/**
 * The stack in a few lines, top to bottom: each layer's device(s), its cache
 * mode as a fact (declared, or inferred and how — QEMU's cache=unsafe is shown
 * here, not among what the traces cannot show), and where its clock sits on
 * the report's reference clock (offset ± uncertainty, own clock when not
 * aligned, untimed). Then the count-level statements of the correlation.
 * Shared by `check` and the terminal report.
 */
import type { Report } from '../model/report.js';
import { plusMinus } from '../clock/format.js';
import { correlationText, deviceViews, deviceLabel, layerLabel } from './view.js';
import { term, wrap, type Paint } from './text.js';

/** "reference clock", "+5.226144 s ± 12 µs", "own clock (not aligned: …)", "untimed (by order)". */
export function clockText(report: Report, layer: string): string {
  const c = report.clock?.layers.find((l) => l.layer === layer);
  if (!c) return '';
  switch (c.status) {
    case 'reference': {
      const others = report.clock!.sources.filter((x) => x.layer === layer && x.status === 'placed').length;
      return others ? `reference clock (${others} more input(s) of the layer placed on it${plusMinus(c.uncertaintySeconds).replace(' ± ', ', ± up to ')})` : 'reference clock';
    }
    case 'placed':
      return `${(c.offsetSeconds ?? 0) >= 0 ? '+' : ''}${(c.offsetSeconds ?? 0).toFixed(6)} s${plusMinus(c.uncertaintySeconds)} from ${report.clock!.reference || '(trace)'}`;
    case 'order-only':
      return 'untimed: events placed by order';
    default:
      return c.how;
  }
}

/** The heading's clause: what every time in the report is measured on. */
export function clockHeading(report: Report): string {
  const c = report.clock;
  if (!c || !c.reference && report.layers.length <= 1) return 'times in s from the first event';
  return `times in s on ${layerLabel(c.reference)}'s clock from the stack's first event`;
}

export function stackLines(report: Report, p: Paint, width: number): string[] {
  const views = deviceViews(report);
  const levels = (Array.isArray(report.correlation?.levels) ? report.correlation!.levels : []) as Array<Record<string, unknown>>;
  const nameW = Math.min(12, Math.max(5, ...report.layers.map((l) => layerLabel(l.name).length)));
  const out: string[] = [];
  for (const layer of report.layers) {
    const mine = levels.filter((l) => l['layer'] === layer.name || (layer.name === '' && l['layer'] === 'layer'));
    const devs = views.filter((d) => d.layer === layer.name);
    // a QEMU layer has no block device: its levels name its devices (virtio devices, BlockBackends)
    const levelDevices = [...new Set(mine.map((l) => (typeof l['device'] === 'string' ? l['device'] : '')).filter(Boolean))];
    const labels = devs.length ? devs.map((d) => deviceLabel(d)) : levelDevices.length ? levelDevices : layer.devices;
    let cache = '';
    if (layer.cacheMode) {
      const cm = layer.cacheMode;
      // the how without its parenthesised source citation (kept in --json)
      cache = `cache=${cm.mode} (${cm.source}${cm.how ? `: ${cm.how.replace(/\s+\(.*$/, '')}` : ''})`;
    } else {
      const modes = [...new Set(devs.map((d) => (d.cache ? `${d.cache.mode}${d.cache.source ? ` (${d.cache.source})` : ''}` : '')).filter(Boolean))];
      if (modes.length) cache = `cache ${modes.join(', ')}`;
    }
    const head = `  ${p('bold', term(layerLabel(layer.name)).padEnd(nameW))}  `;
    const text = [labels.map(term).join(', ') || '(no device)', cache && term(cache), `clock: ${term(clockText(report, layer.name))}`].filter(Boolean).join('; ');
    const lines = wrap(text, width - nameW - 4, '');
    lines.forEach((l, i) => out.push(i === 0 ? head + l : ' '.repeat(nameW + 4) + l));
  }
  const { statements } = correlationText(report);
  // the end-to-end count (top vs bottom) is the one the postmortem needs; the pairwise ones are in --json
  const last = statements.length > 1 ? statements[statements.length - 1]! : statements[0];
  if (last) out.push(...wrap(p('gray', `counts: ${term(last)}`), width, '  '));
  return out;
}
