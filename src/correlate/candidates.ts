/**
 * Which lower operations can be an upper operation's counterpart (align.ts): same data direction, done, and
 * lying within the upper operation's mapped sectors (direct I/O may split a request, never grow it).
 */
import type { SectorMap } from './mapping.js';
import { OpFlag, OpKind, type OpTable } from './ops.js';
import type { RangeIndex } from './range-index.js';
import { emptyInPlace } from '../model/arrays.js';

/** The mapped ranges of the upper op being looked at (SectorMap.mapInto), one array for every call. */
const PIECES: number[] = [];
/** The rows inside the window at one mapped range (candidatesNear). */
const NEAR: number[] = [];

/** More lower candidates than this make an upper op no evidence for the clocks. */
export const MAX_CANDIDATES = 24;

/** Data direction of an op kind: 1 read, 2 write, 3 discard, 0 none (a flush, a host job of unknown type). */
export function dataClass(k: number): number {
  return k === OpKind.Read ? 1 : k === OpKind.Write ? 2 : k === OpKind.Discard ? 3 : 0;
}

/** The lower ops upper op u may have become, in `out`; more than MAX_CANDIDATES when too many to tell. */
export function candidates(up: OpTable, low: OpTable, map: SectorMap, idx: RangeIndex, u: number, out: number[]): void {
  emptyInPlace(out);
  const cls = dataClass(up.kind[u]!);
  if (cls === 0 || !(up.sector[u]! >= 0)) return;
  // more than MAX_CANDIDATES makes the op useless for alignment (the caller skips it): stop there, and after
  // MAX_VISITS overlapping rows (sectors rewritten thousands of times in a long trace) count it as such
  let visits = 0;
  const pieces = map.mapInto(up.sector[u]!, up.count[u]!, PIECES);
  for (let k = 0; k < pieces; k++) {
    const s = PIECES[2 * k]!;
    const n = PIECES[2 * k + 1]!;
    idx.overlapping(s, n, (l) => {
      // a contained lower op lies within the upper one's bytes (direct I/O may split, never grow)
      if (dataClass(low.kind[l]!) === cls && low.done(l) && within(low, l, s, n)) out.push(l);
      if (++visits > MAX_VISITS) while (out.length <= MAX_CANDIDATES) out.push(-1);
      return out.length <= MAX_CANDIDATES;
    });
    if (out.length > MAX_CANDIDATES) return;
  }
}

const MAX_VISITS = 4096;

/**
 * The candidates of upper op u (as `candidates`) whose pair can fit an offset in [lo, hi] (ns, the slack
 * included): issued at or after its issue + lo, completed by its completion + hi (pairInterval). Where the
 * offset is already known to be in a window (a later segment of a long trace, alignOffset's `window`), the
 * lower ops that fall outside it are never visited: a sector rewritten all through the trace costs a binary
 * search, and more than MAX_CANDIDATES counts within the window only.
 */
export function candidatesNear(up: OpTable, low: OpTable, map: SectorMap, idx: RangeIndex, u: number, lo: number, hi: number, out: number[]): void {
  emptyInPlace(out);
  const cls = dataClass(up.kind[u]!);
  if (cls === 0 || !(up.sector[u]! >= 0)) return;
  const from = up.tI[u]! + lo;
  const to = up.tC[u]! + hi;
  const pieces = map.mapInto(up.sector[u]!, up.count[u]!, PIECES);
  for (let k = 0; k < pieces; k++) {
    const s = PIECES[2 * k]!;
    const n = PIECES[2 * k + 1]!;
    emptyInPlace(NEAR);
    idx.withinInto(s, n, from, to, NEAR);
    for (const l of NEAR) if (dataClass(low.kind[l]!) === cls && low.done(l) && within(low, l, s, n)) out.push(l);
    if (out.length > MAX_CANDIDATES) return;
  }
}

export function compatible(up: OpTable, low: OpTable, map: SectorMap, u: number, l: number): boolean {
  const uk = up.kind[u]!;
  const lk = low.kind[l]!;
  if (uk === OpKind.Flush) return lk === OpKind.Flush;
  if (uk === OpKind.Unknown) return lk === OpKind.Flush || lk === OpKind.Discard;
  if (dataClass(uk) !== dataClass(lk)) return false;
  // write-zeroes may reach the host as a write of zeroes (same size) or as nothing (fallocate)
  if (up.has(u, OpFlag.ZEROES) && !low.has(l, OpFlag.ZEROES) && low.count[l] !== up.count[u]) return false;
  const pieces = map.mapInto(up.sector[u]!, up.count[u]!, PIECES);
  for (let k = 0; k < pieces; k++) if (within(low, l, PIECES[2 * k]!, PIECES[2 * k + 1]!)) return true;
  return false;
}

export function within(low: OpTable, l: number, s: number, n: number): boolean {
  return low.sector[l]! >= s && low.sector[l]! + low.count[l]! <= s + n;
}
