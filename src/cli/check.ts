/**
 * `blkaudit check`: the durability and ordering verdict of each layer —
 * findings (table or JSON) and per-device flush numbers; with `--at TIME`,
 * the writes a power cut at TIME would have lost. Exit 1 when a finding
 * reaches --fail-on (default error), 2 on usage errors or unreadable input.
 */
import type { Command } from 'commander';
import { levelBaseName, type Report } from '../model/report.js';
import { evidenceText, incidentsText, sourceLabel, verdictLine } from '../report/incidents-text.js';
import { clockHeading, stackLines } from '../report/stack-text.js';
import { wrap, type Paint } from '../report/text.js';
import { plainTable } from '../model/plain-table.js';
import { CROSS_LAYER_RULE_INFOS, rulesHelp } from '../check/rules/catalogue.js';
import type { AtRisk, DeviceCheckSummary } from '../check/types.js';
import { formatBytes } from '../check/rules/rule.js';
import { localText, plusMinus } from '../clock/format.js';
import { addStackOptions } from './stack-options.js';
import { addInputOptions, addOptions, NO_COLOR_OPTION, UsageError } from './options.js';
import { Output, safeText } from './output.js';
import { printSkipSummary } from './diagnostics.js';
import { checkAnalysis, rejectUnmatchedMounts, type CheckCliOptions } from './check-analysis.js';

export { appOptionsFrom, checkAnalysis, checkOptionsFrom, rejectUnmatchedMounts, requireCacheMatched, type CheckCliOptions, type CheckRun } from './check-analysis.js';

/**
 * The cross-layer rules and the severities --help gives them (from the catalogue, src/check/rules/catalogue.ts);
 * test/invocations.test.ts and test/rule-catalogue.test.ts check them against the README's rule table.
 */
export const CROSS_LAYER_RULES: ReadonlyArray<{ id: string; severity: string }> = CROSS_LAYER_RULE_INFOS.map((r) => ({
  id: r.id,
  severity: r.severityText ?? r.severity,
}));

