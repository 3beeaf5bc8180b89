/**
 * qemu-io over image formats and host filesystems the other captures do not have (fixtures/qemu-io-more,
 * ORIGIN.md): vmdk, vdi, vhdx, qed, vpc and qcow2 files on host ext4, xfs and btrfs, cache modes and aio
 * engines, lazy refcounts, and a misconfigured raw device (cache.no-flush=on). No timestamps (qemu-io), no
 * --map. Clean ones: exit 0 and no error; the misconfigured ones: exit 1 and the expected errors.
 *
 * What they caught: the host-side matches of an order-only clock taken as proof on an inferred map (btrfs
 * moves rewritten blocks: two false flush-not-passed-down), and metadata flushes of vmdk and vpc
 * (bdrv_pwrite_sync inside the write) taken for the FUA-emulating flush that comes after the data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

interface Capture {
  name: string;
  inputs: string[];
  verdict: 'clean' | 'violation' | 'undecided';
  errors: string[];
  /** verdict undecided: the cross-layer-undecided reasons expected. */
  undecided?: string[];
  why: string;
}

const DIR = join(ROOT, 'fixtures/qemu-io-more');
const captures = (JSON.parse(readFileSync(join(DIR, 'EXPECTED.json'), 'utf8')) as { captures: Capture[] }).captures;

test('the set holds clean and misconfigured captures', () => {
  assert.ok(captures.filter((c) => c.verdict === 'clean').length >= 15);
  assert.ok(captures.filter((c) => c.verdict === 'violation').length >= 2);
  assert.ok(captures.some((c) => c.verdict === 'undecided'));
});

for (const c of captures) {
  test(`qemu-io ${c.name}: ${c.verdict}`, async () => {
    const args = c.inputs.map((a) => {
      const eq = a.indexOf('=');
      return `${a.slice(0, eq)}=${join(DIR, a.slice(eq + 1))}`;
    });
    const r = await runCli(['check', '--json', ...args]);
    assert.ok(r.stdout.length > 0, `${c.name}: no output (exit ${r.code}): ${r.stderr}`);
    const findings = (JSON.parse(r.stdout) as { findings: Array<{ rule: string; severity: string; message: string; details?: { reason?: string } }> }).findings;
    const errors = findings.filter((f) => f.severity === 'error');
    const said = errors.map((f) => `${f.rule}: ${f.message.slice(0, 200)}`).join('\n');
    if (c.verdict === 'clean' || c.verdict === 'undecided') {
      assert.equal(errors.length, 0, `${c.name} is ${c.verdict} (${c.why}) but:\n${said}`);
      assert.equal(r.code, 0);
      for (const why of c.undecided ?? []) {
        assert.ok(findings.some((f) => f.rule === 'cross-layer-undecided' && f.details?.reason === why), `${c.name}: no promise undecided for ${why}`);
      }
    } else {
      assert.equal(r.code, 1, `${c.name}: exit ${r.code}`);
      for (const rule of c.errors) assert.ok(errors.some((f) => f.rule === rule), `${c.name}: no ${rule} error (${c.why}); errors:\n${said}`);
    }
  });
}
