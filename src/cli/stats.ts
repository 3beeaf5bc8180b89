/** `blkaudit stats`: blkparse's counters, btt's latencies and the true request lifetimes, per device. */
import type { Command } from 'commander';
import { analyze } from '../index.js';
import { statsOf } from '../stats/stage.js';
import { renderStatsJson } from '../stats/json.js';
import { renderStatsTable } from '../stats/table.js';
import { addInputOptions, addOptions, analyzeOptionsFrom, EXIT, NO_COLOR_OPTION, type InputOptionValues } from './options.js';
import { inputsWithStack, STACK_FILE_OPTION } from './stack-options.js';
import { Output } from './output.js';
import { printSkipSummary } from './diagnostics.js';

export interface StatsOptions extends InputOptionValues {
  json?: boolean;
  stack?: string;
}

export function registerStats(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('stats')
    .description("per-device statistics: blkparse's counters, btt's latency phases, true request lifetimes, flushes, sizes, queue depth, processes")
    .argument('[input...]', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer (or give them in --stack FILE)')
    .option('--json', 'print the stats JSON (schemaVersion 1) instead of tables');
  // stats reads a stack file's inputs (layer=path); maps and cache modes are for check and report
  addOptions(cmd, [STACK_FILE_OPTION]);
  addInputOptions(cmd);
  addOptions(cmd, [NO_COLOR_OPTION]);
  cmd.addHelpText('after', `
Counters equal blkparse's Total block; the "btt-compatible" latency rows equal
btt's "All Devices" table (N exactly, times to the ns); the "request lifetimes"
rows are the real ones: empty flushes count, Q2C ends at the final completion
of a flush-sequenced write, bios sharing a start sector stay apart.

Examples:
  blkaudit stats sda.blkparse.txt
  blkparse -i sda | blkaudit stats -
  blkaudit stats --stack stack.json
  blkaudit stats --json guest=vda.blkparse.txt host=loop1.blkparse.txt | jq '.devices[].latency.Q2C'`);
  cmd.action((inputs: string[], opts: StatsOptions) => run(() => runStats(inputs, opts)));
}

export async function runStats(args: string[], opts: StatsOptions): Promise<number> {
  const { inputs } = await inputsWithStack(args, opts.stack, 'stats');
  const report = await analyze(inputs, { ...analyzeOptionsFrom(opts), stages: ['stats'] });
  const data = { devices: statsOf(report), skipped: report.skipped, inputs: report.inputs };
  const out = new Output();
  out.write(opts.json ? renderStatsJson(data) : renderStatsTable(data));
  await out.end();
  printSkipSummary(report);
  return EXIT.clean;
}
