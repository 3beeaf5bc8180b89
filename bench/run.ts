/**
 * `npm run bench`: blkaudit against blkparse and btt on one large generated
 * trace, side by side in one run (see bench/README.md).
 *
 *   npm run bench -- [--events 10M] [--runs 3] [--rows check-file,blkparse,…] [--dir /tmp/blkaudit-bench]
 *                    [--memory [--sizes 5M,10M,20M]] [--seed 1] [--cpus 4] [--regen] [--no-blkparse]
 *                    [--json FILE] [--strict] [--clean] [--stack N] [--startup]
 *
 * --stack N adds the stack rows (bench/stack.ts: a real VM capture repeated N
 * times, random gaps and periodic) after the single-layer rows; --startup
 * measures start-up alone (bench/startup.ts), 20 runs unless --runs is given.
 *
 * Prints a Markdown report on stdout (the command, the machine, the table of
 * medians, the ratios and targets); progress goes to stderr. Each row runs as
 * a child process; rows are interleaved run by run so a burst of load from
 * elsewhere does not land on one row only.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { capture, haveGnuTime, measure, type Measurement } from './measure.js';
import { defaultRows, missing, probe, ROWS, type Row } from './rows.js';
import { memoryTable, markdownTable, verdictLines, verdicts, type RowResult, type Verdict } from './table.js';
import { prepareTrace, type BenchTrace } from './trace.js';
import { runStackRows, stackTable, stackVerdicts } from './stack-rows.js';
import { runStartup, startupTable } from './startup.js';
import { dropExtraCaCerts, machineProbe } from './probe.js';

interface Options {
  events: number;
  runs: number;
  rows?: string[];
  dir: string;
  seed: number;
  cpus: number;
  regen: boolean;
  blkparse: boolean;
  memory: boolean;
  sizes: number[];
  json?: string;
  strict: boolean;
  clean: boolean;
  /** Copies of the VM capture in the stack rows (0: no stack rows). */
  stack: number;
  startup: boolean;
  runsGiven: boolean;
}

const USAGE = `usage: npm run bench -- [--events N] [--runs R] [--rows a,b,…] [--dir DIR] [--memory [--sizes 5M,10M,20M]]
       [--seed S] [--cpus C] [--regen] [--no-blkparse] [--json FILE] [--strict] [--clean] [--stack N] [--startup]
rows: ${ROWS.map((r) => r.id).join(', ')}`;

/** "10M", "500k", "1e7", "10000000" → a positive integer. */
export function parseCount(s: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(s.trim());
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1e3 : 1e6) : NaN;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive count like 10M or 500000, got ${JSON.stringify(s)}`);
  return n;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    events: 10_000_000, runs: 3, dir: join(tmpdir(), 'blkaudit-bench'), seed: 1, cpus: 4, regen: false,
    blkparse: true, memory: false, sizes: [5e6, 10e6, 20e6], strict: false, clean: false, stack: 0, startup: false, runsGiven: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--events': o.events = parseCount(val()); break;
      case '--runs': o.runs = parseCount(val()); o.runsGiven = true; break;
      case '--stack': o.stack = parseCount(val()); break;
      case '--startup': o.startup = true; break;
      case '--rows': o.rows = val().split(',').filter(Boolean); break;
      case '--dir': o.dir = val(); break;
      case '--seed': o.seed = parseCount(val()); break;
      case '--cpus': o.cpus = parseCount(val()); break;
      case '--sizes': o.sizes = val().split(',').map(parseCount); break;
      case '--regen': o.regen = true; break;
      case '--no-blkparse': o.blkparse = false; break;
      case '--memory': o.memory = true; break;
      case '--json': o.json = val(); break;
      case '--strict': o.strict = true; break;
      case '--clean': o.clean = true; break;
      case '--help': case '-h': throw new Error('help');
      default: throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
  }
  for (const id of o.rows ?? []) {
    if (!ROWS.some((r) => r.id === id)) throw new Error(`unknown row ${JSON.stringify(id)}`);
  }
  return o;
}

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

async function machine(): Promise<string> {
  const bp = await capture(['blkparse', '-V']);
  const c = cpus();
  return `node ${process.version}, ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `load ${loadavg().map((x) => x.toFixed(1)).join(' ')} at start` +
    (bp.code === 0 ? `, ${bp.stdout.trim().split('\n')[0]}` : ', blkparse not installed');
}

