/**
 * Facts that must match blkparse on traces from other kernels (issue 12) and
 * empty device traces (issue 13): requeued bytes leave the dispatched KiB, a
 * trace with more than 4096 processes, a positive completion status, an input
 * with no readable event, and a device traced and silent.
 */
import { ROOT, runCli } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/index.js';
import { statsOf } from '../src/stats/stage.js';
import { MAX_PROCESSES } from '../src/stats/per-process.js';
import { DRIVER_STATUS_REASON } from '../src/formats/blkparse/parser.js';
import { checkFiles, tally } from './helpers/check-run.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('blkaudit-bpfacts-');

async function statsFile(path: string) {
  const r = await analyze([path], { stages: ['stats'], stageOptions: { stats: {} } });
  return statsOf(r).map((x) => x.stats);
}

test('requeued bytes leave the dispatched KiB, as blkparse counts them (wild 10, requeue run: 13 dispatches, 40 KiB)', async () => {
  // the requeue run of shared/wild/10 with its own summary trailer (lines 258–327 of the copy)
  const all = readFileSync(join(ROOT, 'fixtures/blkparse/wild-10-nullblk-5.11-sched-bounce-split-requeue.blkparse.txt'), 'utf8').split('\n');
  const start = all.findIndex((l) => /#+\s+requeue\s+#+/.test(l));
  const file = join(tmp, 'requeue-run.blkparse.txt');
  writeFileSync(file, all.slice(start + 1).join('\n'));
  const [d] = await statsFile(file);
  // blkparse's own numbers, printed in the trailer: Write Dispatches: 13, 40KiB; Writes Requeued: 3
  assert.equal(d!.blkparse.writeDispatches, 13);
  assert.equal(d!.blkparse.writesRequeued, 3);
  assert.equal(d!.blkparse.writeDispatchesKiB, 40);
  assert.ok(d!.crossCheck, 'summary mapped');
  assert.deepEqual(d!.crossCheck!.differences, []);
});

test(`more than ${MAX_PROCESSES} processes: stats folds the rest into "other" and does not crash`, async () => {
  const n = MAX_PROCESSES + 200;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = (i * 1e-5).toFixed(9);
    lines.push(`  8,0    0 ${String(2 * i + 1).padStart(8)} ${t.padStart(14)} ${String(1000 + i).padStart(5)}  Q   W ${i * 8} + 8 [p${i}]`);
    lines.push(`  8,0    0 ${String(2 * i + 2).padStart(8)} ${t.padStart(14)} ${String(1000 + i).padStart(5)}  C   W ${i * 8} + 8 [0]`);
  }
  const file = join(tmp, 'many-pids.blkparse.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  const [d] = await statsFile(file);
  assert.equal(d!.processes.length, MAX_PROCESSES + 1);
  const other = d!.processes.find((p) => p.pid === -1)!;
  assert.ok(other, 'an "other" entry');
  assert.equal(other.blkparse.writesQueued, n - MAX_PROCESSES);
  assert.equal(d!.processes.reduce((s, p) => s + p.blkparse.writesQueued, 0), n);
});

test('a positive completion status (cciss on 2.6.16: [1]) is a driver status: counted, never "failed with -EPERM"', async () => {
  const file = join(ROOT, 'fixtures/facts/cciss-2.6.16-status-1.blkparse.txt');
  const r = await checkFiles([file]);
  assert.equal(r.findings.filter((f) => f.rule === 'io-error' || f.rule === 'flush-failed').length, 0);
  for (const f of r.findings) assert.doesNotMatch(f.message, /EPERM/);
  assert.equal(r.skipped[DRIVER_STATUS_REASON], 2);
  const [d] = await statsFile(file);
  assert.equal(d!.requests.errors, 0);
  // a real negative errno still is one
  const eio = join(tmp, 'eio.blkparse.txt');
  writeFileSync(eio, readFileSync(file, 'utf8').replace('223546 + 8 [1]', '223546 + 8 [65531]'));
  const bad = await checkFiles([eio]);
  assert.match(bad.findings.find((f) => f.rule === 'io-error')!.message, /-EIO/);
});

test('an input from which no event could be read exits 2 and says so, not "0 errors"', async () => {
  const file = join(tmp, 'unreadable.blkparse.txt');
  writeFileSync(file, '  8,0    3        1     0.000000000   697  Q   ZZZZ 223490 + 8 [kjournald]\n  8,0    3        2     0.000001000   697  Q   ZZZZ 223498 + 8 [kjournald]\n');
  for (const cmd of ['check', 'stats']) {
    const r = await runCli([cmd, file]);
    assert.equal(r.code, 2, `${cmd}: ${r.stdout}`);
    assert.match(r.stderr, /no event could be read \(2 unreadable lines as blkparse; first: blkparse: unreadable RWBS at line 1\)/);
    assert.doesNotMatch(r.stdout, /0 error/);
  }
  const forced = await runCli(['check', '--format', 'blkparse', join(ROOT, 'README.md')]);
  assert.equal(forced.code, 2);
  assert.match(forced.stderr, /no event could be read/);
});

const EMPTY = join(ROOT, 'fixtures/empty');

test('a device traced and silent (real capture: blkparse "0 entries", empty ftrace buffers) is valid input: exit 0', async () => {
  for (const f of ['loop0.blkparse.txt', 'ftrace-blk.txt', 'ftrace-blk-classic.txt', 'block-events.txt']) {
    const r = await runCli(['check', '--json', join(EMPTY, f)]);
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { findings: unknown[] };
    assert.deepEqual(doc.findings, [], f);
  }
  // blkparse names the device: it is listed, with its name and zero counts, by check and by stats
  const c = await runCli(['check', '--json', join(EMPTY, 'loop0.blkparse.txt')]);
  const dev = (JSON.parse(c.stdout) as { devices: Array<Record<string, unknown>> }).devices;
  assert.equal(dev.length, 1);
  assert.equal(dev[0]!['name'], 'loop0');
  assert.equal(dev[0]!['writesCompleted'], 0);
  assert.equal(dev[0]!['flushesCompleted'], 0);
  const [s] = await statsFile(join(EMPTY, 'loop0.blkparse.txt'));
  assert.equal(s!.events, 0);
  assert.equal(s!.device, dev[0]!['device']);
  // --cache names it too
  const wb = await checkFiles([join(EMPTY, 'loop0.blkparse.txt')], {}, {});
  assert.deepEqual(tally(wb.findings, true), {});
  const declared = await runCli(['check', '--cache', 'loop0=writeback', join(EMPTY, 'loop0.blkparse.txt')]);
  assert.equal(declared.code, 0, declared.stderr);
});
