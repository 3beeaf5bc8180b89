/**
 * Promises broken on purpose in real captures, to see each cross-layer verdict path fire — the captures of a
 * healthy system with one piece of the machinery taken out of the trace, as a buggy QEMU or a dropped flush
 * would have left it:
 *  - vm-writethrough-threads without QEMU's FUA-emulating fdatasync jobs (a QEMU that acknowledges a
 *    write-through write before its data is durable): write-through-not-durable at qemu;
 *  - vm-stack-none-threads with vdb's flush requests gone (one mirror leg that never flushes): the md flushes
 *    fanned out to both legs are broken on that leg only, and the finding names it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadLayers } from './helpers/correlate-load.js';

const raw = (p: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/scenarios/${p}`, import.meta.url)));
const text = (p: string) => (p.endsWith('.gz') ? gunzipSync(raw(p)) : raw(p)).toString('utf8');

/** The QEMU log without the host jobs that have no read/write event before them (the flushes). */
function withoutFlushJobs(log: string): string {
  const out: string[] = [];
  const dropped = new Set<string>();
  let prev = '';
  for (const line of log.split('\n')) {
    const m = /thread_pool_(submit|complete) pool \S+ req (\S+)/.exec(line);
    if (m && m[1] === 'submit' && !/bdrv_co_p(write|read)v_part|bdrv_co_pwrite_zeroes/.test(prev)) {
      dropped.add(m[2]!);
      continue;
    }
    if (m && m[1] === 'complete' && dropped.delete(m[2]!)) continue;
    out.push(line);
    prev = line;
  }
  return out.join('\n');
}

test('write-through-not-durable: QEMU acknowledges write-through writes with no fdatasync after them', () => {
  const read = (p: string) => Buffer.from(p.endsWith('qemu-trace.log') ? withoutFlushJobs(text(p)) : text(p));
  const { r } = loadLayers([
    { layer: 'guest', file: 'vm-writethrough-threads/vda.blkparse.txt' },
    { layer: 'qemu', file: 'vm-writethrough-threads/qemu-trace.log' },
    { layer: 'host', file: 'vm-writethrough-threads/loop1.blkparse.txt' },
  ], {}, read);
  const wt = r.findings.filter((f) => f.rule === 'write-through-not-durable');
  assert.ok(wt.length > 100, `${wt.length} write-through-not-durable`);
  assert.ok(wt.every((f) => f.severity === 'error' && f.layer === 'qemu'));
  assert.match(wt[0]!.message, /acknowledged a write \(write-through\).*before it was durable at qemu:jobs/);
  // the same capture untouched: not one
  const clean = loadLayers([
    { layer: 'guest', file: 'vm-writethrough-threads/vda.blkparse.txt' },
    { layer: 'qemu', file: 'vm-writethrough-threads/qemu-trace.log' },
    { layer: 'host', file: 'vm-writethrough-threads/loop1.blkparse.txt' },
  ], {}, (p) => Buffer.from(text(p))).r;
  assert.deepEqual(clean.findings.filter((f) => f.severity !== 'info').map((f) => f.rule), []);
});

test('fan-out: a mirror leg that never flushes breaks md flushes on that leg only, and the finding names it', () => {
  const noFlush = (s: string) => s.split('\n').filter((l) => !/ [DC] +F[NWS]* /.test(l) && !/ Q +FW /.test(l)).join('\n');
  const read = (p: string) => Buffer.from(p.includes('vdb.') ? noFlush(text(p)) : text(p));
  const S = (f: string) => `vm-stack-none-threads/${f}`;
  const { r } = loadLayers([
    { layer: 'dm', file: S('dm-0.blkparse.txt.gz') }, { layer: 'md', file: S('md0.blkparse.txt.gz') },
    { layer: 'virtio', file: S('vda.blkparse.txt.gz') }, { layer: 'virtio', file: S('vdb.blkparse.txt.gz') },
  ], {}, read);
  const errs = r.findings.filter((f) => f.severity === 'error');
  assert.ok(errs.length > 0, 'no error for the leg that never flushes');
  assert.ok(errs.every((f) => f.layer === 'md' && (f.details as { lower?: string } | undefined)?.lower === 'virtio:254,16'), JSON.stringify(errs.map((f) => [f.layer, f.details])));
  assert.ok(errs.some((f) => f.rule === 'flush-not-passed-down'));
  // vda kept md's promises
  const vda = r.pairs.find((p) => p.lower === 'virtio:254,0')!;
  assert.equal(vda.violated, 0);
});

test('mirror legs the traces cannot tell apart: a promise broken on one candidate only is undecided, on every one an error', async () => {
  const { settleAmbiguous } = await import('../src/correlate/correlator.js');
  const broken = { rule: 'flush-not-passed-down', severity: 'error' as const, layer: 'qemu', device: 'jobs-b', time: 1, message: 'broken on loop2', evidence: [], details: { lower: 'host:7,2' } };
  const stats = (lower: string) => ({ lower } as unknown as Parameters<typeof settleAmbiguous>[0][number]['stats']);
  const one = settleAmbiguous([{ findings: [], stats: stats('host:7,1') }, { findings: [broken], stats: stats('host:7,2') }]);
  assert.deepEqual(one.map((f) => [f.rule, f.severity]), [['cross-layer-undecided', 'warning']]);
  assert.match(one[0]!.message, /a promise holds if its data went to host:7,1, not if it went to host:7,2/);
  const both = settleAmbiguous([{ findings: [broken], stats: stats('host:7,1') }, { findings: [{ ...broken, details: { lower: 'host:7,1' } }], stats: stats('host:7,2') }]);
  assert.deepEqual(both.map((f) => f.severity), ['error', 'error']);
});
