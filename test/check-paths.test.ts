/**
 * Verdict paths of the single-layer checker that no other test guarded
 * (found by breaking each path on purpose: test/mutations/, README
 * "Deliberate breaks"). Each case runs a real capture or a trimmed piece of
 * one (fixtures/check/paths/ORIGIN.md) through the reader and the check stage
 * and asserts the exact verdict — and, where the path is "honored" or "not
 * followed", the absence of every other finding. The few cases no real trace
 * can show are marked hand-made, with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles, checkFixture, tally } from './helpers/check-run.js';
import { ROOT, runCli } from './helpers/cli.js';
import { parseCacheDeclaration } from '../src/check/cache.js';
import { CHECK_DROPPED_REASON } from '../src/check/checker.js';

const paths = (f: string) => checkFixture(`paths/${f}`);
const fx = (f: string) => join(ROOT, 'fixtures', f);

test('D2 on a real trace: a write completing while the flush is in flight is not covered by it (fio-fsync)', async () => {
  // D FN at 0.089840296, C WS 29832+4096 at 0.089888397, C FN at 0.090173360; the next D FN is at 0.090497141
  const r = await checkFiles([paths('fio-fsync-flush-in-flight.blkparse.txt')], { at: 0.0902 });
  assert.equal(r.at[0]!.writes, 1);
  assert.deepEqual(r.at[0]!.ranges, [{ start: 29832, end: 33928 }]);
  assert.equal(r.at[0]!.evidence[0]!.loc, 22);
  const d = r.devices[0]!;
  // C lines of the piece: 6 writes with data, 4 C FN, 2 Q FWFSM; every write covered by a later flush
  assert.deepEqual([d.writesCompleted, d.flushesCompleted, d.fuaWrites, d.volatileAtEndWrites, d.flushEpochs], [6, 4, 2, 0, 4]);
  // the piece ends before the last commit's 0-byte final completion
  assert.deepEqual(tally(r.findings, true), { 'requests-in-flight-at-end:info': 1 });
  assert.equal(r.findings[0]!.details!['inFlushSequence'], 1);
});

test('a flush completion whose issue is not in the trace covers nothing (the same piece cut after its D FN)', async () => {
  const r = await checkFiles([paths('fio-fsync-orphan-flush.blkparse.txt')], { at: 0.0902 });
  // C FN at 0.090173360 has no D FN: the write completed just before it stays at risk until the next flush
  assert.equal(r.at[0]!.writes, 1);
  assert.deepEqual(r.at[0]!.ranges, [{ start: 29832, end: 33928 }]);
  const d = r.devices[0]!;
  assert.deepEqual([d.writesCompleted, d.flushesCompleted, d.volatileAtEndWrites, d.flushEpochs], [4, 3, 0, 2]);
  // orphans: C WS 29832 (D before the cut), the C FN, C WSM 1051936 [0] (final completion)
  assert.deepEqual(tally(r.findings, true), { 'completion-without-issue:info': 1, 'requests-in-flight-at-end:info': 1 });
  assert.equal(r.findings.find((f) => f.rule === 'completion-without-issue')!.details!['count'], 3);
});

test('FUA emulated by a post-flush that the trace does not reach (< 5 s before its end): not judged, data still volatile', async () => {
  // Q WFS → D WS → C WS 8192+128, and the trace ends: the D FN would come 17 µs later
  const r = await checkFiles([paths('raw-odirect-dsync-cut-before-post-flush.blkparse.txt')]);
  assert.deepEqual(tally(r.findings, true), { 'requests-in-flight-at-end:info': 1, 'unflushed-at-end:info': 1 });
  assert.equal(r.findings.find((f) => f.rule === 'requests-in-flight-at-end')!.details!['inFlushSequence'], 1);
  assert.equal(r.findings.find((f) => f.rule === 'unflushed-at-end')!.details!['bytes'], 65536);
  assert.deepEqual([r.devices[0]!.cache, r.devices[0]!.cacheSource, r.devices[0]!.fuaWrites], ['writeback', 'inferred', 1]);
});

test('FUA that reached the driver (nvme D WFS, wild 24) is durable at its completion; the ext4 WS write is not', async () => {
  const r = await checkFiles([fx('tracepoint/wild-24-debian-6.4-nvme-ext4-iouring-fua-mixed-events.ftrace.txt')]);
  // no flush-flags-stripped, nothing left waiting for a flush sequence: only the plain WS write is volatile
  assert.deepEqual(tally(r.findings, true), { 'unflushed-at-end:info': 1 });
  const info = r.findings[0]!;
  assert.deepEqual([info.details!['writes'], info.details!['bytes']], [1, 4096]);
  assert.notEqual(info.evidence[0]!.rwbs, 'WFS');
  const d = r.devices[0]!;
  assert.deepEqual([d.device, d.writesCompleted, d.fuaWrites, d.volatileAtEndWrites, d.flushesCompleted], ['259,0', 2, 1, 1, 0]);
});

test('bio-based pmem (wild 12, Q and C only): each PREFLUSH data bio is the flush for what completed before its Q', async () => {
  const r = await checkFiles([fx('facts/wild-12-xfs-pmem-5.19rc2-preflush-fua-QC-only.blkparse.txt')]);
  assert.deepEqual(tally(r.findings, true), {});
  const d = r.devices[0]!;
  // epochs retired by Q FWFSM at 90.619416, 98.680616 and 98.680837; the longest wait: C FWSM 90.614928169 → C FWFSM 90.619420274
  assert.equal(d.flushEpochs, 3);
  assert.ok(Math.abs(d.maxVolatileSeconds - 0.004492105) < 1e-9, String(d.maxVolatileSeconds));
  assert.equal(d.volatileAtEndWrites, 0);
});

test('failed writes (wild 26, null_blk -EIO) are errors and never enter the volatile set', async () => {
  const r = await checkFiles([fx('tracepoint/wild-26-nullblk-5.17-block_rq_error-neg-errno-ftrace-header.ftrace.txt')]);
  assert.deepEqual(tally(r.findings, true), { 'io-error:error': 2, 'completion-without-issue:info': 1 });
  assert.deepEqual(r.findings.filter((f) => f.rule === 'io-error').map((f) => f.details!['sector']).sort((a, b) => Number(a) - Number(b)), [131072, 1310720]);
  assert.deepEqual([r.devices[0]!.writesCompleted, r.devices[0]!.volatileAtEndWrites, r.devices[0]!.maxVolatileBytes], [2, 0, 0]);
});

test('time going backwards (wild 22, two pasted runs): the 13 requests of the first run are forgotten, the 13 of the second are open', async () => {
  const r = await checkFiles([fx('tracepoint/wild-22-f2fs-loop-5.4-block_rq_issue.ftrace.txt')]);
  // 13 block_rq_issue lines before the reversal, 13 after, no completion at all
  assert.deepEqual(tally(r.findings, true), { 'requests-in-flight-at-end:info': 2 });
  const [rev, open] = [r.findings.find((f) => f.details!['discontinuities'] !== undefined)!, r.findings.find((f) => f.details!['atDriver'] !== undefined)!];
  assert.deepEqual(rev.details, { discontinuities: 1, dropped: 13 });
  assert.equal(open.details!['atDriver'], 13);
  assert.equal(open.details!['queued'], 0);
});

test('--max-inflight 4 on mixed-rw loop1 (fio, many requests in flight): requests dropped from memory, said once and counted in skipped', async () => {
  const file = checkFixture('real/host-mixed-rw-trimmed/loop1.blkparse.txt');
  const r = await checkFiles([file], {}, { maxInflight: 4 });
  const dropped = r.findings.filter((f) => f.rule === 'requests-in-flight-at-end' && f.details!['dropped'] !== undefined && f.details!['discontinuities'] === undefined);
  assert.equal(dropped.length, 1);
  const n = dropped[0]!.details!['dropped'] as number;
  assert.ok(n > 0);
  assert.equal(r.skipped[CHECK_DROPPED_REASON], n);
  assert.match(dropped[0]!.message, /dropped from memory/);
  // without the cap nothing is dropped, and no such finding
  const none = await checkFiles([file]);
  assert.equal(none.skipped[CHECK_DROPPED_REASON], undefined);
  assert.equal(none.findings.filter((f) => f.details?.['dropped'] !== undefined && f.details?.['discontinuities'] === undefined).length, 0);
});


test('`B` on reads (2.6.17, wild 05) is no flush evidence: the cache stays unknown', async () => {
  const r = await checkFiles([paths('wild-05-lkml-2006-2.6.17-ide-hda-cfq-readahead-RB.blkparse.txt')]);
  assert.deepEqual([r.devices[0]!.cache, r.devices[0]!.cacheSource], ['unknown', 'unknown']);
  assert.deepEqual(tally(r.findings), {});
});

test('--cache NAME matches the stem of an input with no blkparse trailer (mixed-rw loop1, trimmed)', async () => {
  const file = checkFixture('real/host-mixed-rw-trimmed/loop1.blkparse.txt');
  assert.doesNotMatch(readFileSync(file, 'utf8'), /Events \(|Input file/);
  const r = await checkFiles([file], { cache: [parseCacheDeclaration('loop1=writethrough')] });
  assert.deepEqual([r.devices[0]!.cacheDeclared, r.devices[0]!.cache, r.devices[0]!.cacheSource], ['loop1', 'writethrough', 'declared']);
  // write-through: the 141 raw writes are durable at completion, so no unflushed-at-end
  assert.equal(r.findings.filter((f) => f.rule === 'unflushed-at-end').length, 0);
  assert.equal(r.devices[0]!.volatileAtEndWrites, 0);
  const undeclared = await checkFiles([file]);
  assert.equal(undeclared.findings.find((f) => f.rule === 'unflushed-at-end')!.details!['writes'], 141);
});

test('a guest with no flush over a QEMU device that keeps a volatile cache: error, the cache shown by the layer below (vm-wc-writethrough-writeback)', async () => {
  const dir = fx('stacks/vm-wc-writethrough-writeback');
  const guest = `guest=${join(dir, 'guest/vda.blkparse.txt.gz')}`;
  const stack = await runCli(['check', '--json', guest, `qemu=${join(dir, 'qemu-trace.log.gz')}`, `host=${join(dir, 'host/loop1.blkparse.txt')}`]);
  const findings = (JSON.parse(stack.stdout) as { findings: Array<{ rule: string; severity: string; layer: string; device: string; message: string }> }).findings;
  const fni = findings.filter((f) => f.rule === 'flush-never-issued');
  assert.deepEqual(fni.map((f) => `${f.severity} ${f.layer} ${f.device}`), ['error guest 254,0']);
  assert.match(fni[0]!.message, /the layer below shows it/);
  assert.equal(stack.code, 1);
  // the guest alone: the same finding, a warning (cache unknown)
  const alone = await runCli(['check', '--json', guest]);
  const a = (JSON.parse(alone.stdout) as { findings: Array<{ rule: string; severity: string; message: string }> }).findings;
  assert.deepEqual(a.filter((f) => f.rule === 'flush-never-issued').map((f) => f.severity), ['warning']);
  assert.match(a.find((f) => f.rule === 'flush-never-issued')!.message, /cache mode unknown/);
});

test('completion-only CSV (D→C rows of the real raw O_DSYNC capture): the volatile set matches the blkparse text it came from', async () => {
  const map = 'time=issue_s,end=complete_s,device=dev,op=rwbs,sector=sector,sectors=blocks';
  const csv = await runCli(['check', '--json', '--csv-columns', map, fx('csv/raw-odirect-dsync.d2c.csv')]);
  const text = await runCli(['check', '--json', fx('blkparse/raw-odirect-dsync.loop1.blkparse.txt')]);
  type Doc = { findings: unknown[]; devices: Array<Record<string, number>> };
  const [c, t] = [JSON.parse(csv.stdout) as Doc, JSON.parse(text.stdout) as Doc];
  const pick = (d: Record<string, number>) => [d['writesCompleted'], d['maxVolatileBytes'], d['maxVolatileSeconds'], d['flushEpochs'], d['volatileAtEndWrites']];
  // every write is followed by its own flush: 37 writes, 25 epochs that retired one, 64 KiB at most, none left
  assert.deepEqual(pick(c.devices[0]!), pick(t.devices[0]!));
  assert.deepEqual(pick(c.devices[0]!).slice(0, 2), [37, 65536]);
  assert.equal(c.devices[0]!['volatileAtEndWrites'], 0);
  assert.deepEqual(c.findings, []);
});

test('completion-only biosnoop rows (wild 28): every write row is acknowledged and volatile, per disk', async () => {
  const file = fx('snoop/layout-2015-nine-decimals.biosnoop.txt');
  const r = await checkFiles([file]);
  // oracle: W rows per DISK column in the file
  const rows = readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 8 && f[4] === 'W');
  const perDisk = new Map<string, number>();
  for (const f of rows) perDisk.set(f[3]!, (perDisk.get(f[3]!) ?? 0) + 1);
  const infos = r.findings.filter((f) => f.rule === 'unflushed-at-end').map((f) => f.details!['writes'] as number).sort((a, b) => a - b);
  assert.deepEqual(infos, [...perDisk.values()].sort((a, b) => a - b));
  assert.deepEqual(tally(r.findings), {});
});

test('completion-only libbpf biosnoop (hand-made from its printf formats; no real FUA row exists): a flush row retires, a FUA row is durable', async () => {
  const r = await checkFiles([fx('snoop/libbpf-rwbs-handmade.biosnoop.txt')]);
  const d = r.devices.find((x) => x.flushesCompleted > 0)!;
  assert.deepEqual([d.writesCompleted, d.flushesCompleted, d.flushEpochs, d.volatileAtEndWrites], [3, 1, 1, 0]);
  assert.equal(r.findings.filter((f) => f.rule === 'unflushed-at-end').length, 0);
});

test('hand-made (since 2.6.37 the kernel strips the flags before Q when no write cache is advertised, so no real trace shows this): stripped flags on a device declared write-through are no finding', async () => {
  const wt = await checkFiles([checkFixture('flush-flags-stripped.blkparse.txt')], { cache: [parseCacheDeclaration('252,0=writethrough')] });
  assert.deepEqual(tally(wt.findings), {});
  // only the two requests the fixture leaves waiting for their flush sequence
  assert.deepEqual(tally(wt.findings, true), { 'requests-in-flight-at-end:info': 1 });
});

// ---- hand-made, each from a real sequence with one event changed (fixtures/check/paths/ORIGIN.md says which and why no real trace has it)

test('hand-made: an emulated FUA write whose post-flush fails — flush-failed and an io-error for its failed final completion; the data stays at risk', async () => {
  const r = await checkFiles([paths('handmade-fua-post-flush-fails.blkparse.txt')]);
  assert.deepEqual(tally(r.findings, true), { 'flush-failed:error': 1, 'io-error:error': 1, 'unflushed-at-end:info': 1 });
  const io = r.findings.find((f) => f.rule === 'io-error')!;
  assert.deepEqual([io.details!['errno'], io.details!['sector'], io.details!['sectors']], [-5, 8192, 128]);
  assert.match(io.message, /flush sequence .* failed with -EIO: its data completed but is not durable/);
  assert.deepEqual(io.evidence.map((e) => e.action), ['Q', 'C', 'C']);
  assert.deepEqual([r.devices[0]!.flushesFailed, r.devices[0]!.volatileAtEndWrites], [1, 1]);
});

test('hand-made: a write the block layer rejected before it became a request (Q, then C with -EINVAL) is a warning, not an error', async () => {
  const r = await checkFiles([paths('handmade-write-rejected-before-request.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), { 'io-error:warning': 1 });
  const w = r.findings.find((f) => f.rule === 'io-error')!;
  assert.deepEqual([w.details!['errno'], w.details!['sector']], [-22, 8193]);
  assert.match(w.message, /before it became a request/);
  // it never reached the device: only the first write is volatile
  assert.equal(r.devices[0]!.volatileAtEndWrites, 1);
});

test('hand-made: an empty `WBS` flush (3.x, as in wild 06) is no data barrier: a write dispatched before it completes is no barrier-not-drained', async () => {
  const r = await checkFiles([paths('handmade-empty-wbs-then-write.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), {});
  assert.deepEqual(tally(r.findings, true), { 'unflushed-at-end:info': 1 });
  assert.deepEqual([r.devices[0]!.cache, r.devices[0]!.flushesCompleted], ['writeback', 1]);
});

test('lab capture, dm-flakey error_writes (bio-based dm-0): each failed empty flush bio is a flush-failed error, each failed write an io-error error', async () => {
  const file = paths('flakey-error-writes-dm-0.blkparse.txt');
  const r = await checkFiles([file]);
  // oracle: 4 `C FWS 0 [65531]` (umount's flushes while flakey is down), 54 failed data writes
  const text = readFileSync(file, 'utf8');
  assert.equal(text.match(/ C +FWS 0 \[65531\]/g)!.length, 4);
  const failedWrites = text.match(/ C +W[A-Z]* \d+ \+ \d+ \[65531\]/g)!.length;
  assert.equal(failedWrites, 54);
  assert.deepEqual(tally(r.findings), { 'flush-failed:error': 4, 'io-error:error': 6 });
  assert.equal(r.findings.filter((f) => f.rule === 'io-error').reduce((n, f) => n + ((f.details!['more'] as number | undefined) ?? 1), 0), failedWrites);
  const ff = r.findings.filter((f) => f.rule === 'flush-failed');
  for (const f of ff) {
    assert.equal(f.details!['errno'], -5);
    assert.deepEqual(f.evidence.slice(0, 2).map((e) => `${e.action} ${e.rwbs}`), ['Q FWS', 'C FWS']);
  }
  assert.equal(r.devices[0]!.flushesFailed, 4);
});

test('hand-made: a read at the driver overlapping a write is no overlapping-writes-in-flight (the write twin is)', async () => {
  const r = await checkFiles([paths('handmade-read-overlaps-write.blkparse.txt')]);
  assert.deepEqual(tally(r.findings), {});
  const w = await checkFiles([checkFixture('overlapping-writes-in-flight.blkparse.txt')]);
  assert.deepEqual(tally(w.findings), { 'overlapping-writes-in-flight:warning': 1 });
});

test('--max-inflight 4 on a trace that shows only D (wild 22): the one cap holds there too, dropped counted', async () => {
  const r = await checkFiles([fx('tracepoint/wild-22-f2fs-loop-5.4-block_rq_issue.ftrace.txt')], {}, { maxInflight: 4 });
  assert.ok((r.skipped[CHECK_DROPPED_REASON] ?? 0) > 0, JSON.stringify(r.skipped));
  const open = r.findings.find((f) => f.details!['atDriver'] !== undefined);
  assert.ok(open === undefined || (open.details!['atDriver'] as number) <= 4, JSON.stringify(open?.details));
});

test('`D N 0` is passthrough and its bare `C N [0]` its completion, not an orphan (wild 11, 6.x): one orphan (the C before the trace), no flush', async () => {
  const r = await checkFiles([fx('blkparse/wild-11-ext4-sdc-annotated-remap-flush-2024.blkparse.txt')]);
  const d = r.devices[0]!;
  assert.equal(d.facts?.completionsWithoutIssue, 1, JSON.stringify(d.facts));
  assert.equal(d.facts?.flushesCompleted, 0);
  const orphan = r.findings.find((f) => f.rule === 'completion-without-issue')!;
  assert.match(orphan.message, /^1 completion had no issue/);
});
