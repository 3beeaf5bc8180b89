/**
 * The count-level chain proof (src/correlate/flush-chain.ts): k upper flushes, each covering a write issued after
 * the previous one was acknowledged, need k distinct flushes below. What is not a link is tested as hard as what is:
 * flushes with no new write between them (QEMU's write_gen elision), a write issued before the previous
 * acknowledgement (one lower flush may serve both), flushes overlapping in time, write-zeroes and FUA writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flushChain } from '../src/correlate/flush-chain.js';
import { OpFlag, OpKind, OpTable } from '../src/correlate/ops.js';
import type { Level } from '../src/correlate/level.js';

type Op = ['W' | 'F' | 'Z' | 'A', number, number]; // kind (A: FUA write), issue, completion

function level(ops: Op[]): Level {
  const t = new OpTable('qemu', 'd', 'qemu-back', false);
  for (const [k, tI, tC] of ops) {
    const kind = k === 'F' ? OpKind.Flush : OpKind.Write;
    const flags = k === 'Z' ? OpFlag.ZEROES : k === 'A' ? OpFlag.FUA : 0;
    const r = t.add(kind, kind === OpKind.Flush ? -1 : 8, kind === OpKind.Flush ? 0 : 8, tI, 0, 0, flags);
    t.complete(r, tC, 0, true);
  }
  return { name: 'qemu:jobs', layer: 'qemu', table: t, cache: { mode: 'writeback', source: 'inferred' } };
}

const all = () => true;
const chainOf = (ops: Op[]) => flushChain({ upper: level(ops), covered: all }).length;

test('flush chain: write, flush, write, flush … is one link per flush', () => {
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 3], ['W', 4, 5], ['F', 6, 7], ['W', 8, 9], ['F', 10, 11]]), 3);
});

test('flush chain: flushes with no write between them are not links (nothing new to make durable)', () => {
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 3], ['F', 4, 5], ['F', 6, 7]]), 1);
  assert.equal(chainOf([['F', 0, 1], ['F', 2, 3]]), 0);
});

test('flush chain: a write issued before the previous flush was acknowledged does not start a link', () => {
  // W2 issued at 2.5, before F1's acknowledgement at 3: one lower flush after W2 could serve F1 and F2
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 3], ['W', 2.5, 2.8], ['F', 4, 5]]), 1);
  // the write completing after F2 was issued is not covered by F2
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 3], ['W', 3.5, 4.5], ['F', 4, 5]]), 1);
});

test('flush chain: overlapping flushes are one link; write-zeroes and FUA writes start none', () => {
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 6], ['F', 3, 5]]), 1);
  assert.equal(chainOf([['W', 0, 1], ['F', 2, 3], ['Z', 4, 5], ['F', 6, 7], ['A', 8, 9], ['F', 10, 11]]), 1);
});

test('flush chain: only flushes the lower trace covered count', () => {
  const ops: Op[] = [['W', 0, 1], ['F', 2, 3], ['W', 4, 5], ['F', 6, 7], ['W', 8, 9], ['F', 10, 11]];
  assert.equal(flushChain({ upper: level(ops), covered: (t) => t >= 5 }).length, 2);
});
