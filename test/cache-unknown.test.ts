/**
 * A device that gets no flush and no FUA write in the whole trace proves nothing lost unless its cache is known
 * to be volatile: the kernel strips both before the trace for a write-through queue (block/blk-core.c
 * submit_bio_noacct), which needs none. Real capture fixtures/qemu-io-more/qio-qcow2-ext4nobarrier-none (host ext4
 * mounted barrier=0 on loop0: a loss, an error as captured) with the host device renumbered from 7,0 (a loop
 * device, known write-back) to 8,16 (a disk, cache unknown): undecided (reason cache) until --cache declares it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const SRC = join(ROOT, 'fixtures/qemu-io-more/qio-qcow2-ext4nobarrier-none');

interface Finding { rule: string; severity: string; device: string; details?: { reason?: string } }

async function check(host: string, extra: string[] = []): Promise<{ code: number | null; findings: Finding[] }> {
  const r = await runCli(['check', '--json', ...extra, `qemu=${join(SRC, 'qemu-trace.log.gz')}`, `host=${host}`]);
  assert.ok(r.stdout.length > 0, r.stderr);
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}

function renumbered(): string {
  const text = gunzipSync(readFileSync(join(SRC, 'loop0.blkparse.txt.gz'))).toString('utf8');
  // the device column of every event line (blkparse: "  7,0    1 …"); the summary's "(7,0)" too
  const out = text.replace(/^(\s*)7,0(\s)/gm, '$18,16$2').replace(/\(7,0\)/g, '(8,16)');
  assert.ok(out !== text && !/^\s*7,0\s/m.test(out), 'every event renumbered');
  const dir = tempDir('cache-unknown');
  const path = join(dir, 'sdb.blkparse.txt');
  writeFileSync(path, out);
  return path;
}

test('as captured (loop0: write-back): the flushes qemu-io was promised never reached it — an error', async () => {
  const { code, findings } = await check(join(SRC, 'loop0.blkparse.txt.gz'));
  assert.equal(code, 1);
  assert.ok(findings.some((f) => f.severity === 'error' && f.rule === 'flush-not-passed-down'));
});

test('the same trace on a disk of unknown cache: undecided (cache), not an error', async () => {
  const { code, findings } = await check(renumbered());
  const errors = findings.filter((f) => f.severity === 'error');
  assert.equal(errors.length, 0, JSON.stringify(errors.map((f) => f.rule)));
  assert.equal(code, 0);
  assert.ok(findings.some((f) => f.rule === 'cross-layer-undecided' && f.details?.reason === 'cache'), 'undecided for the cache');
});

test('declared write-back (--cache host=writeback), the disk decides it again: an error', async () => {
  const { code, findings } = await check(renumbered(), ['--cache', 'host=writeback']);
  assert.equal(code, 1);
  assert.ok(findings.some((f) => f.severity === 'error' && f.rule === 'flush-not-passed-down'));
});

test('a device declaration decides across layers as a layer declaration does (--cache 8,16=…, --cache sdb=…)', async () => {
  const path = renumbered();
  for (const decl of ['8,16=writeback', 'sdb=writeback']) {
    const { code, findings } = await check(path, ['--cache', decl]);
    assert.equal(code, 1, decl);
    assert.ok(findings.some((f) => f.severity === 'error' && f.rule === 'flush-not-passed-down'), decl);
  }
  // declared write-through: flushes are dropped before the trace and none is needed — nothing to report
  const { code, findings } = await check(path, ['--cache', '8,16=writethrough']);
  assert.equal(code, 0);
  assert.equal(findings.filter((f) => f.severity !== 'info').length, 0, JSON.stringify(findings.map((f) => f.rule)));
});
