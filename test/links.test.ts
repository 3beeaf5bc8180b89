/** Links (src/correlate/links.ts): QEMU request → job rows in compressed columns, as the Map they replace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Links } from '../src/correlate/links.js';

test('Links gives each front row its job rows in the order given, empty entries kept, others absent', () => {
  const entries: Array<[number, number[]]> = [[3, [7, 2]], [0, [1]], [5, []], [1, [4, 5, 6]]];
  const l = Links.from(6, entries);
  const want = new Map(entries);
  for (let u = -1; u <= 6; u++) {
    const got = l.get(u);
    if (!want.has(u)) assert.equal(got, undefined, `row ${u}`);
    else assert.deepEqual([...got!], want.get(u), `row ${u}`);
  }
  assert.equal(l.size, 4);
  assert.equal(l.pairs, 6);
});

test('Links over no rows', () => {
  const l = Links.from(0, []);
  assert.equal(l.get(0), undefined);
  assert.equal(l.size, 0);
  assert.equal(l.pairs, 0);
});
