/** `blkaudit events`: the normalized event stream as NDJSON or CSV. */
import type { Command } from 'commander';
import { analyze } from '../index.js';
import { locate } from '../model/analysis.js';
import { csvHeader, toCsv, toNdjson } from '../formats/events/codec.js';
import { addInputOptions, analyzeOptionsFrom, EXIT, UsageError, type InputOptionValues } from './options.js';
import { describeFsError } from '../io/open.js';
import { Output } from './output.js';
import { printSkipSummary } from './diagnostics.js';

/**
 * The columns as documented (README "blkaudit events" quotes this text; test/invocations.test.ts
 * checks that it does, so the two cannot drift).
 */
export const EVENT_COLUMNS_DOC =
  "source, loc (line, or byte offset for binary; a per-CPU set's events name their member file), " +
  'time (s, source clock, exact decimal), device (maj,min), cpu, seq, pid, action (Q M F G S R D C P U UT I X B A m IO IS E), ' +
  'rwbs, op, flags, sector (512 B), bytes, error (signed errno), comm, ' +
  'aux (remap: old sector; split: new sector; unplug: depth; IO: latency ns), auxDev, text';

function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

interface EventsOptions extends InputOptionValues {
  ndjson?: boolean;
  csv?: boolean;
  parquet?: string;
}

export function registerEvents(program: Command, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('events')
    .description('print every event in the normalized model (one record per event) for DuckDB, pandas or a spreadsheet')
    .argument('<input...>', 'trace files, per-CPU blktrace sets, or - for stdin; "layer=path" names a layer')
    .option('--ndjson', 'one JSON object per line (default)')
    .option('--csv', 'CSV with a header row')
    .option('--parquet <file>', 'write a Parquet file instead (the same columns typed, plus layer and timeNs), in row groups of 65,536 events');
  addInputOptions(cmd);
  cmd.addHelpText('after', `
Columns: ${wrapWords(EVENT_COLUMNS_DOC, 70)}

Examples:
  blkaudit events --csv sda.blkparse.txt > events.csv
  blkparse -i sda | blkaudit events - | duckdb -c "select action, count(*) from read_json_auto('/dev/stdin') group by 1"
  blkaudit events --ndjson trace.txt > e.ndjson && blkaudit check e.ndjson   # same analysis
  blkaudit events --parquet vm.parquet guest=vda.blkparse.txt host=loop1.blkparse.txt`);
  cmd.action((inputs: string[], opts: EventsOptions) => run(() => runEvents(inputs, opts)));
}

export async function runEvents(inputs: string[], opts: EventsOptions): Promise<number> {
  if (opts.parquet !== undefined) return runEventsParquet(inputs, opts, opts.parquet);
  const out = new Output();
  const csv = Boolean(opts.csv) && !opts.ndjson;
  if (csv) out.write(csvHeader());
  const report = await analyze(inputs, {
    ...analyzeOptionsFrom(opts),
    stages: [],
    // written out as they come: input after input, in argument order
    readInOrder: true,
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

/** --parquet FILE: the events into a Parquet file, one row group at a time (src/formats/events/parquet.ts). */
async function runEventsParquet(inputs: string[], opts: EventsOptions, path: string): Promise<number> {
  if (opts.csv || opts.ndjson) throw new UsageError('--parquet writes a file: it cannot be combined with --csv or --ndjson');
  const { ParquetEventWriter } = await import('../formats/events/parquet.js');
  let writer;
  try {
    writer = new ParquetEventWriter(path);
  } catch (err) {
    throw new UsageError(`--parquet: cannot write ${path}: ${describeFsError(err)}`);
  }
  const w = writer;
  const report = await analyze(inputs, {
    ...analyzeOptionsFrom(opts),
    stages: [],
    // written out as they come: input after input, in argument order
    readInOrder: true,
    onEvent: (e, src) => w.add(e, src.name, src.layer),
  });
  w.close();
  printSkipSummary(report);
  return EXIT.clean;
}
