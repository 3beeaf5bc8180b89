/**
 * `blkaudit check --each`: capture discovery by file name, and one NDJSON
 * record per capture from worker threads. The fleet is built from real
 * captures in fixtures/ laid out as the lab writes them (guest/, host/,
 * qemu-trace.log); expected counts and verdicts come from the corpus'
 * EXPECTED.json and MANIFEST (copied into fixtures/), and each record's
 * findings are checked against `blkaudit check --json` on the same inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, CORPUS_DIR, ROOT, runCli } from './helpers/cli.js';
import { makeFleet, put } from './helpers/fleet.js';
import { findCaptures } from '../src/fleet/discover.js';
import type { CaptureSummary, IncidentRecord } from '../src/fleet/summary.js';
import { tempDir } from './helpers/tmp.js';

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as CaptureSummary);
const serious = (s: CaptureSummary) => s.incidents.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.severity, f.layer, f.count]);

test('discovery: layers by file name — VM, qemu-io, host, dm/md stacks, per-CPU sets; no search below a capture', async (t) => {
  const root = tempDir('blkaudit-discover-');
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const f of ['a/vm/guest/vda.blkparse.txt', 'a/vm/qemu-trace.log', 'a/vm/host/loop1.blkparse.txt', 'a/vm/host/loop1.btt.txt',
    'a/qio/qemu-trace.log', 'a/qio/loop1.blkparse.txt',
    'b/hostcap/loop2.blkparse.txt', 'b/hostcap/loop1.blkparse.txt.gz', 'b/hostcap/sub/loop9.blkparse.txt',
    'b/stack/guest/vdb.blkparse.txt', 'b/stack/guest/md0.blkparse.txt', 'b/stack/guest/dm-0.blkparse.txt', 'b/stack/guest/vda.blkparse.txt',
    'b/stack/qemu-trace.log', 'b/stack/host/loop1.blkparse.txt', 'b/stack/host/loop2.blkparse.txt',
    'c/sets/blktrace/sda.blktrace.0', 'c/sets/blktrace/sda.blktrace.1', 'c/sets/capture.json',
    'd/notes/README.md']) put(root, f);
  const found = await findCaptures([join(root, 'a'), join(root, 'b'), join(root, 'c'), join(root, 'd')]);
  const view = found.map((c) => [c.name, c.inputs.map((i) => `${i.layer}=${i.path.slice(root.length + 1)}`)]);
  assert.deepEqual(view, [
    ['qio', ['qemu=a/qio/qemu-trace.log', 'host=a/qio/loop1.blkparse.txt']],
    ['vm', ['guest=a/vm/guest/vda.blkparse.txt', 'qemu=a/vm/qemu-trace.log', 'host=a/vm/host/loop1.blkparse.txt']],
    ['hostcap', ['=b/hostcap/loop1.blkparse.txt.gz', '=b/hostcap/loop2.blkparse.txt']],
    ['stack', ['guest-dm=b/stack/guest/dm-0.blkparse.txt', 'guest-md=b/stack/guest/md0.blkparse.txt', 'guest=b/stack/guest/vda.blkparse.txt',
      'guest=b/stack/guest/vdb.blkparse.txt', 'qemu=b/stack/qemu-trace.log', 'host=b/stack/host/loop1.blkparse.txt', 'host=b/stack/host/loop2.blkparse.txt']],
    ['sets', ['=c/sets/blktrace/sda']],
  ]);
  // a capture directory given itself has the name ""
  assert.deepEqual((await findCaptures([join(root, 'a/vm')])).map((c) => c.name), ['']);
});

test('check --each: one line per capture in path order, verdicts and counts as the corpus says, exit = the worst capture', async (t) => {
  const fleet = makeFleet();
  t.after(() => rmSync(fleet, { recursive: true, force: true }));
  const r = await runCli(['check', '--each', fleet]);
  assert.equal(r.code, 2, r.stderr); // hostC/garbage cannot be read
  const got = lines(r.stdout);
  assert.deepEqual(got.map((s) => [s.name, s.verdict, s.exit]), [
    ['hostA/ext4-nobarrier', 'undecided', 0],
    ['hostA/vm-none-threads', 'clean', 0],
    ['hostB/qio-raw-unsafe-threads', 'violation', 1],
    ['hostB/vm-unsafe-threads', 'violation', 1],
    ['hostC/garbage', 'unreadable', 2],
  ]);
  const by = Object.fromEntries(got.map((s) => [s.name, s]));
  // MANIFEST: 104 guest flushes acknowledged by QEMU (cache=unsafe) with no host flush
  assert.deepEqual(serious(by['hostB/vm-unsafe-threads']!), [['flush-not-passed-down', 'error', 'qemu', 104]]);
  assert.deepEqual(serious(by['hostB/qio-raw-unsafe-threads']!), [['fua-not-honored', 'error', 'qemu', 1]]);
  assert.deepEqual(serious(by['hostA/ext4-nobarrier']!), [['flush-never-issued', 'warning', '', 1]]);
  assert.deepEqual(serious(by['hostA/vm-none-threads']!), []);
  // EXPECTED.json counts (completed writes with data, C FN flushes)
  const counts = (s: CaptureSummary) => s.devices.map((d) => [d.layer, d.device, d.writesCompleted, d.flushesCompleted]);
  assert.deepEqual(counts(by['hostB/vm-unsafe-threads']!), [['guest', '254,0', 130, 104], ['host', '7,1', 13, 0]]);
  assert.deepEqual(counts(by['hostA/vm-none-threads']!), [['guest', '254,0', 129, 104], ['host', '7,1', 129, 89]]);
  assert.deepEqual(counts(by['hostA/ext4-nobarrier']!), [['', '7,1', 194, 0]]);
  assert.match(by['hostC/garbage']!.error!, /not a trace blkaudit can read/);
  assert.match(r.stderr, /5 capture\(s\): 1 clean, 1 undecided, 2 violation, 1 unreadable/);
  // a declaration applies to every capture that has the device
  const declared = lines((await runCli(['check', '--each', join(fleet, 'hostA'), '--cache', 'loop1=writeback'])).stdout);
  assert.deepEqual(declared.map((s) => [s.name, s.verdict]), [['ext4-nobarrier', 'violation'], ['vm-none-threads', 'clean']]);
});

test('check --each: each record has the incidents and counts check --json gives the same inputs', async (t) => {
  const fleet = makeFleet();
  t.after(() => rmSync(fleet, { recursive: true, force: true }));
  const got = lines((await runCli(['check', '--each', join(fleet, 'hostB'), join(fleet, 'hostA')])).stdout);
  assert.deepEqual(got.map((s) => s.name), ['qio-raw-unsafe-threads', 'vm-unsafe-threads', 'ext4-nobarrier', 'vm-none-threads']);
  for (const s of got) {
    const args = s.inputs.map((i) => (i.layer ? `${i.layer}=${i.path}` : i.path));
    const one = await runCli(['check', '--json', ...args]);
    assert.equal(one.code, s.exit, s.name);
    const doc = JSON.parse(one.stdout) as { findings: Array<{ severity: string }>; incidents: Array<IncidentRecord & { id: string; members: string[]; first: string; worst: string }> };
    // the report's own incidents, without the finding ids the record leaves out
    assert.deepEqual(s.incidents.map(({ name: _n, ...i }) => i), doc.incidents.map(({ id: _i, members: _m, first: _f, worst: _w, ...i }) => i), s.name);
    const sev = (x: string) => doc.findings.filter((f) => f.severity === x).length;
    assert.deepEqual([s.counts.errors, s.counts.warnings, s.counts.info], [sev('error'), sev('warning'), sev('info')], s.name);
    assert.equal(s.incidents.reduce((n, i) => n + i.count, 0), doc.findings.length, `${s.name}: every finding in one incident`);
  }
});

test('check --each: one worker or four give the same lines', async (t) => {
  const fleet = makeFleet();
  t.after(() => rmSync(fleet, { recursive: true, force: true }));
  const norm = (out: string) => lines(out).map((s) => ({ ...s, seconds: 0 }));
  const one = await runCli(['check', '--each', '--jobs', '1', fleet]);
  const four = await runCli(['check', '--each', '--jobs', '4', fleet]);
  assert.equal(one.code, four.code);
  assert.deepEqual(norm(one.stdout), norm(four.stdout));
});

test('check --each: usage errors exit 2', async (t) => {
  const fleet = makeFleet();
  t.after(() => rmSync(fleet, { recursive: true, force: true }));
  const notDir = await runCli(['check', '--each', join(fleet, 'hostA/ext4-nobarrier/loop1.blkparse.txt')]);
  assert.equal(notDir.code, 2);
  assert.match(notDir.stderr, /is not a directory/);
  const json = await runCli(['check', '--each', '--json', fleet]);
  assert.equal(json.code, 2);
  assert.match(json.stderr, /cannot be combined with --json/);
  const emptyDir = tempDir('blkaudit-empty-');
  t.after(() => rmSync(emptyDir, { recursive: true, force: true }));
  const empty = await runCli(['check', '--each', emptyDir]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /no capture found/);
  assert.equal((await runCli(['check', '--each', '--jobs', '0', fleet])).code, 2);
});

test('check --each | head: the reader going away stops the run quietly (exit 0, no summary)', async () => {
  const child = spawn(process.execPath, [BIN, 'check', '--each', '--jobs', '1', join(ROOT, 'fixtures/stacks')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /capture\(s\):/);
});

interface Expected {
  captures: Array<{
    name: string; inputs: string[]; counts: Record<string, unknown>; verdict?: 'clean' | 'violation'; rules?: string[];
    allowed_warnings?: string[]; inputs_verdict?: { verdict: 'undecided' };
  }>;
}

/**
 * --each over a directory whose EXPECTED.json lists each capture's inputs layer by layer: the same files in the
 * same order, cut into layers at the same places (EXPECTED names dm/md/virtio layers its own way), and the
 * per-device counts EXPECTED gives. Verdicts are the checker's and correlator's (test/check-corpus, correlate).
 */
