import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import type { BlockEvent } from '../src/model/event.js';
import { RequestTracker } from '../src/track/lifetime.js';
import { BioState, type Bio } from '../src/track/request.js';
import { FactTracker } from '../src/track/facts.js';
import { parseBuffer } from './helpers/chunking.js';

/**
 * Events from short blkparse lines "µs ACT RWBS tail" (the real reader parses
 * them), e.g. "0 Q FWFSM 2048 + 8 [jbd2]". Sequences follow the 6.18 loop
 * traces of the corpus (MANIFEST.md, reference §3.3).
 */
function events(lines: string[], reversals = 0): BlockEvent[] {
  const text = lines
    .map((l, i) => {
      const [t, act, rwbs, ...tail] = l.trim().split(/\s+/);
      const ns = String(Number(t) * 1000).padStart(9, '0');
      return `  7,1    0 ${String(i + 1).padStart(8)}     0.${ns}   100 ${act!.padStart(2)} ${rwbs!.padStart(3)} ${tail.join(' ')}`;
    })
    .join('\n');
  const r = parseBuffer(blkparseFormat, Buffer.from(text + '\n'));
  // the reader counts time going backwards (the only note a test may expect)
  assert.equal(r.diag.total, reversals, JSON.stringify(r.diag.list()));
  return r.events;
}

function run(lines: string[]) {
  const done: Bio[] = [];
  const flushes: Array<[number, number]> = [];
  const t = new RequestTracker({ done: (b) => done.push({ ...b }), flush: (d, c) => flushes.push([d, c]) });
  for (const e of events(lines)) t.event(e);
  const counts = t.finish();
  return { done, flushes, counts, t };
}

const us = (ns: number) => ns / 1000;

test('journal commit (Q FWFSM): PREFLUSH, data, post-flush; Q2C ends at the 0-byte final completion', () => {
  const { done, flushes, counts, t } = run([
    '0 Q FWFSM 2048 + 8 [jbd2/loop1-8]',
    '1 G FWFSM 2048 + 8 [jbd2/loop1-8]',
    '5 D FN [kworker/0:1H]',
    '10 C FN 0 [0]',
    '11 I WSM 2048 + 8 [kworker/0:1H]',
    '12 D WSM 2048 + 8 [kworker/0:1H]',
    '20 C WSM 2048 + 8 [0]',
    '21 D FN [kworker/0:1H]',
    '30 C FN 0 [0]',
    '31 C WSM 2048 [0]',
  ]);
  assert.equal(done.length, 1);
  const b = done[0]!;
  assert.deepEqual([us(b.q), us(b.g), us(b.i), us(b.d), us(b.c), us(b.final)], [0, 1, 11, 12, 20, 31]);
  assert.deepEqual(flushes.map(([d, c]) => us(c - d)), [5, 9], 'pre-flush and post-flush requests');
  assert.equal(t.inFlight, 0);
  assert.equal(t.atDevice, 0);
  assert.equal(counts.inFlightAtEnd, 0);
  assert.equal(counts.zeroByteCompletionWithoutIssue, 0);
});

test('O_DSYNC write: FUA dropped at D (emulated) → completes twice; native FUA completes once', () => {
  const emulated = run([
    '0 Q WFS 8192 + 8 [python3]', '1 G WFS 8192 + 8 [python3]', '2 D WS 8192 + 8 [python3]',
    '10 C WS 8192 + 8 [0]', '11 D FN [kworker]', '20 C FN 0 [0]', '21 C WS 8192 [0]',
  ]);
  assert.equal(emulated.done.length, 1);
  assert.equal(us(emulated.done[0]!.final), 21);
  assert.equal(emulated.done[0]!.nativeFua, false);
  const native = run(['0 Q WFS 8192 + 8 [python3]', '1 G WFS 8192 + 8 [python3]', '2 D WFS 8192 + 8 [python3]', '10 C WFS 8192 + 8 [0]']);
  assert.equal(native.done.length, 1);
  assert.equal(us(native.done[0]!.final), 10);
  assert.equal(native.counts.finalCompletionMissing, 0);
});

test('one flush request serves every empty flush queued before it; a later one waits for the next', () => {
  const { done, flushes } = run([
    '0 Q FWS [fsync-a]', '1 Q FWS [fsync-b]', '2 G FWS [fsync-a]', '3 D FN [kworker]', '4 Q FWS [fsync-c]',
    '10 C FN 0 [0]', '11 C WS 0 [0]', '12 C WS 0 [0]', '13 D FN [kworker]', '20 C FN 0 [0]', '21 C WS 0 [0]',
  ]);
  assert.equal(flushes.length, 2);
  assert.deepEqual(done.map((b) => [us(b.q), us(b.servedBy), us(b.final)]), [[0, 3, 11], [1, 3, 12], [4, 13, 21]]);
  assert.ok(done.every((b) => b.bytes === 0));
});

