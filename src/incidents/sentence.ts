/**
 * One sentence per incident, the one a postmortem quotes: who broke the
 * promise (a QEMU layer named as QEMU with its cache mode and how it was
 * known), how many promises, when (reference clock, with its ±), what reached
 * the bottom of the stack, and how bad the worst one was.
 *
 *   QEMU (cache=unsafe, inferred: …) acknowledged 104 guest flushes between
 *   0.021644 s and 0.312655 s ± 12 µs; none reached host loop1 (7,1); the worst
 *   left 130 acknowledged writes not durable at qemu:jobs.
 *
 * Everything is read from the Report (layers, correlation levels, devices,
 * finding details) defensively: a field a stage did not fill is left out of
 * the sentence, never guessed.
 */
import { levelBaseName, type Finding, type Report } from '../model/report.js';
import { localText, plusMinus } from '../clock/format.js';

interface LevelLike {
  name?: unknown;
  layer?: unknown;
  device?: unknown;
  flushes?: unknown;
}

function levels(report: Report): LevelLike[] {
  const l = report.correlation?.levels;
  return Array.isArray(l) ? (l as LevelLike[]) : [];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function isQemu(report: Report, layer: string): boolean {
  const inputs = report.inputs.filter((i) => i.layer === layer);
  return inputs.length > 0 && inputs.every((i) => i.format.startsWith('qemu'));
}

function deviceName(report: Report, layer: string, device: string): string {
  const d = report.devices.find((x) => x.layer === layer && x.device === device && typeof x.name === 'string' && x.name);
  return d?.name ? `${d.name} (${device})` : device;
}

/** "QEMU (cache=unsafe, inferred: …)", "host loop1 (7,1)". */
export function whoText(report: Report, layer: string, device: string): string {
  if (isQemu(report, layer)) {
    const cm = report.layers.find((l) => l.name === layer)?.cacheMode;
    const name = layer && layer.toLowerCase() !== 'qemu' ? `QEMU ${layer}` : 'QEMU';
    if (!cm || cm.source === 'unknown') return name;
    // the how is a sentence with a parenthesised source citation: the postmortem needs the first part
    const how = cm.how ? `: ${cm.how.replace(/\s+\(.*$/, '')}` : '';
    return `${name} (cache=${cm.mode}, ${cm.source}${how})`;
  }
  return [layer, device ? deviceName(report, layer, device) : ''].filter(Boolean).join(' ') || 'the trace';
}

/** "between 0.021644 s and 0.312655 s ± 12 µs", "at …", "between events 3 and 97 of 104 (untimed)". */
export function whenText(first: Finding, last: Finding): string {
  if (first.time !== null && last.time !== null) {
    const u = plusMinus(Math.max(first.timeUncertainty ?? 0, last.timeUncertainty ?? 0));
    return first === last || first.time === last.time
      ? `at ${first.time.toFixed(6)} s${u}`
      : `between ${first.time.toFixed(6)} s and ${last.time.toFixed(6)} s${u}`;
  }
  if (first.order && last.order) {
    return first === last ? `at event ${first.order.n} of ${first.order.of} (untimed: by order)`
      : `between events ${first.order.n} and ${last.order.n} of ${last.order.of} (untimed: by order)`;
  }
  if (first.localTime !== undefined && last.localTime !== undefined) {
    return `between ${localText(first.localTime)} and ${localText(last.localTime)} (${first.layer || 'trace'} clock, not aligned)`;
  }
  return 'over the whole trace';
}

/** The level of the stack just above `layer`'s first level, and the bottom layer's levels (all its devices). */
function neighbours(report: Report, layer: string): { above?: LevelLike; bottom: LevelLike[] } {
  const lv = levels(report);
  const match = (l: LevelLike) => l.layer === layer || (layer === '' && l.layer === 'layer');
  const i = lv.findIndex(match);
  if (i < 0) return { bottom: [] };
  const last = lv[lv.length - 1];
  const bottom = last && !match(last) ? lv.filter((l) => l.layer === last.layer) : [];
  return { above: i > 0 ? lv[i - 1] : undefined, bottom };
}

function levelLabel(report: Report, l: LevelLike): string {
  const layer = typeof l.layer === 'string' ? l.layer : '';
  const device = typeof l.device === 'string' ? l.device : '';
  return `${typeof l.name === 'string' ? levelBaseName(l.name, device) : layer} ${deviceName(report, layer, device)}`.trim();
}

/** "host loop1 (7,1)", "host loop1 (7,1) and loop2 (7,2)". */
function levelsLabel(report: Report, ls: LevelLike[]): string {
  if (ls.length === 1) return levelLabel(report, ls[0]!);
  const layer = String(ls[0]!.layer ?? '');
  const names = ls.map((l) => deviceName(report, layer, String(l.device ?? '')));
  return `${layer} ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The level name in a details.lower "qemu:jobs:blk:0x55…" (`<level name>:<device>`, devices may hold ':'). */
function lowerName(report: Report, v: unknown): string {
  if (typeof v !== 'string' || !v) return '';
  const lv = levels(report).find((l) => typeof l.name === 'string' && typeof l.device === 'string' && `${levelBaseName(l.name, l.device)}:${l.device}` === v);
  if (lv) return levelBaseName(lv.name, lv.device);
  const i = v.lastIndexOf(':');
  return i > 0 ? v.slice(0, i) : v;
}

export function incidentSentence(report: Report, members: Finding[], worst: Finding): string {
  const first = members[0]!;
  const last = members[members.length - 1]!;
  const n = members.length;
  const who = whoText(report, first.layer, first.device);
  const when = whenText(first, last);
  const { above, bottom } = neighbours(report, first.layer);
  const aboveName = above && typeof above.layer === 'string' && above.layer !== first.layer ? `${above.layer} ` : '';
  const lower = lowerName(report, first.details?.['lower']);
  const reach = (what: string, none = `no ${what}`): string => {
    if (bottom.length === 0 || bottom.some((b) => typeof b.flushes !== 'number')) return '';
    const flushes = bottom.reduce((a, b) => a + (b.flushes as number), 0);
    return flushes === 0 ? `; ${none} reached ${levelsLabel(report, bottom)}`
      : `; ${levelsLabel(report, bottom)} completed ${plural(flushes, what, what === 'flush' ? 'flushes' : `${what}s`)} in the whole trace`;
  };
  switch (first.rule) {
    case 'flush-not-passed-down': {
      const chain = worst.details?.['chain'];
      if (typeof chain === 'number') {
        // the count-level chain proof (correlate/flush-chain.ts): one finding for the whole chain
        return `${who} acknowledged ${plural(chain, `${aboveName}flush`, `${aboveName}flushes`)} in a chain starting ${when}, each ` +
          `covering a write made after the previous one was acknowledged${reach('flush')}: at least ` +
          `${String(worst.details?.['notPassedDown'])} of them were not passed down${lower ? ` to ${lower}` : ''}.`;
      }
      const nd = worst.details?.['notDurable'];
      const worstText = typeof nd === 'number' ? `; the worst left ${plural(nd, 'acknowledged write')} not durable${lower ? ` at ${lower}` : ''}` : '';
      return `${who} acknowledged ${plural(n, `${aboveName}flush`, `${aboveName}flushes`)} ${when}${reach('flush', n === 1 ? 'it never' : 'none')}${worstText}.`;
    }
    case 'fua-not-honored':
      return `${who} acknowledged ${plural(n, `${aboveName}FUA write`)} ${when} before ${n === 1 ? 'it was' : 'they were'} durable${lower ? ` at ${lower}` : ' below'}${reach('flush')}.`;
    case 'write-through-not-durable':
      return `${who}, write-through, acknowledged ${plural(n, `${aboveName}write`)} ${when} before ${n === 1 ? 'it was' : 'they were'} durable${lower ? ` at ${lower}` : ' below'}.`;
    case 'durable-order-inverted':
      return `${who} ordered writes with a flush in between, yet ${plural(n, 'time')} ${when} the later write became durable${lower ? ` at ${lower}` : ' below'} while the earlier was still volatile.`;
    default:
      if (n === 1) return first.message;
      return `${plural(n, `${first.rule} finding`)} on ${who} ${when}; the first: ${first.message}`;
  }
}
