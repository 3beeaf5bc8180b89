/**
 * sortFloat64 (src/correlate/float-sort.ts) orders offsets exactly as the built-in typed-array sort does —
 * both radix widths, signed zeros, infinities, subnormals, duplicates — since clock alignment's deepest
 * region is read off the sorted starts and ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sortFloat64 } from '../src/correlate/float-sort.js';

/** A small deterministic generator (xorshift32): the same arrays on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function sample(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n);
  const special = [0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1e-300, -1e-300];
  for (let i = 0; i < n; i++) {
    const p = r();
    if (p < 0.05) a[i] = special[Math.floor(r() * special.length)]!;
    else if (p < 0.2) a[i] = Math.round((r() - 0.5) * 100); // duplicates
    else a[i] = (r() - 0.5) * 10 ** Math.floor(r() * 24 - 6); // ns offsets of either sign, many magnitudes
  }
  return a;
}

for (const n of [0, 1, 7, 2047, 2048, 5000, 65535, 65536, 200000]) {
  test(`sortFloat64 orders ${n} values as the built-in sort does`, () => {
    for (const seed of [1, 2, 3]) {
      const a = sample(n, seed * 7919 + n);
      const want = a.slice().sort();
      const got = sortFloat64(a.slice());
      assert.equal(got.length, want.length);
      for (let i = 0; i < n; i++) {
        if (!Object.is(got[i], want[i])) assert.fail(`n=${n} seed=${seed}: at ${i} got ${got[i]}, want ${want[i]}`);
      }
    }
  });
}

test('sortFloat64 sorts a view in place without touching the rest of its buffer', () => {
  const inner = sample(5000, 42);
  const buf = new Float64Array(inner.length + 2);
  buf[0] = 7;
  buf[buf.length - 1] = -7;
  buf.set(inner, 1);
  sortFloat64(buf.subarray(1, buf.length - 1));
  assert.equal(buf[0], 7);
  assert.equal(buf[buf.length - 1], -7);
  const want = inner.slice().sort();
  for (let i = 0; i < inner.length; i++) if (!Object.is(buf[i + 1], want[i])) assert.fail(`at ${i}`);
});
