/** `blkaudit events`: the normalized event stream as NDJSON or CSV. */
import type { Command } from 'commander';
import { analyze } from '../index.js';
import { locate } from '../model/analysis.js';
import { csvHeader, toCsv, toNdjson } from '../formats/events/codec.js';
import { addInputOptions, analyzeOptionsFrom, EXIT, type InputOptionValues } from './options.js';
import { Output } from './output.js';
import { printSkipSummary } from './diagnostics.js';

interface EventsOptions extends InputOptionValues {
  ndjson?: boolean;
  csv?: boolean;
}

export function registerEvents(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('events')
    .description('print every event in the normalized model (one record per event) for DuckDB, pandas or a spreadsheet')
    .argument('<input...>', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer')
    .option('--ndjson', 'one JSON object per line (default)')
    .option('--csv', 'CSV with a header row');
  addInputOptions(cmd);
  cmd.addHelpText('after', `
Columns: source, loc (line or byte offset), time (s, source clock), device (maj,min), cpu, seq, pid,
action (Q M F G S R D C P U UT I X B A m), rwbs, op, flags, sector (512 B), bytes, error (errno),
comm, aux (remap: old sector, split: new sector, unplug: depth), auxDev, text.

Examples:
  blkaudit events --csv sda.blkparse.txt > events.csv
  blkparse -i sda | blkaudit events - | duckdb -c "select action, count(*) from read_json_auto('/dev/stdin') group by 1"
  blkaudit events --ndjson trace.txt > e.ndjson && blkaudit check e.ndjson   # same analysis`);
  cmd.action((inputs: string[], opts: EventsOptions) => run(() => runEvents(inputs, opts)));
}

export async function runEvents(inputs: string[], opts: EventsOptions): Promise<number> {
  const out = new Output();
  const csv = Boolean(opts.csv) && !opts.ndjson;
  if (csv) out.write(csvHeader());
  const report = await analyze(inputs, {
    ...analyzeOptionsFrom(opts),
    stages: [],
    onEvent: (e, src) => {
      // a per-CPU set's events name their own file and offset (model/analysis.ts `locate`)
      const at = src.files ? locate(src, e.loc) : { source: src.name, loc: e.loc };
      out.write(csv ? toCsv(e, at.source, at.loc) : toNdjson(e, at.source, at.loc));
    },
    afterChunk: async () => {
      await out.drain();
      // the reader went away (`| head`): stop reading; main() ends quietly on EPIPE
      if (out.closed) throw Object.assign(new Error('output closed'), { code: 'EPIPE' });
    },
  });
  await out.end();
  printSkipSummary(report);
  return EXIT.clean;
}
