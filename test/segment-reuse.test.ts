/**
 * Tables reused from segment to segment (src/correlate/segments.ts): a long stack is cut into hundreds of
 * segments, and each unit's two tables (the segment's rows, the rows after its cut) serve them all instead of
 * two new ones per segment. A reused table must answer as a new one would: nothing a correlation set or made
 * of its earlier rows may survive its reset. The 5,000-copy stack bench gave 14,281 false flush errors when
 * the sector index made of a table's earlier rows (range-index.ts) was found again for its new ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpFlag, OpKind, OpTable } from '../src/correlate/ops.js';
import { RangeIndex } from '../src/correlate/range-index.js';
import { QemuRows } from '../src/correlate/qemu-ops.js';

const MS = 1e6;

function writes(t: OpTable, sectors: number[], at: number): void {
  sectors.forEach((s, k) => {
    const i = t.add(OpKind.Write, s, 8, at + k * MS, 0, 0);
    t.complete(i, at + k * MS + MS / 2, 0, true);
  });
}

function overlapping(idx: RangeIndex, s: number, n: number): number[] {
  const rows: number[] = [];
  idx.overlapping(s, n, (r) => {
    rows.push(r);
  });
  return rows;
}

test('a reset table is indexed afresh: the sector index of its earlier rows is not found again', () => {
  const t = new OpTable('host', '7,1', 'block', false);
  writes(t, [0, 100, 200], 0);
  const before = RangeIndex.of(t, [OpKind.Write]);
  assert.deepEqual(overlapping(before, 100, 8), [1]);
  assert.equal(RangeIndex.of(t, [OpKind.Write]), before, 'made once for the same rows');
  t.reset();
  writes(t, [5000, 100], 10 * MS);
  const after = RangeIndex.of(t, [OpKind.Write]);
  assert.deepEqual(overlapping(after, 5000, 8), [0], 'the new row at sector 5000');
  assert.deepEqual(overlapping(after, 100, 8), [1], 'sector 100 is row 1 now');
  assert.deepEqual(overlapping(after, 200, 8), [], 'sector 200 is no longer in the table');
});

test('a reset table keeps nothing a correlation set on it', () => {
  const t = new OpTable('guest', 'vda', 'block', false);
  writes(t, [0], 0);
  t.tags.push('dev0');
  t.writeThrough = true;
  t.unobserved = 'not traced';
  t.bioBased = true;
  t.computeDurability();
  assert.equal(t.durable.length, 1);
  t.reset();
  const fresh = new OpTable('guest', 'vda', 'block', false);
  for (const k of ['n', 'writeThrough', 'unobserved', 'bioBased', 'dropped', 'droppedFrom'] as const) assert.equal(t[k], fresh[k], k);
  assert.deepEqual(t.tags, []);
  assert.equal(t.durable.length, 0);
  writes(t, [8], 0);
  t.computeDurability();
  assert.equal(t.durable[0], Infinity, 'its write waits for a flush: not durable at completion as with write-through');
  assert.equal(t.has(0, OpFlag.OK), true);
});

/** Front rows (issue ms) each with job ids; back rows (issue ms) with protocol nodes; guessed back rows. */
function rowsOf(fronts: Array<[number, number[]]>, backs: Array<[number, number, number]>, guessed: number[], into?: QemuRows): QemuRows {
  const r = into ?? new QemuRows('qemu', false);
  fronts.forEach(([at, jobs]) => {
    const i = r.front.add(OpKind.Write, at, 8, at * MS, 0, 0);
    r.front.complete(i, at * MS + 1, 0, true);
    if (jobs.length === 0) return;
    r.frontsWithJobs.push(i);
    r.jobStart.push(r.jobIds.n);
    for (const j of jobs) r.jobIds.push(j);
  });
  for (const [at, id, node] of backs) {
    const i = r.back.add(OpKind.Write, at, 8, at * MS, 0, 0, 0, id);
    r.back.complete(i, at * MS + 1, 0, true);
    r.jobNode.push(node);
  }
  for (const g of guessed) r.guessed.push(g);
  return r;
}

/** What a QemuRows holds, by issue time: fronts with their job ids, backs with their nodes, guessed backs. */
function contents(r: QemuRows): unknown {
  const jobs = new Map<number, number[]>();
  for (let k = 0; k < r.frontsWithJobs.n; k++) jobs.set(r.frontsWithJobs.a[k]!, Array.from(r.jobIds.a.subarray(r.jobStart.a[k]!, r.jobsEnd(k))));
  return {
    fronts: Array.from({ length: r.front.n }, (_, i) => [r.front.tI[i]! / MS, jobs.get(i) ?? []]),
    backs: Array.from({ length: r.back.n }, (_, i) => [r.back.tI[i]! / MS, r.back.ext[i], r.jobNode.a[i]]),
    guessed: Array.from(r.guessed.a.subarray(0, r.guessed.n), (b) => r.back.tI[b]! / MS),
  };
}

test('QEMU rows split at a cut into a reused QemuRows: each side holds its own rows, job lists and nodes', () => {
  const fronts: Array<[number, number[]]> = [[1, [11, 12]], [2, []], [3, [13]], [10, [21, 22, 23]], [11, []], [12, [24]]];
  const backs: Array<[number, number, number]> = [[1, 11, 0], [1.5, 12, 1], [3, 13, 0], [10, 21, 1], [10.5, 22, 0], [11, 23, 1], [12, 24, 0]];
  const guessed = [1, 3, 5];
  const whole = rowsOf(fronts, backs, guessed);
  // a QemuRows that held a segment before: its rows, columns and lengths must all be replaced
  const used = rowsOf([[50, [99, 98]], [51, [97]]], [[50, 99, 5], [50, 98, 6], [51, 97, 7]], [0, 1, 2]);
  used.front.tags.push('old');
  const rest = whole.splitAt(5 * MS, used);
  assert.equal(rest, used, 'the rows after the cut go to the QemuRows given');
  assert.deepEqual(contents(whole), {
    fronts: [[1, [11, 12]], [2, []], [3, [13]]],
    backs: [[1, 11, 0], [1.5, 12, 1], [3, 13, 0]],
    guessed: [1.5],
  });
  assert.deepEqual(contents(rest), {
    fronts: [[10, [21, 22, 23]], [11, []], [12, [24]]],
    backs: [[10, 21, 1], [10.5, 22, 0], [11, 23, 1], [12, 24, 0]],
    guessed: [10, 11],
  });
  assert.deepEqual(rest.front.tags, [], 'nothing of its earlier use');
  // a split into a new QemuRows gives the same
  const again = rowsOf(fronts, backs, guessed);
  assert.deepEqual(contents(again.splitAt(5 * MS)), contents(rest));
  assert.deepEqual(contents(again), contents(whole));
});
