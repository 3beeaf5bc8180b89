import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { compareWithBtt } from '../src/stats/crosscheck.js';
import type { BttPhase } from '../src/track/btt-compat.js';
import { btt, captures, CORPUS, runStats } from './stats-helpers.js';

/** The acceptance rows: btt's N exactly and MIN/AVG/MAX within 1 µs (checked to btt's printed ns). */
const ACCEPTANCE: BttPhase[] = ['Q2C', 'D2C', 'Q2G', 'G2I', 'Q2M', 'I2D', 'M2D', 'Q2Q'];

test('corpus sweep: every traced device equals blkparse\'s Total block and btt\'s All Devices rows', async (t) => {
  const all = captures(CORPUS);
  if (all.length === 0) {
    t.skip(`no corpus at ${CORPUS}`);
    return;
  }
  const failures: string[] = [];
  let devices = 0;
  for (const c of all) {
    const name = relative(CORPUS, c.blkparse);
    const { devices: stats } = await runStats([c.blkparse]);
    assert.equal(stats.length, 1, `${name}: one device per capture file`);
    const d = stats[0]!;
    devices++;
    if (!d.crossCheck) failures.push(`${name}: no blkparse summary mapped`);
    else if (!d.crossCheck.match) failures.push(`${name}: counters: ${d.crossCheck.differences.join('; ')}`);
    const diffs = compareWithBtt(d.latency, btt(c), d.btt.remapper, ACCEPTANCE, 1.5e-9);
    if (diffs.length > 0) failures.push(`${name}: btt: ${diffs.join('; ')}`);
    // the true model ends every queued bio, or says it is still in flight
    const queued = d.blkparse.readsQueued + d.blkparse.writesQueued;
    if (d.latencyTrue.Q2C.n + d.requests.inFlightAtEnd !== queued) {
      failures.push(`${name}: lifetimes ${d.latencyTrue.Q2C.n} + in flight ${d.requests.inFlightAtEnd} != queued ${queued}`);
    }
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`${devices} devices in ${all.length} captures matched exactly`);
});

test('corpus sweep, binary input: blktrace per-CPU sets and the ftrace blk binary capture give the same figures', async (t) => {
  const all = captures(CORPUS);
  if (all.length === 0) {
    t.skip(`no corpus at ${CORPUS}`);
    return;
  }
  const failures: string[] = [];
  const dirs = [...new Set(all.map((c) => dirname(c.blkparse)))];
  let devices = 0;
  for (const dir of dirs) {
    const raw = join(dir, 'ftrace-blk-bin.raw');
    if (!existsSync(raw)) continue;
    const { devices: fromRaw } = await runStats([raw]);
    for (const c of all.filter((x) => dirname(x.blkparse) === dir)) {
      const { devices: fromText } = await runStats([c.blkparse]);
      const want = fromText[0]!;
      const got = fromRaw.find((d) => d.device === want.device);
      const name = relative(CORPUS, raw) + ' ' + want.device;
      if (!got) {
        failures.push(`${name}: device missing`);
        continue;
      }
      devices++;
      const diffs = compareWithBtt(got.latency, btt(c), got.btt.remapper, ACCEPTANCE, 1.5e-9);
      if (diffs.length > 0) failures.push(`${name}: btt: ${diffs.join('; ')}`);
      if (JSON.stringify(got.blkparse) !== JSON.stringify(want.blkparse)) failures.push(`${name}: counters differ from blkparse text`);
      if (JSON.stringify(got.latencyTrue) !== JSON.stringify(want.latencyTrue)) failures.push(`${name}: lifetimes differ from blkparse text`);
      // the blktrace per-CPU set the blkparse text was made from
      const set = join(dir, 'blktrace', basename(c.blkparse, '.blkparse.txt'));
      if (existsSync(`${set}.blktrace.0`)) {
        const { devices: fromSet } = await runStats([set]);
        const s = fromSet.find((d) => d.device === want.device);
        const same = s && ['blkparse', 'latency', 'latencyTrue', 'flushes'].every(
          (k) => JSON.stringify(s[k as keyof typeof s]) === JSON.stringify(want[k as keyof typeof want]),
        );
        if (!same) failures.push(`${relative(CORPUS, set)}: stats differ from its blkparse text`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(devices > 0);
  t.diagnostic(`${devices} devices matched from ftrace-blk-bin.raw`);
});
