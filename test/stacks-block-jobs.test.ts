/**
 * QEMU block jobs and multi-file drivers (fixtures/stacks/vm-qmirror-*, vm-qbackup-none, vm-quorum-*: real
 * captures, ORIGIN.md in each): a drive whose host writes go to more than one protocol node. A completed
 * blockdev-mirror moves the guest's drive from host loop1 to loop2 mid-trace; the mirror's copies put the writes
 * made before the pivot on loop2 too, so the drive looked like it was over loop2 alone and every flush before the
 * pivot was "not passed down". The counts below are the lab's own (counts.json, count-blk.py), not blkaudit's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import type { Finding } from '../src/model/report.js';

/** What a cross-layer-undecided warning counts (correlate/correlator.ts settleAmbiguous). */
type Undecided = { undecided?: number; brokenOn?: string[] } | undefined;

const DIR = join(ROOT, 'fixtures/stacks');

interface Report {
  findings: Finding[];
  correlation?: { limitations?: string[] };
}

async function check(name: string, hosts: string[]): Promise<{ code: number | null; r: Report }> {
  const d = join(DIR, name);
  const res = await runCli(['check', '--json', `guest=${d}/guest/vda.blkparse.txt.gz`, `qemu=${d}/qemu-trace.log.gz`, ...hosts.map((h) => `host=${d}/host/${h}.blkparse.txt.gz`)]);
  assert.ok(res.stdout.length > 0, res.stderr);
  return { code: res.code, r: JSON.parse(res.stdout) as Report };
}

function labCounts(name: string): Record<string, { writes?: number; flushes?: number }> {
  return (JSON.parse(readFileSync(join(DIR, name, 'counts.json'), 'utf8')) as { devices: Record<string, { writes?: number; flushes?: number }> }).devices;
}

const brief = (fs: Finding[]) => fs.map((f) => `${f.severity} ${f.rule}@${f.layer} ${f.device}: ${f.message.slice(0, 140)}`).join('\n');

