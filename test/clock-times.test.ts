/**
 * One clock for the times a user gives back: `follow` prints, and `follow --time` / `check --at` take, the
 * report's reference clock (src/clock) that `check` and `report` print, so a time copied from one command
 * means the same instant in another. On real captures:
 *  - a finding's time from `check --json`, given to `follow --time` at its layer, device and sector, finds
 *    the request that finding's evidence names (same line in the trace), and follow's interval for that
 *    event holds the time check printed;
 *  - `follow` and `check` build the same clock (same reference, zero and offsets) from the same inputs;
 *  - `check --at T` (report's clock) gives the same snapshot, device by device, as `--at trace:T'` with T'
 *    the same instant in that device's own clock; on one blkparse input the two clocks coincide;
 *  - times outside the traces are usage errors, for both commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkAnalysis } from '../src/cli/check-analysis.js';
import { PassThrough } from 'node:stream';
import { followOnReportClock, runFollow } from '../src/cli/follow.js';
import { Output } from '../src/cli/output.js';
import { correlateFiles } from '../src/correlate-files.js';
import { sourceShift } from '../src/clock/clock-time.js';
import type { AtRisk } from '../src/check/types.js';
import type { Finding, Report } from '../src/model/report.js';
import type { EvidenceRef } from '../src/model/event.js';
import { ROOT, runCli } from './helpers/cli.js';
import { schemaErrors } from './helpers/schema.js';

const at = (rel: string) => join(ROOT, 'fixtures', rel);
const stack = (d: string): string[] => ['dm=guest/dm-0', 'md=guest/md0', 'virtio=guest/vda', 'virtio=guest/vdb'].map((x) => {
  const [layer, f] = x.split('=');
  return `${layer}=${at(`stacks/${d}/${f}.blkparse.txt.gz`)}`;
}).concat([`qemu=${at(`stacks/${d}/qemu-trace.log.gz`)}`, `host=${at(`stacks/${d}/host/loop1.blkparse.txt.gz`)}`, `host=${at(`stacks/${d}/host/loop2.blkparse.txt.gz`)}`]);

const CAPTURES: Record<string, string[]> = {
  // six block devices over QEMU cache=unsafe: 200 dropped flushes, with their writes' times at QEMU
  'stacks/vm-stack-unsafe-threads': stack('vm-stack-unsafe-threads'),
  // guest write-through over a volatile QEMU cache: flush-never-issued at the guest
  'stacks/vm-wc-writethrough-writeback': [
    `guest=${at('stacks/vm-wc-writethrough-writeback/guest/vda.blkparse.txt.gz')}`,
    `qemu=${at('stacks/vm-wc-writethrough-writeback/qemu-trace.log.gz')}`,
    `host=${at('stacks/vm-wc-writethrough-writeback/host/loop1.blkparse.txt')}`,
  ],
  // loop on loop, the lower one with barrier=0: flush-not-passed-down and fua-not-honored at the upper
  'scenarios/lol-bottom-nobarrier': [`upper=${at('scenarios/lol-bottom-nobarrier/loop2.blkparse.txt')}`, `lower=${at('scenarios/lol-bottom-nobarrier/loop1.blkparse.txt')}`],
  // one input, one layer (the guest's dm-0 → md0 → vda, vdb in one tracefs stream, uptime clock, followed
  // by its remaps): unflushed-at-end at md0
  'stacks/vm-stack-flakey-drop/guest': [at('stacks/vm-stack-flakey-drop/guest/ftrace-blk-classic.txt.gz')],
};

/** A read or write the evidence names, on the finding's own layer, with a time on the report's clock. */
function dataEvidence(report: Report, f: Finding): EvidenceRef[] {
  const mine = new Set(report.inputs.filter((i) => i.layer === f.layer).map((i) => i.path));
  return f.evidence.filter((e) => mine.has(e.source) && e.time !== null && e.locKind === 'line'
    && (e.sector ?? -1) >= 0 && /[WR]/.test(e.rwbs ?? '') && !/^F/.test(e.rwbs ?? ''));
}

/** The follow --device for a finding's device: block devices as maj,min, QEMU's by its pointer. */
const followDevice = (f: Finding): string | undefined => f.device || undefined;

