/**
 * Image formats under QEMU 7.2 (capture campaign 5, fixtures/stacks/vm-file-*): a pool job with no event right
 * after a data write of the same coroutine is that request's own work on bs->file, of unknown kind — a format
 * driver's flush (block/io.c bdrv_co_pwrite_sync: vmdk_write_cid, vhdx's log and header updates) or the write of
 * a read-modify-write padded to the protocol node's alignment (block/io.c bdrv_padding_rmw_read, its reads
 * untraced; 4 KiB O_DIRECT on btrfs). Taken as nobody's, the flush was lost and the guest flush after it, which
 * QEMU rightly skipped (nothing written since), was a false flush-not-passed-down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

interface Finding { rule: string; severity: string; layer: string; device: string; details?: { reason?: string; undecided?: number } }
interface Level { id: string; writes: number; flushes: number; unknown: number }

const DIR = join(ROOT, 'fixtures/stacks');

async function check(name: string, hosts: string[]): Promise<{ code: number | null; findings: Finding[]; jobs: number[] }> {
  const r = await runCli(['check', '--json', `guest=${join(DIR, name, 'guest/vda.blkparse.txt.gz')}`,
    `qemu=${join(DIR, name, 'qemu-trace.log.gz')}`, ...hosts.map((h) => `host=${join(DIR, name, 'host', h)}`)]);
  const rep = JSON.parse(r.stdout) as { findings: Finding[]; correlation: { levels: Level[] } };
  // the guest drive's host jobs (the busiest qemu:jobs level): writes, flushes, jobs of unknown kind
  const lv = rep.correlation.levels.filter((l) => l.id.startsWith('qemu:jobs:')).sort((a, b) => b.writes - a.writes)[0]!;
  return { code: r.code, findings: rep.findings, jobs: [lv.writes, lv.flushes, lv.unknown] };
}

/**
 * [capture, host jobs: writes, flushes, unknown, promises undecided for unknown jobs]. cache=none (O_DIRECT, 512-byte
 * alignment on ext4): vmdk_L2update's two 4-byte writes are padded read-modify-writes (2 × 16 allocations = 32
 * unknown jobs, the writes), its flush of the extent file and vmdk_write_cid's (17) are matched to loop1's flushes and
 * take that kind (correlator resolveUnknown): every promise decided. cache=writeback: no padding, the 17 flushes
 * stay unknown (their host flushes come later, from the page cache): 20 promises undecided. Before, all of them
 * were nobody's and 20 (vmdk) / 2 (vhdx) guest flushes were false flush-not-passed-down errors.
 */
const CASES: Array<[string, string[], number[], number]> = [
  ['vm-file-vmdk-ext4-none', ['loop1.blkparse.txt.gz'], [181, 94, 32], 0],
  ['vm-file-vmdk-ext4-writeback', ['loop1.blkparse.txt.gz'], [181, 78, 17], 20],
  ['vm-file-vhdx-ext4-none', ['loop1.blkparse.txt.gz'], [139, 97, 6], 0],
  ['vm-file-vhdx-ext4-writeback', ['loop1.blkparse.txt.gz'], [139, 88, 9], 2],
  // 4 KiB O_DIRECT alignment on btrfs: every sub-4 KiB guest write padded, its write the unknown job after the read
  ['vm-file-raw-btrfsraid1-none', ['loop1.blkparse.txt.gz', 'loop2.blkparse.txt.gz'], [130, 89, 112], 0],
  // cache=directsync: every write FUA at the vhdx node, emulated by a flush after it (block/io.c bdrv_driver_pwritev).
  // vhdx_allocate_block's truncate follows the vhdx node's own event: it carries no FUA to the file node (before, the
  // write looked FUA below, its flushes were nobody's: a false write-through-not-durable). The 80-byte header writes
  // are padded under O_DIRECT: the job after each is its write (6 unknown), not the emulating flush
  ['vm-file-vhdx-ext4-directsync', ['loop1.blkparse.txt.gz'], [139, 133, 6], 0],
];

for (const [name, hosts, jobs, undecided] of CASES) {
  test(`${name}: the pool jobs after a write of the same coroutine are its own (host jobs ${jobs.join('/')} writes/flushes/unknown), ${undecided} promise(s) undecided, none broken`, async () => {
    const r = await check(name, hosts);
    assert.deepEqual(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.rule} ${f.layer}`), []);
    assert.equal(r.code, 0);
    assert.deepEqual(r.jobs, jobs);
    const why = r.findings.filter((f) => f.rule === 'cross-layer-undecided' && f.details?.reason === 'unknown-jobs');
    assert.equal(why.reduce((n, f) => n + (f.details?.undecided ?? 0), 0), undecided);
  });
}
