import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RbTree, type RbNode } from '../src/track/rbtree.js';

interface N extends RbNode {
  id: number;
}

function node(start: number, len: number, id = start): N {
  return { start, end: start + len, left: null, right: null, parent: null, red: true, id };
}

/** Checks the red-black and search-tree invariants; returns the black height. */
function check(n: RbNode | null, parent: RbNode | null, lo = -Infinity, hi = Infinity): number {
  if (!n) return 1;
  assert.equal(n.parent, parent, 'parent link');
  assert.ok(n.start >= lo && n.start <= hi, 'search order');
  if (n.red) {
    assert.ok(!n.left?.red && !n.right?.red, 'no red node has a red child');
  }
  const l = check(n.left, n, lo, n.start);
  const r = check(n.right, n, n.start, hi);
  assert.equal(l, r, 'equal black height');
  return l + (n.red ? 0 : 1);
}

/** Small deterministic PRNG (tests must not be flaky). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('random inserts and erases keep every red-black invariant and the in-order sequence', () => {
  const r = rng(7);
  const t = new RbTree<N>();
  const live: N[] = [];
  for (let i = 0; i < 3000; i++) {
    if (live.length > 0 && r() < 0.45) {
      const k = Math.floor(r() * live.length);
      t.erase(live[k]!);
      live.splice(k, 1);
    } else {
      const n = node(Math.floor(r() * 500), 8, i);
      t.insertMulti(n);
      live.push(n);
    }
    if (i % 97 === 0) {
      assert.equal(t.root?.red ?? false, false, 'root is black');
      check(t.root, null);
    }
  }
  assert.equal(t.size, live.length);
  const inOrder: number[] = [];
  for (let n = t.first(); n; n = t.next(n)) inOrder.push(n.start);
  assert.deepEqual(inOrder, live.map((n) => n.start).sort((a, b) => a - b));
});

test('insertReplace puts the new node in the old one\'s place (btt rb_insert) and returns the old one', () => {
  const t = new RbTree<N>();
  for (const s of [50, 20, 80, 10, 30]) t.insertReplace(node(s, 8));
  const before = t.root!.start;
  const again = node(20, 16, 999);
  const old = t.insertReplace(again);
  assert.equal(old?.start, 20);
  assert.notEqual(old?.id, 999);
  assert.equal(t.size, 5, 'no node added');
  assert.equal(t.root!.start, before);
  assert.equal(t.findContaining(35)?.id, 999, 'the new, longer range is found');
  check(t.root, null);
});

test('findContaining returns the first range on the descent that holds the sector, end excluded', () => {
  const t = new RbTree<N>();
  t.insertReplace(node(100, 16));
  assert.equal(t.findContaining(100)?.start, 100);
  assert.equal(t.findContaining(115)?.start, 100);
  assert.equal(t.findContaining(116), null, 'end sector is outside');
  assert.equal(t.findContaining(99), null);
});

test('btt rb_foreach: a range right of a larger overlapping ancestor is never visited', () => {
  // root [100,200) (stale, never completed); [150,158) sits in its right subtree.
  const t = new RbTree<N>();
  t.insertReplace(node(100, 100, 1));
  t.insertReplace(node(150, 8, 2));
  t.insertReplace(node(40, 8, 3));
  const out: N[] = [];
  t.forEachContainedBtt(150, 158, out);
  assert.deepEqual(out.map((n) => n.id), [], 'btt misses [150,158): the walk stops at [100,200) since 200 >= 158');
  out.length = 0;
  t.forEachContainedBtt(0, 1000, out);
  assert.deepEqual(out.map((n) => n.id).sort(), [1, 2, 3]);
  // the in-order scan used by the true tracker does find it
  assert.equal(t.lowerBound(150)?.id, 2);
});
