/**
 * The analysis side alone: reads the first N events of an input once (into
 * columns of numbers), then replays them R times, each time into a fresh
 * analyzer, and times only that loop (process.cpuUsage).
 * No parser, no thread hand-over, no start-up: what is left is the request
 * tracker and its subscribers, in ns per event (README, Performance).
 *
 *   node --max-semi-space-size=1 dist/bench/replay.js INPUT [--events 3M] [--reps 8] [--row check]
 *
 * Rows: `none` the replay loop itself (take it off the others), `track` the
 * request tracker with a subscriber that does nothing (track/facts.ts),
 * `check` and `stats` the stages' analyzers as `analyze()` makes them. One
 * row per process, so that the loop's call site sees only that analyzer,
 * as in a run (alternate processes to compare builds). The first reps
 * include V8's compilation: compare the minimum.
 */
import { analyze } from '../src/index.js';
import { parseCount } from './run.js';
import { createChecker } from '../src/check/checker.js';
import { createStatsAnalyzer } from '../src/stats/analyzer.js';
import { FactTracker } from '../src/track/facts.js';
import { Diagnostics } from '../src/model/diagnostics.js';
import { emptyEvent, type BlockEvent } from '../src/model/event.js';
import type { AnalysisEnv, SourceInfo } from '../src/model/analysis.js';

/** The numeric fields of BlockEvent replayed (comm apart; `text` stays empty). */
const FIELDS = ['source', 'loc', 'time', 'dev', 'cpu', 'seq', 'pid', 'act', 'op', 'flags', 'sector', 'bytes', 'error', 'aux', 'auxDev'] as const;

const ROWS = ['none', 'track', 'check', 'stats'];

/** Thrown by afterChunk once enough events are read: reading stops there. */
class Enough extends Error {}

async function main(argv: string[]): Promise<number> {
  let input: string | undefined;
  let max = 3e6;
  let reps = 8;
  let row = 'check';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--events') max = parseCount(argv[++i] ?? '');
    else if (a === '--reps') reps = parseCount(argv[++i] ?? '');
    else if (a === '--row') row = argv[++i] ?? '';
    else input = a;
  }
  if (!input || !ROWS.includes(row)) {
    process.stderr.write(`usage: replay.js INPUT [--events N] [--reps R] [--row ${ROWS.join('|')}]\n`);
    return 2;
  }
  const cols = FIELDS.map(() => new Float64Array(max));
  const comms: string[] = [];
  let n = 0;
  let source: SourceInfo | undefined;
  try {
    await analyze([input], {
      stages: [],
      parseWorker: false,
      onEvent: (e, s) => {
        if (n >= max) return;
        source = s;
        for (let i = 0; i < FIELDS.length; i++) cols[i]![n] = e[FIELDS[i]!];
        comms.push(e.comm);
        n++;
      },
      afterChunk: () => {
        if (n >= max) throw new Enough();
      },
    });
  } catch (err) {
    if (!(err instanceof Enough)) throw err;
  }
  if (!source) throw new Error(`${input}: no event read`);
  process.stderr.write(`${n} events of ${input}\n`);
  const e: BlockEvent = emptyEvent();
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14] = cols as Float64Array[] as [Float64Array, Float64Array, Float64Array,
    Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const ms: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const env: AnalysisEnv = { sources: [source], diag: new Diagnostics(), options: { check: {} }, clockOutliers: [] };
    const sink: { event(e: BlockEvent): void } =
      row === 'check' ? createChecker(env, { layer: '' }) :
      row === 'stats' ? createStatsAnalyzer(env) :
      row === 'track' ? new FactTracker({ done: () => {}, flush: () => {} }) :
      { event: () => {} };
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      e.source = c0[i]!; e.loc = c1[i]!; e.time = c2[i]!; e.dev = c3[i]!; e.cpu = c4[i]!; e.seq = c5[i]!; e.pid = c6[i]!;
      e.act = c7[i]! as BlockEvent['act']; e.op = c8[i]! as BlockEvent['op']; e.flags = c9[i]!; e.sector = c10[i]!; e.bytes = c11[i]!;
      e.error = c12[i]!; e.aux = c13[i]!; e.auxDev = c14[i]!; e.comm = comms[i]!;
      sink.event(e);
    }
    const u = process.cpuUsage(t0);
    ms.push((u.user + u.system) / 1000);
  }
  const min = Math.min(...ms);
  const median = [...ms].sort((a, b) => a - b)[ms.length >> 1]!;
  process.stdout.write(`${row}: ${n} events, min ${min.toFixed(0)} ms, median ${median.toFixed(0)} ms CPU, ${((min * 1e6) / n).toFixed(1)} ns/event (min)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`replay: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
