/**
 * `blkaudit check`: the durability and ordering verdict of each layer —
 * findings (table or JSON) and per-device flush numbers; with `--at TIME`,
 * the writes a power cut at TIME would have lost. Exit 1 when a finding
 * reaches --fail-on (default error), 2 on usage errors or unreadable input.
 */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { analyze } from '../index.js';
import type { Finding, Report } from '../model/report.js';
import type { EvidenceRef } from '../model/event.js';
import { parseCacheDeclaration } from '../check/cache.js';
import { RULES, sortFindings } from '../check/checker.js';
import { checkOf } from '../check/stage.js';
import type { AtRisk, CacheDeclaration, CheckOptions, DeviceCheckSummary } from '../check/types.js';
import { formatBytes } from '../check/rules/rule.js';
import { addStackOptions, stackSetup, type StackCliOptions } from './stack-options.js';
import { addInputOptions, analyzeOptionsFrom, EXIT, UsageError, type InputOptionValues } from './options.js';
import { Output, safeText } from './output.js';
import { printSkipSummary } from './diagnostics.js';

export interface CheckCliOptions extends InputOptionValues, StackCliOptions {
  json?: boolean;
  failOn?: string;
  at?: string;
}

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

export function registerCheck(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('check')
    .description('check flush/FUA durability and write ordering per device; findings with evidence')
    .argument('<input...>', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer')
    .option('--json', 'print {"schemaVersion":1,"findings":[…],"devices":[…]} instead of tables')
    .option('--fail-on <severity>', 'exit 1 when a finding is at least this severe: error, warning or info', 'error')
    .option('--at <seconds>', 'list the writes a power cut at this trace time would lose (acknowledged, not yet durable)');
  addStackOptions(cmd);
  addInputOptions(cmd);
  cmd.addHelpText('after', `
Rules:
${RULES.map((r) => `  ${r.id.padEnd(30)}${r.severity}`).join('\n')}
Across layers (inputs named "layer=path", --stack or --map):
  flush-not-passed-down         error
  fua-not-honored               error
  write-through-not-durable     error
  durable-order-inverted        error
  cross-layer-undecided         warning
Without --cache, a device whose trace shows a flush or FUA flag is taken as
write-back (the kernel strips them before Q when there is no write cache);
with none, its cache is unknown and findings that depend on it are warnings.

Columns: SEV severity, TIME(s) trace clock of the layer, DEVICE maj,min (name),
WRITES write completions with data, FLUSHES completed flush requests,
FUA writes queued with FUA, MAXVOL largest amount acknowledged but not yet
durable, LONGEST(s) longest time a write stayed so.

Examples:
  blkaudit check --cache loop1=writeback loop1.blkparse.txt
  blkparse -i sda | blkaudit check --fail-on warning -
  blkaudit check --at 12.5 --cache 8,0=writeback sda.blkparse.txt
  blkaudit check guest=vm/vda.blkparse.txt qemu=vm/qemu-trace.log host=vm/loop1.blkparse.txt
  blkaudit check upper=loop2.blkparse.txt lower=loop1.blkparse.txt --map upper=upper.img.filefrag.txt
  blkaudit check --json guest=vda.blkparse.txt host=loop1.blkparse.txt | jq '.findings[] | .rule'`);
  cmd.action((inputs: string[], opts: CheckCliOptions) => run(() => runCheck(inputs, opts)));
}

/** Validated options → CheckOptions; throws UsageError. */
export function checkOptionsFrom(opts: CheckCliOptions): { check: CheckOptions; failOn: number } {
  const failOn = SEVERITY_RANK[opts.failOn ?? 'error'];
  if (failOn === undefined) throw new UsageError(`--fail-on must be error, warning or info, got ${JSON.stringify(opts.failOn)}`);
  const check: CheckOptions = { cache: [] };
  if (opts.at !== undefined) {
    const at = Number(opts.at);
    if (opts.at.trim() === '' || !Number.isFinite(at) || at < 0) throw new UsageError(`--at expects seconds in the trace's clock, got ${JSON.stringify(opts.at)}`);
    check.at = at;
  }
  return { check, failOn };
}

export async function runCheck(inputs: string[], opts: CheckCliOptions): Promise<number> {
  const { check, failOn } = checkOptionsFrom(opts);
  const setup = await stackSetup(inputs, opts);
  check.cache = setup.deviceCache;
  const report = await analyze(setup.inputs, {
    ...analyzeOptionsFrom(opts),
    stages: setup.correlate ? ['check', 'correlate'] : ['check'],
    stageOptions: setup.correlate ? { check, correlate: setup.correlate } : { check },
  });
  const { devices, at } = checkOf(report);
  const unmatched = (check.cache ?? []).filter((d) => !devices.some((x) => x.cacheDeclared === d.device));
  if (unmatched.length > 0) {
    const known = devices.map((d) => (d.name ? `${d.name} (${d.device})` : d.device)).join(', ') || 'none';
    throw new UsageError(`--cache ${unmatched.map((d) => d.device).join(', ')}: no such device in the input (devices: ${known})`);
  }
  const findings = sortFindings([...report.findings]);
  const out = new Output();
  if (opts.json) {
    const doc: Record<string, unknown> = { schemaVersion: 1, findings, devices: devices.map(jsonDevice) };
    if (check.at !== undefined) doc['at'] = at;
    if (report.correlation) {
      doc['correlation'] = { statements: report.correlation.statements, limitations: report.correlation.limitations, levels: report.correlation.levels };
      doc['alignment'] = report.alignment;
    }
    doc['skipped'] = report.skipped;
    doc['limitations'] = limitationsOf(report);
    out.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    out.write(renderCheckText(findings, devices, check.at !== undefined ? at : undefined));
    if (report.correlation) out.write(renderStackText(report));
    const limits = limitationsOf(report);
    if (limits.length > 0) {
      out.write('\nWhat these inputs cannot show (so cannot be checked):\n');
      for (const l of limits) out.write(`  ${safeText(l.input)}: ${safeText(l.text)}\n`);
    }
  }
  await out.end();
  printSkipSummary(report);
  return findings.some((f) => (SEVERITY_RANK[f.severity] ?? 9) <= failOn) ? EXIT.findings : EXIT.clean;
}

/** The cross-layer summary: count-level statements and how the clocks were aligned. */
function renderStackText(report: Report): string {
  const lines: string[] = ['', 'Across layers:'];
  for (const st of report.correlation?.statements ?? []) lines.push(`  ${safeText(st)}`);
  for (const a of report.alignment as Array<Record<string, unknown>>) {
    const off = typeof a['offsetSeconds'] === 'number' ? `offset ${(a['offsetSeconds'] as number).toFixed(6)} s ± ${((a['widthSeconds'] as number) / 2).toFixed(6)} s, ` : '';
    lines.push(`  clock ${safeText(String(a['upper']))} → ${safeText(String(a['lower']))}: ${safeText(String(a['method']))}, ${off}${a['supportingPairs']} supporting pair(s)${a['note'] ? ` — ${safeText(String(a['note']))}` : ''}`);
  }
  for (const l of report.correlation?.limitations ?? []) lines.push(`  cannot be shown: ${safeText(l)}`);
  return lines.join('\n') + '\n';
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

const PLAIN = {
  chars: {
    top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
    'bottom-right': '', left: '  ', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
  },
  style: { 'padding-left': 0, 'padding-right': 1, head: [] as string[], border: [] as string[] },
};

function devLabel(device: string, name?: string): string {
  return safeText(name ? `${name} (${device})` : device || '-');
}

function layerOf(layer: string): string {
  return layer === '' ? '' : `${safeText(layer)} `;
}

/** Greedy word wrap. */
function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function evidenceLine(r: EvidenceRef): string {
  const where = `${safeText(r.source)}:${r.locKind === 'offset' ? '@' : ''}${r.loc}`;
  const what = r.sector >= 0 ? `${r.action} ${r.rwbs} ${r.sector}${r.bytes > 0 ? ` + ${r.bytes / 512}` : ''}` : `${r.action} ${r.rwbs}`;
  const err = r.error ? ` [${r.error}]` : '';
  const note = r.note ? `  — ${safeText(r.note)}` : '';
  return `      ${where}  ${r.time.toFixed(9)}  ${safeText(what)}${err}${note}`;
}

/** Findings table, their evidence, the devices table and the --at answer. */
export function renderCheckText(findings: Finding[], devices: DeviceCheckSummary[], at?: AtRisk[]): string {
  const names = new Map(devices.map((d) => [`${d.layer}\u0000${d.device}`, d.name]));
  const parts: string[] = [];
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  parts.push(`blkaudit check: ${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} info\n`);
  if (findings.length > 0) {
    const t = new Table({ ...PLAIN, head: ['#', 'SEV', 'RULE', 'DEVICE', 'TIME(s)'], colAligns: ['right', 'left', 'left', 'left', 'right'] });
    findings.forEach((f, i) => {
      t.push([String(i + 1), f.severity, f.rule, layerOf(f.layer) + devLabel(f.device, names.get(`${f.layer}\u0000${f.device}`)), f.time.toFixed(6)]);
    });
    parts.push(t.toString() + '\n');
    findings.forEach((f, i) => {
      parts.push(`\n  #${i + 1} ${f.rule}\n`);
      for (const l of wrapText(safeText(f.message), 74)) parts.push(`    ${l}\n`);
      for (const r of f.evidence) parts.push(evidenceLine(r) + '\n');
    });
  }
  if (devices.length > 0) {
    const t = new Table({
      ...PLAIN,
      head: ['DEVICE', 'CACHE', 'WRITES', 'FLUSHES', 'FUA', 'MAXVOL', 'LONGEST(s)'],
      colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    });
    for (const d of devices) {
      t.push([
        layerOf(d.layer) + devLabel(d.device, d.name), `${d.cache} (${d.cacheSource})`, String(d.writesCompleted),
        String(d.flushesCompleted), String(d.fuaWrites), formatBytes(d.maxVolatileBytes), d.maxVolatileSeconds.toFixed(6),
      ]);
    }
    parts.push('\n' + t.toString() + '\n');
  }
  if (at) parts.push(renderAt(at));
  return parts.join('');
}

const MAX_RANGES = 20;

function renderAt(at: AtRisk[]): string {
  const parts: string[] = [];
  for (const a of at) {
    const head = `\nA power cut at ${a.time} s on ${layerOf(a.layer)}${devLabel(a.device, a.name)}` +
      (a.afterEnd ? ' (after the trace of this device ended: its state at the end)' : '');
    if (a.cache === 'writethrough') {
      parts.push(`${head}: nothing to lose — the cache is write-through.\n`);
      continue;
    }
    if (a.writes === 0) {
      parts.push(`${head}: every acknowledged write was durable.\n`);
      continue;
    }
    const maybe = a.cache === 'unknown' ? ' (if the cache is volatile)' : '';
    parts.push(`${head} could lose${maybe}:\n  ${a.writes} acknowledged write(s), ${formatBytes(a.bytes)}; the oldest completed at ${a.oldest?.toFixed(6)} s.\n`);
    parts.push(`  Sectors that could be stale${a.approximate ? ' (merged: a superset)' : ''}:\n`);
    const t = new Table({ ...PLAIN, head: ['START', 'END', 'SECTORS', 'SIZE'], colAligns: ['right', 'right', 'right', 'right'] });
    for (const r of a.ranges.slice(0, MAX_RANGES)) t.push([String(r.start), String(r.end - 1), String(r.end - r.start), formatBytes((r.end - r.start) * 512)]);
    parts.push(t.toString() + '\n');
    if (a.ranges.length > MAX_RANGES) parts.push(`  … ${a.ranges.length - MAX_RANGES} more ranges (see --json)\n`);
    if (a.evidence.length) {
      parts.push('  first and last of them:\n');
      for (const r of a.evidence) parts.push(evidenceLine(r) + '\n');
    }
  }
  return parts.join('');
}