test('two in-flight bios for the same sector stay two (btt would replace the first)', () => {
  const { done, counts } = run([
    '0 Q WS 2048 + 8 [fio]', '1 G WS 2048 + 8 [fio]', '4 D WS 2048 + 8 [fio]',
    '10 Q WS 2048 + 8 [fio]', '11 G WS 2048 + 8 [fio]', '12 D WS 2048 + 8 [fio]',
    '30 C WS 2048 + 8 [0]', '45 C WS 2048 + 8 [0]',
  ]);
  assert.deepEqual(done.map((b) => [us(b.q), us(b.final)]), [[0, 30], [10, 45]]);
  assert.equal(counts.completionWithoutIssue, 0);
});

test('back merges end with their request; a partial completion leaves the rest in flight', () => {
  const { done, counts } = run([
    '0 Q WS 100 + 8 [dd]', '1 G WS 100 + 8 [dd]', '2 Q WS 108 + 8 [dd]', '3 M WS 108 + 8 [dd]',
    '4 Q WS 116 + 8 [dd]', '5 M WS 116 + 8 [dd]', '6 D WS 100 + 24 [dd]',
    '10 C WS 100 + 8 [0]', '20 C WS 108 + 16 [0]',
  ]);
  assert.deepEqual(done.map((b) => [b.start, us(b.final), b.m >= 0]), [[100, 10, false], [108, 20, true], [116, 20, true]]);
  assert.equal(counts.partialCompletions, 0, 'bio-sized completions need no partial split');
  const partial = run(['0 Q WS 100 + 16 [dd]', '1 G WS 100 + 16 [dd]', '2 D WS 100 + 16 [dd]', '10 C WS 100 + 8 [0]', '20 C WS 108 + 8 [0]']);
  assert.equal(partial.counts.partialCompletions, 1);
  assert.deepEqual(partial.done.map((b) => us(b.final)), [20]);
});

test('split (X): each piece has its own request; the bio ends with its last piece', () => {
  const { done, counts } = run([
    '0 Q RA 282112 + 4096 [python3]', '1 X RA 282112 / 284672 [python3]', '2 G RA 282112 + 2560 [python3]',
    '3 G RA 284672 + 1536 [python3]', '4 D RA 282112 + 2560 [python3]', '5 D RA 284672 + 1536 [python3]',
    '40 C RA 284672 + 1536 [0]', '50 C RA 282112 + 2560 [0]',
  ]);
  assert.equal(counts.splits, 1);
  assert.equal(done.length, 2);
  const origin = done[1]!.origin!;
  assert.equal(origin.pieces, 2);
  assert.equal(us(origin.lastFinal), 50);
});

test('what matches nothing is counted: completion before the trace, request still in flight at the end', () => {
  const { done, counts } = run([
    '0 C WS 500 + 8 [0]', '1 C FN 0 [0]', '2 C WS 0 [0]',
    '3 D WS 600 + 8 [kworker]', '9 C WS 600 + 8 [0]',
    '10 Q WS 700 + 8 [dd]', '11 G WS 700 + 8 [dd]',
  ]);
  assert.equal(counts.completionWithoutIssue, 1);
  assert.equal(counts.flushCompletionWithoutIssue, 1);
  assert.equal(counts.zeroByteCompletionWithoutIssue, 1);
  assert.equal(counts.issueWithoutQueue, 1, 'D with no Q: tracked from D so its D2C still counts');
  assert.equal(done.length, 1);
  assert.equal(done[0]!.q, -1);
  assert.equal(counts.inFlightAtEnd, 1);
});

test('requeue sends the request back; the second D restarts D2C', () => {
  const { done, counts, t } = run([
    '0 Q W 100 + 8 [dd]', '1 G W 100 + 8 [dd]', '2 I W 100 + 8 [dd]', '3 D W 100 + 8 [dd]',
    '4 R W 100 + 8 [0]', '5 I W 100 + 8 [dd]', '6 D W 100 + 8 [dd]', '10 C W 100 + 8 [0]',
  ]);
  assert.equal(counts.requeues, 1);
  assert.deepEqual(done.map((b) => [us(b.i), us(b.d), us(b.final)]), [[5, 6, 10]]);
  assert.equal(t.atDevice, 0);
});

test('memory cap: with completions lost, the oldest in-flight bios are dropped and counted', () => {
  const done: Bio[] = [];
  const t = new RequestTracker({ done: (b) => done.push(b), flush: () => {} }, 100);
  const lines: string[] = [];
  for (let i = 0; i < 1000; i++) lines.push(`${i} Q W ${i * 8} + 8 [dd]`);
  lines.push('2000 C W 7992 + 8 [0]');
  for (const e of events(lines)) t.event(e);
  const counts = t.finish();
  assert.ok(t.inFlight <= 100, `in flight ${t.inFlight}`);
  assert.equal(counts.evicted + counts.inFlightAtEnd + done.length, 1000);
  assert.equal(done.length, 1, 'the newest bio is still tracked and completes');
});

