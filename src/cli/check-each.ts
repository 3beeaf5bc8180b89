/**
 * `blkaudit check --each DIR…`: every capture found under the directories
 * (src/fleet/discover.ts) is checked in a pool of worker threads, and one
 * NDJSON record per capture goes to stdout in the order they were found
 * (src/fleet/summary.ts). Exit: the highest any capture gives on its own —
 * 2 if one could not be read, else 1 if one has a finding at or above
 * --fail-on, else 0.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import { findCaptures } from '../fleet/discover.js';
import { runPool } from '../fleet/pool.js';
import type { Verdict } from '../fleet/summary.js';
import { checkOptionsFrom, type CheckCliOptions } from './check-analysis.js';
import { EXIT, UsageError } from './options.js';
import { Output, safeText } from './output.js';

export async function runCheckEach(dirs: string[], opts: CheckCliOptions): Promise<number> {
  const clash = (['json', 'at', 'stack'] as const).filter((k) => opts[k] !== undefined).map((k) => `--${k}`);
  if ((opts.map?.length ?? 0) > 0) clash.push('--map');
  if ((opts.device?.length ?? 0) > 0) clash.push('--device');
  if (clash.length > 0) throw new UsageError(`--each writes one NDJSON line per capture and takes its layers from file names: it cannot be combined with ${clash.join(', ')}`);
  checkOptionsFrom(opts); // --fail-on and the rest are checked once here, not once per capture
  for (const d of dirs) {
    let st;
    try {
      st = await fs.stat(d);
    } catch {
      throw new UsageError(`--each: cannot read directory ${d}`);
    }
    if (!st.isDirectory()) throw new UsageError(`--each: ${d} is not a directory`);
  }
  const captures = await findCaptures(dirs);
  if (captures.length === 0) {
    throw new UsageError(`--each: no capture found under ${dirs.join(', ')} (a capture directory holds *.blkparse.txt, qemu-trace.log, or guest/ and host/ with *.blkparse.txt)`);
  }
  const out = new Output();
  const tally: Record<Verdict, number> = { clean: 0, undecided: 0, violation: 0, unreadable: 0 };
  let exit: number = EXIT.clean;
  await runPool(captures, opts, opts.jobs ?? Math.min(availableParallelism(), captures.length), async (s) => {
    tally[s.verdict]++;
    exit = Math.max(exit, s.exit);
    if (s.error && !out.closed) process.stderr.write(`blkaudit: ${safeText(s.capture)}: ${safeText(s.error)}\n`);
    out.write(JSON.stringify(s) + '\n');
    await out.drain();
    return !out.closed; // `| head`: stop starting captures
  });
  await out.end();
  if (out.closed) return EXIT.clean; // the reader went away (`| head`): end quietly, as every command does
  process.stderr.write(
    `blkaudit: ${captures.length} capture(s): ${tally.clean} clean, ${tally.undecided} undecided, ${tally.violation} violation, ${tally.unreadable} unreadable\n`,
  );
  return exit;
}
