/**
 * Published traces collected in the second wild sweep (fixtures/wild2, origins in its README): each pins
 * what blkaudit got wrong on it before, from the kernel's semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyze } from '../src/index.js';
import { stackedLinks } from '../src/cli/stacked.js';
import { checkFiles, tally } from './helpers/check-run.js';
import { ROOT, runCli } from './helpers/cli.js';

const fx = (f: string) => join(ROOT, 'fixtures/wild2', f);
const SPARK = fx('spark-btrfs-sda3-partition-trace-flush-requeue.blkparse.txt');

test('a requeued flush request (`D FN`, `R FN 0 [0]`, `D FN`, `C FN 0`) is re-dispatched, not left at the driver: its C covers the writes completed before the second D', async () => {
  const r = await checkFiles([SPARK]);
  const d = r.devices.find((x) => x.device === '8,3')!;
  assert.equal(d.facts?.flushesCompleted, 2, JSON.stringify(d.facts));
  // C WSM 3459072 + 8 completed between the R and the second D FN, whose C FN made it durable: nothing unflushed
  assert.equal(r.findings.filter((f) => f.rule === 'unflushed-at-end').length, 0, JSON.stringify(r.findings.map((f) => f.message)));
  const open = r.findings.find((f) => f.rule === 'requests-in-flight-at-end')!;
  assert.equal(open.details!['flushRequests'], 0, JSON.stringify(open.details));
  assert.deepEqual(tally(r.findings), {});
});

test('a partition traced before 5.12 (A printed under the disk, the partition\'s Q at the disk\'s sector): one device, not a stack whose lower level is "undecided"', async () => {
  const report = await analyze([SPARK], { stages: ['check'], stageOptions: { check: {} } });
  assert.deepEqual(stackedLinks(report), []);
  assert.match(report.inputs[0]!.limitations.join('\n'), /8,0 appears only in remap events from 8,3 \(9 of 9 followed at once by 8,3's Q .*a partition traced on a kernel before 5\.12/);
  const cli = await runCli(['check', '--json', SPARK]);
  assert.equal(cli.code, 0, cli.stderr);
  const out = JSON.parse(cli.stdout) as { findings: Array<{ rule: string; message: string }> };
  assert.deepEqual(out.findings.filter((f) => f.rule === 'cross-layer-undecided').map((f) => f.message), []);
});

test('ftrace options/stacktrace: `<stack trace>` and ` => func` lines (2.6.32, CentOS 6.5) are counted as stack lines, not unreadable', async () => {
  const report = await analyze([fx('hustcat-centos6.5-2.6.32-tpoint-stacktrace.ftrace.txt')], { stages: ['stats'] });
  assert.equal(report.inputs[0]!.format, 'tracepoint');
  assert.equal(report.inputs[0]!.events, 2);
  assert.deepEqual(report.skipped, { 'ftrace: stack trace line (options/stacktrace)': 12, 'track: requests in flight at end of trace': 2 });
});

test('blkparse live mode prints per-CPU blocks out of time order (each CPU\'s own events in order): no run breaks there, nothing open is forgotten', async () => {
  const file = fx('spark-btrfs-sda3-live-per-cpu-blocks.blkparse.txt');
  const report = await analyze([file], { stages: ['check'], stageOptions: { check: {} } });
  // the reader still counts every line earlier than the latest before it
  assert.equal(report.skipped['time went backwards'], 28);
  const r = await checkFiles([file]);
  const d = r.devices.find((x) => x.device === '8,3')!;
  assert.equal(d.facts?.timeReversals, 0, JSON.stringify(d.facts));
  assert.equal(r.findings.filter((f) => f.details?.['discontinuities'] !== undefined).length, 0);
  // 48 completions: 38 whose Q and D are not above them in the file (before the excerpt, or on a CPU block printed later)
  assert.equal(d.facts?.completionsWithoutIssue, 38);
  assert.deepEqual(tally(r.findings), {});
});

test('trace-cmd report lines cut to `SECS.USECS: event: body` (linux-xfs 2019): read with their times, the split bio\'s pieces each matched', async () => {
  const file = fx('linux-xfs-2019-trace-cmd-time-only-context-split.trace-cmd.txt');
  const report = await analyze([file], { stages: ['stats', 'check'], stageOptions: { check: {} } });
  assert.equal(report.inputs[0]!.format, 'tracepoint');
  assert.equal(report.inputs[0]!.events, 20);
  assert.deepEqual(report.skipped, { 'other-event: bprint': 10, 'other-event: console': 1 });
  assert.match(report.inputs[0]!.limitations.join('\n'), /no task or CPU column/);
  const r = await checkFiles([file]);
  const d = r.devices[0]!;
  assert.equal(d.device, '8,80');
  assert.equal(d.facts?.completionsWithoutIssue, 0);
  assert.equal(d.facts?.timeReversals, 0);
  assert.deepEqual(tally(r.findings, true), {});
});

test('an empty flush bio failing with -EIO after the flush request that served it completed without error (4.19, stale fq->rq_status): a warning that the device flushed, not a flush-failed error', async () => {
  const file = fx('linux-block-2021-4.19-flush-ok-bio-eio-stale-rq_status.ftrace.txt');
  const r = await checkFiles([file]);
  assert.deepEqual(tally(r.findings, true), { 'flush-failed:warning': 1 });
  const f = r.findings[0]!;
  assert.equal(f.details!['deviceFlushOk'], true);
  assert.equal(f.details!['errno'], -5);
  assert.match(f.message, /^An empty flush bio failed with -EIO although the flush request that served it completed without error/);
  assert.equal(r.devices[0]!.facts?.flushesCompleted, 1);
  assert.equal(r.devices[0]!.facts?.flushesFailed, 0);
  const cli = await runCli(['check', file]);
  assert.equal(cli.code, 0, cli.stdout);
});

test('reads queued with no completion (io_uring excerpt, two runs pasted on one CPU): no "undecided" flush-never-issued note — reads hold no commit point — and the second run breaks the first', async () => {
  const file = fx('io-uring-2025-sqpoll-two-runs-reads-Q-G-only.blkparse.txt');
  const r = await checkFiles([file]);
  assert.equal(r.findings.filter((f) => f.rule === 'flush-never-issued').length, 0, JSON.stringify(r.findings.map((f) => f.message)));
  const d = r.devices[0]!;
  // CPU 1 goes from 0.016028795 (seq 49942) back to 0.001414021 (seq 4931): its own step back, a new run
  assert.equal(d.facts?.timeReversals, 1);
  assert.deepEqual(tally(r.findings), {});
});

test('rwbs `U` (REQ_ATOMIC, 6.16+): `WFSU` is read as a FUA write, durable at its completion; only the plain `WS` of the second pasted run is left unflushed', async () => {
  const file = fx('linux-block-2025-REQ_ATOMIC-U-rwbs-two-runs.ftrace.txt');
  const report = await analyze([file], { stages: ['check'], stageOptions: { check: {} } });
  assert.equal(report.inputs[0]!.events, 4);
  // the author's "<W/O REQ_ATOMIC>" and "=====" lines between the two runs
  assert.equal(report.skipped['tracepoint: not an event line'], 2);
  const r = await checkFiles([file]);
  const u = r.findings.find((f) => f.rule === 'unflushed-at-end')!;
  assert.match(u.message, /^1 completed write \(16 KiB\)/);
  assert.equal(r.devices[0]!.facts?.timeReversals, 1);
});

test('bcache writeback to the backing device with no flush after it (LKML 2019, 4.x): the trace ends 1 ms later, so information, not a verdict; the empty flush bio with no flush request is undecided, and said so', async () => {
  const file = fx('lkml-2019-bcache-writeback-backing-no-flush.blkparse.txt');
  const r = await checkFiles([file]);
  // nothing is an error or a warning: a flush after the excerpt may have come (the poster's claim needs the cache device's
  // metadata update too), and a Q FWS completing with no D FN in a cut excerpt is not proof the block layer dropped it
  assert.deepEqual(tally(r.findings), {});
  const u = r.findings.find((f) => f.rule === 'unflushed-at-end')!;
  // C WS 16 + 32 (before the excerpt's first Q), C WSM 8 + 8, the writeback W 16 + 32 and the two superblock writes
  assert.equal(u.details!['writes'], 5);
  assert.equal(u.details!['bytes'], 44 * 1024);
  // the trace shows a flush bio (Q FWS … C FWS 16 [0]): "no flush at all" would misstate it
  assert.match(u.message, /\(no flush request completed on this device, though flush or FUA bios were sent to it\)/);
  const s = r.findings.find((f) => f.rule === 'flush-flags-stripped')!;
  assert.equal(s.severity, 'info');
  assert.equal(r.devices[0]!.facts?.flushesCompleted, 0);
  assert.equal(r.devices[0]!.facts?.completionsWithoutIssue, 2);
  const cli = await runCli(['check', file]);
  assert.equal(cli.code, 0, cli.stdout);
});

test('a -f format without %a (a capture of one action, `blktrace -a complete | blkparse -f "%T.%t %d %S %n\\n"`): the refusal says how to give it (-F C,…), and that reads it', async () => {
  const { compileOptions, parseFormatOption } = await import('../src/formats/blkparse-custom/format-string.js');
  assert.throws(() => compileOptions(parseFormatOption('%T.%t %d %S %n\\n')), /give it as -F, e\.g\. "-F 'C,%T\.%t %d %S %n\\n'"/);
  const [c] = compileOptions(parseFormatOption("-F 'C,%T.%t %d %S %n\\n'"));
  assert.equal(c!.letters, 'C');
});
