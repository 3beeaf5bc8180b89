/**
 * Every JSON output validates against its committed schema with Ajv:
 * `check --json` (check.schema.json), `stats --json` (stats.schema.json),
 * `report --json` (report.schema.json) — single layer, stacks, per-CPU
 * binaries, --at — and each schema rejects a broken document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { schemaErrors } from './helpers/schema.js';

const NOBARRIER = 'fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt';
const SET = 'fixtures/blktrace/ext4-nobarrier';
const VM = 'fixtures/scenarios/vm-unsafe-threads';
const STACK = [`guest=${VM}/vda.blkparse.txt`, `qemu=${VM}/qemu-trace.log`, `host=${VM}/loop1.blkparse.txt`];

async function json(args: string[]): Promise<Record<string, any>> {
  const r = await runCli(args);
  assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, any>;
}

test('check --json validates: one device with --at, per-CPU binaries, a three-layer stack', async () => {
  for (const args of [
    ['check', '--json', '--at', '0.01', '--cache', 'loop1=writeback', NOBARRIER],
    ['check', '--json', SET],
    ['check', '--json', ...STACK],
    ['check', '--json', 'fixtures/csv/msr-layout-handmade.csv'],
  ]) {
    const doc = await json(args);
    assert.deepEqual(schemaErrors('check', doc), [], args.join(' '));
  }
});

test('stats --json validates: blkparse text, per-CPU binaries, two layers', async () => {
  for (const args of [
    ['stats', '--json', NOBARRIER],
    ['stats', '--json', SET],
    ['stats', '--json', `guest=${VM}/vda.blkparse.txt`, `host=${VM}/loop1.blkparse.txt`],
  ]) {
    const doc = await json(args);
    assert.ok(doc['devices'].length > 0);
    assert.deepEqual(schemaErrors('stats', doc), [], args.join(' '));
  }
});

test('report --json validates: a stack and per-CPU binaries', async () => {
  for (const args of [['report', '--json', '-', ...STACK], ['report', '--json', '-', SET]]) {
    assert.deepEqual(schemaErrors('report', await json(args)), [], args.join(' '));
  }
});

test('the check and stats schemas reject broken documents (so the validation above can fail)', async () => {
  const check = await json(['check', '--json', '--cache', 'loop1=writeback', NOBARRIER]);
  check['devices'][0]['cache'] = 'volatile';
  delete check['findings'][0]['evidence'];
  check['skipped']['x'] = -1;
  assert.deepEqual(schemaErrors('check', check).sort(), [
    "/devices/0/cache: must be equal to one of the allowed values [\"writeback\",\"writethrough\",\"unknown\"]",
    "/findings/0: must have required property 'evidence'",
    '/skipped/x: must be >= 0',
  ]);
  const stats = await json(['stats', '--json', NOBARRIER]);
  stats['devices'][0]['latency']['Q2C']['n'] = 1.5;
  delete stats['devices'][0]['blkparse']['writesCompleted'];
  stats['devices'][0]['device'] = 'loop1';
  assert.deepEqual(schemaErrors('stats', stats).sort(), [
    "/devices/0/blkparse: must have required property 'writesCompleted'",
    '/devices/0/device: must match pattern "^\\d+,\\d+$"',
    '/devices/0/latency/Q2C/n: must be integer',
  ]);
});
