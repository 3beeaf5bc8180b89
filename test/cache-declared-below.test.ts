/**
 * A dm device has the write cache of the devices under it (dm_table_set_restrictions): when the device below is
 * declared write-back, the dm device above it is volatile too, whatever flags its own trace lacks. Real capture
 * fixtures/host/dm-crypt-ext4-nobarrier (ext4 barrier=0 on dm-crypt 252,0 over loop0 7,0: no flush anywhere):
 * without --cache both devices are undecided (a warning: write-through or nobarrier cannot be told apart);
 * with loop0 declared write-back, both are errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

const FILE = join(ROOT, 'fixtures/host/dm-crypt-ext4-nobarrier/all.blkparse.txt.gz');

async function never(extra: string[]): Promise<Record<string, string>> {
  const r = await runCli(['check', '--json', ...extra, FILE]);
  assert.ok(r.stdout.length > 0, r.stderr);
  const out: Record<string, string> = {};
  for (const f of JSON.parse(r.stdout).findings as Array<{ rule: string; severity: string; device: string }>) {
    if (f.rule === 'flush-never-issued') out[f.device] = f.severity;
  }
  return out;
}

test('no declaration: the dm device and the loop under it are warnings', async () => {
  assert.deepEqual(await never([]), { '252,0': 'warning', '7,0': 'warning' });
});

test('loop0 declared write-back: the dm-crypt device over it is volatile too — both errors', async () => {
  for (const decl of ['loop0=writeback', '7,0=writeback']) {
    assert.deepEqual(await never(['--cache', decl]), { '252,0': 'error', '7,0': 'error' }, decl);
  }
});
