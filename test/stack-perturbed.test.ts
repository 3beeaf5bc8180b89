/**
 * A clean stack stays clean when what the verdicts rest on is damaged: the lower layer's clock shifted, its
 * sector map perturbed, both. Verdicts may degrade to undecided, never to an error. Real captures:
 * fixtures/scenarios/vm-none-threads (guest → QEMU cache=none → loop1) and vm-stack-none-threads (the
 * dm / md RAID1 / two virtio disks / two loops stack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { offsetMap } from '../src/correlate/mapping.js';
import { opLimits } from '../src/correlate/ops.js';
import type { CorrelateOptions } from '../src/correlate/correlator.js';
import { loadLayers, type Input } from './helpers/correlate-load.js';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/scenarios/${p}`, import.meta.url)));
const errors = (r: { findings: Array<{ severity: string; rule: string; message: string }> }) => r.findings.filter((f) => f.severity === 'error');

const vm = (shift: number): Input[] => [
  { layer: 'guest', file: 'vm-none-threads/vda.blkparse.txt' },
  { layer: 'qemu', file: 'vm-none-threads/qemu-trace.log' },
  { layer: 'host', file: 'vm-none-threads/loop1.blkparse.txt', shift },
];

test('vm-none-threads: host clock shifted and the QEMU → host map perturbed: undecided at worst, never an error', () => {
  for (const shift of [0, 0.75e9, -30e9]) {
    for (const map of [undefined, offsetMap(8), offsetMap(-2048), offsetMap(1 << 30)]) {
      const opts: CorrelateOptions = map ? { maps: { qemu: map } } : {};
      const { r } = loadLayers(vm(shift), opts, read);
      assert.deepEqual(errors(r).map((f) => f.message), [], `shift ${shift}, map ${map?.describe ?? 'none'}`);
      if (map) {
        // a wrong map is seen not to fit (not used), or to fit by sector only (not confirmed in time)
        const pair = r.pairs.find((p) => p.upper === 'qemu:jobs:0x5648dd17f5c0')!;
        assert.ok(pair.mapSource === 'none' || pair.mapConfirmed === false, `${map.describe}: ${JSON.stringify(pair)}`);
      }
    }
  }
});

test('vm-none-threads: a wrong map forced in through --map cannot make a false error either', () => {
  // the host's writes moved 8 sectors away (as if the image sat at another offset): no write found below
  // where the map says is "not followed", and the flushes are asked only the flush-level question
  const { r } = loadLayers(vm(0), { maps: { qemu: offsetMap(8) } }, read);
  const pair = r.pairs.find((p) => p.upper.startsWith('qemu:') && p.lower.startsWith('host:'))!;
  // +8 fits by sector (the guest writes runs of 8-sector blocks) but no write below runs inside its
  // upper write at that offset: the map is not confirmed in time, and cannot break a promise
  assert.deepEqual([pair.mapSource, pair.mapConfirmed, pair.violated], ['given', false, 0]);
  assert.ok(pair.undecided > 0, JSON.stringify(pair));
  assert.ok(r.findings.some((f) => f.rule === 'cross-layer-undecided' && f.severity === 'info' && /not confirmed in time/.test(f.message)));
});

const stackInputs = (shift: number): Input[] => [
  { layer: 'dm', file: 'vm-stack-none-threads/dm-0.blkparse.txt.gz' },
  { layer: 'md', file: 'vm-stack-none-threads/md0.blkparse.txt.gz', shift },
  { layer: 'virtio', file: 'vm-stack-none-threads/vda.blkparse.txt.gz' },
  { layer: 'virtio', file: 'vm-stack-none-threads/vdb.blkparse.txt.gz' },
  { layer: 'qemu', file: 'vm-stack-none-threads/qemu-trace.log.gz' },
  { layer: 'host', file: 'vm-stack-none-threads/loop1.blkparse.txt.gz', shift },
  { layer: 'host', file: 'vm-stack-none-threads/loop2.blkparse.txt.gz', shift: -shift },
];

test('vm-stack-none-threads: md and host clocks shifted, the host legs shifted apart: still no error', () => {
  for (const shift of [0, 2.5e9, -0.4e9]) {
    const { r } = loadLayers(stackInputs(shift), {}, read);
    assert.deepEqual(errors(r).map((f) => f.message), [], `shift ${shift}`);
    // the legs are still told apart by their clocks, whatever the offsets
    const toHost = r.alignment.filter((a) => a.lower.startsWith('host:')).map((a) => [a.upper, a.lower]);
    assert.deepEqual(toHost, [['qemu:jobs:0x56237eaceb40', 'host:7,1'], ['qemu:jobs:0x56237ebeb740', 'host:7,2']], `shift ${shift}`);
  }
});

test('vm-stack-none-threads: the virtio layer mapped wrongly to QEMU: undecided, never an error', () => {
  const { r } = loadLayers(stackInputs(0), { maps: { virtio: offsetMap(4096) } }, read);
  assert.deepEqual(errors(r).map((f) => f.message), []);
});

test('vm-stack-none-threads with the correlator\'s row limit lowered: the cut is reported, never silent, and breaks no promise', () => {
  const saved = opLimits.maxRows;
  try {
    for (const cap of [150, 400]) {
      opLimits.maxRows = cap;
      const { env, r } = loadLayers(stackInputs(0), {}, read);
      assert.deepEqual(errors(r).map((f) => f.message), [], `cap ${cap}`);
      const cut = r.limitations.filter((l) => /were not kept \(at most \d+ per device\)/.test(l));
      assert.ok(cut.length > 0, `cap ${cap}: ${JSON.stringify(r.limitations)}`);
      assert.ok(env.diag.list().some((d) => /row limit/.test(d.reason) && d.severity === 'data-loss' && d.count > 0));
    }
  } finally {
    opLimits.maxRows = saved;
  }
});
