/**
 * QuietLog (src/correlate/quiet.ts): where a long stack may be cut. A quiet span is a cut point only when no
 * write completed before it is covered by a flush issued after it (the two halves, checked apart, would
 * separate a promise from its writes), or when that write is never covered at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuietLog } from '../src/correlate/quiet.js';

const MS = 1e6;

test('a write waiting for a later flush makes its quiet span no cut; covered before it, or never, it does not', () => {
  const q = new QuietLog();
  q.write(0, 1 * MS);
  q.quiet(2 * MS); // the write completed at 1 ms is waiting: no flush yet
  q.busy(5 * MS);
  q.flush(0, 1500 * MS); // …and one issued after the span (in a later second) covers it
  q.quiet(1600 * MS);
  q.busy(1700 * MS);
  q.end();
  assert.equal(q.count, 2);
  assert.equal(q.cutOk(q.span(0)), false, 'the flush at 1.5 s covers the write before the span');
  assert.equal(q.cutOk(q.span(1)), true, 'everything before 1.6 s was covered by then');
  const never = new QuietLog();
  never.write(7, 1 * MS);
  never.quiet(2 * MS);
  never.end();
  assert.equal(never.cutOk(never.span(0)), true, 'no flush ever follows: nothing after the cut refers to the write');
});

test('keys apart: a device with writes no flush of its own covers does not hold back another', () => {
  const q = new QuietLog();
  q.write(1, 1 * MS); // device 1: its write is never flushed
  q.write(2, 1 * MS);
  q.flush(2, 1.5 * MS);
  q.quiet(2 * MS);
  q.busy(4 * MS);
  q.flush(2, 4 * MS); // device 2 flushes again later: covers nothing before the span
  q.end();
  assert.equal(q.cutOk(q.span(0)), true);
});

test('spans shorter than 0.2 ms are no cut; one span kept per second, the longest', () => {
  const q = new QuietLog();
  q.quiet(0);
  q.busy(0.1 * MS);
  assert.equal(q.count, 0);
  q.quiet(1 * MS);
  q.busy(2 * MS);
  q.quiet(3 * MS);
  q.busy(10 * MS);
  q.quiet(1500 * MS);
  q.busy(1501 * MS);
  assert.deepEqual(Array.from({ length: q.count }, (_, k) => [q.span(k).from / MS, q.span(k).to / MS]), [[3, 10], [1500, 1501]]);
});
