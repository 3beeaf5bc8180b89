/**
 * `report` on one unnamed trace of a stack follows its remaps as `check` does: check reads such a trace again
 * with the correlation (cli/stacked.ts), report runs every stage and its correlation follows the remaps of
 * stacked devices in one reading (correlate/stage.ts prepare). The same findings from both commands on one file. Real capture fixtures/host/dm-crypt-loop-write-through (dm-crypt
 * over a loop device set to write through: the flushes never reach the backing file — errors at dm 252,0) and
 * fixtures/host/dm-thin (clean).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

const key = (fs: Array<{ rule: string; severity: string; device: string }>) =>
  fs.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.rule} ${f.device}`).sort();

for (const [name, errors] of [['dm-crypt-loop-write-through', true], ['dm-thin', false]] as const) {
  test(`report and check agree on the unnamed stacked trace ${name}`, async () => {
    const file = join(ROOT, 'fixtures/host', name, 'all.blkparse.txt.gz');
    const c = await runCli(['check', '--json', file]);
    const r = await runCli(['report', '--json', '-', file]);
    assert.ok(c.stdout && r.stdout, c.stderr + r.stderr);
    const ck = key(JSON.parse(c.stdout).findings);
    const rk = key(JSON.parse(r.stdout).findings);
    assert.deepEqual(rk, ck);
    assert.equal(ck.some((k) => k.startsWith('error flush-not-passed-down')), errors);
  });
}