async function sweep(root: string, verdicts = false): Promise<number> {
  const expected = JSON.parse(readFileSync(join(root, 'EXPECTED.json'), 'utf8')) as Expected;
  const r = await runCli(['check', '--each', root]);
  const got = new Map(lines(r.stdout).map((s) => [s.name, s]));
  assert.equal(got.size, expected.captures.length, r.stderr);
  let compared = 0;
  for (const c of expected.captures) {
    const s = got.get(c.name);
    assert.ok(s, `${c.name} found`);
    const split = (i: string) => (i.includes('=') ? [i.slice(0, i.indexOf('=')), i.slice(i.indexOf('=') + 1)] : ['', i]) as [string, string];
    const theirs = c.inputs.map(split);
    assert.deepEqual(s.inputs.map((i) => i.path), theirs.map(([, p]) => join(root, p)), c.name);
    const cuts = (ls: string[]) => ls.map((l, k) => (k > 0 && l !== ls[k - 1] ? 1 : 0));
    assert.deepEqual(cuts(s.inputs.map((i) => i.layer)), cuts(theirs.map(([l]) => l)), c.name);
    if (verdicts) {
      // the verdict EXPECTED gives these inputs (layer by layer: `inputs_verdict` where per-device files cannot decide)
      const want = c.inputs_verdict?.verdict ?? c.verdict;
      const warnings = s.incidents.filter((f) => f.severity === 'warning').map((f) => f.rule);
      const errors = s.incidents.filter((f) => f.severity === 'error').map((f) => f.rule);
      if (want === 'clean') {
        assert.deepEqual(errors, [], c.name);
        assert.ok(warnings.every((w) => (c.allowed_warnings ?? []).includes(w)), `${c.name}: ${warnings.join(', ')}`);
      } else if (want === 'undecided') assert.equal(s.verdict, 'undecided', c.name);
      else {
        assert.equal(s.verdict, 'violation', c.name);
        assert.ok(errors.every((r) => (c.rules ?? []).includes(r)), `${c.name}: ${errors.join(', ')}`);
      }
    }
    if (s.verdict === 'unreadable') continue;
    const layerName = new Map(s.inputs.map((i, k) => [i.layer, theirs[k]![0]]));
    const layered = Object.values(c.counts).some((v) => typeof (v as Record<string, unknown>)['writesCompleted'] !== 'number');
    for (const d of s.devices) {
      const want = (layered ? (c.counts[layerName.get(d.layer)!] as Record<string, unknown> | undefined)?.[d.device] : c.counts[d.device]) as
        { writesCompleted: number; flushesCompleted: number } | undefined;
      assert.ok(want, `${c.name}: EXPECTED counts for ${d.layer} ${d.device}`);
      assert.deepEqual([d.writesCompleted, d.flushesCompleted], [want.writesCompleted, want.flushesCompleted], `${c.name} ${d.layer} ${d.device}`);
      compared++;
    }
  }
  return compared;
}