/** The lifecycle events a subscriber hears, as "name sector" strings. */
function lifecycle(lines: string[], cap?: number, reversals = 0) {
  const heard: string[] = [];
  const f = new FactTracker({
    done: (b) => heard.push(`done ${b.start}`),
    flush: () => {},
    queued: (b) => heard.push(`queued ${b.start}`),
    merged: (b) => heard.push(`merged ${b.start}`),
    issued: (_e, bios) => heard.push(`issued ${bios.map((b) => b.start).join('+')}`),
    flushIssued: () => heard.push('flushIssued'),
    dataDone: (_e, bios, partial) => heard.push(`dataDone ${partial ? `partial ${partial.start}` : bios.map((b) => b.start).join('+')}`),
    finalDone: (b, _e, empty) => heard.push(`finalDone ${b.start}${empty ? ' empty' : ''}`),
    flushRequestDone: (r) => heard.push(`flushRequestDone${r ? '' : ' (no D)'}`),
    orphan: (e) => heard.push(`orphan ${e.sector}`),
    evicted: (b) => heard.push(`evicted ${b.start} state ${b.state}`),
    discontinuity: (n) => heard.push(`discontinuity ${n}`),
  }, cap);
  for (const e of events(lines, reversals)) f.event(e);
  return { heard, f };
}

test('lifecycle events: a journal commit is heard as queued, issued, flush stages, data done, final done', () => {
  const { heard } = lifecycle([
    '0 Q FWFSM 2048 + 8 [jbd2]', '1 G FWFSM 2048 + 8 [jbd2]', '5 D FN [kw]', '10 C FN 0 [0]',
    '11 I WSM 2048 + 8 [kw]', '12 D WSM 2048 + 8 [kw]', '20 C WSM 2048 + 8 [0]', '21 D FN [kw]', '30 C FN 0 [0]', '31 C WSM 2048 [0]',
    '40 Q WS 100 + 8 [dd]', '41 G WS 100 + 8 [dd]', '42 Q WS 108 + 8 [dd]', '43 M WS 108 + 8 [dd]', '44 D WS 100 + 16 [dd]', '50 C WS 100 + 16 [0]',
  ]);
  assert.deepEqual(heard, [
    'queued 2048', 'flushIssued', 'flushRequestDone', 'issued 2048', 'dataDone 2048', 'flushIssued', 'flushRequestDone',
    'finalDone 2048', 'done 2048',
    'queued 100', 'queued 108', 'merged 108', 'issued 100+108', 'dataDone 100+108', 'done 100', 'done 108',
  ]);
});

test('where time goes backwards the tracker forgets what is open: a completion after the jump is an orphan', () => {
  // two runs of one device concatenated (shared/wild/10): the second run's C at 100 is not the first run's D
  const { heard, f } = lifecycle([
    '10 Q WS 100 + 8 [dd]', '11 G WS 100 + 8 [dd]', '12 D WS 100 + 8 [dd]', '13 D FN [kw]',
    '1 C WS 100 + 8 [0]',
  ], undefined, 1);
  assert.deepEqual(heard.slice(-2), ['discontinuity 2', 'orphan 100']);
  assert.equal(f.timeReversals, 1);
  assert.equal(f.tracker.droppedAtDiscontinuity, 2);
  assert.equal(f.tracker.atDevice, 0);
  assert.equal(f.orphans(), 1);
});

test('the one cap bounds writes waiting for a final completion that never comes: the oldest are evicted and heard', () => {
  const lines: string[] = [];
  for (let i = 0; i < 5; i++) {
    const s = 1000 + i * 8;
    lines.push(`${i * 10} Q WFS ${s} + 8 [db]`, `${i * 10 + 1} G WFS ${s} + 8 [db]`, `${i * 10 + 2} D WS ${s} + 8 [db]`, `${i * 10 + 3} C WS ${s} + 8 [0]`);
  }
  const { heard, f } = lifecycle(lines, 4);
  // past 4 waiting, the oldest go down to half the cap
  assert.deepEqual(heard.filter((h) => h.startsWith('evicted')), [`evicted 1000 state ${BioState.DataDone}`, `evicted 1008 state ${BioState.DataDone}`, `evicted 1016 state ${BioState.DataDone}`]);
  assert.equal(f.tracker.counts.evicted, 3);
  assert.equal(f.finishTracker().finalCompletionMissing, 2);
});