test('mirror completed mid-trace, target without flushes: exactly the flushes after the pivot are errors, whichever host devices are given', async () => {
  // direct I/O on both sides, both through the host page cache, active mirroring (copy-mode=write-blocking)
  const runs: Array<[string, string[][]]> = [
    ['vm-qmirror-pivot-noflush', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qmirror-pivot-writeback-unsafe', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qmirror-active-pivot-noflush', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
  ];
  for (const [name, forms] of runs) {
    const c = labCounts(name);
    const guestFlushes = c['guest:254,0']!.flushes!;
    const beforePivot = c['host:7,1']!.flushes!; // loop1 held the drive until the pivot; loop2 completes none
    assert.equal(c['host:7,2']!.flushes ?? 0, 0);
    for (const hosts of forms) {
      const { code, r } = await check(name, hosts);
      const errors = r.findings.filter((f) => f.severity === 'error');
      assert.equal(code, 1);
      assert.ok(errors.every((f) => f.rule === 'flush-not-passed-down'), brief(errors));
      assert.equal(errors.length, guestFlushes - beforePivot, `${name} ${hosts.join('+')}: the ${beforePivot} flushes before the pivot reached loop1\n${brief(errors.slice(0, 3))}`);
    }
  }
  const beforePivot = labCounts('vm-qmirror-pivot-noflush')['host:7,1']!.flushes!;
  // both devices given: the flushes before the pivot are kept on loop1 and not followed on loop2 (their writes are
  // not there: the mirror's copies are other writes), said as info; no warning
  const { r } = await check('vm-qmirror-pivot-noflush', ['loop1', 'loop2']);
  assert.deepEqual(r.findings.filter((f) => f.severity === 'warning'), []);
  const notFollowed = r.findings.filter((f) => f.rule === 'cross-layer-undecided' && (f.details as Undecided & { lower?: string })?.lower === 'host:7,2');
  assert.deepEqual(notFollowed.map((f) => [f.severity, (f.details as Undecided)?.undecided]), [['info', beforePivot]]);
  assert.ok((r.correlation?.limitations ?? []).some((l) => /went to 2 protocol nodes of QEMU/.test(l)), JSON.stringify(r.correlation?.limitations));
});

test('mirror completed mid-trace with flushes on both sides, mirror left ready, backup running, external snapshot, active commit, quorum: no error with any host device given', async () => {
  const runs: Array<[string, string[][]]> = [
    ['vm-qmirror-pivot-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qmirror-ready-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qmirror-pivot-writeback', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qmirror-active-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qbackup-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qsnap-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qcommit-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-qstream-none', [['loop1', 'loop2'], ['loop1'], ['loop2']]],
    ['vm-quorum-none', [['loop1', 'loop2', 'loop3'], ['loop2']]],
    ['vm-quorum-noflush1', [['loop1', 'loop2', 'loop3'], ['loop1', 'loop2']]],
  ];
  for (const [name, forms] of runs) {
    for (const hosts of forms) {
      const { code, r } = await check(name, hosts);
      const errors = r.findings.filter((f) => f.severity === 'error');
      assert.deepEqual(errors, [], `${name} ${hosts.join('+')}:\n${brief(errors)}`);
      assert.equal(code, 0, `${name} ${hosts.join('+')}`);
    }
  }
});

test('an overlay\'s raw backing alone given (block-stream): the device the drive only reads is not taken for the one under its writes', async () => {
  // loop1 holds the backing the drive reads (its reads match loop1's by sector), loop2 the overlay it writes,
  // not given: linked by elimination, loop1's trace (no write, no flush) read as "nothing passed down"
  const { code, r } = await check('vm-qstream-none', ['loop1']);
  assert.equal(code, 0, brief(r.findings));
  assert.deepEqual(r.findings.filter((f) => f.rule === 'flush-not-passed-down'), []);
  const lim = r.correlation?.limitations ?? [];
  assert.ok(lim.some((l) => /holds an image it only reads/.test(l)), JSON.stringify(lim));
  assert.ok(lim.some((l) => /no traced device there is left for its writes/.test(l)), JSON.stringify(lim));
});

test('a quorum child that drops its flushes: undecided (kept on the others), never an error; all children given', async () => {
  const { r } = await check('vm-quorum-noflush1', ['loop1', 'loop2', 'loop3']);
  const w = r.findings.filter((f) => f.rule === 'cross-layer-undecided' && f.severity === 'warning');
  assert.equal(w.length, 1, brief(r.findings));
  assert.deepEqual((w[0]!.details as Undecided)?.brokenOn, ['host:7,2']);
  assert.match(w[0]!.message, /hold if its data went to host:7,1 or host:7,3, not if it went to host:7,2/);
});

test('ambiguous candidates are settled promise by promise: an error stands only where the same promise is broken on each', async () => {
  const { settleAmbiguous } = await import('../src/correlate/correlator.js');
  const at = (time: number, lower: string) => ({
    rule: 'flush-not-passed-down', severity: 'error' as const, layer: 'qemu', device: 'jobs', time, message: `broken at ${time}`,
    evidence: [{ source: 'qemu-trace.log', locKind: 'line' as const, loc: time * 10, time, device: 'jobs', action: 'C', rwbs: 'F', sector: -1, bytes: 0 }],
    details: { lower },
  });
  const stats = (lower: string) => ({ lower } as unknown as Parameters<typeof settleAmbiguous>[0][number]['stats']);
  // each candidate breaks the promise the other keeps (a drive moved from one to the other): nothing stands
  const swapped = settleAmbiguous([{ findings: [at(1, 'host:7,1')], stats: stats('host:7,1') }, { findings: [at(2, 'host:7,2')], stats: stats('host:7,2') }]);
  assert.deepEqual(swapped.map((f) => [f.rule, f.severity]), [['cross-layer-undecided', 'warning']]);
  assert.equal((swapped[0]!.details as { undecided: number }).undecided, 2);
  assert.match(swapped[0]!.message, /2 of its promises are broken on some of host:7,1, host:7,2 and kept on others/);
  // promise 3 broken on both: it stands (once per candidate); promise 1, broken on one only, is undecided
  const mixed = settleAmbiguous([
    { findings: [at(1, 'host:7,1'), at(3, 'host:7,1')], stats: stats('host:7,1') },
    { findings: [at(3, 'host:7,2')], stats: stats('host:7,2') },
  ]);
  assert.deepEqual(mixed.map((f) => [f.severity, f.time]), [['error', 3], ['error', 3], ['warning', 1]]);
  assert.match(mixed[2]!.message, /a promise holds if its data went to host:7,2, not if it went to host:7,1/);
});