test('check --each over fixtures/stacks: the inputs, layers, counts and verdicts its EXPECTED.json gives each capture', async () => {
  // 6 qemu-io + the silent loop0 blkparse names (qio-qcow2-ext4-unsafe) + 5 × 2 plain VM + 7 × 6 stacked VM devices
  // + 20 × 2 VMs on an image file / other guest filesystems / nobarrier + 2 × 3 VMs on loop over loop
  // + the 2 host loops of lol-dio + campaign 2: 2 × 7 RAID5 (md0, 3 legs, 3 loops), 2 × 3 dm-crypt, 2 × 5 dm-thin,
  // 2 × 5 dm-writecache + campaign 3: 13 × 2 VMs on scsi-hd / NVMe (guest sda or nvme0n1, host loop1) + 2 × 3 with a
  // second scsi-hd (host loop2) + campaign 4: 3 × 5 dm-raid1 (dm-0, 2 legs, 2 loops), 2 × 6 dm-snapshot (origin,
  // snapshot), 4 × 7 dm-cache (cache, metadata and cache-data linears), 2 × 5 dm-stripe + campaign 5: 13 × 2 VMs on
  // vmdk/vhdx/vdi/qed/luks/qcow2-lazy image files on host ext4 + 4 × 3 on a host btrfs RAID1 over loop1+loop2
  // + campaign 6: 27 × 2 plain VMs (guest vda or sda, host loop1: multi-queue, iothread, ext4 journal modes, discard,
  // no-flush, write-cache switches, werror, throttling, scsi-hd on an iothread) + 3 × 5 dm-stripe on one iothread
  // + session 15: 6 × 2 plain VMs (cache_type switched twice; scsi-hd and NVMe with 4 KiB logical blocks)
  // + 4 × 5 dm-raid1 over write-through legs (dm-0, 2 legs, 2 loops) + 4 × 2 plain VMs (the shared lab's writeback,
  // directsync, io_uring entries) + session 16: 11 × 3 QEMU block jobs (guest vda, host loop1 and loop2: mirror,
  // backup, snapshot, commit, stream) + 2 × 4 quorums (guest vda, host loop1-3) + session 17: 2 × 2 qcow2 overlays
  // over a backing file on one host ext4 + 3 × 2 guests on ext2 / ext3
  assert.equal(await sweep(join(ROOT, 'fixtures/stacks'), true), 442);
});

test('check --each over ../shared/corpus: the inputs, layers and counts EXPECTED.json gives each capture', { skip: !existsSync(join(CORPUS_DIR, 'EXPECTED.json')) }, async () => {
  assert.ok((await sweep(CORPUS_DIR)) >= 20);
});
