import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import type { BlkparseSummary } from '../src/formats/blkparse/summary.js';
import { CONTRACT_KEYS } from '../src/stats/counters.js';
import { asPrinted, compareWithSummary, summaryTotal } from '../src/stats/crosscheck.js';
import { bucketOf, bucketRange, EXACT_LIMIT, LogHistogram } from '../src/stats/histogram.js';
import { renderStatsJson } from '../src/stats/json.js';
import { renderStatsTable, sparkline } from '../src/stats/table.js';
import { DepthTracker, MAX_WINDOWS } from '../src/stats/queue-depth.js';
import { statsOf } from '../src/stats/stage.js';
import { createStatsAnalyzer } from '../src/stats/analyzer.js';
import { Diagnostics } from '../src/model/diagnostics.js';
import { BTT_PHASES } from '../src/track/btt-compat.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';
import { runCli } from './helpers/cli.js';
import { FIXTURE_DIRS, fixture, runStats } from './stats-helpers.js';

for (const dir of FIXTURE_DIRS) {
  test(`blkparse counters equal blkparse's own Total block: ${dir}`, async () => {
    const c = fixture(dir);
    const { devices } = await runStats([c.blkparse]);
    assert.equal(devices.length, 1);
    const d = devices[0]!;
    assert.ok(d.crossCheck, 'the summary trailer was found and mapped to the device');
    assert.deepEqual(d.crossCheck.differences, []);
    assert.equal(d.crossCheck.match, true);
    // every contract key is among those compared (the summary prints them all)
    const summary = parseBuffer(blkparseFormat, readFileSync(c.blkparse)).attachments['blkparse-summary'] as BlkparseSummary;
    const total = summaryTotal(summary, d.crossCheck.summaryDevice)!;
    for (const k of CONTRACT_KEYS) assert.equal(asPrinted(d.blkparse[k]), total.counters[k], k);
  });
}

test('the counters are not vacuous: one changed counter is reported as a difference', async () => {
  const c = fixture('raw-odirect-dsync');
  const { devices } = await runStats([c.blkparse]);
  const summary = parseBuffer(blkparseFormat, readFileSync(c.blkparse)).attachments['blkparse-summary'] as BlkparseSummary;
  const changed = { ...devices[0]!.blkparse, writesCompleted: devices[0]!.blkparse.writesCompleted - 1 };
  assert.deepEqual(compareWithSummary(changed, summary, 'loop1'), [
    `writesCompleted: blkparse ${devices[0]!.blkparse.writesCompleted}, ours ${changed.writesCompleted}`,
  ]);
});

