/**
 * Real stack captures cut by an action mask (fixtures/masks: the events `blkparse -a queue -a complete` or
 * `-a queue` leave out removed): what the mask removed must make verdicts undecided, never broken. Before,
 * both clean captures below gave errors (exit 1); the violation kept must still be found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../src/model/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/blkaudit.js`;
const M = `${ROOT}fixtures/masks/`;
const S = `${ROOT}fixtures/stacks/`;

interface Dev { layer?: string; flushesCompleted: number; fuaWrites: number; writesCompleted: number; facts: { completionsWithoutIssue: number } }

function check(...inputs: string[]): { code: number | null; findings: Finding[]; devices: Dev[] } {
  const r = spawnSync(process.execPath, [BIN, 'check', '--json', ...inputs], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const j = JSON.parse(r.stdout) as { findings: Finding[]; devices: Dev[] };
  return { code: r.status, findings: j.findings, devices: j.devices };
}
const counts = (ds: Dev[]) => ds.map((d) => `${d.layer} ${d.flushesCompleted} flushes ${d.fuaWrites} fua ${d.writesCompleted} writes`);
const broken = (fs: Finding[]) => fs.filter((f) => f.severity !== 'info').map((f) => `${f.severity}:${f.rule}@${f.layer}`);

test('a guest traced without D (-a queue -a complete): its G/I show a request stage, an emulated FUA write is acknowledged at its final 0-byte completion — clean', () => {
  const r = check(`guest=${M}vm-none-native/vda.queue-complete.blkparse.txt.gz`, `qemu=${S}vm-none-native/qemu-trace.log.gz`,
    `host=${S}vm-none-native/host/loop0.blkparse.txt.gz`);
  assert.deepEqual(broken(r.findings), []);
  assert.equal(r.code, 0);
  // the guest's flushes are counted once: its flush requests' C FN, not again at the empty flush bios' C WS 0
  // (before: 166 completed flushes at the guest, against 105 with every action)
  const full = check(`guest=${S}vm-none-native/guest/vda.blkparse.txt.gz`, `qemu=${S}vm-none-native/qemu-trace.log.gz`,
    `host=${S}vm-none-native/host/loop0.blkparse.txt.gz`);
  assert.equal(full.code, 0);
  assert.deepEqual(counts(r.devices), counts(full.devices));
  assert.equal(r.devices[0]!.flushesCompleted, 105);
});

test('a guest traced with Q and C alone (tracepoints block_bio_queue + block_rq_complete): a FUA write completed without its FUA was emulated, and is acknowledged at its final completion — clean', () => {
  const r = check(`guest=${M}vm-none-native/vda.q-c.blkparse.txt.gz`, `qemu=${S}vm-none-native/qemu-trace.log.gz`,
    `host=${S}vm-none-native/host/loop0.blkparse.txt.gz`);
  // before: 43 fua-not-honored at the guest (no G or I to show the request stage)
  assert.deepEqual(broken(r.findings), []);
  assert.equal(r.code, 0);
  assert.equal(r.devices[0]!.flushesCompleted, 105);
  assert.equal(r.devices[0]!.fuaWrites, 44);
  // every 0-byte final completion ended its FUA write: the only completions without issue are the 105 flush
  // requests' (their D is not in the cut); a FUA write ended at its data would leave its final one an orphan
  assert.equal(r.devices[0]!.facts.completionsWithoutIssue, 105);
});

test('a host traced without completions (-a queue): its flushes were queued, what they made durable cannot be counted — undecided, not "none reached host"', () => {
  const r = check(`guest=${M}vm-file-raw-ext4-none/vda.queue.blkparse.txt.gz`, `qemu=${S}vm-file-raw-ext4-none/qemu-trace.log.gz`,
    `host=${M}vm-file-raw-ext4-none/loop1.queue.blkparse.txt.gz`);
  assert.deepEqual(broken(r.findings), []);
  assert.equal(r.code, 0);
});

test('a stack traced with completions only (-a complete): when the host\'s flushes were issued cannot be told — undecided, not "none reached host"', () => {
  const r = check(`guest=${M}vm-file-raw-ext4-none/vda.complete.blkparse.txt.gz`, `qemu=${S}vm-file-raw-ext4-none/qemu-trace.log.gz`,
    `host=${M}vm-file-raw-ext4-none/loop1.complete.blkparse.txt.gz`);
  assert.deepEqual(broken(r.findings), []);
  assert.equal(r.code, 0);
  assert.ok(r.findings.some((f) => f.rule === 'cross-layer-undecided' && /not one queue or issue event/.test(f.message)));
});

test('cut by -a queue -a complete, the host loop set write-through is still found (flush-not-passed-down, host)', () => {
  const r = check(`guest=${M}vm-file-raw-ext4-hostwt-none/vda.queue-complete.blkparse.txt.gz`,
    `qemu=${S}vm-file-raw-ext4-hostwt-none/qemu-trace.log.gz`, `host=${M}vm-file-raw-ext4-hostwt-none/loop1.queue-complete.blkparse.txt.gz`);
  assert.equal(r.code, 1);
  assert.ok(broken(r.findings).includes('error:flush-not-passed-down@qemu'), JSON.stringify(broken(r.findings)));
});

test('a nobarrier guest traced without completions (-a queue): flush-never-issued cannot be judged and says so (info, undecided); with every action it fires', () => {
  const cut = check(`${M}vm-nobarrier-none/vda.queue.blkparse.txt.gz`);
  assert.deepEqual(broken(cut.findings), []);
  const u = cut.findings.filter((f) => f.rule === 'flush-never-issued');
  assert.deepEqual(u.map((f) => [f.severity, f.details!['kind'], f.details!['missing'], f.details!['queued']]), [['info', 'undecided', 'C', 248]]);
  const full = check(`${S}vm-nobarrier-none/guest/vda.blkparse.txt.gz`);
  assert.deepEqual(broken(full.findings), ['warning:flush-never-issued@']);
});