export function registerCheck(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('check')
    .description('check flush/FUA durability and write ordering per device; findings with evidence')
    .argument('[input...]', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer (or give them in --stack FILE)')
    .option('--json', 'print {"schemaVersion":2,"findings":[…],"incidents":[…],"devices":[…]} instead of tables')
    .option('--all', 'list every finding of every incident with all its evidence (default: each incident with its first and worst)')
    .option('--fail-on <severity>', 'exit 1 when a finding is at least this severe: error, warning or info', 'error')
    .option('--at <seconds>', 'list the writes a power cut at this time would lose (acknowledged, not yet durable): seconds on the report\'s clock, as check prints times, or trace:SECONDS in each trace\'s own clock')
    .option('--each', 'every input is a directory of captures: check each capture found (layers by file name, see README) in parallel, one NDJSON line per capture')
    .option('--jobs <n>', 'with --each: captures checked at once, one worker thread each (default: one per CPU)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--jobs: expected a positive whole number, got ${JSON.stringify(v)}`);
      return n;
    })
    .option('--mount <PATH=DEV>', 'the traced device holding the files below PATH (application layer: strace, sync-call CSV, syscall tracepoints); repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  addStackOptions(cmd);
  addInputOptions(cmd);
  addOptions(cmd, [NO_COLOR_OPTION]);
  cmd.addHelpText('after', `
${rulesHelp()}
Without --cache, a device whose trace shows a flush or FUA flag is taken as
write-back (the kernel strips them before Q when there is no write cache);
with none, its cache is unknown and findings that depend on it are warnings.

Output: a verdict line; INCIDENTS, most severe first (findings sharing rule,
layer, device and cause, in one sentence, with the evidence of the first and
the worst; --all lists every finding); STACK (devices, cache modes, clocks);
the device table; what the inputs cannot show. Times: seconds on the top timed
layer's clock from the stack's first event (± the clock-alignment uncertainty);
evidence lines keep each event's own time after @; untimed events by order.
--at takes a time on that same clock (copy one from a finding); trace:SECONDS
is each trace's own clock instead (what --at meant before: on one blkparse or
blktrace input, whose first event is at 0, the two are the same). A time after
the end of every trace, or before 0, is a usage error (exit 2).
Device table: DEVICE maj,min (name), WRITES write completions with data,
FLUSHES completed flush requests, FUA writes queued with FUA, MAXVOL largest
amount acknowledged but not yet durable, LONGEST(s) longest time a write
stayed so.

Examples:
  blkaudit check --cache loop1=writeback loop1.blkparse.txt
  blkparse -i sda | blkaudit check --fail-on warning -
  blkaudit check --at 0.015 --cache 7,1=writeback loop1.blkparse.txt
  blkaudit check --at trace:0.5 guest=vm/vda.blkparse.txt qemu=vm/qemu-trace.log host=vm/loop1.blkparse.txt
  blkaudit check guest=vm/vda.blkparse.txt qemu=vm/qemu-trace.log host=vm/loop1.blkparse.txt
  blkaudit check upper=loop2.blkparse.txt lower=loop1.blkparse.txt --map upper=upper.img.filefrag.txt
  blkaudit check --stack stack.json
  blkaudit check --json guest=vda.blkparse.txt host=loop1.blkparse.txt | jq '.findings[] | .rule'
  blkaudit check --each fleet/ > checks.ndjson     # every capture under fleet/, one line each
  blkaudit check app=strace.txt disk=loop1.blkparse.txt --mount /var/lib/postgresql=loop1
  blkaudit check block-events.txt                # syscall + block tracepoints in one stream`);
  cmd.action((inputs: string[], opts: CheckCliOptions) => run(() => runCheck(inputs, opts)));
}

export async function runCheck(inputs: string[], opts: CheckCliOptions): Promise<number> {
  if (opts.each) return (await import('./check-each.js')).runCheckEach(inputs, opts);
  const { report, findings, devices, at, check, exitCode, warnings } = await checkAnalysis(inputs, opts);
  for (const w of warnings) process.stderr.write(`blkaudit: warning: ${w}\n`);
  const out = new Output();
  if (opts.json) {
    const doc: Record<string, unknown> = { schemaVersion: 2, findings, incidents: report.incidents ?? [], devices: devices.map(jsonDevice) };
    if (check.at !== undefined || check.atBySource) doc['at'] = at;
    doc['clock'] = report.clock;
    if (report.correlation) {
      doc['correlation'] = { statements: report.correlation.statements, limitations: report.correlation.limitations, levels: report.correlation.levels };
      doc['alignment'] = report.alignment;
    }
    const appSection = report.app;
    if (appSection) {
      doc['app'] = appSection;
      doc['alignment'] = report.alignment;
    }
    doc['skipped'] = report.skipped;
    doc['limitations'] = limitationsOf(report);
    out.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    out.write(renderCheckText(report, devices, { all: Boolean(opts.all), at: check.at !== undefined || check.atBySource ? at : undefined, width: process.stdout.columns || 80 }));
  }
  await out.end();
  printSkipSummary(report);
  return exitCode;
}



/** Facts each input's format cannot carry (e.g. CSV traces have no flush information). */
function limitationsOf(report: Report): Array<{ input: string; text: string }> {
  return report.inputs.flatMap((i) => i.limitations.map((text) => ({ input: i.path, text })));
}

/** The JSON contract's device record (contract fields first, extras after). */
function jsonDevice(d: DeviceCheckSummary): Record<string, unknown> {
  const { device, cache, cacheSource, writesCompleted, flushesCompleted, fuaWrites, maxVolatileBytes, maxVolatileSeconds, ...rest } = d;
  return { device, cache, cacheSource, writesCompleted, flushesCompleted, fuaWrites, maxVolatileBytes, maxVolatileSeconds, ...rest };
}

function devLabel(device: string, name?: string): string {
  return safeText(name ? `${name} (${device})` : device || '-');
}

function layerOf(layer: string): string {
  return layer === '' ? '' : `${safeText(layer)} `;
}

const plain: Paint = (_style, text) => text;

/**
 * The check as text: the verdict line, the incidents (every finding with --all), the stack with
 * its cache modes and clocks, the devices (QEMU's levels included), the --at answer, and what the
 * inputs cannot show. Every time on the report's reference clock (src/clock).
 */
export function renderCheckText(report: Report, devices: DeviceCheckSummary[], o: { all?: boolean; at?: AtRisk[]; width?: number } = {}): string {
  const width = Math.max(60, o.width ?? 80);
  const lines: string[] = [verdictLine(report, 'check', plain)];
  if (report.findings.length > 0) {
    lines.push('', `INCIDENTS (most severe first; ${clockHeading(report)})`);
    lines.push(...incidentsText(report, { width, paint: plain, all: o.all }));
  }
  lines.push('', `STACK (top to bottom)`, ...stackLines(report, plain, width));
  const parts: string[] = [lines.join('\n') + '\n'];
  const rows = deviceRows(report, devices);
  if (rows.length > 0) {
    const head = ['DEVICE', 'CACHE', 'WRITES', 'FLUSHES', 'FUA', 'MAXVOL', 'LONGEST(s)'];
    parts.push('\n' + plainTable(head, rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']) + '\n');
  }
  if (o.at) parts.push(renderAt(report, o.at));
  const limits = [...limitationsOf(report).map((l) => `${sourceLabel(report, l.input)}: ${l.text}`), ...(report.correlation?.limitations ?? [])];
  if (limits.length > 0) {
    parts.push('\nWhat these inputs cannot show (so cannot be checked):\n');
    for (const l of limits) parts.push(wrap(safeText(l), width, '  ').join('\n') + '\n');
  }
  return parts.join('');
}

/** Block devices from the checker, and QEMU's two levels (requests, host jobs) from the correlation. */
function deviceRows(report: Report, devices: DeviceCheckSummary[]): string[][] {
  const rows: string[][] = [];
  const levels = (report.correlation?.levels ?? []) as Array<Record<string, unknown>>;
  for (const layer of report.layers) {
    for (const d of devices.filter((x) => x.layer === layer.name)) {
      rows.push([
        layerOf(d.layer) + devLabel(d.device, d.name), `${d.cache} (${d.cacheSource})`, String(d.writesCompleted),
        String(d.flushesCompleted), String(d.fuaWrites), formatBytes(d.maxVolatileBytes), d.maxVolatileSeconds.toFixed(6),
      ]);
    }
    for (const l of levels.filter((x) => x['layer'] === layer.name && x['role'] !== 'block')) {
      const cache = l['cache'] as { mode?: string; source?: string } | undefined;
      const what = l['role'] === 'qemu-back' ? 'host jobs' : 'requests';
      rows.push([
        `${safeText(levelBaseName(l['name'], l['device']))} ${safeText(String(l['device']))} (${what})`,
        cache?.mode ? `${safeText(cache.mode)} (${safeText(cache.source ?? '')})` : '-',
        String(l['writes'] ?? '-'), String(l['flushes'] ?? '-'), String(l['fua'] ?? '-'), '-', '-',
      ]);
    }
  }
  return rows;
}

const MAX_RANGES = 20;

/**
 * The snapshot's time: on the report's clock (± its alignment), with the device's own time after @ when the
 * two differ; in the device's own clock, saying so, when it is not on the report's clock.
 */
function atText(a: AtRisk): string {
  const own = a.localTime !== undefined ? `@${localText(a.localTime)}` : '';
  if (a.time === null) return `${own} in its own clock (not on the report's clock)`;
  const same = a.localTime === undefined || Math.abs(a.localTime - a.time) < 5e-10;
  return `${a.time} s${plusMinus(a.timeUncertainty)}${same ? '' : ` (${own} in its own trace)`}`;
}

function renderAt(report: Report, at: AtRisk[]): string {
  const parts: string[] = [];
  for (const a of at) {
    const head = `\nA power cut at ${atText(a)} on ${layerOf(a.layer)}${devLabel(a.device, a.name)}` +
      (a.afterEnd ? ' (after the trace of this device ended: its state at the end)' : '') +
      (a.beforeStart ? ' (before the trace of this device began: nothing traced there yet)' : '');
    if (a.beforeStart) {
      parts.push(`${head}.\n`);
      continue;
    }
    if (a.cache === 'writethrough') {
      parts.push(`${head}: nothing to lose — the cache is write-through.\n`);
      continue;
    }
    if (a.writes === 0) {
      parts.push(`${head}: every acknowledged write was durable.\n`);
      continue;
    }
    const maybe = a.cache === 'unknown' ? ' (if the cache is volatile)' : '';
    const oldest = a.oldest !== null ? `${a.oldest.toFixed(6)} s` : a.oldestLocal !== undefined ? `${a.oldestLocal.toFixed(6)} s (its own clock)` : '?';
    parts.push(`${head} could lose${maybe}:\n  ${a.writes} acknowledged write(s), ${formatBytes(a.bytes)}; the oldest completed at ${oldest}.\n`);
    parts.push(`  Sectors that could be stale${a.approximate ? ' (merged: a superset)' : ''}:\n`);
    const ranges = a.ranges.slice(0, MAX_RANGES).map((r) => [String(r.start), String(r.end - 1), String(r.end - r.start), formatBytes((r.end - r.start) * 512)]);
    parts.push(plainTable(['START', 'END', 'SECTORS', 'SIZE'], ranges, ['right', 'right', 'right', 'right']) + '\n');
    if (a.ranges.length > MAX_RANGES) parts.push(`  … ${a.ranges.length - MAX_RANGES} more ranges (see --json)\n`);
    if (a.evidence.length) {
      parts.push('  first and last of them:\n');
      for (const r of a.evidence) parts.push('      ' + evidenceText(report, r, plain) + '\n');
    }
  }
  return parts.join('');
}
