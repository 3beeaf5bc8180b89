/**
 * The stack rows of `npm run bench -- --stack N`: `blkaudit check` over the
 * three-layer stack of bench/stack.ts, random gaps and periodic, measured
 * like every other row (a child process, wall/CPU/peak RSS, medians). The
 * verdict is part of the result: a clean capture repeated must stay clean,
 * so the errors the run reported are counted from its first output line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measure, median, type Measurement } from './measure.js';
import { BLKAUDIT } from './rows.js';
import { prepareStack, type StackTrace, type StackVariant } from './stack.js';
import type { Verdict } from './table.js';

export interface StackResult {
  stack: StackTrace;
  runs: Measurement[];
  /** "N error(s), W warning(s), I info" of each run, as `check` printed it. */
  verdicts: string[];
  /** Whether each run said that several clock offsets fit about as well (ambiguityOf). */
  ambiguity: boolean[];
}

/**
 * Whether check's report says a link's clocks fit at several offsets about as well and no single one is
 * justified (correlate/align.ts, a rival region; not a rival resolved by the offset before it).
 */
export function ambiguityOf(stdout: string): boolean {
  return /fit about as well — a periodic workload\? — so no single offset is justified/.test(stdout.replace(/\s+/g, ' '));
}

/**
 * The counts of check's first line — "blkaudit check: clean — no broken promise found (0 error(s), 0 warning(s),
 * 6 info)" or "… promises broken — 1 incident(s) from 104 error(s), 0 warning(s), 1 info" — as
 * "N error(s), W warning(s), I info".
 */
export function verdictOf(stdout: string): string {
  const first = /^blkaudit check: .*$/m.exec(stdout)?.[0] ?? '';
  const m = /(\d+) error\(s\), (\d+) warning\(s\), (\d+) info/.exec(first);
  return m ? m[0] : 'no verdict (see stderr)';
}

export async function runStackRows(
  o: { root: string; copies: number; seed: number; runs: number; regen: boolean },
  log: (s: string) => void,
): Promise<StackResult[]> {
  const results: StackResult[] = (['random', 'periodic'] as StackVariant[]).map((variant) => ({
    stack: prepareStack({ root: o.root, copies: o.copies, variant, seed: o.seed, regen: o.regen, log }),
    runs: [],
    verdicts: [],
    ambiguity: [],
  }));
  const scratch = mkdtempSync(join(tmpdir(), 'blkaudit-bench-stack-'));
  try {
    for (let run = 1; run <= o.runs; run++) {
      for (const r of results) {
        const out = join(scratch, `${r.stack.variant}.txt`);
        const m = await measure({ argv: [BLKAUDIT, 'check', ...r.stack.inputs], stdoutFile: out });
        r.runs.push(m);
        const text = readFileSync(out, 'utf8');
        r.verdicts.push(verdictOf(text));
        r.ambiguity.push(ambiguityOf(text));
        const lines = totalLines(r.stack);
        log(`  run ${run}/${o.runs} stack-${r.stack.variant} ${m.wallS.toFixed(2)} s, ${(lines / m.wallS / 1e6).toFixed(2)} M lines/s, ` +
          `rss ${m.rssMiB.toFixed(0)} MiB, exit ${m.exitCode}: ${r.verdicts.at(-1)}${m.stderrTail ? `\n    ${m.stderrTail}` : ''}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}

export function totalLines(s: StackTrace): number {
  return s.lines.guest + s.lines.qemu + s.lines.host;
}

const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

export function stackTable(results: StackResult[]): string {
  const out = [
    '| row | copies | lines guest / qemu / host | MB | wall s | lines/s | CPU s | peak RSS MiB | check said |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    const ok = r.runs.filter((m) => m.exitCode === 0 || m.exitCode === 1);
    const wall = median(ok.map((m) => m.wallS));
    const l = r.stack.lines;
    const said = [...new Set(r.verdicts)].join('; ');
    const failed = r.runs.length - ok.length ? ` (${r.runs.length - ok.length} run(s) failed)` : '';
    out.push(`| stack-${r.stack.variant}${failed} | ${r.stack.copies} | ${l.guest} / ${l.qemu} / ${l.host} | ${fmt(r.stack.bytes / 1e6)} | ` +
      `${fmt(wall, 2)} | ${fmt(totalLines(r.stack) / wall / 1e6, 2)} M | ${fmt(median(ok.map((m) => m.cpuS)), 2)} | ` +
      `${fmt(median(ok.map((m) => m.rssMiB)))} | ${said} |`);
  }
  return out.join('\n');
}

/**
 * Issue 16's targets for the stack rows: every variant reports no error (as one copy); the random one reads at
 * least 1 M lines/s across layers in at most 200 MiB (at any number of copies: "5000 copies: the same RSS"); the
 * periodic one, whose clocks fit at several offsets, says so. The periodic run's speed and memory have no target in
 * issue 16 (it is streamed too, its ambiguity held: src/correlate/segments.ts): they are shown, marked "?".
 */
export function stackVerdicts(results: StackResult[]): Verdict[] {
  const out: Verdict[] = [];
  for (const r of results) {
    const id = `stack-${r.stack.variant} (${r.stack.copies} copies)`;
    const periodic = r.stack.variant === 'periodic';
    const ok = r.runs.filter((m) => m.exitCode === 0 || m.exitCode === 1);
    const errors = r.verdicts.map((v) => Number(/^(\d+) error/.exec(v)?.[1] ?? NaN));
    out.push({ text: `${id}: ${errors.join(', ')} error(s) (target: none, as one copy)`, ok: errors.every((e) => e === 0) });
    if (periodic) {
      const said = r.ambiguity.filter(Boolean).length;
      out.push({ text: `${id}: the clocks' ambiguity said in ${said} of ${r.ambiguity.length} run(s) (target: every run)`, ok: r.ambiguity.length > 0 && said === r.ambiguity.length });
    }
    const rate = totalLines(r.stack) / median(ok.map((m) => m.wallS));
    out.push({ text: `${id}: ${fmt(rate / 1e6, 2)} M lines/s across layers (${periodic ? 'no target' : 'target ≥ 1 M'})`, ok: periodic ? undefined : rate >= 1e6 });
    const rss = median(ok.map((m) => m.rssMiB));
    out.push({ text: `${id}: peak RSS ${fmt(rss)} MiB (${periodic ? 'no target' : 'target ≤ 200'})`, ok: periodic ? undefined : rss <= 200 });
  }
  return out;
}
