import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MergeList, type MergeStream } from '../src/sort/merge-list.js';
import { ReorderWindow, SETTLE_EVENTS, SETTLE_SWITCHES } from '../src/sort/reorder-window.js';
import { emptyEvent, type BlockEvent } from '../src/model/event.js';

interface Stream extends MergeStream {
  name: string;
  times: number[];
}

/** Drain streams through a MergeList the way readBlktraceSet does. */
function merge(streams: Record<string, number[]>): string[] {
  const list = new MergeList<Stream>();
  for (const [name, times] of Object.entries(streams)) {
    const s: Stream = { name, times: [...times], nextTime: times[0]! };
    list.insert(s);
  }
  const out: string[] = [];
  for (let s = list.head; s; s = list.head) {
    out.push(`${s.name}${s.times.shift()}`);
    if (s.times.length) s.nextTime = s.times[0]!;
    list.advanced(s.times.length === 0);
  }
  return out;
}

test('merge order follows blkparse ms_sort/ms_resort, ties included', () => {
  // equal times keep the current stream going
  assert.deepEqual(merge({ A: [1, 2, 2], B: [2, 3] }), ['A1', 'A2', 'A2', 'B2', 'B3']);
  // a stream put back goes after the head of the same time but before later ones of that time
  assert.deepEqual(merge({ A: [1, 3], B: [2], C: [3] }), ['A1', 'B2', 'A3', 'C3']);
  assert.deepEqual(merge({ A: [5, 6], B: [1, 7], C: [2, 3, 9] }), ['B1', 'C2', 'C3', 'A5', 'A6', 'B7', 'C9']);
});

function ev(time: number, cpu = 0, dev = 1): BlockEvent {
  const e = emptyEvent();
  e.time = time;
  e.cpu = cpu;
  e.dev = dev;
  return e;
}

test('reorder window: sorts within the window, passes late events on and counts them', () => {
  const out: number[] = [];
  const late: number[] = [];
  const w = new ReorderWindow({ event: (e) => out.push(e.time) }, { windowNs: 4 }, (e, behind) => late.push(e.time, behind));
  for (const t of [5, 3, 4, 10, 1]) w.event(ev(t));
  assert.equal(w.held, 1);
  w.flush();
  assert.deepEqual(out, [3, 4, 5, 1, 10]);
  assert.deepEqual(late, [1, 4]);
  assert.equal(w.late, 1);
});

test('reorder window: lanes per CPU, maxHeld bounds memory', () => {
  const out: string[] = [];
  const w = new ReorderWindow({ event: (e) => out.push(`${e.cpu}:${e.time}`) }, { windowNs: 1e9, maxHeld: 3 });
  // CPU1's buffer arrives after CPU0's
  for (const [t, c] of [[10, 0], [20, 0], [30, 0], [15, 1], [25, 1], [35, 1]] as const) {
    w.event(ev(t, c));
    assert.ok(w.held <= 3);
  }
  w.flush();
  assert.deepEqual(out, ['0:10', '1:15', '0:20', '1:25', '0:30', '1:35']);
  assert.equal(w.late, 0);
});

test('reorder window: a stream sorted across its lanes (a blkparse -d dump) passes straight through once settled', () => {
  const out: string[] = [];
  const w = new ReorderWindow({ event: (e) => out.push(`${e.cpu}:${e.time}`) }, { windowNs: 1e9 });
  // two CPUs merged by time, taking turns every 8 events (as blkparse -d writes them)
  const n = SETTLE_EVENTS + 5000;
  const want: string[] = [];
  for (let i = 0; i < n; i++) {
    const cpu = (i >> 3) & 1;
    w.event(ev(i * 10, cpu));
    want.push(`${cpu}:${i * 10}`);
    if (i === SETTLE_EVENTS - 2) assert.equal(w.passing, false);
  }
  assert.ok(SETTLE_EVENTS / 8 >= SETTLE_SWITCHES);
  assert.equal(w.passing, true);
  assert.equal(w.held, 0);
  assert.deepEqual(out, want);
  // a step back after that is late (counted, passed on), and the window sorts again from there
  const late: number[] = [];
  const w2 = new ReorderWindow({ event: (e) => late.push(e.time) }, { windowNs: 1e9 });
  for (let i = 0; i < n; i++) w2.event(ev(i * 10, (i >> 3) & 1));
  late.length = 0;
  for (const [t, c] of [[n * 10 + 50, 0], [n * 10 + 20, 1], [n * 10 + 60, 0], [n * 10 + 55, 1]] as const) w2.event(ev(t, c));
  assert.equal(w2.passing, false);
  assert.equal(w2.late, 1);
  w2.flush();
  assert.deepEqual(late, [n * 10 + 50, n * 10 + 20, n * 10 + 55, n * 10 + 60]);
});

test('reorder window: a live stream (per-CPU chunks that step back) and a one-lane stream keep the window', () => {
  // CPU1's chunk arrives after CPU0's, overlapping in time: a step back at each chunk
  const out: number[] = [];
  const w = new ReorderWindow({ event: (e) => out.push(e.time) }, { windowNs: 1e12 });
  const n = 2 * SETTLE_EVENTS;
  for (let chunk = 0; chunk * 64 < n; chunk++) {
    const cpu = chunk & 1;
    const base = (chunk >> 1) * 640;
    for (let k = 0; k < 64; k++) w.event(ev(base + k * 10 + cpu * 5, cpu));
  }
  assert.equal(w.passing, false);
  assert.equal(w.late, 0);
  w.flush();
  assert.ok(out.every((t, i) => i === 0 || t >= out[i - 1]!));
  // one CPU alone is in order by itself, but nothing says another will not come: the window stays
  const one = new ReorderWindow({ event: () => {} }, { windowNs: 1e12 });
  for (let i = 0; i < n; i++) one.event(ev(i, 0));
  assert.equal(one.passing, false);
  assert.equal(one.held, n);
});
