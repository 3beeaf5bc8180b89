/**
 * A later segment of a long stack is aligned within the offset its clocks had just before (align.ts, prior):
 * an upper operation's candidates below are then only the lower operations whose pair fits an offset in that
 * window (candidatesNear), found by a binary search per start sector instead of a walk over every rewrite
 * of those sectors in the segment. A block rewritten all through a trace (a journal, a database page) has more
 * than 24 candidates in all and is no evidence then; within the window it has one, and counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { align } from '../src/correlate/align.js';
import { IDENTITY } from '../src/correlate/mapping.js';
import { OpKind, OpTable } from '../src/correlate/ops.js';

const MS = 1e6;
const S = 1e9;
/** The lower clock is ahead by 5 ms. */
const OFFSET = 5 * MS;

function op(t: OpTable, kind: OpKind, sector: number, tI: number, tC: number): number {
  const i = t.add(kind, sector, kind === OpKind.Flush ? 0 : 8, tI, 0, 0);
  t.complete(i, tC, 0, true);
  return i;
}

/** Ten flushes about a second apart and, between them, a direct write to sector 1000, each with its lower op inside; and
 * the lower level rewriting sector 1000 forty more times (another writer, another stretch of the trace). */
function tables(): { up: OpTable; low: OpTable; writes: number[] } {
  const up = new OpTable('guest', 'vda', 'block', false);
  const low = new OpTable('host', '7,1', 'block', false);
  const writes: number[] = [];
  for (let k = 0; k < 10; k++) {
    const f = k * S + k * k * 37 * MS; // irregular: no other offset fits the flushes
    op(up, OpKind.Flush, -1, f, f + 2 * MS);
    op(low, OpKind.Flush, -1, f + OFFSET + 0.2 * MS, f + OFFSET + 1.5 * MS);
    const w = f + S / 2;
    writes.push(op(up, OpKind.Write, 1000, w, w + 2 * MS));
    op(low, OpKind.Write, 1000, w + OFFSET + 0.3 * MS, w + OFFSET + 1.2 * MS);
  }
  for (let k = 0; k < 40; k++) op(low, OpKind.Write, 1000, 20 * S + k * 50 * MS, 20 * S + k * 50 * MS + MS);
  return { up, low, writes };
}

test('within the window of the segment before, a block rewritten all through the trace is a candidate again', () => {
  const { up, low, writes } = tables();
  const whole = align(up, low, IDENTITY, 1000);
  assert.equal(whole.method, 'causal-offset');
  // candidate pairs: the flush pairs, and the upper ops with 1 to 24 lower candidates of their sectors
  assert.equal(whole.candidatePairs, 10, 'the flushes alone: each write has 50 lower writes of its sector, too many to tell');
  assert.match(whole.note, /\b0 operations had a sector match/);
  const near = align(up, low, IDENTITY, 1000, { lo: OFFSET - 0.5 * MS, hi: OFFSET + 0.5 * MS, why: 'the segment before' });
  assert.equal(near.method, 'causal-offset', near.note);
  assert.ok(Math.abs(near.offsetSeconds! * S - OFFSET) < MS, String(near.offsetSeconds));
  assert.equal(near.candidatePairs, 20, 'the flushes and the ten writes, each with the one lower write that fits the window');
  assert.match(near.note, /\b10 operations had a sector match/);
  const paired = new Map(near.pairs.map((p) => [p.u, p.l]));
  for (const w of writes) assert.equal(low.tI[paired.get(w)!]! - up.tI[w]!, OFFSET + 0.3 * MS, `write ${w} paired with its own lower write`);
});
