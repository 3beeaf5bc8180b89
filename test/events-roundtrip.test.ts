/**
 * `blkaudit events --ndjson|--csv` read back in gives the same analysis as
 * the original trace: same check findings and device summaries, same stats.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir('blkaudit-events-');

/**
 * The analysis minus what names the input: source paths and line numbers, and
 * the device name a file stem gives (loop1.blkparse.txt → "loop1"), differ by design.
 */
function analysis(stdout: string): unknown {
  const doc = JSON.parse(stdout) as { findings: Array<Record<string, unknown>>; devices: Array<Record<string, unknown>> };
  return {
    findings: doc.findings.map((f) => ({ ...f, evidence: (f.evidence as Array<Record<string, unknown>>).map(({ source, loc, ...rest }) => rest) })),
    devices: doc.devices.map(({ name, ...rest }) => rest),
  };
}

for (const fixture of ['fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt', 'fixtures/blktrace/raw-odirect-dsync/loop1']) {
  for (const kind of ['--ndjson', '--csv']) {
    test(`${fixture} through events ${kind} and back: the same check and stats`, async () => {
      const input = join(ROOT, fixture);
      const events = await runCli(['events', kind, input]);
      assert.equal(events.code, 0, events.stderr);
      const copy = join(dir, `${fixture.replace(/\W+/g, '_')}${kind}`);
      writeFileSync(copy, events.stdout);
      const a = await runCli(['check', '--json', '--cache', '7,1=writeback', input]);
      const b = await runCli(['check', '--json', '--cache', '7,1=writeback', copy]);
      assert.equal(b.code, a.code);
      assert.deepEqual(analysis(b.stdout), analysis(a.stdout));
      const sa = JSON.parse((await runCli(['stats', '--json', input])).stdout) as { devices: Array<Record<string, unknown>> };
      const sb = JSON.parse((await runCli(['stats', '--json', copy])).stdout) as { devices: Array<Record<string, unknown>> };
      assert.deepEqual(sb.devices.map((d) => [d.blkparse, d.latency, d.latencyTrue, d.flushes]), sa.devices.map((d) => [d.blkparse, d.latency, d.latencyTrue, d.flushes]));
    });
  }
}
