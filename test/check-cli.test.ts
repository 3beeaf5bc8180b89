/**
 * `blkaudit check` as a user runs it (the real bin): exit codes, the JSON
 * contract, --cache resolution by name and number, --at, stdin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli } from './helpers/cli.js';

const NOBARRIER = 'fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt';
const FSYNC = 'fixtures/check/real/host-ext4-fsync/loop1.blkparse.txt';

test('exit 1 on an error finding, 0 when only warnings (default --fail-on error), 1 with --fail-on warning', async () => {
  const declared = await runCli(['check', '--cache', 'loop1=writeback', NOBARRIER]);
  assert.equal(declared.code, 1, declared.stderr);
  assert.match(declared.stdout, /flush-never-issued/);
  assert.match(declared.stdout, /loop1 \(7,1\)/);
  const undeclared = await runCli(['check', NOBARRIER]);
  assert.equal(undeclared.code, 0, undeclared.stderr);
  const strict = await runCli(['check', '--fail-on', 'warning', NOBARRIER]);
  assert.equal(strict.code, 1);
  const clean = await runCli(['check', '--fail-on', 'warning', FSYNC]);
  assert.equal(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /0 error\(s\), 0 warning\(s\)/);
});

test('--json follows the contract: schemaVersion, findings with evidence, devices with the cache and flush numbers', async () => {
  const r = await runCli(['check', '--json', '--cache', '7,1=writeback', NOBARRIER]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    schemaVersion: number;
    findings: Array<Record<string, unknown>>;
    devices: Array<Record<string, unknown>>;
  };
  assert.equal(doc.schemaVersion, 2);
  assert.equal(doc.findings.length, 1);
  const f = doc.findings[0]!;
  assert.deepEqual(Object.keys(f).slice(0, 8), ['id', 'rule', 'severity', 'layer', 'device', 'time', 'message', 'evidence']);
  assert.equal(f['rule'], 'flush-never-issued');
  assert.equal(f['severity'], 'error');
  const ev = (f['evidence'] as Array<Record<string, unknown>>)[0]!;
  assert.equal(ev['source'], NOBARRIER);
  assert.equal(ev['locKind'], 'line');
  // the evidence line really is that event in the file
  const line = readFileSync(NOBARRIER, 'utf8').split('\n')[(ev['loc'] as number) - 1]!;
  assert.match(line, new RegExp(`\\s${ev['action']}\\s+${ev['rwbs']} ${ev['sector']} \\+ ${(ev['bytes'] as number) / 512} `));
  assert.deepEqual(Object.keys(doc.devices[0]!).slice(0, 8), [
    'device', 'cache', 'cacheSource', 'writesCompleted', 'flushesCompleted', 'fuaWrites', 'maxVolatileBytes', 'maxVolatileSeconds',
  ]);
  assert.deepEqual(
    { ...doc.devices[0]!, maxVolatileBytes: undefined, maxVolatileSeconds: undefined },
    { ...doc.devices[0]!, device: '7,1', cache: 'writeback', cacheSource: 'declared', writesCompleted: 194, flushesCompleted: 0, fuaWrites: 0, maxVolatileBytes: undefined, maxVolatileSeconds: undefined },
  );
});

test('usage errors exit 2: a malformed --cache, a --cache naming no device, a bad --at, a bad --fail-on', async () => {
  for (const args of [
    ['check', '--cache', 'loop1', FSYNC],
    ['check', '--cache', 'loop9=writeback', FSYNC],
    ['check', '--at', 'soon', FSYNC],
    ['check', '--fail-on', 'never', FSYNC],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^blkaudit: /m);
  }
  const r = await runCli(['check', '--cache', 'loop9=writeback', FSYNC]);
  assert.match(r.stderr, /loop9.*no such device.*loop1 \(7,1\)/);
});

test('--at lists the sectors a power cut would leave stale, in the table and in JSON', async () => {
  const table = await runCli(['check', '--at', '0.0437', FSYNC]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout.replace(/\s+/g, ' '), /A power cut at 0\.0437 s on loop1 \(7,1\) could lose: 1 acknowledged write\(s\), 8 KiB/);
  assert.match(table.stdout, /263392\s+263407\s+16\s+8 KiB/);
  const json = await runCli(['check', '--json', '--at', '0.0437', FSYNC]);
  const doc = JSON.parse(json.stdout) as { at: Array<{ writes: number; ranges: unknown }> };
  assert.equal(doc.at[0]!.writes, 1);
  assert.deepEqual(doc.at[0]!.ranges, [{ start: 263392, end: 263408 }]);
});

test('stdin: blkparse text piped in, named by --cache maj,min', async () => {
  const r = await runCli(['check', '--json', '--cache', '7,1=writeback', '-'], readFileSync(NOBARRIER));
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { findings: Array<{ rule: string; severity: string }> };
  assert.deepEqual(doc.findings.map((f) => `${f.rule}:${f.severity}`), ['flush-never-issued:error']);
});
