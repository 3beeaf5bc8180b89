/**
 * Inputs that carry completed requests only (CSV, biosnoop): the checker
 * counts their writes and flushes, and the report says what such a trace
 * cannot show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from './helpers/cli.js';

const D2C = join(ROOT, 'fixtures/csv/raw-odirect-dsync.d2c.csv');
const MSR = join(ROOT, 'fixtures/csv/msr-layout-handmade.csv');
const MAP = 'time=issue_s,end=complete_s,device=dev,op=rwbs,sector=sector,sectors=blocks';

test('a CSV with flush rows: writes and flushes are counted like the blkparse text it came from', async () => {
  const r = await runCli(['check', '--json', '--csv-columns', MAP, D2C]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { devices: Array<Record<string, unknown>>; limitations: Array<{ text: string }> };
  const dev = doc.devices.find((d) => d.device === '7,1')!;
  // raw-odirect-dsync: 37 data writes dispatched, 43 flush requests (corpus MANIFEST / EXPECTED.json)
  assert.equal(dev.writesCompleted, 37);
  assert.equal(dev.flushesCompleted, 43);
  assert.equal(dev.cache, 'writeback');
  assert.ok(doc.limitations.some((l) => /queueing, merges and the block layer flush sequence are not visible/.test(l.text)));
});

test('the MSR layout: no flush information, said in the text report; devices named by host and disk', async () => {
  const r = await runCli(['check', MSR]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /What these inputs cannot show \(so cannot be checked\):/);
  assert.match(r.stdout, /no flush or FUA information/);
  assert.match(r.stdout, /hm_0 \(4095,\d+\)/);
});
