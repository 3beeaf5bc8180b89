/**
 * Does split2 serve blkaudit's line readers? `node dist/bench/split2.js [--mb 64]`
 *
 * Feeds the same text (a real QEMU log trace, repeated to --mb MB, with one
 * 2 MiB line in the middle, as a damaged log has) through
 *   1. formats/lines.ts LineSplitter (what every text reader uses), one string per line as the QEMU reader makes;
 *   2. split2 with maxLength = 1 MiB and skipOverflow (the only mode that does not end the stream at a long line);
 * and prints the time of each, the lines each emitted and the line number each
 * gives the last line. Results are in README "Libraries" (why split2 was dropped).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { LineSplitter, DEFAULT_MAX_LINE } from '../src/formats/lines.js';

const require = createRequire(import.meta.url);

interface Result {
  name: string;
  ms: number;
  lines: number;
  skipped: number;
  lastLineNo: number;
  lastLine: string;
}

function input(mb: number): { chunks: Buffer[]; lines: number; last: string } {
  const log = readFileSync(fileURLToPath(new URL('../../fixtures/scenarios/vm-unsafe-threads/qemu-trace.log', import.meta.url)));
  const reps = Math.max(2, Math.ceil((mb * 1e6) / log.length));
  const parts: Buffer[] = [];
  for (let i = 0; i < reps; i++) {
    parts.push(log);
    if (i === Math.floor(reps / 2)) parts.push(Buffer.from('x'.repeat(2 << 20) + '\n'));
  }
  parts.push(Buffer.from('last line\n'));
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 1 << 20) chunks.push(all.subarray(i, i + (1 << 20)));
  let lines = 0;
  for (let i = all.indexOf(10); i >= 0; i = all.indexOf(10, i + 1)) lines++;
  return { chunks, lines, last: 'last line' };
}

function lineSplitter(chunks: Buffer[]): Result {
  const t = performance.now();
  let lines = 0;
  let skipped = 0;
  let lastLineNo = 0;
  let lastLine = '';
  const s = new LineSplitter((buf, a, b, n) => {
    lastLine = buf.toString('utf8', a, b);
    lastLineNo = n;
    lines++;
  }, DEFAULT_MAX_LINE, () => skipped++);
  for (const c of chunks) s.push(c);
  s.end();
  return { name: 'LineSplitter (formats/lines.ts)', ms: performance.now() - t, lines, skipped, lastLineNo, lastLine };
}

async function split2(chunks: Buffer[]): Promise<Result> {
  const split = require('split2') as (opts: object) => NodeJS.ReadWriteStream;
  const t = performance.now();
  let lines = 0;
  let lastLine = '';
  // line numbers can only be counted as lines arrive: an overflowing line is dropped without a trace
  const stream = Readable.from(chunks).pipe(split({ maxLength: DEFAULT_MAX_LINE, skipOverflow: true }));
  for await (const line of stream as AsyncIterable<string>) {
    lines++;
    lastLine = line;
  }
  return { name: 'split2 (maxLength 1 MiB, skipOverflow)', ms: performance.now() - t, lines, skipped: 0, lastLineNo: lines, lastLine };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--mb');
  const mb = i > 0 ? Number(process.argv[i + 1]) : 64;
  const { chunks, lines } = input(mb);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  process.stdout.write(`${(bytes / 1e6).toFixed(1)} MB, ${lines} lines (one of 2 MiB), node ${process.version}\n`);
  for (let run = 0; run < 3; run++) {
    for (const r of [lineSplitter(chunks), await split2(chunks)]) {
      process.stdout.write(`${r.name.padEnd(40)} ${r.ms.toFixed(0).padStart(6)} ms  ${(bytes / 1e3 / r.ms).toFixed(0).padStart(5)} MB/s  lines ${r.lines}  counted as too long ${r.skipped}  last line numbered ${r.lastLineNo} (true: ${lines})\n`);
    }
  }
}

await main();
