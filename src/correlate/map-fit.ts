/**
 * A sector map between two adjacent levels is a hypothesis, checked against
 * the data: of the upper level's completed writes, how many have a write
 * below at the mapped sectors? Identity is only one candidate (a raw image
 * on a raw device; virtio sectors are the guest disk's own); the others are
 * the offsets most often seen between same-sized writes (a partition, a loop
 * `--offset`, an image at a fixed place). A file on a filesystem (loop on a
 * file, qcow2 on ext4) has no single offset: no candidate fits, and the pair
 * gets no map — sector-level verdicts there are undecided, never guessed.
 */
import { RangeIndex } from './range-index.js';
import { IDENTITY, offsetMap, type SectorMap } from './mapping.js';
import { OpFlag, OpKind, type OpTable } from './ops.js';

export interface MapFit {
  map: SectorMap;
  /** Upper completed writes considered (sampled) / with a lower write at the mapped sectors. */
  writes: number;
  matched: number;
  /**
   * Of the matched writes, those with a lower write at exactly their mapped sectors (same start, same
   * length): a virtio request is the guest request itself, a direct write below is the job's own. A write
   * matched only by overlap may be inside something else (a device that received one large write over the
   * sectors of many small ones: a guest's output disk). They tell apart devices that overlap a level's writes
   * equally (graph.ts).
   */
  exact: number;
  /** The same for reads (they tell mirror legs apart: md reads one leg). */
  reads: number;
  readsMatched: number;
}

/** Fraction of upper writes a map must explain to be taken as the pair's map. */
export const MIN_FIT = 0.6;
/** And at least this many writes (fewer cannot tell a map from chance). */
export const MIN_MATCHED = 4;

const MAX_SAMPLE = 4000;

function rowsOf(t: OpTable, kind: number, keep?: (row: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.n; i++) {
    if (t.kind[i] === kind && t.done(i) && t.sector[i]! >= 0 && t.count[i]! > 0 && !t.has(i, OpFlag.ZEROES) && (!keep || keep(i))) out.push(i);
  }
  return out;
}

function sample(rows: number[]): number[] {
  if (rows.length <= MAX_SAMPLE) return rows;
  const step = rows.length / MAX_SAMPLE;
  const out: number[] = [];
  for (let k = 0; k < MAX_SAMPLE; k++) out.push(rows[Math.floor(k * step)]!);
  return out;
}

/** Reused by countMatched: a map's pieces of one upper row. */
const PIECES: number[] = [];

/** Lower rows looked at for an exact match of one upper write (a block rewritten again and again overlaps many). */
const MAX_EXACT_SCAN = 64;

/** Rows with a lower row overlapping their mapped sectors, and (`exact` given) those with one at exactly them. */
function countMatched(up: OpTable, rows: number[], idx: RangeIndex, map: SectorMap, low?: OpTable): { n: number; exact: number } {
  let n = 0;
  let exact = 0;
  for (const u of rows) {
    const m = map.mapInto(up.sector[u]!, up.count[u]!, PIECES);
    for (let k = 0; k < m; k++) {
      if (idx.anyOverlapping(PIECES[2 * k]!, PIECES[2 * k + 1]!)) {
        n++;
        break;
      }
    }
    if (low && m === 1) {
      const s = PIECES[0]!;
      const c = PIECES[1]!;
      let seen = 0;
      idx.overlapping(s, c, (l) => {
        if (low.sector[l] === s && low.count[l] === c) {
          exact++;
          return false;
        }
        return ++seen < MAX_EXACT_SCAN;
      });
    }
  }
  return { n, exact };
}

/** The upper completed writes and reads a map is checked on (sampled): the same for every map tried. */
interface UpperSample {
  w: number[];
  r: number[];
}

function upperSample(up: OpTable, keep?: (row: number) => boolean): UpperSample {
  return { w: sample(rowsOf(up, OpKind.Write, keep)), r: sample(rowsOf(up, OpKind.Read, keep)) };
}

export function fitMap(up: OpTable, low: OpTable, map: SectorMap, rows: UpperSample = upperSample(up)): MapFit {
  const { w, r } = rows;
  const writes = w.length ? countMatched(up, w, RangeIndex.of(low, [OpKind.Write]), map, low) : { n: 0, exact: 0 };
  return {
    map,
    writes: w.length,
    matched: writes.n,
    exact: writes.exact,
    reads: r.length,
    readsMatched: r.length ? countMatched(up, r, RangeIndex.of(low, [OpKind.Read]), map).n : 0,
  };
}

export function fits(f: MapFit): boolean {
  return f.matched >= MIN_MATCHED && f.matched >= MIN_FIT * f.writes;
}

/** Offsets (lower − upper sectors) most often seen between writes (or `kind`) of the same size, best first. */
export function candidateOffsets(up: OpTable, low: OpTable, max = 3, upWrites: number[] = sample(rowsOf(up, OpKind.Write)), kind: number = OpKind.Write): number[] {
  const bySize = new Map<number, number[]>();
  const lw = sample(rowsOf(low, kind));
  for (const l of lw) {
    const c = low.count[l]!;
    let a = bySize.get(c);
    if (!a) bySize.set(c, (a = []));
    if (a.length < 256) a.push(low.sector[l]!);
  }
  const votes = new Map<number, number>();
  for (const u of upWrites.slice(0, 1500)) {
    const seen = new Set<number>();
    for (const s of bySize.get(up.count[u]!) ?? []) {
      const d = s - up.sector[u]!;
      if (d === 0 || seen.has(d)) continue;
      seen.add(d);
      votes.set(d, (votes.get(d) ?? 0) + 1);
    }
  }
  return [...votes.entries()].filter(([, v]) => v >= MIN_MATCHED).sort((a, b) => b[1] - a[1]).slice(0, max).map(([d]) => d);
}

/**
 * The best-fitting map among identity and the likeliest offsets for `up`'s writes (those `keep` accepts, when
 * given) on `low`; undefined when none fits.
 */
export function inferMap(up: OpTable, low: OpTable, keep?: (row: number) => boolean): { best?: MapFit; tried: MapFit[] } {
  const rows = upperSample(up, keep);
  const tried: MapFit[] = [fitMap(up, low, IDENTITY, rows)];
  if (!fits(tried[0]!)) for (const d of candidateOffsets(up, low, 3, rows.w)) tried.push(fitMap(up, low, offsetMap(d), rows));
  let best: MapFit | undefined;
  for (const f of tried) if (fits(f) && (!best || f.matched > best.matched)) best = f;
  return { best, tried };
}

/**
 * Whether `up`'s reads that `keep` accepts are found on `low` (identity or the likeliest offset between reads of
 * the same size) as a map must explain writes: the device holding an image `up` only reads (graph.ts unmapped).
 */
export function readsFit(up: OpTable, low: OpTable, keep: (row: number) => boolean): boolean {
  const r = sample(rowsOf(up, OpKind.Read, keep));
  if (r.length === 0) return false;
  const idx = RangeIndex.of(low, [OpKind.Read]);
  const maps = [IDENTITY, ...candidateOffsets(up, low, 3, r, OpKind.Read).map(offsetMap)];
  return maps.some((map) => {
    const n = countMatched(up, r, idx, map).n;
    return n >= MIN_MATCHED && n >= MIN_FIT * r.length;
  });
}

/** Score for telling candidate lower devices apart: matched writes and reads. */
export function score(f: MapFit): number {
  return f.matched + f.readsMatched;
}