for (const [name, inputs] of Object.entries(CAPTURES)) {
  test(`${name}: each finding's time from check --json, given to follow --time, finds the finding's request at its layer`, async () => {
    const run = await checkAnalysis(inputs, { json: true });
    const loaded = await correlateFiles(inputs);
    const timed = run.findings.filter((f) => f.time !== null && dataEvidence(run.report, f).length > 0);
    assert.ok(timed.length > 0, 'the capture has timed findings about reads or writes');
    // the same inputs give follow the clock check printed with
    assert.deepEqual(clockOf(loaded.report), clockOf(run.report));
    // per rule, layer and device: the first and the last finding (the 200 dropped flushes are one incident)
    const groups = new Map<string, Finding[]>();
    for (const f of timed) groups.set(`${f.rule}|${f.layer}|${f.device}`, [...(groups.get(`${f.rule}|${f.layer}|${f.device}`) ?? []), f]);
    let followed = 0;
    for (const fs of groups.values()) {
      for (const f of new Set([fs[0]!, fs[fs.length - 1]!])) {
        // the event the finding is timed by, else its first timed read or write
        const evs = dataEvidence(run.report, f);
        const e = evs.find((x) => x.time === f.time) ?? evs[0]!;
        const r = followOnReportClock(loaded, { sector: e.sector!, layer: f.layer, device: followDevice(f), time: { clock: 'reference', seconds: e.time! } });
        assert.equal(r.error, undefined, `${f.id} ${f.rule}: ${r.error}`);
        const s = r.steps[0];
        assert.ok(s, `${f.id} ${f.rule} at ${f.layer} ${f.device} sector ${e.sector} @${e.time}: nothing found (${r.notes.join('; ')})`);
        assert.ok(s.sector <= e.sector! && e.sector! < s.sector + Math.max(1, s.sectors), `${f.id}: sector ${e.sector} in ${s.sector}+${s.sectors}`);
        const issue = /^(Q|D|I|G|request|issue)/i.test(e.action ?? '');
        const t = issue ? s.issue : s.complete;
        assert.equal(t.localLine, e.loc, `${f.id} ${f.rule}: follow found line ${t.localLine}, the finding's evidence is line ${e.loc}`);
        // one clock: follow's interval for that event holds the time check printed (to the ns)
        const [lo, hi] = t.ref;
        assert.ok(lo !== null && hi !== null && lo - 1e-9 <= e.time! && e.time! <= hi + 1e-9, `${f.id}: ${e.time} in ${lo}..${hi}`);
        // and as printed in the text (to the µs): the same request
        const shown = Number(e.time!.toFixed(6));
        const again = followOnReportClock(loaded, { sector: e.sector!, layer: f.layer, device: followDevice(f), time: { clock: 'reference', seconds: shown } });
        assert.equal((issue ? again.steps[0]?.issue : again.steps[0]?.complete)?.localLine, e.loc, `${f.id}: the µs-rounded ${shown} finds it too`);
        followed++;
      }
    }
    assert.ok(followed >= 1);
  });
}

function clockOf(r: Report): unknown {
  const c = r.clock!;
  return { reference: c.referenceSource, zero: c.zeroLocal, sources: c.sources.map((s) => [s.source, s.status, s.offsetSeconds ?? null, s.uncertaintySeconds ?? null]) };
}

test('the CLI end to end: a finding time printed by check --json finds its request with follow --time (exit 0); outside the trace, exit 2', async () => {
  const inputs = CAPTURES['stacks/vm-wc-writethrough-writeback']!;
  const c = await runCli(['check', '--json', ...inputs]);
  const doc = JSON.parse(c.stdout) as { findings: Finding[] };
  const f = doc.findings.find((x) => x.rule === 'flush-never-issued')!;
  const e = f.evidence.find((x) => x.time === f.time)!;
  const r = await runCli(['follow', '--json', ...inputs, '--layer', f.layer, '--device', f.device, '--sector', String(e.sector), '--time', String(f.time)]);
  assert.equal(r.code, 0, r.stderr);
  const fo = JSON.parse(r.stdout) as { steps: Array<{ complete: { localLine: number; ref: [number, number] } }>; clock: { referenceSource: string } };
  assert.equal(fo.steps[0]!.complete.localLine, e.loc);
  assert.equal(fo.clock.referenceSource, inputs[0]!.slice('guest='.length));
  // the text shows the same instant: the guest is the reference, so exactly the time check printed
  const text = await runCli(['follow', ...inputs, '--layer', f.layer, '--sector', String(e.sector), '--time', String(f.time)]);
  assert.match(text.stdout, new RegExp(`\\s${f.time!.toFixed(6)}\\s`));
  // trace:T is the guest's own clock: the finding's own time finds it too
  const own = await runCli(['follow', '--json', ...inputs, '--layer', f.layer, '--sector', String(e.sector), '--time', `trace:${e.localTime}`]);
  assert.equal((JSON.parse(own.stdout) as typeof fo).steps[0]!.complete.localLine, e.loc);
  for (const bad of ['1e6', '-0.5', 'trace:1e6', 'soon']) {
    const x = await runCli(['follow', ...inputs, '--layer', f.layer, '--sector', String(e.sector), '--time', bad]);
    assert.equal(x.code, 2, `--time ${bad}: ${x.stdout}`);
    assert.match(x.stderr, /^blkaudit: .*--time/m);
  }
});

