/**
 * Bench driver: runs the library's analyze() on the inputs with no stages
 * (or the stages named) and prints one JSON line {events, bytes, ms}. This
 * measures reading + normalizing alone, the floor under `check` and `stats`.
 *
 *   node dist/bench/driver.js [--stages a,b] INPUT...     (INPUT may be "-")
 */
import { analyze } from '../src/index.js';

async function main(argv: string[]): Promise<number> {
  let stages: string[] = [];
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--stages') stages = (argv[++i] ?? '').split(',').filter(Boolean);
    else inputs.push(a);
  }
  if (inputs.length === 0) {
    process.stderr.write('usage: driver.js [--stages a,b] INPUT...\n');
    return 2;
  }
  const t0 = process.hrtime.bigint();
  const report = await analyze(inputs, { stages });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let events = 0;
  let bytes = 0;
  for (const i of report.inputs) {
    events += i.events;
    bytes += i.bytes;
  }
  process.stdout.write(JSON.stringify({ events, bytes, ms: Math.round(ms), skipped: report.skipped }) + '\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`driver: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
