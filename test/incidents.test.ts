/**
 * Incidents and the one reference clock (issue 14), end to end through the CLI
 * on real captures in fixtures/scenarios, and unit by unit on small Reports:
 *  - vm-unsafe-threads (QEMU cache=unsafe): `check` fits one screen, opens with
 *    one incident naming QEMU and the 104 flushes, shows no epoch second and no
 *    -1 time; --all lists all 104; --json keeps the 104 findings with ids and
 *    groups them into that one incident;
 *  - vm-none-threads (clean): the first line says so;
 *  - qio-raw-unsafe-threads (qemu-io: no timestamps): the untimed finding is
 *    placed by order ("order 6 of 40"), never at -1;
 *  - grouping by cause, severity order, worst member; the reference clock's
 *    offsets, identity pairs, broken chains and untimed layers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import { groupIncidents } from '../src/incidents/group.js';
import { buildReferenceClock } from '../src/clock/reference.js';
import { placeOnReferenceClock } from '../src/clock/place.js';
import { timeMark } from '../src/model/time-mark.js';
import type { Finding, Incident, Report } from '../src/model/report.js';

const S = (name: string, file: string) => join(ROOT, 'fixtures/scenarios', name, file);
const vm = (name: string) => [`guest=${S(name, 'vda.blkparse.txt')}`, `qemu=${S(name, 'qemu-trace.log')}`, `host=${S(name, 'loop1.blkparse.txt')}`];

/** An epoch second (a realtime clock printed raw), or -1 standing for a missing time. */
const EPOCH = /\b1[5-9]\d{8}\.\d/;
const MINUS_ONE = /(^|[\s(@])-1(\.0+)?( s)?\b/m;

interface CheckDoc {
  schemaVersion: number;
  findings: Finding[];
  incidents: Incident[];
  clock: Report['clock'];
}

test('vm-unsafe-threads: check opens with one incident naming QEMU and the 104 flushes, on one screen, on one clock', async () => {
  const r = await runCli(['check', ...vm('vm-unsafe-threads')]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.length <= 60, `${lines.length} lines: more than one screen`);
  assert.match(lines[0]!, /^blkaudit check: promises broken — 1 incident\(s\) from 104 error\(s\), 0 warning\(s\), 1 info$/);
  const first = lines.findIndex((l) => /^ {2}i\d+ /.test(l));
  assert.ok(first > 0 && first < 5, 'the incidents come first');
  assert.match(lines[first]!, /^ {2}i1 ERROR flush-not-passed-down ×104 {2}qemu 0x[0-9a-f]+$/);
  const sentence = lines.slice(first + 1).join(' ').replace(/\s+/g, ' ').trim();
  assert.match(sentence, /^QEMU \(cache=unsafe, inferred: 104 flush request\(s\) .* with no host flush job in the trace\) acknowledged 104 guest flushes between (\d+\.\d{6}) s and (\d+\.\d{6}) s ± \d+ µs; none reached host loop1 \(7,1\); the worst left 130 acknowledged writes not durable at qemu:jobs\./);
  assert.ok(!EPOCH.test(r.stdout), 'no epoch second');
  assert.ok(!MINUS_ONE.test(r.stdout), 'no -1 time');
  // the inferred cache mode is a fact of the stack, not among what the inputs cannot show
  const cannot = r.stdout.slice(r.stdout.indexOf('What these inputs cannot show'));
  assert.ok(!/cache=unsafe/.test(cannot), cannot);
  assert.match(r.stdout, /^ {2}qemu {3}0x[0-9a-f]+(, 0x[0-9a-f]+)*; cache=unsafe \(inferred: /m);
  // QEMU's evidence keeps its own time as wall-clock time of day, the reference time beside it
  assert.match(r.stdout, /qemu-trace\.log:108 {2}\d+\.\d{6} s ± \d+ µs {2}@\d\d:\d\d:\d\d\.\d{6} UTC {2}complete F {2}— flush acknowledged/);
  // an unaligned layer's evidence in its own clock, saying so
  assert.match(r.stdout, /loop1\.blkparse\.txt:742 {2}@5\.646709214 \(host clock\) {2}C WS 0 \+ 8/);

  const all = await runCli(['check', '--all', ...vm('vm-unsafe-threads')]);
  const members = all.stdout.split('\n').filter((l) => /^ {5}finding f\d+ at /.test(l));
  assert.equal(members.length, 105, 'every finding listed with --all');
  assert.equal(members.filter((l) => / ± \d+ µs$/.test(l)).length, 104, 'the 104 QEMU findings on the reference clock');
  assert.ok(!EPOCH.test(all.stdout) && !MINUS_ONE.test(all.stdout));
});

test('vm-unsafe-threads: --json keeps all 104 findings with ids and groups them into one incident', async () => {
  const r = await runCli(['check', '--json', ...vm('vm-unsafe-threads')]);
  const doc = JSON.parse(r.stdout) as CheckDoc;
  assert.equal(doc.schemaVersion, 2);
  const broken = doc.findings.filter((f) => f.rule === 'flush-not-passed-down');
  assert.equal(broken.length, 104);
  assert.deepEqual(doc.findings.map((f) => f.id), doc.findings.map((_, i) => `f${i + 1}`));
  const errors = doc.incidents.filter((i) => i.severity === 'error');
  assert.equal(errors.length, 1);
  const inc = errors[0]!;
  assert.equal(inc.count, 104);
  assert.deepEqual(inc.members, broken.map((f) => f.id));
  assert.equal(inc.first, broken[0]!.id);
  const nd = (f: Finding) => f.details!['notDurable'] as number;
  assert.equal(nd(broken.find((f) => f.id === inc.worst)!), Math.max(...broken.map(nd)));
  assert.equal(inc.firstTime, broken[0]!.time);
  assert.equal(inc.lastTime, broken[103]!.time);
  // every time on the reference clock: guest and QEMU placed, from the stack's first event; the host not aligned
  assert.equal(doc.clock!.reference, 'guest');
  assert.deepEqual(doc.clock!.layers.map((l) => l.status), ['reference', 'placed', 'unaligned']);
  for (const f of broken) {
    assert.ok(f.time !== null && f.time > 0 && f.time < 10, `${f.id} at ${f.time}`);
    assert.ok(f.localTime! > 1.7e9, 'QEMU realtime kept as localTime');
    assert.ok(f.timeUncertainty! > 0 && f.timeUncertainty! < 1e-4);
    for (const e of f.evidence) assert.ok(e.time !== null && e.time >= 0, `evidence of ${f.id} placed`);
  }
  const host = doc.findings.find((f) => f.layer === 'host')!;
  assert.equal(host.time, null, 'an unaligned layer has no reference time');
  assert.ok(Math.abs(host.localTime! - 5.646709214) < 1e-9);
  assert.ok(!JSON.stringify(doc.findings).includes('"time":-1'));
});

test('vm-none-threads (clean): the first line says so; all three layers on one clock', async () => {
  const r = await runCli(['check', ...vm('vm-none-threads')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0]!, /^blkaudit check: clean — no broken promise found \(0 error\(s\), 0 warning\(s\), \d+ info\)$/);
  assert.ok(!EPOCH.test(r.stdout) && !MINUS_ONE.test(r.stdout));
  const rep = await runCli(['report', ...vm('vm-none-threads')]);
  assert.match(rep.stdout.split('\n')[0]!, /^blkaudit report: clean — no broken promise found/);
  const doc = JSON.parse((await runCli(['check', '--json', ...vm('vm-none-threads')])).stdout) as CheckDoc;
  assert.deepEqual(doc.clock!.layers.map((l) => l.status), ['reference', 'placed', 'placed']);
  // time 0 is the stack's first event: no placed time before it, one at it
  const times = doc.findings.flatMap((f) => f.evidence.map((e) => e.time)).filter((t): t is number => t !== null);
  assert.ok(times.every((t) => t >= 0));
});

test('qio-raw-unsafe-threads: an untimed QEMU log is placed by order, never at -1', async () => {
  const args = [`qemu=${S('qio-raw-unsafe-threads', 'qemu-trace.log')}`, `host=${S('qio-raw-unsafe-threads', 'loop1.blkparse.txt')}`];
  const r = await runCli(['check', ...args]);
  assert.equal(r.code, 1);
  assert.ok(!MINUS_ONE.test(r.stdout), r.stdout);
  assert.match(r.stdout, /acknowledged 1 FUA write at event 6 of 40 \(untimed: by order\)/);
  assert.match(r.stdout, /qemu-trace\.log:10 {2}order 10 of 40 {2}complete WF 256 \+ 8/);
  const doc = JSON.parse((await runCli(['check', '--json', ...args])).stdout) as CheckDoc;
  const f = doc.findings.find((x) => x.rule === 'fua-not-honored')!;
  assert.equal(f.time, null);
  assert.deepEqual(f.order, { n: 6, of: 40 });
  assert.equal(doc.clock!.reference, 'host');
  assert.equal(doc.clock!.layers.find((l) => l.layer === 'qemu')!.status, 'order-only');
});

// ---- units ----

function finding(over: Partial<Finding>): Finding {
  return { rule: 'flush-not-passed-down', severity: 'error', layer: 'qemu', device: 'd', time: 1, message: 'm', evidence: [], ...over };
}

function report(findings: Finding[], extra: Partial<Report> = {}): Report {
  return {
    schemaVersion: 2, generator: { name: 'blkaudit', version: 't' }, inputs: [], layers: [], devices: [], findings, alignment: [],
    skipped: {}, diagnostics: [], attachments: {}, ...extra,
  };
}

test('grouping: rule, severity, layer, device and cause; most severe first; the worst member by writes not durable', () => {
  const r = report([
    finding({ time: 3, details: { lower: 'qemu:jobs:d', notDurable: 2 } }),
    finding({ time: 1, details: { lower: 'qemu:jobs:d', notDurable: 5 } }),
    finding({ time: 2, details: { lower: 'other:d', notDurable: 1 } }),
    finding({ rule: 'unflushed-at-end', severity: 'info', layer: 'host', time: 0 }),
    finding({ rule: 'io-error', severity: 'warning', layer: 'host', time: 0.5 }),
    finding({ rule: 'io-error', severity: 'info', layer: 'host', time: 0.6 }),
  ]);
  const inc = groupIncidents(r);
  assert.deepEqual(r.findings.map((f) => [f.id, f.rule, f.time]), [
    ['f1', 'flush-not-passed-down', 1], ['f2', 'flush-not-passed-down', 2], ['f3', 'flush-not-passed-down', 3],
    ['f4', 'io-error', 0.5], ['f5', 'unflushed-at-end', 0], ['f6', 'io-error', 0.6],
  ]);
  assert.deepEqual(inc.map((i) => [i.id, i.rule, i.severity, i.count, i.cause, i.members.join(' ')]), [
    ['i1', 'flush-not-passed-down', 'error', 2, 'lower=qemu:jobs:d', 'f1 f3'],
    ['i2', 'flush-not-passed-down', 'error', 1, 'lower=other:d', 'f2'],
    ['i3', 'io-error', 'warning', 1, '', 'f4'],
    ['i4', 'unflushed-at-end', 'info', 1, '', 'f5'],
    ['i5', 'io-error', 'info', 1, '', 'f6'],
  ]);
  assert.equal(inc[0]!.worst, 'f1', 'most writes left not durable');
  assert.equal(inc[0]!.first, 'f1');
  assert.equal(inc[0]!.lastTime, 3);
  assert.deepEqual(r.incidents, inc);
  // a finding's own sentence stands for a one-member incident of a rule without a sentence of its own
  assert.equal(inc[3]!.summary, 'm');
});

test('reference clock: every file its own clock, placed along aligned pairs (tightest path), identity pairs, a broken edge, an untimed log', () => {
  const input = (path: string, layer: string, first: number, extra = {}) => ({ path, layer, format: 'blkparse', detectedBy: '', bytes: 0, events: 9, gzip: false, clock: 'relative', limitations: [], firstTime: first, ...extra });
  const r = report([], {
    inputs: [
      input('dm.txt', 'g', 0.5, { devices: ['252,0'] }), input('vda.txt', 'g', 0.2, { devices: ['254,0'] }),
      input('q.log', 'q', 3, { format: 'qemu-log', clockBase: 1.7e9 }),
      input('loop1.txt', 'h', 0.1, { devices: ['7,1'] }), input('loop2.txt', 'h', 0, { devices: ['7,2'] }),
      input('qio.log', 'x', 0, { format: 'qemu-log', orderOnly: true, firstTime: undefined }),
    ],
    layers: ['g', 'q', 'h', 'x'].map((name) => ({ name, inputs: [], devices: [] })),
    alignment: [
      { upper: 'g:252,0', lower: 'g:254,0', method: 'causal-offset', offsetSeconds: -0.25, widthSeconds: 2e-5 },
      { upper: 'g:254,0', lower: 'q:d', method: 'causal-offset', offsetSeconds: 2.25, widthSeconds: 4e-5 },
      // a looser direct path to q must not win over the tighter one through vda
      { upper: 'g:252,0', lower: 'q:d', method: 'causal-offset', offsetSeconds: 2.0004, widthSeconds: 1e-3 },
      { upper: 'q:d', lower: 'q:d', method: 'identity' },
      { upper: 'q:d', lower: 'h:7,1', method: 'causal-offset', offsetSeconds: -2.5, widthSeconds: 6e-5 },
      { upper: 'q:d', lower: 'h:7,2', method: 'none', note: 'no pair matched' },
    ],
    correlation: {
      levels: [
        { name: 'g', layer: 'g', device: '252,0', role: 'block' }, { name: 'g 254,0', layer: 'g', device: '254,0', role: 'block' },
        { name: 'q', layer: 'q', device: 'd', role: 'qemu-front' }, { name: 'q:jobs', layer: 'q', device: 'd', role: 'qemu-back' },
        { name: 'h', layer: 'h', device: '7,1', role: 'block' }, { name: 'h 7,2', layer: 'h', device: '7,2', role: 'block' },
        { name: 'x', layer: 'x', device: 'blk:1', role: 'qemu-front', clock: 'order-only' },
      ],
      pairs: [], statements: [], limitations: [], qemu: [],
    },
  });
  const c = buildReferenceClock(r);
  assert.equal(c.referenceSource, 'dm.txt');
  const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-12;
  const src = (p: string) => c.sources.find((x) => x.source === p)!;
  assert.equal(src('dm.txt').status, 'reference');
  assert.ok(near(src('vda.txt').offsetSeconds, -0.25) && near(src('vda.txt').uncertaintySeconds, 1e-5));
  assert.ok(near(src('q.log').offsetSeconds, 2) && near(src('q.log').uncertaintySeconds, 3e-5), 'the tightest path: through vda');
  assert.ok(near(src('loop1.txt').offsetSeconds, -0.5) && near(src('loop1.txt').uncertaintySeconds, 6e-5));
  assert.equal(src('loop2.txt').status, 'unaligned');
  assert.match(src('loop2.txt').how, /not aligned \(q:d ↔ h:7,2: no pair matched\)/);
  assert.equal(src('qio.log').status, 'order-only');
  assert.deepEqual(c.layers.map((l) => l.status), ['reference', 'placed', 'unaligned', 'order-only']);
  // time 0: the earliest first event of a placed input, in dm.txt's clock: vda 0.2 + 0.25, q 3 − 2, loop1 0.1 + 0.5, dm 0.5
  assert.ok(near(c.zeroLocal, 0.45));
  // placing: a QEMU time stored with its base, a message's time mark, a finding on an unaligned file
  r.findings = [
    finding({ layer: 'q', device: 'd', time: 1.7e9 + 4, message: `at ${timeMark(2, 4)}`, evidence: [{ source: 'q.log', locKind: 'line', loc: 5, time: 1.7e9 + 4, device: 'q:d', action: 'complete', rwbs: 'F', sector: -1, bytes: 0 }] }),
    finding({ layer: 'h', device: '7,2', time: 0.25, message: `at ${timeMark(4, 0.25)}` }),
  ];
  placeOnReferenceClock(r);
  const [q, h] = r.findings;
  assert.equal(q!.time, 1.55);
  assert.equal(q!.localTime, 1.7e9 + 4);
  assert.ok(near(q!.timeUncertainty, 3e-5));
  assert.equal(q!.evidence[0]!.time, 1.55);
  assert.equal(q!.message, 'at 1.550000 s ± 30 µs');
  assert.equal(h!.time, null, 'loop2.txt holds 7,2: its own clock');
  assert.equal(h!.localTime, 0.25);
  assert.equal(h!.message, 'at 0.250000000 (h clock, not aligned)');
});

test('vm-stack-none-threads (clean, six block devices): the first line says so; the stack shows every device, the maps and every clock', async () => {
  const f = (n: string) => S('vm-stack-none-threads', n);
  const args = [
    `guest=${f('dm-0.blkparse.txt.gz')}`, `guest=${f('md0.blkparse.txt.gz')}`, `guest=${f('vda.blkparse.txt.gz')}`, `guest=${f('vdb.blkparse.txt.gz')}`,
    `qemu=${f('qemu-trace.log.gz')}`, `host=${f('loop1.blkparse.txt.gz')}`, `host=${f('loop2.blkparse.txt.gz')}`,
  ];
  const r = await runCli(['report', '--no-color', ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0]!, /^blkaudit report: clean — no broken promise found/);
  for (const d of ['md0 (9,0)', 'dm-0 (252,0)', 'vda (254,0)', 'vdb (254,16)', 'loop1 (7,1)', 'loop2 (7,2)']) assert.ok(r.stdout.includes(`device ${d}`), d);
  assert.match(r.stdout, /^ {2}clock alignment$/m);
  assert.ok(!EPOCH.test(r.stdout) && !MINUS_ONE.test(r.stdout));
  const doc = JSON.parse((await runCli(['check', '--json', ...args])).stdout) as CheckDoc;
  // each of the seven files is its own clock, every one placed on the guest's
  assert.equal(doc.clock!.sources.length, 7);
  assert.deepEqual(doc.clock!.sources.map((s) => s.status).sort(), ['placed', 'placed', 'placed', 'placed', 'placed', 'placed', 'reference']);
});
