/**
 * `blkaudit report`: the postmortem. One analysis (every stage, plus the
 * time series), rendered as a terminal report (and charts), a JSON document
 * and/or a self-contained HTML page — all from the same Report object.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeForReport } from '../analyze-report.js';
import { requireCacheMatched } from './check-analysis.js';
import { checkOf } from '../check/stage.js';
import { parseInputArg, describeFsError } from '../io/open.js';
import { renderTerminal } from '../report/terminal.js';
import { renderCharts } from '../report/charts.js';
import { renderJson } from '../report/json.js';
import { renderHtml } from '../report/html.js';
import { createProgress, totalBytes } from '../report/progress.js';
import { reportSchema } from '../report/schema.js';
import { addStackOptions, stackSetup, type StackCliOptions } from './stack-options.js';
import { appOptionsFrom, rejectUnmatchedMounts } from './check.js';
import { addInputOptions, addOptions, analyzeOptionsFrom, EXIT, NO_COLOR_OPTION, UsageError, type InputOptionValues } from './options.js';
import { Output, safeText } from './output.js';
import { printSkipSummary } from './diagnostics.js';

interface ReportOptions extends InputOptionValues, StackCliOptions {
  html?: string;
  json?: string;
  charts?: boolean;
  all?: boolean;
  failOn?: string;
  schema?: boolean;
  mount?: string[];
}

const FAIL_ON = ['error', 'warning', 'info', 'never'] as const;

export function registerReport(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('report')
    .description('postmortem report: the stack, the broken promises with evidence, per-device summary; optionally charts, JSON and a self-contained HTML page')
    .argument('[input...]', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer (guest=… qemu=… host=…)')
    .option('--html <file>', 'also write a self-contained HTML report (no network access when opened)')
    .option('--json <file>', 'also write the report as one JSON document ("-" = stdout instead of the terminal report)')
    .option('--all', 'list every finding of every incident with all its evidence (default: each incident with its first and worst)')
    .option('--charts', 'add terminal charts per device: Q2C latency, requests in flight, bytes not yet durable with flushes marked, flush latency')
    .option('--fail-on <severity>', 'exit 1 when a finding of this severity or worse exists: error, warning, info, never', 'never')
    .option('--schema', 'print the JSON Schema of --json output and exit')
    .option('--mount <PATH=DEV>', 'the traced device holding the files below PATH (application layer: strace, sync-call CSV, syscall tracepoints); repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  addStackOptions(cmd);
  addInputOptions(cmd);
  addOptions(cmd, [NO_COLOR_OPTION]);
  cmd.addHelpText('after', `
Terminal report: the verdict line; INCIDENTS (findings sharing rule, layer, device and cause), most
severe first, each one sentence with the evidence of its first and worst members (--all: every
finding); STACK (layers, inputs, devices, cache modes, clocks, clock alignment, what the traces cannot
show); DEVICES (one table per analysis section; sizes in bytes unless a unit is shown); SKIPPED INPUT.
Times: seconds on the top timed layer's clock from the stack's first event, ± the alignment
uncertainty; evidence lines keep each event's own time (@…); untimed events are placed by order.
Charts: one column per interval (or the maximum over several).

Examples:
  blkaudit report host/loop1.blkparse.txt
  blkaudit report --charts --html report.html guest=vm/guest/vda.blkparse.txt qemu=vm/qemu-trace.log host=vm/host/loop1.blkparse.txt
  blkaudit report --stack stack.json
  blkaudit report --json - trace.txt | jq '.findings[] | {rule, severity, message}'
  blkaudit report --schema > report.schema.json`);
  cmd.action((inputs: string[], opts: ReportOptions) => run(() => runReport(inputs, opts)));
}

/** Colour only on a terminal, never with --no-color or a non-empty NO_COLOR (no-color.org). */
export function wantColor(option: boolean | undefined, isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return option !== false && Boolean(isTTY) && !noColor;
}

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`cannot write ${file}: ${describeFsError(err)}`);
  }
}

export async function runReport(inputs: string[], opts: ReportOptions): Promise<number> {
  const out = new Output();
  if (opts.schema) {
    out.write(JSON.stringify(reportSchema(), null, 2) + '\n');
    await out.end();
    return EXIT.clean;
  }
  const failOn = (opts.failOn ?? 'never') as (typeof FAIL_ON)[number];
  if (!FAIL_ON.includes(failOn)) throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}, got ${JSON.stringify(opts.failOn)}`);
  // --cache LAYER=MODE goes to the correlation, DEV=MODE to the checker
  const setup = await stackSetup(inputs, opts, 'report');
  const cache = setup.deviceCache;
  const correlate = setup.correlate;
  const base = analyzeOptionsFrom(opts);
  const progress = createProgress(process.stderr, totalBytes(setup.inputs.map((i) => parseInputArg(i).path)));
  const report = await analyzeForReport(setup.inputs, {
    ...base,
    stageOptions: { ...(base.stageOptions ?? {}), check: { cache }, app: appOptionsFrom(opts), ...(correlate ? { correlate } : {}) },
    ...(progress.active ? { afterChunk: (n: number, src: string) => progress.chunk(n, src), onEvent: () => progress.event() } : {}),
  });
  progress.done();
  requireCacheMatched(cache ?? [], checkOf(report).devices);
  rejectUnmatchedMounts(report);
  if (opts.html) {
    writeOut(opts.html, renderHtml(report));
    process.stderr.write(`blkaudit: wrote HTML report to ${safeText(opts.html)}\n`);
  }
  if (opts.json && opts.json !== '-') writeOut(opts.json, renderJson(report));
  if (opts.json === '-') {
    out.write(renderJson(report));
    printSkipSummary(report);
  } else {
    const width = process.stdout.columns || 80;
    const color = wantColor(opts.color, process.stdout.isTTY, process.env);
    out.write(renderTerminal(report, { width, color, all: Boolean(opts.all) }));
    if (opts.charts) out.write('\n' + renderCharts(report, { width, color }));
  }
  await out.end();
  const rank = { error: 0, warning: 1, info: 2 } as Record<string, number>;
  if (failOn !== 'never' && report.findings.some((f) => (rank[f.severity] ?? 3) <= rank[failOn]!)) return EXIT.findings;
  return EXIT.clean;
}