test('flush counts come from the flush machinery as traced (D FN / C FN lines)', async () => {
  const c = fixture('ext4-fsync-trimmed');
  const text = readFileSync(c.blkparse, 'utf8');
  const { devices } = await runStats([c.blkparse]);
  const f = devices[0]!.flushes;
  assert.equal(f.issued, (text.match(/ D +FN \[/g) ?? []).length);
  assert.equal(f.completed, (text.match(/ C +FN 0 \[/g) ?? []).length);
  assert.equal(f.preflushWrites, (text.match(/ Q +FWFSM \d/g) ?? []).length);
  assert.equal(f.latency.n, f.completed);
  // the trace was cut while one flush was at the driver
  assert.equal(f.issued - f.completed, 1);
});

test('stats JSON contract: schemaVersion, devices[].device/blkparse/latency/flushes, skipped; seconds', async () => {
  const c = fixture('raw-odirect-dsync');
  const { report } = await runStats([c.blkparse]);
  const json = JSON.parse(renderStatsJson({ devices: statsOf(report), skipped: report.skipped }));
  assert.equal(json.schemaVersion, 1);
  assert.deepEqual(Object.keys(json.devices[0]).slice(0, 4), ['device', 'blkparse', 'latency', 'flushes']);
  const d = json.devices[0];
  assert.equal(d.device, '7,1');
  for (const k of CONTRACT_KEYS) assert.equal(typeof d.blkparse[k], 'number', k);
  for (const p of ['Q2C', 'D2C', 'Q2G', 'G2I', 'Q2M', 'I2D', 'M2D', 'Q2Q']) {
    assert.deepEqual(Object.keys(d.latency[p]).slice(0, 7), ['n', 'min', 'avg', 'max', 'p50', 'p90', 'p99'], p);
  }
  assert.equal(d.latency.G2I.n, 0);
  assert.equal(d.latency.G2I.avg, null);
  assert.ok(d.latency.Q2C.avg > 0 && d.latency.Q2C.avg < 0.01, 'seconds');
  assert.equal(typeof d.flushes.completed, 'number');
  assert.equal(typeof json.skipped, 'object');
});

test('the table fits 100 columns and names its units', async () => {
  const dirs = ['raw-odirect-dsync', 'vm-guest-vda-trimmed', 'mixed-rw-split-trimmed'];
  const { report } = await runStats(dirs.map((d) => fixture(d).blkparse));
  const text = renderStatsTable({ devices: statsOf(report), skipped: report.skipped });
  // input paths are the user's and as long as the checkout's location makes them: the layout must fit without them
  const paths = dirs.map((d) => fixture(d).blkparse);
  const wide = text.split('\n').map((l) => paths.reduce((x, p) => x.replace(p, '<input>'), l)).filter((l) => [...l].length > 100);
  assert.deepEqual(wide, []);
  for (const h of ['READ(KiB)', 'MIN(µs)', 'P99(µs)', 'Q2Cdm', 'QUEUED(KiB)']) assert.ok(text.includes(h), h);
});

test('events fed in any chunking give the same stats', () => {
  const data = readFileSync(fixture('ext4-fsync-trimmed').blkparse);
  const results = CHUNK_SIZES.map((size) => {
    const r = parseBuffer(blkparseFormat, data, size);
    const an = createStatsAnalyzer({ sources: [], diag: new Diagnostics(), options: {} });
    for (const e of r.events) an.event(e);
    return JSON.stringify(an.finish());
  });
  assert.equal(new Set(results).size, 1);
});

test('percentiles: exact up to EXACT_LIMIT samples, then within 1/256 of the exact value', () => {
  const small = new LogHistogram();
  for (const v of [5, 1, 4, 2, 3]) small.add(v);
  assert.deepEqual(small.percentiles([50, 90, 99, 100]), [3, 5, 5, 5]);
  assert.equal(small.isExact, true);
  const big = new LogHistogram();
  const values: number[] = [];
  let s = 12345;
  for (let i = 0; i < EXACT_LIMIT * 10; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const v = Math.floor(1000 + (s % 5_000_000) * (1 + (i % 7)));
    values.push(v);
    big.add(v);
  }
  assert.equal(big.isExact, false);
  values.sort((a, b) => a - b);
  for (const p of [50, 90, 99]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
    const [approx] = big.percentiles([p]);
    assert.ok(Math.abs(approx! - exact) / exact <= 1 / 256, `p${p}: ${approx} vs ${exact}`);
  }
  for (const v of [0, 255, 256, 257, 1e6, 2 ** 40 + 3]) {
    const [lo, hi] = bucketRange(bucketOf(v));
    assert.ok(lo <= v && v < hi, `bucket of ${v}`);
    assert.ok(v < 256 ? hi - lo === 1 : (hi - lo) / lo <= 1 / 128, `bucket width at ${v}`);
  }
});

test('queue depth: time-weighted average, max, and a series that never exceeds MAX_WINDOWS', () => {
  const d = new DepthTracker();
  d.set(0, 1);
  d.set(1e6, 3); // 1 for 1 ms
  d.set(2e6, 0); // 3 for 1 ms
  d.touch(4e6); // 0 for 2 ms
  const j = d.toJson();
  assert.equal(j.max, 3);
  assert.equal(j.avg, 1);
  const long = new DepthTracker();
  for (let i = 0; i < 100000; i++) long.set(i * 1e6, i % 5);
  const lj = long.toJson();
  assert.ok(lj.seriesMax.length <= MAX_WINDOWS && lj.seriesMax.length > MAX_WINDOWS / 2);
  assert.equal(Math.max(...lj.seriesMax), 4);
  assert.equal(sparkline([0, 4, 8]), '▁▅█');
});

test('btt phases and true phases share one order', async () => {
  const { devices } = await runStats([fixture('qio-raw-none-threads').blkparse]);
  assert.deepEqual(Object.keys(devices[0]!.latency), [...BTT_PHASES]);
  assert.deepEqual(Object.keys(devices[0]!.latencyTrue), [...BTT_PHASES]);
  // the capture starts with a failed completion (EINVAL) of a request queued just before
  assert.equal(devices[0]!.requests.errors, 1);
});

test('CLI: stats --json on a fixture exits 0 with the contract; a missing input exits 2', async () => {
  const c = fixture('qio-raw-none-threads');
  const r = await runCli(['stats', '--json', c.blkparse]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.equal(json.devices.length, 1);
  assert.equal(json.devices[0].crossCheck.match, true);
  const table = await runCli(['stats', c.blkparse]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Latency, btt-compatible/);
  const missing = await runCli(['stats', 'no/such/file.txt']);
  assert.equal(missing.code, 2);
});
