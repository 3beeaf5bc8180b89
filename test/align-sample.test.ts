/**
 * The coarse clock search samples 64 upper flushes (align.ts): a rival offset that every sampled one also fits
 * is counted again over every upper flush before the alignment is called ambiguous. On the real VM capture
 * fixtures/stacks/vm-file-qcow2-ext4-none-io_uring (qcow2 on host ext4, io_uring), QEMU's 105 flush jobs all hold a
 * host flush at −0.0598 s and only 15 at the sampled rival +0.2317 s: the link is aligned, and its promises decided
 * (they were all undecided, "a periodic workload?", before the recount). A periodic workload stays ambiguous
 * (test/stack-periodic.test.ts, test/stack-stream.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';

const DIR = 'fixtures/stacks/vm-file-qcow2-ext4-none-io_uring';

test('vm-file-qcow2-ext4-none-io_uring: QEMU jobs ↔ host aligned by every flush, not left ambiguous by a sample', async () => {
  const r = await runCli(['check', '--json', `guest=${DIR}/guest/vda.blkparse.txt.gz`, `qemu=${DIR}/qemu-trace.log.gz`, `host=${DIR}/host/loop1.blkparse.txt.gz`]);
  const j = JSON.parse(r.stdout) as { alignment: Array<{ upper: string; lower: string; method: string; offsetSeconds?: number }>; findings: Array<{ severity: string; rule: string }> };
  const link = j.alignment.find((a) => a.upper.startsWith('qemu:jobs:') && a.lower === 'host:7,1' && a.method !== 'identity')!;
  assert.equal(link.method, 'causal-offset', JSON.stringify(link));
  assert.ok(Math.abs(link.offsetSeconds! + 0.0598) < 1e-3, JSON.stringify(link));
  assert.deepEqual(j.findings.filter((f) => f.severity === 'error' || f.rule === 'cross-layer-undecided'), []);
  assert.equal(r.code, 0);
});