test('follow on an untimed QEMU log: host is the reference, QEMU bounded through the clock map to it', async () => {
  const d = 'scenarios/qio-raw-none-threads';
  const loaded = await correlateFiles([`qemu=${at(`${d}/qemu-trace.log`)}`, `host=${at(`${d}/loop1.blkparse.txt`)}`]);
  const r = followOnReportClock(loaded, { sector: 256 });
  assert.deepEqual(r.steps.map((s) => s.level), ['qemu', 'qemu:jobs', 'host']);
  const [lo, hi] = r.steps[0]!.issue.ref;
  assert.ok(lo !== null && hi !== null && lo < hi);
  const host = r.steps[2]!;
  assert.equal(host.issue.ref[0], host.issue.ref[1], 'the reference source is exact');
  // the host is the reference: its own time minus the stack's zero
  assert.equal(host.issue.ref[0], Math.round((host.issue.local! - loaded.report.clock!.zeroLocal) * 1e9) / 1e9);
  assert.ok(hi! <= host.complete.ref[1]! + 1e-9 || lo! <= host.issue.ref[0]!, 'QEMU issued before the host completed');
  // --time on an order-only start layer: nothing to place it by, the order decides
  assert.equal(followOnReportClock(loaded, { sector: 256, time: { clock: 'reference', seconds: 0 } }).steps.length, 3);
});

/** The --at answers by layer and device, as comparable data (times apart). */
function snap(a: AtRisk[], keep: (x: AtRisk) => boolean = () => true): unknown {
  return a.filter(keep).map((x) => ({ dev: `${x.layer}:${x.device}`, writes: x.writes, bytes: x.bytes, ranges: x.ranges, ev: x.evidence.map((e) => `${e.source}:${e.loc}`), afterEnd: x.afterEnd }));
}

test('check --at on one blkparse input: the report clock and the trace clock coincide (first event at 0), as before', async () => {
  const inputs = [at('check/real/host-ext4-fsync/loop1.blkparse.txt')];
  // line 1167: C WS 263392 + 16 at 0.043659812, covered by the flush that completes at 0.043868848
  const ref = await checkAnalysis(inputs, { at: '0.0437' });
  const own = await checkAnalysis(inputs, { at: 'trace:0.0437' });
  assert.equal(ref.at[0]!.writes, 1);
  assert.deepEqual(snap(ref.at), snap(own.at));
  assert.equal(ref.at[0]!.time, 0.0437);
  assert.equal(own.at[0]!.time, 0.0437);
  assert.equal(ref.at[0]!.localTime, 0.0437);
});

test('check --at on a tracepoint stream (uptime clock): T on the report clock is T + its first event in its own', async () => {
  const inputs = [at('ftrace/raw-odirect-dsync.ftrace-blk.txt')];
  const base = await checkAnalysis(inputs, { cache: ['7,1=writeback'] });
  const zero = base.report.clock!.zeroLocal;
  assert.ok(zero > 800, `uptime clock: ${zero}`);
  // a moment with acknowledged writes waiting: half-way through each write → flush gap, found from the facts
  let found = 0;
  for (const T of [0.0005, 0.002, 0.004, 0.007, 0.01, 0.013]) {
    const ref = await checkAnalysis(inputs, { cache: ['7,1=writeback'], at: String(T) });
    const own = await checkAnalysis(inputs, { cache: ['7,1=writeback'], at: `trace:${(T + zero).toFixed(9)}` });
    assert.deepEqual(snap(ref.at), snap(own.at), `T=${T}`);
    assert.equal(ref.at[0]!.time, T);
    if (ref.at[0]!.writes > 0) found++;
  }
  assert.ok(found > 0, 'some of the moments have writes at risk');
});

