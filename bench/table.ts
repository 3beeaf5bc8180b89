/**
 * Result tables as Markdown (pasted into the README as is) and the target
 * checks. Units: wall and CPU in seconds, rates in events/s and MB/s (10^6
 * bytes of the input the row reads), peak RSS in MiB.
 */
import type { Measurement } from './measure.js';
import { median } from './measure.js';
import type { Row } from './rows.js';

export interface RowResult {
  row: Row;
  events: number;
  inputBytes: number;
  runs: Measurement[];
  skipped?: string;
}

export interface Summary {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  eventsPerS: number;
  mbPerS: number;
  failed: number;
}

export function summarize(r: RowResult): Summary {
  const ok = r.runs.filter((m) => m.exitCode === 0 || m.exitCode === 1);
  const wallS = median(ok.map((m) => m.wallS));
  return {
    wallS,
    cpuS: median(ok.map((m) => m.cpuS)),
    rssMiB: median(ok.map((m) => m.rssMiB)),
    eventsPerS: r.events / wallS,
    mbPerS: r.inputBytes / 1e6 / wallS,
    failed: r.runs.length - ok.length,
  };
}

const fmt = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
export const rate = (x: number): string => (Number.isFinite(x) ? `${(x / 1e6).toFixed(2)} M` : '–');

const INPUT_NAME = { text: 'blkparse text', binary: 'per-CPU binary', dump: 'blkparse -d dump' } as const;

export function markdownTable(results: RowResult[]): string {
  const out = [
    '| row | input | MB | wall s | events/s | MB/s | CPU s | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const input = `${INPUT_NAME[r.row.input]}${r.row.via === 'pipe' ? ' (pipe)' : ''}`;
    if (r.skipped) {
      out.push(`| ${r.row.id} | ${input} | | | skipped: ${r.skipped} | | | |`);
      continue;
    }
    const s = summarize(r);
    const failed = s.failed ? ` (${s.failed} run(s) failed)` : '';
    out.push(`| ${r.row.id}${failed} | ${input} | ${fmt(r.inputBytes / 1e6)} | ${fmt(s.wallS, 2)} | ${rate(s.eventsPerS)} | ` +
      `${fmt(s.mbPerS)} | ${fmt(s.cpuS, 2)} | ${fmt(s.rssMiB)} |`);
  }
  return out.join('\n');
}

export interface Verdict {
  text: string;
  ok: boolean | undefined;
}

function find(results: RowResult[], id: string): Summary | undefined {
  const r = results.find((x) => x.row.id === id && !x.skipped);
  if (!r) return undefined;
  const s = summarize(r);
  return Number.isFinite(s.eventsPerS) ? s : undefined;
}

/** Ratios measured in this run and the issue's targets. */
export function verdicts(results: RowResult[], events: number): Verdict[] {
  const out: Verdict[] = [];
  /** need = undefined: informative (no pass/fail). */
  const ratio = (a: string, b: string, need: number | undefined, what: string) => {
    const x = find(results, a);
    const y = find(results, b);
    if (!x || !y) {
      out.push({ text: `${a}/${b}: not measured (${!x ? a : b} missing)`, ok: undefined });
      return;
    }
    const q = x.eventsPerS / y.eventsPerS;
    if (need === undefined) out.push({ text: `${a} / ${b} events/s = ${q.toFixed(2)} (${what})`, ok: undefined });
    else out.push({ text: `${a} / ${b} events/s = ${q.toFixed(2)} (target ≥ ${need}: ${what})`, ok: q >= need });
  };
  ratio('check-file', 'blkparse', 2, 'check reads text at least twice as fast as blkparse writes it');
  ratio('check-bin', 'btt', 1, 'check on the per-CPU binary at least as fast as btt');
  ratio('check-dump', 'btt', 1, 'check on the same dump btt reads at least as fast as btt');
  ratio('stats-file', 'blkparse', undefined, 'informative');
  ratio('parse-file', 'blkparse', undefined, 'informative');
  ratio('check-file-1t', 'blkparse', undefined, 'informative: one thread');
  ratio('check-bin-1t', 'btt', undefined, 'informative: one thread');
  const cf = find(results, 'check-file');
  if (cf) out.push({ text: `check-file = ${rate(cf.eventsPerS)} events/s (target ≥ 3 M)`, ok: cf.eventsPerS >= 3e6 });
  const c1 = find(results, 'check-file-1t');
  if (c1) out.push({ text: `check-file-1t = ${rate(c1.eventsPerS)} events/s (one thread; informative)`, ok: undefined });
  for (const id of ['check-file', 'check-bin']) {
    const s = find(results, id);
    if (s && events >= 9e6 && events <= 11e6) {
      out.push({ text: `${id} peak RSS = ${s.rssMiB.toFixed(0)} MiB at ${(events / 1e6).toFixed(0)} M events (target ≤ 150)`, ok: s.rssMiB <= 150 });
    }
  }
  return out;
}

export function verdictLines(v: Verdict[]): string {
  return v.map((x) => `- ${x.ok === undefined ? '?' : x.ok ? 'PASS' : 'FAIL'} ${x.text}`).join('\n');
}

/** Memory mode: peak RSS per row and size, and whether it stays flat. */
export function memoryTable(sizes: number[], byRow: Map<string, Map<number, Measurement[]>>): { table: string; flat: Verdict[] } {
  const head = `| row | ${sizes.map((n) => `${n / 1e6} M events: RSS MiB (events/s)`).join(' | ')} |`;
  const out = [head, `| --- | ${sizes.map(() => '---:').join(' | ')} |`];
  const flat: Verdict[] = [];
  for (const [id, bySize] of byRow) {
    const cells: string[] = [];
    const rss: number[] = [];
    for (const n of sizes) {
      const ms = (bySize.get(n) ?? []).filter((m) => m.exitCode === 0 || m.exitCode === 1);
      const r = median(ms.map((m) => m.rssMiB));
      const w = median(ms.map((m) => m.wallS));
      rss.push(r);
      cells.push(ms.length ? `${fmt(r)} (${rate(n / w)})` : '–');
    }
    out.push(`| ${id} | ${cells.join(' | ')} |`);
    const v = rss.filter(Number.isFinite);
    if (v.length === sizes.length && v.length >= 2) {
      const growth = Math.max(...v) - Math.min(...v);
      // "flat": the largest size needs at most 15% (or 10 MiB) more than the smallest
      const ok = growth <= Math.max(10, 0.15 * Math.min(...v));
      flat.push({ text: `${id}: peak RSS ${v.map((x) => x.toFixed(0)).join(' → ')} MiB (spread ${growth.toFixed(0)} MiB; flat = ≤ max(10 MiB, 15%))`, ok });
    }
  }
  return { table: out.join('\n'), flat };
}
