/**
 * Checks our figures against the tools' own: blkparse's summary trailer
 * (attached by the blkparse reader as "blkparse-summary") and btt's `.avg`
 * report text. Used by the tests over the real corpus and, for blkparse
 * input, by `stats` itself, which says whether its counters equal the
 * summary printed at the end of the file.
 */
import type { BlkparseSummary, SummaryBlock } from '../formats/blkparse/summary.js';
import type { BlkparseCounters } from './counters.js';
import type { PhaseJson } from './latency.js';
import type { BttPhase } from '../track/btt-compat.js';

/**
 * blkparse `size_cnv`: numbers above 1024·1024 are divided by 1024 (integer)
 * and printed with the next unit suffix; the summary reader multiplies back.
 * Applying the same loss to our exact number makes the two comparable.
 */
export function asPrinted(v: number): number {
  let n = v;
  let mult = 1;
  while (n > 1024 * 1024) {
    n = Math.floor(n / 1024);
    mult *= 1024;
  }
  return n * mult;
}

/** blkparse's own totals for `device`: the Total block, or the only CPU block. */
export function summaryTotal(summary: BlkparseSummary, device: string): SummaryBlock | undefined {
  const mine = summary.blocks.filter((b) => b.device === device);
  return mine.find((b) => b.scope === 'Total') ?? (mine.length === 1 ? mine[0] : undefined);
}

/** Device names the summary has blocks for, in order. */
export function summaryDevices(summary: BlkparseSummary): string[] {
  return [...new Set(summary.blocks.map((b) => b.device))];
}

/**
 * Differences between our counters and blkparse's for one device ("key: blkparse X, ours Y").
 * Depth is compared with the per-CPU blocks (the Total block does not print it).
 */
export function compareWithSummary(ours: BlkparseCounters, summary: BlkparseSummary, device: string): string[] | undefined {
  const total = summaryTotal(summary, device);
  if (!total) return undefined;
  const diffs: string[] = [];
  const mine = ours as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(total.counters)) {
    if (k === 'readDepth' || k === 'writeDepth') continue;
    const got = mine[k];
    if (got === undefined || asPrinted(got) !== v) diffs.push(`${k}: blkparse ${v}, ours ${got}`);
  }
  for (const b of summary.blocks) {
    if (b.device !== device || b.scope === 'Total') continue;
    for (const k of ['readDepth', 'writeDepth'] as const) {
      const v = b.counters[k];
      if (v !== undefined && v !== ours[k]) diffs.push(`${b.scope} ${k}: blkparse ${v}, ours ${ours[k]}`);
    }
  }
  return diffs;
}

export interface BttRow {
  min: number;
  avg: number;
  max: number;
  n: number;
}

/** The "All Devices" table of a btt `.avg` report: label (Q2C, Q2Cdm, …) → seconds and N. */
export function parseBttAvg(text: string): Record<string, BttRow> {
  const out: Record<string, BttRow> = {};
  let inAll = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('=====')) {
      inAll = line.includes('All Devices');
      continue;
    }
    if (!inAll) continue;
    const m = /^([A-Z][A-Za-z0-9]*)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = { min: Number(m[2]), avg: Number(m[3]), max: Number(m[4]), n: Number(m[5]) };
  }
  return out;
}

/** The btt label for our phase: remapper devices file Q2Q/Q2C under "…dm". */
export function bttLabel(phase: BttPhase, remapper: boolean): string {
  return remapper && (phase === 'Q2Q' || phase === 'Q2C') ? `${phase}dm` : phase;
}

/**
 * Differences between our btt-compatible latency and btt's table: N exactly,
 * MIN/AVG/MAX within `tolerance` seconds (btt prints 9 decimals).
 */
export function compareWithBtt(
  ours: Record<BttPhase, PhaseJson>,
  btt: Record<string, BttRow>,
  remapper: boolean,
  phases: readonly BttPhase[],
  tolerance = 1e-6,
): string[] {
  const diffs: string[] = [];
  for (const p of phases) {
    const label = bttLabel(p, remapper);
    const want = btt[label];
    const got = ours[p];
    if (!want) {
      if (got && got.n > 0) diffs.push(`${label}: btt has no row, ours N=${got.n}`);
      continue;
    }
    if (!got || got.n !== want.n) {
      diffs.push(`${label}: btt N=${want.n}, ours N=${got?.n ?? 0}`);
      continue;
    }
    for (const k of ['min', 'avg', 'max'] as const) {
      const v = got[k];
      if (v === null || Math.abs(v - want[k]) > tolerance) diffs.push(`${label} ${k}: btt ${want[k]}, ours ${v}`);
    }
  }
  return diffs;
}