test('check --at on a six-device stack: the report-clock answer equals each device\'s own-clock answer at the same instant', async () => {
  const d = 'scenarios/vm-stack-none-threads';
  const inputs = [
    `dm=${at(`${d}/dm-0.blkparse.txt.gz`)}`, `md=${at(`${d}/md0.blkparse.txt.gz`)}`, `virtio=${at(`${d}/vda.blkparse.txt.gz`)}`,
    `virtio=${at(`${d}/vdb.blkparse.txt.gz`)}`, `qemu=${at(`${d}/qemu-trace.log.gz`)}`, `host=${at(`${d}/loop1.blkparse.txt.gz`)}`, `host=${at(`${d}/loop2.blkparse.txt.gz`)}`,
  ];
  // 8.9 s on the report's clock (dm-0's, from the stack's first event, a host one): writes waiting at every level
  const T = 8.9;
  const ref = await checkAnalysis(inputs, { at: String(T), json: true });
  assert.deepEqual(ref.warnings, []);
  assert.equal(ref.at.length, 6, 'every block device of the stack answers');
  assert.ok(ref.at.some((a) => a.writes > 0), 'some device has writes at risk then');
  for (const a of ref.at) assert.ok(Math.abs(a.time! - T) < 1e-9, `${a.device}: ${a.time}`);
  // each source's own clock: the same instant gives the same answer at that source's devices
  for (const s of ref.report.inputs.filter((i) => i.devices?.length)) {
    const shift = sourceShift(ref.report.clock, s.path)!;
    const own = await checkAnalysis(inputs, { at: `trace:${(T + shift.shift).toFixed(9)}` });
    const mine = (x: AtRisk) => x.layer === s.layer && s.devices!.includes(x.device);
    assert.deepEqual(snap(ref.at, mine), snap(own.at, mine), s.path);
  }
  // 1 s: the host was traced, the guest's traces began later (at 8.48 s): said, not shown as "nothing at risk"
  const early = await checkAnalysis(inputs, { at: '1' });
  assert.deepEqual(early.at.map((a) => [a.layer, Boolean(a.beforeStart)]), [['dm', true], ['md', true], ['virtio', true], ['virtio', true], ['host', false], ['host', false]]);
  assert.ok(early.at.every((a) => a.time === 1));
  // the JSON document validates against the schema
  const doc = { schemaVersion: 2, findings: ref.findings, incidents: ref.report.incidents ?? [], devices: ref.devices, at: ref.at, clock: ref.report.clock, skipped: ref.report.skipped, limitations: [] };
  assert.deepEqual(schemaErrors('check', doc), []);
});

test('check --at outside the traces is a usage error, on either clock', async () => {
  const F = at('check/real/host-ext4-fsync/loop1.blkparse.txt');
  for (const bad of ['99', 'trace:99', '-1', 'trace:-1', 'soon', 'trace:']) {
    const r = await runCli(['check', '--at', bad, F]);
    assert.equal(r.code, 2, `--at ${bad}: ${r.stdout}`);
    assert.match(r.stderr, /^blkaudit: --at/m);
  }
  const r = await runCli(['check', '--at', '99', F]);
  assert.match(r.stderr, /after the end of the traces \(their last event is at 0\.\d{6} s on the report's clock\)/);
});

test('check --at on a stack whose lower clock could not be aligned: that input is left out with a warning; trace: answers it', async () => {
  const d = 'scenarios/lol-bottom-nobarrier';
  // a map that sends every upper sector past the lower device: nothing matches, no clock offset
  const inputs = [`upper=${at(`${d}/loop2.blkparse.txt`)}`, `lower=${at(`${d}/loop1.blkparse.txt`)}`];
  const ref = await checkAnalysis(inputs, { at: '0.005', map: ['upper=+1000000000000'] });
  assert.deepEqual(ref.at.map((a) => a.layer), ['upper']);
  assert.equal(ref.warnings.length, 1);
  assert.match(ref.warnings[0]!, /loop1\.blkparse\.txt is not on the report's clock .*--at trace:SECONDS/);
  const own = await checkAnalysis(inputs, { at: 'trace:0.005', map: ['upper=+1000000000000'] });
  assert.deepEqual(own.at.map((a) => [a.layer, a.time === null]), [['upper', false], ['lower', true]]);
  assert.equal(own.at[1]!.localTime, 0.005);
  // and follow: a start layer off the report's clock asks for trace:, which finds its request
  const fo = (time: string) => runFollow(inputs, { sector: '1442056', layer: 'lower', time, map: ['upper=+1000000000000'] }, new Output(new PassThrough()));
  await assert.rejects(fo('0.005'), /lower is not on the reference clock .*--time trace:SECONDS/);
  assert.equal(await fo('trace:0.005'), 0);
});

test('check --at on standard input: the report clock would need a second reading, so exit 2 naming trace:; trace:T answers from the one reading', async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(join(ROOT, 'fixtures/check/real/host-ext4-fsync/loop1.blkparse.txt'));
  const r = await runCli(['check', '--at', '0.01', '-'], text);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /standard input can be read only once: give --at trace:SECONDS/);
  const t = await runCli(['check', '--json', '--at', 'trace:0.01', '-'], text);
  assert.equal(t.code, 0, t.stderr);
  const j = JSON.parse(t.stdout) as { at: Array<{ device: string; writes: number }> };
  assert.deepEqual(j.at.map((a) => [a.device, a.writes]), [['7,1', 1]]);
});
