/**
 * The checker on small hand-made blkparse traces (fixtures/check/*.blkparse.txt,
 * one per rule with a clean twin that must not fire) and on hand-built events
 * for the durability model's edge cases (D2 boundaries, failed flushes,
 * bio-based devices, partial completions, the extent cap).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { checkFiles, checkFixture as fx, checkLines, newEnv, tally } from './helpers/check-run.js';
import { MIN_LEVELS } from '../src/check/rules/flush-never-issued.js';
import { MAX_EXTENTS } from '../src/check/volatile.js';
import { parseCacheDeclaration, fileStem } from '../src/check/cache.js';

test('flush-never-issued: 3 fsync cycles with no flush → warning; error when declared write-back; silent when write-through', async () => {
  const r = await checkFiles([fx('flush-never-issued.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'flush-never-issued:warning': 1 });
  const f = r.findings.find((x) => x.rule === 'flush-never-issued')!;
  // 3 cycles × (1 data write + journal blocks + commit block) — see fixtures/check/README.md
  assert.equal(f.details!['writesCompleted'], 9);
  assert.equal(f.details!['syncMetaWrites'], 6);
  assert.equal(f.details!['orderingLevels'], 6);
  assert.equal(f.details!['flushesCompleted'], 0);
  assert.equal(f.device, '8,0');
  assert.ok(f.evidence.length >= 3 && f.evidence.length <= 5);
  assert.equal(r.devices[0]!.cache, 'unknown');

  const declared = await checkFiles([fx('flush-never-issued.blkparse.txt')], { cache: [parseCacheDeclaration('8,0=writeback')] });
  assert.deepEqual(tally(declared.findings), { 'flush-never-issued:error': 1 });
  assert.equal(declared.devices[0]!.cacheSource, 'declared');

  const wt = await checkFiles([fx('flush-never-issued.blkparse.txt')], { cache: [parseCacheDeclaration('8:0=writethrough')] });
  assert.deepEqual(tally(wt.findings, true), {});
  assert.equal(wt.devices[0]!.maxVolatileBytes, 0);
});

test('flush-never-issued: the same workload with barriers is clean, and one commit alone is below the threshold', async () => {
  const clean = await checkFiles([fx('flush-never-issued.clean.blkparse.txt')]);
  assert.deepEqual(tally(clean.findings, true), {});
  assert.equal(clean.devices[0]!.cache, 'writeback');
  assert.equal(clean.devices[0]!.cacheSource, 'inferred');
  assert.equal(clean.devices[0]!.flushesCompleted, 6); // pre- and post-flush per commit
  assert.equal(clean.devices[0]!.writesCompleted, 9);
  assert.equal(clean.devices[0]!.volatileAtEndWrites, 0);

  const one = await checkFiles([fx('flush-never-issued.one-commit.blkparse.txt')], { cache: [parseCacheDeclaration('8,0=writeback')] });
  assert.ok(2 < MIN_LEVELS);
  assert.deepEqual(tally(one.findings, true), { 'unflushed-at-end:info': 1 });
  assert.equal(one.findings[0]!.details!['writes'], 3);
});

test('flush-flags-stripped: PREFLUSH, FUA and an empty flush each lose their flush sequence', async () => {
  const r = await checkFiles([fx('flush-flags-stripped.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'flush-flags-stripped:warning': 3 });
  assert.deepEqual(r.findings.filter((f) => f.rule === 'flush-flags-stripped').map((f) => f.details!['kind']).sort(), ['FUA', 'PREFLUSH', 'empty flush']);
  const declared = await checkFiles([fx('flush-flags-stripped.blkparse.txt')], { cache: [parseCacheDeclaration('252,0=writeback')] });
  assert.deepEqual(tally(declared.findings), { 'flush-flags-stripped:error': 3 });
  const clean = await checkFiles([fx('flush-flags-stripped.clean.blkparse.txt')], { cache: [parseCacheDeclaration('252,0=writeback')] });
  assert.deepEqual(tally(clean.findings), {});
  assert.equal(clean.devices[0]!.flushesCompleted, 5); // first fsync: 1, commit: pre+post, FUA: post, fsync: 1
  assert.equal(clean.devices[0]!.fuaWrites, 2);
});

test('flush-flags-stripped: with not one flush request of the device in the trace, the missing ones are the trace\'s, not the kernel\'s: one info, undecided', async () => {
  // the same three requests without the first, served fsync: nothing shows that this trace records flush requests
  for (const cache of [[], [parseCacheDeclaration('252,0=writeback')]]) {
    const r = await checkFiles([fx('flush-flags-stripped.no-flush-requests.blkparse.txt')], { cache });
    assert.deepEqual(tally(r.findings), {});
    assert.equal(r.findings.filter((x) => x.rule === 'flush-flags-stripped').length, 1);
    const f = r.findings.find((x) => x.rule === 'flush-flags-stripped')!;
    assert.equal(f.details!['kind'], 'undecided');
    assert.equal(f.details!['requests'], 3);
    assert.match(f.message, /no flush request at all/);
    assert.match(f.message, /-a write/);
  }
  // a real clean capture printed with `blkparse -a write` (the flush requests' D FN / C FN are not in the write
  // category): before, 6 warnings "the block layer dropped it", errors with --cache loop1=writeback
  const aWrite = fileURLToPath(new URL('../../fixtures/blktrace/raw-odirect-dsync/loop1.blkparse-a-write.txt', import.meta.url));
  const r = await checkFiles([aWrite], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(r.findings), {});
  assert.equal(r.findings.filter((x) => x.rule === 'flush-flags-stripped' && x.severity === 'info').length, 1);
  assert.equal(r.findings.find((x) => x.rule === 'flush-flags-stripped')!.details!['requests'], 43);
});

test('flush-never-issued: a trace with no Q events (-a issue -a complete) cannot show ordered commits: one info, undecided; the same capture with Q events fires', async () => {
  const dir = fileURLToPath(new URL('../../fixtures/blktrace/ext4-nobarrier/', import.meta.url));
  // real capture host/ext4-nobarrier (ext4 barrier=0 on loop1), printed by blkparse 1.2.0 with -a issue -a complete
  const dc = await checkFiles([`${dir}loop1.blkparse-a-issue-complete.txt`], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(dc.findings), {});
  const u = dc.findings.filter((x) => x.rule === 'flush-never-issued');
  assert.equal(u.length, 1);
  assert.equal(u[0]!.severity, 'info');
  assert.deepEqual([u[0]!.details!['kind'], u[0]!.details!['syncMetaWrites']], ['undecided', 123]);
  assert.match(u[0]!.message, /no queue \(Q\) event/);
  // every action: the nobarrier filesystem is found (and no undecided note beside it)
  const full = await checkFiles([`${dir}loop1`], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(full.findings), { 'flush-never-issued:error': 1 });
  assert.equal(full.findings.filter((x) => x.rule === 'flush-never-issued').length, 1);
  // Q events, no flush, five sync metadata writes queued together (one level): too few levels to fire, and
  // nothing undecided about it
  const sectors = [100, 108, 116, 124, 132];
  const lines = ['Q', 'D', 'C'].map((a, k) => sectors.map((s, i) => `0.000${k + 1}0${i} ${a} WSM ${s} 8`).join('\n')).join('\n');
  const oneLevel = checkLines(lines);
  assert.deepEqual(oneLevel.findings.filter((x) => x.rule === 'flush-never-issued'), []);
  assert.equal(oneLevel.devices[0]!.writesCompleted, 5);
});

test('barrier-not-drained: a 2.6 barrier dispatched over an in-flight write and overtaken by a later one', async () => {
  const r = await checkFiles([fx('barrier-not-drained.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'barrier-not-drained:warning': 2 });
  assert.deepEqual(r.findings.filter((f) => f.rule === 'barrier-not-drained').map((f) => f.details!['kind']).sort(), ['earlier-in-flight', 'later-overtook']);
  for (const f of r.findings.filter((x) => x.rule === 'barrier-not-drained')) assert.equal(f.evidence.length, 3);
  const clean = await checkFiles([fx('barrier-not-drained.clean.blkparse.txt')]);
  assert.deepEqual(tally(clean.findings), {});
  // the barrier is a flush point: the write completed before it is durable, only the later one is not
  assert.equal(clean.devices[0]!.volatileAtEndWrites, 1);
});

test('overlapping-writes-in-flight: two writes sharing sectors 4104–4111 at the device at once; serialized twin is clean', async () => {
  const r = await checkFiles([fx('overlapping-writes-in-flight.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'overlapping-writes-in-flight:warning': 1 });
  const f = r.findings.find((x) => x.rule === 'overlapping-writes-in-flight')!;
  assert.deepEqual({ start: f.details!['start'], sectors: f.details!['sectors'] }, { start: 4104, sectors: 8 });
  // the proof: the earlier write's completion, seen only after the later write was issued
  assert.deepEqual(f.evidence.map((e) => `${e.action} ${e.sector}`), ['D 4096', 'D 4104', 'C 4096']);
  const clean = await checkFiles([fx('overlapping-writes-in-flight.clean.blkparse.txt')]);
  assert.deepEqual(tally(clean.findings), {});
});

test('overlapping-writes-in-flight: two writes to the very same sectors are a pair too (the tracker keeps both)', async () => {
  // fixtures/stats/crafted-same-sector: D, D at sector 2048, then two C — a sector-keyed map used to forget the first
  const r = await checkFiles([fileURLToPath(new URL('../../fixtures/stats/crafted-same-sector/loop1.blkparse.txt', import.meta.url))]);
  assert.deepEqual(tally(r.findings), { 'overlapping-writes-in-flight:warning': 1 });
  const f = r.findings.find((x) => x.rule === 'overlapping-writes-in-flight')!;
  assert.deepEqual({ start: f.details!['start'], sectors: f.details!['sectors'] }, { start: 2048, sectors: 8 });
  assert.deepEqual(f.evidence.map((e) => `${e.action} ${e.sector} ${e.time}`), ['D 2048 0.000004', 'D 2048 0.000012', 'C 2048 0.00003']);
});

test('overlapping-writes-in-flight: no completion, no proof — D-only traces (shared/wild/39) and lost completions say nothing', () => {
  const r = checkLines(`
    0.000100 Q WS 2064 8
    0.000101 D WS 2064 8
    0.000200 Q WS 2064 8
    0.000201 D WS 2064 8     # the first write's C is not in the trace
    0.000300 Q WS 2056 16
    0.000301 D WS 2056 16    # overlaps both, never completes either
  `);
  assert.deepEqual(tally(r.findings, true), { 'requests-in-flight-at-end:info': 1 });
  // the same with the first write completing after the second D: proven
  const proven = checkLines(`
    0.000100 Q WS 2064 8
    0.000101 D WS 2064 8
    0.000200 Q WS 2064 8
    0.000201 D WS 2064 8
    0.000250 C WS 2064 8
  `);
  assert.deepEqual(tally(proven.findings), { 'overlapping-writes-in-flight:warning': 1 });
});

test('flush-failed: a flush failing with -EIO leaves both writes at risk; the good twin makes them durable', async () => {
  const r = await checkFiles([fx('flush-failed.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'flush-failed:error': 1 });
  const f = r.findings.find((x) => x.rule === 'flush-failed')!;
  assert.equal(f.details!['errno'], -5);
  assert.equal(f.details!['writesAtRisk'], 2);
  assert.equal(f.details!['bytesAtRisk'], 2 * 64 * 512);
  // the oldest write's time is written out on the report's clock (src/clock), not left as a mark
  assert.match(f.message, /, the oldest completed at 0\.000024 s\.$/);
  assert.equal(r.devices[0]!.flushesFailed, 1);
  assert.equal(r.devices[0]!.volatileAtEndWrites, 2);
  const clean = await checkFiles([fx('flush-failed.clean.blkparse.txt')]);
  assert.deepEqual(tally(clean.findings, true), {});
  assert.equal(clean.devices[0]!.volatileAtEndWrites, 0);
});

test('io-error: a write failing at the device is an error, a read rejected before issue is info', async () => {
  const r = await checkFiles([fx('io-error.blkparse.txt')]);
  assert.deepEqual(tally(r.findings.filter((f) => f.rule === 'io-error'), true), { 'io-error:error': 1, 'io-error:info': 1 });
  const w = r.findings.find((f) => f.rule === 'io-error' && f.severity === 'error')!;
  assert.equal(w.details!['errno'], -5);
  assert.deepEqual(w.evidence.map((e) => e.action), ['D', 'C']);
  const clean = await checkFiles([fx('io-error.clean.blkparse.txt')]);
  assert.equal(clean.findings.filter((f) => f.rule === 'io-error').length, 0);
});

test('lost-events: blkparse "Skips: 3" comes first and says the verdict may be incomplete', async () => {
  const r = await checkFiles([fx('lost-events.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'lost-events:warning': 1 });
  assert.equal(r.findings[0]!.rule, 'lost-events');
  assert.equal(r.findings[0]!.details!['count'], 3);
  const clean = await checkFiles([fx('lost-events.clean.blkparse.txt')]);
  assert.deepEqual(tally(clean.findings), {});
});

test('D2: a flush covers writes completed before it was issued, not those in flight then', () => {
  const r = checkLines(`
    0.000100 Q WS 100 8
    0.000101 D WS 100 8
    0.000200 C WS 100 8      # W1 completes
    0.000300 Q WS 200 8
    0.000301 D WS 200 8
    0.000400 D FN - 0        # flush issued: covers W1 only
    0.000500 C WS 200 8      # W2 completes while the flush is in flight
    0.000600 C FN 0 0
    0.000700 Q W 300 8       # after the flush: --at lands here
  `, { at: 0.00065 });
  const at = r.at![0]!;
  assert.equal(at.writes, 1);
  assert.deepEqual(at.ranges, [{ start: 200, end: 208 }]);
  assert.equal(r.devices[0]!.flushesCompleted, 1);
  assert.equal(r.devices[0]!.flushEpochs, 1);
});

test('D4: a failed flush retires nothing; the next good flush covers everything before it', () => {
  const r = checkLines(`
    0.000100 D WS 100 8
    0.000200 C WS 100 8
    0.000300 D FN - 0
    0.000400 C FN 0 0 -5
    0.000500 D WS 200 8
    0.000600 C WS 200 8
    0.000700 D FN - 0
    0.000800 C FN 0 0
  `, { at: 0.00065 });
  assert.equal(r.at![0]!.writes, 2);
  assert.deepEqual(tally(r.findings), { 'flush-failed:error': 1 });
  assert.equal(r.devices[0]!.volatileAtEndWrites, 0);
  assert.equal(r.devices[0]!.flushesFailed, 1);
});

test('bio-based device (Q and C only): an empty PREFLUSH bio is the flush, a FUA bio is durable at completion', () => {
  const r = checkLines(`
    0.000100 Q WSM 100 8
    0.000200 C WSM 100 8
    0.000300 Q FWS - 0
    0.000400 C FWS 0 0
    0.000500 Q WFSM 300 8
    0.000600 C WFSM 300 8
  `);
  const d = r.devices[0]!;
  assert.equal(d.volatileAtEndWrites, 0);
  assert.equal(d.flushesCompleted, 1);
  assert.equal(d.fuaWrites, 1);
  assert.deepEqual(tally(r.findings, true), {});
});

test('the 0-byte final completion ends a FUA write emulated with a post-flush; data stays at risk until that flush', () => {
  const r = checkLines(`
    0.000010 Q WFS 8192 8
    0.000012 G WFS 8192 8
    0.000020 D WS 8192 8
    0.000080 C WS 8192 8       # data in the cache
    0.000090 D FN - 0          # the post-flush
    0.000700 C FN 0 0
    0.000705 C WS 8192 0       # final completion: the owner is told
  `, { at: 0.0005 });
  assert.equal(r.at![0]!.writes, 1);
  assert.equal(r.devices[0]!.volatileAtEndWrites, 0);
  assert.deepEqual(tally(r.findings, true), {}); // nothing left in flight, no orphan
});

test('partial completions belong to one request; only one C per request would be an orphan otherwise', () => {
  const r = checkLines(`
    0.000100 Q W 0 40
    0.000101 D W 0 40
    0.000200 C W 0 8
    0.000300 C W 8 32
  `);
  assert.equal(r.devices[0]!.writesCompleted, 2); // blkparse counts C lines
  assert.deepEqual(tally(r.findings, true), { 'unflushed-at-end:info': 1 });
  assert.equal(r.findings[0]!.details!['bytes'], 40 * 512);
});

test('volatile extents are capped: a superset, flagged approximate', () => {
  const lines: string[] = [];
  for (let i = 0; i < 3 * MAX_EXTENTS; i++) {
    const s = i * 1000;
    lines.push(`0.${String(100 + i * 2).padStart(6, '0')} D W ${s} 8`, `0.${String(101 + i * 2).padStart(6, '0')} C W ${s} 8`);
  }
  const r = checkLines(lines.join('\n'), { at: 1 });
  const at = r.at![0]!;
  assert.equal(at.writes, 3 * MAX_EXTENTS);
  assert.equal(at.afterEnd, true);
  assert.ok(at.approximate);
  assert.ok(at.ranges.length <= MAX_EXTENTS);
  for (let i = 0; i < 3 * MAX_EXTENTS; i++) {
    const s = i * 1000;
    assert.ok(at.ranges.some((x) => x.start <= s && x.end >= s + 8), `sector ${s} is inside a range`);
  }
});

test('memory stays bounded when flush boundaries never retire (600 stripped PREFLUSH writes), and no write is lost from the count', () => {
  const lines: string[] = [];
  let t = 1000;
  for (let i = 0; i < 600; i++) {
    const s = i * 16;
    lines.push(`0.${String(t).padStart(9, '0')} Q FWS ${s} 8`, `0.${String(t + 1).padStart(9, '0')} D WS ${s} 8`, `0.${String(t + 2).padStart(9, '0')} C WS ${s} 8`);
    t += 10;
  }
  lines.push(`0.${String(t).padStart(9, '0')} D FN - 0`, `0.${String(t + 5).padStart(9, '0')} C FN 0 0`);
  const r = checkLines(lines.join('\n'), { at: (t + 1) / 1e9 });
  assert.equal(r.at![0]!.writes, 600);
  assert.equal(r.at![0]!.bytes, 600 * 4096);
  assert.equal(r.devices[0]!.volatileAtEndWrites, 0);
  assert.deepEqual(tally(r.findings), { 'flush-flags-stripped:warning': 6 }); // 5 kept + 1 summary of the rest
  assert.equal(r.findings.find((f) => f.details?.['more'])!.details!['more'], 595);
});

test('cache declarations and names', () => {
  assert.deepEqual(parseCacheDeclaration('loop1=writeback'), { device: 'loop1', mode: 'writeback' });
  assert.deepEqual(parseCacheDeclaration('/dev/sda=write-through'), { device: '/dev/sda', mode: 'writethrough' });
  assert.throws(() => parseCacheDeclaration('loop1'), /DEV=writeback/);
  assert.throws(() => parseCacheDeclaration('loop1=fast'), /writeback or writethrough/);
  assert.equal(fileStem('/x/loop1.blkparse.txt'), 'loop1');
  assert.equal(fileStem('sda.blktrace.0'), 'sda');
  assert.equal(fileStem('trace.txt.gz'), 'trace');
});

test('device names from the deviceNames option match --cache', async () => {
  const r = await checkFiles([fx('flush-never-issued.blkparse.txt')], { cache: [parseCacheDeclaration('sdz=writeback')] }, { deviceNames: { '8,0': 'sdz' } });
  assert.deepEqual(tally(r.findings), { 'flush-never-issued:error': 1 });
  assert.equal(r.devices[0]!.name, 'sdz');
  assert.equal(r.devices[0]!.cacheDeclared, 'sdz');
});

test('flush-flags-stripped: a FUA write the one cap drops while it waits for its final completion is judged then (abandoned)', () => {
  const env = newEnv();
  env.options['maxInflight'] = 2;
  // one flush request (the trace records them), then three O_DSYNC writes: FUA dropped at D, data completes,
  // no flush and no final completion follow (< 5 s)
  const r = checkLines(`
    0.000010 D FN - 0
    0.000020 C FN 0 0
    0.000100 Q WFS 1000 8
    0.000101 D WS 1000 8
    0.000102 C WS 1000 8
    0.000200 Q WFS 1008 8
    0.000201 D WS 1008 8
    0.000202 C WS 1008 8
    0.000300 Q WFS 1016 8
    0.000301 D WS 1016 8
    0.000302 C WS 1016 8
  `, {}, env);
  // past the cap of 2 the oldest two are dropped; each is judged as it goes, the last one waits (too young to judge)
  const f = r.findings.filter((x) => x.rule === 'flush-flags-stripped');
  assert.deepEqual(f.map((x) => [x.severity, x.details!['kind'], x.evidence[0]!.sector]), [['warning', 'FUA', 1000], ['warning', 'FUA', 1008]]);
  assert.equal(r.devices[0]!.facts.completionsWithoutIssue, 0);
});

test('time going backwards: the open requests are forgotten (counted), and a completion after the jump matches nothing', () => {
  const r = checkLines(`
    0.000100 Q WS 100 8
    0.000101 D WS 100 8
    0.000102 Q WS 200 8
    0.000050 C WS 100 8      # the second run: not the first run's write
  `);
  const open = r.findings.filter((x) => x.rule === 'requests-in-flight-at-end');
  assert.deepEqual(open.map((x) => x.details), [{ discontinuities: 1, dropped: 2 }]);
  assert.equal(r.devices[0]!.facts.completionsWithoutIssue, 1);
  assert.equal(r.devices[0]!.facts.timeReversals, 1);
});

test('a split PREFLUSH write: each piece keeps the bio\'s Q facts (flushes issued before it), so each stripped piece is judged', () => {
  const r = checkLines(`
    0.000010 D FN - 0
    0.000020 C FN 0 0
    0.000100 Q FWS 1000 16   # PREFLUSH write, after one flush request
    0.000101 X WS 1000 1008
    0.000102 D WS 1000 8     # no flush request since the Q
    0.000103 D WS 1008 8
    0.000110 C WS 1000 8
    0.000111 C WS 1008 8
  `);
  const f = r.findings.filter((x) => x.rule === 'flush-flags-stripped');
  assert.deepEqual(f.map((x) => [x.details!['kind'], x.evidence.map((e) => `${e.action} ${e.sector}`).join(' ')]), [
    ['PREFLUSH', 'Q 1000 D 1000'], ['PREFLUSH', 'Q 1008 D 1008'],
  ]);
});