async function runRows(rows: Row[], t: BenchTrace, runs: number, have: Set<string>): Promise<RowResult[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'blkaudit-bench-rows-'));
  const results: RowResult[] = rows.map((row) => ({
    row, events: t.events, runs: [], skipped: missing(row, have, t),
    inputBytes: row.input === 'text' ? t.textBytes : row.input === 'dump' ? t.dumpBytes ?? 0 : t.binaryBytes,
  }));
  for (let run = 1; run <= runs; run++) {
    for (const r of results) {
      if (r.skipped) continue;
      const m = await measure(r.row.command(t, scratch));
      r.runs.push(m);
      log(`  run ${run}/${runs} ${r.row.id.padEnd(11)} ${m.wallS.toFixed(2)} s, ${(t.events / m.wallS / 1e6).toFixed(2)} M ev/s, ` +
        `cpu ${m.cpuS.toFixed(2)} s, rss ${m.rssMiB.toFixed(0)} MiB, exit ${m.exitCode}${m.stderrTail ? `\n    ${m.stderrTail}` : ''}`);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  return results;
}

function pickRows(o: Options, have: Set<string>, memory: boolean): Row[] {
  let ids = o.rows;
  if (!ids) {
    if (memory) ids = have.has('check') ? ['check-file', 'check-bin', 'stats-file'] : ['parse-file', 'parse-bin'];
    else ids = defaultRows(have);
  }
  return ids.map((id) => ROWS.find((r) => r.id === id)!);
}

async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (err) {
    const msg = (err as Error).message;
    process.stderr.write(msg === 'help' ? `${USAGE}\n` : `bench: ${msg}\n${USAGE}\n`);
    return msg === 'help' ? 0 : 2;
  }
  // before anything is started: every command measured runs without it (bench/probe.ts)
  const droppedCerts = dropExtraCaCerts();
  const have = await probe();
  const useBlkparse = o.blkparse && have.has('blkparse');
  const cmdline = `npm run bench -- ${argv.join(' ')}`.trim();
  log('probe: timing the machine …');
  const probeMs = await machineProbe();
  const header = [`Command: \`${cmdline}\``, `Machine: ${await machine()}`,
    `Machine probe: ${probeMs.toFixed(0)} ms CPU (bench/probe.ts: a fixed workload, fastest of 5 fresh processes; ` +
      'the same machine kind has varied 2.4× from one day to the next: compare tables through their probes)',
    ...(droppedCerts ? ['NODE_EXTRA_CA_CERTS was set: unset for every command measured (it makes each Node process load certificates first).'] : []),
    `Peak RSS from ${haveGnuTime() ? '/usr/bin/time (ru_maxrss)' : '/proc/PID/status VmHWM polling'}; medians of ${o.runs} run(s).`];
  const report: string[] = [];
  const verdictsAll: Verdict[] = [];
  const json: Record<string, unknown> = { command: cmdline, options: o, probeMs, extraCaCertsDropped: droppedCerts };
  const traceOpts = { root: o.dir, seed: o.seed, cpus: o.cpus, regen: o.regen, useBlkparse, log };
  const traces: BenchTrace[] = [];
  if (o.startup) {
    const runs = o.runsGiven ? o.runs : 20;
    const { table, verdicts: v } = startupTable(await runStartup(runs, log));
    verdictsAll.push(...v);
    report.push(`Start-up: each row ${runs} times, interleaved.`, '', table, '', verdictLines(v));
  } else if (!o.memory) {
    const t = await prepareTrace({ ...traceOpts, events: o.events });
    traces.push(t);
    const results = await runRows(pickRows(o, have, false), t, o.runs, have);
    report.push(`Trace: ${t.events} events (${o.cpus} CPUs); text ${(t.textBytes / 1e6).toFixed(0)} MB (by ${t.textBy}), ` +
      `binary ${(t.binaryBytes / 1e6).toFixed(0)} MB.`, '', markdownTable(results));
    const v = verdicts(results, t.events);
    verdictsAll.push(...v);
    report.push('', verdictLines(v));
    json.results = results.map((r) => ({ id: r.row.id, events: r.events, inputBytes: r.inputBytes, skipped: r.skipped, runs: r.runs }));
    if (o.stack > 0) {
      const stack = await runStackRows({ root: o.dir, copies: o.stack, seed: o.seed, runs: o.runs, regen: o.regen }, log);
      report.push('', `Stack: fixtures/scenarios/vm-none-threads (guest vda → QEMU → host loop1, clean) repeated ${o.stack} times, ` +
        'each copy shifted alike in every layer\'s clock, by the copy\'s length plus a random gap (stack-random) or with no gap ' +
        '(stack-periodic); lines/s counts the lines of all three layers.', '', stackTable(stack));
      const sv = stackVerdicts(stack);
      verdictsAll.push(...sv);
      report.push('', verdictLines(sv));
      json.stack = stack.map((r) => ({ variant: r.stack.variant, copies: r.stack.copies, lines: r.stack.lines, bytes: r.stack.bytes, runs: r.runs, verdicts: r.verdicts }));
    }
  } else {
    const rows = pickRows(o, have, true);
    const byRow = new Map<string, Map<number, Measurement[]>>(rows.map((r) => [r.id, new Map()]));
    for (const n of o.sizes) {
      const t = await prepareTrace({ ...traceOpts, events: n });
      traces.push(t);
      const results = await runRows(rows, t, o.runs, have);
      for (const r of results) if (!r.skipped) byRow.get(r.row.id)!.set(n, r.runs);
      if (o.clean) rmSync(t.dir, { recursive: true, force: true });
    }
    const { table, flat } = memoryTable(o.sizes, byRow);
    verdictsAll.push(...flat);
    report.push('Peak RSS (MiB) by trace size; in brackets the events/s of the same run.', '', table, '', verdictLines(flat));
    json.memory = Object.fromEntries([...byRow].map(([id, m]) => [id, Object.fromEntries(m)]));
  }
  process.stdout.write(`${header.join('\n')}\n\n${report.join('\n')}\n`);
  if (o.json) writeFileSync(o.json, JSON.stringify(json, null, 2) + '\n');
  if (o.clean) for (const t of traces) rmSync(t.dir, { recursive: true, force: true });
  return o.strict && verdictsAll.some((v) => v.ok === false) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
