/**
 * Long-running fuzz over every parser core: `npm run fuzz -- --seconds 600`.
 * Mutates real fixtures (and random bytes) and checks, per input, that the
 * parser does not throw and that 1..300-byte chunking gives the same events.
 * Every failure is written to fixtures/regressions/<format>--fuzz-<n>.bin,
 * which test/property.test.ts then replays forever.
 *
 * `--workers`: the parse workers instead (blkparse text and QEMU logs): each
 * mutated fixture is parsed on the main thread and by the workers every way
 * they read (test/helpers/fuzz-workers.ts); a difference is written to
 * fixtures/regressions/<format>--fuzz-worker-<hash>.bin, which
 * test/worker-fuzz.test.ts replays.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/registry.js';
import { ROOT } from '../helpers/cli.js';
import { checkInput, mutate, rng } from '../helpers/fuzz.js';
import { mutatedInput, workerDifference, workerFixtures } from '../helpers/fuzz-workers.js';
import { tempDir } from '../helpers/tmp.js';
import { formatByName } from '../../src/formats/registry.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const seconds = arg('--seconds', 60);
const seed = arg('--seed', Date.now() % 1e9);
const r = rng(seed);

const corpus: Buffer[] = [];
const walk = (dir: string) => {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p);
    else if (!/\.(md|json)$/.test(ent.name)) corpus.push(readFileSync(p).subarray(0, 32768));
  }
};
walk(join(ROOT, 'fixtures'));

const deadline = Date.now() + seconds * 1000;
const stats = new Map<string, { runs: number; failures: number }>();
let saved = 0;
/** Distinct failures kept: one input per (format, kind, first line of the message). */
const seen = new Set<string>();
const MAX_SAVED = 50;
const workers = process.argv.includes('--workers');
const workerInput = workers ? join(tempDir('blkaudit-fuzz-workers-'), 'input') : '';
while (workers && Date.now() < deadline) {
  for (const name of ['blkparse', 'qemu-log']) {
    const format = formatByName(name)!;
    const input = mutatedInput(workerFixtures(name), r);
    const s = stats.get(name) ?? { runs: 0, failures: 0 };
    stats.set(name, s);
    s.runs++;
    writeFileSync(workerInput, input);
    const diff = await workerDifference(format, workerInput, 1 + Math.floor(r() * 8192));
    if (!diff) continue;
    s.failures++;
    if (saved >= MAX_SAVED) continue;
    const hash = createHash('sha1').update(input).digest('hex').slice(0, 10);
    const file = join(ROOT, 'fixtures/regressions', `${name}--fuzz-worker-${hash}.bin`);
    writeFileSync(file, input);
    saved++;
    process.stderr.write(`${name}: ${diff} → ${file}\n`);
  }
}
while (!workers && Date.now() < deadline) {
  for (const format of FORMATS) {
    let input = r() < 0.1 ? Buffer.alloc(Math.floor(r() * 512), Math.floor(r() * 256)) : corpus[Math.floor(r() * corpus.length)]!;
    const steps = 1 + Math.floor(r() * 20);
    for (let i = 0; i < steps; i++) input = mutate(input, r);
    const s = stats.get(format.name) ?? { runs: 0, failures: 0 };
    stats.set(format.name, s);
    s.runs++;
    const failure = checkInput(format, input, 1 + Math.floor(r() * 300));
    if (failure) {
      s.failures++;
      const signature = `${format.name}|${failure.kind}|${failure.message.split('\n')[0]}`;
      if (seen.has(signature) || saved >= MAX_SAVED) continue;
      seen.add(signature);
      const hash = createHash('sha1').update(input).digest('hex').slice(0, 10);
      const file = join(ROOT, 'fixtures/regressions', `${format.name}--fuzz-${failure.kind}-${hash}.bin`);
      writeFileSync(file, input);
      saved++;
      process.stderr.write(`${format.name}: ${failure.kind}: ${failure.message.split('\n')[0]} → ${file}\n`);
    }
  }
}
process.stdout.write(`fuzz seed ${seed}, ${seconds} s\n`);
for (const [name, s] of stats) process.stdout.write(`${name.padEnd(22)} ${String(s.runs).padStart(9)} inputs  ${s.failures} failures\n`);
process.stdout.write(`${saved} regression input(s) saved\n`);
