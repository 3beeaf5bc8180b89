/**
 * The checker on real captures: the copies in fixtures/check/real (always),
 * and every single-layer blkparse trace of ../shared/corpus when it exists.
 * Expected counts and verdicts come from the corpus' EXPECTED.json (its
 * subset is copied next to the fixtures), never from blkaudit's own output;
 * for trimmed copies the counts come from counting their C lines.
 */
import { CORPUS_DIR } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles, checkFixture, tally } from './helpers/check-run.js';
import { parseCacheDeclaration } from '../src/check/cache.js';

interface Expected {
  captures: Array<{
    dir: string;
    files: string[];
    counts: Record<string, Record<string, number>>;
    verdict: 'clean' | 'violation';
    rules: string[];
    options?: string[];
  }>;
}

const REAL = checkFixture('real');
const expected = JSON.parse(readFileSync(join(REAL, 'EXPECTED.json'), 'utf8')) as Expected;

/** Independent oracle: C lines of writes with data, and C FN lines, per device. */
function countCompletions(path: string): Record<string, { writesCompleted: number; flushesCompleted: number }> {
  const out: Record<string, { writesCompleted: number; flushesCompleted: number }> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+,\d+$/.test(f[0]!) || f[5] !== 'C') continue;
    const d = (out[f[0]!] ??= { writesCompleted: 0, flushesCompleted: 0 });
    if (f[6] === 'FN') d.flushesCompleted++;
    else if (/^F?W/.test(f[6]!) && f[8] === '+' && Number(f[9]) > 0) d.writesCompleted++;
  }
  return out;
}

function countsOf(devices: Array<{ device: string; writesCompleted: number; flushesCompleted: number }>) {
  return Object.fromEntries(devices.map((d) => [d.device, { writesCompleted: d.writesCompleted, flushesCompleted: d.flushesCompleted }]));
}

/** The device's values for exactly the counts `want` names (EXPECTED.json adds fuaWrites for the bio-based dm-0 and md0). */
function pick(device: object, want: Record<string, number>): Record<string, number> {
  const d = device as Record<string, unknown>;
  return Object.fromEntries(Object.keys(want).map((k) => [k, d[k] as number]));
}

for (const c of expected.captures) {
  test(`real capture ${c.dir} ${(c.options ?? []).join(' ')}: counts equal EXPECTED.json; verdict ${c.verdict}`, async () => {
    const files = c.files.map((f) => join(REAL, c.dir, f));
    const opts = c.options ?? [];
    const cache = opts.flatMap((o, i) => (opts[i - 1] === '--cache' ? [parseCacheDeclaration(o)] : []));
    const r = await checkFiles(files, { cache });
    assert.deepEqual(r.devices.map((d) => d.device).sort(), Object.keys(c.counts).sort());
    for (const d of r.devices) assert.deepEqual(pick(d, c.counts[d.device]!), c.counts[d.device], d.device);
    const bad = r.findings.filter((f) => f.severity !== 'info');
    if (c.verdict === 'clean') assert.deepEqual(tally(r.findings), {}, JSON.stringify(bad, null, 1));
    else assert.deepEqual([...new Set(bad.filter((f) => f.severity === 'error').map((f) => f.rule))], c.rules);
  });
}

test('ext4-nobarrier: flush-never-issued over its 194 write completions and 0 flushes — error when loop1 is declared write-back, warning otherwise', async () => {
  const file = join(REAL, 'host-ext4-nobarrier', 'loop1.blkparse.txt');
  const declared = await checkFiles([file], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(declared.findings), { 'flush-never-issued:error': 1 });
  const f = declared.findings[0]!;
  assert.equal(f.details!['writesCompleted'], 194);
  assert.equal(f.details!['volatileWrites'], 194);
  assert.equal(f.details!['flushesCompleted'], 0);
  assert.equal(declared.devices[0]!.cacheSource, 'declared');
  const undeclared = await checkFiles([file]);
  assert.deepEqual(tally(undeclared.findings), { 'flush-never-issued:warning': 1 });
  assert.match(undeclared.findings[0]!.message, /cache mode unknown/);
  assert.doesNotMatch(declared.findings[0]!.message, /cache mode unknown/);
  assert.equal(undeclared.devices[0]!.cache, 'unknown');
});

test('with barriers at most a few sync metadata writes complete between two flushes (real ext4/xfs/lol captures)', async () => {
  for (const dir of ['host-ext4-fsync', 'host-xfs-fsync', 'host-lol-buffered']) {
    const files = expected.captures.find((c) => c.dir === dir)!.files.map((f) => join(REAL, dir, f));
    const r = await checkFiles(files);
    for (const d of r.devices) assert.ok(d.maxSyncMetaPerEpoch <= 5, `${dir} ${d.device}: ${d.maxSyncMetaPerEpoch}`);
  }
  const nb = await checkFiles([join(REAL, 'host-ext4-nobarrier', 'loop1.blkparse.txt')]);
  assert.ok(nb.devices[0]!.maxSyncMetaPerEpoch >= 40);
});

test('flush sequences are recognised: every request of the flushed captures ends, no orphan completion, nothing left volatile', async () => {
  for (const dir of ['host-ext4-fsync', 'host-xfs-fsync', 'host-raw-odirect-dsync']) {
    const r = await checkFiles([join(REAL, dir, 'loop1.blkparse.txt')]);
    assert.deepEqual(tally(r.findings, true), {}, dir);
    assert.equal(r.devices[0]!.volatileAtEndWrites, 0, dir);
  }
});

test('trimmed real captures (fio-fsync, mixed-rw loop1): counts equal their C lines, no error or warning', async () => {
  for (const dir of ['host-fio-fsync-trimmed', 'host-mixed-rw-trimmed']) {
    const file = join(REAL, dir, 'loop1.blkparse.txt');
    const r = await checkFiles([file]);
    assert.deepEqual(countsOf(r.devices), countCompletions(file), dir);
    assert.deepEqual(tally(r.findings), {}, dir);
  }
});

test('mixed-rw loop1: raw O_DIRECT writes nobody asked to make durable are info only, with their count', async () => {
  const file = join(REAL, 'host-mixed-rw-trimmed', 'loop1.blkparse.txt');
  const r = await checkFiles([file], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(r.findings), {});
  const info = r.findings.find((f) => f.rule === 'unflushed-at-end')!;
  assert.equal(info.details!['writes'], countCompletions(file)['7,1']!.writesCompleted);
});

test('guest vda of vm-writethrough alone: a warning without --cache, clean once vda is declared write-through', async () => {
  const file = join(REAL, 'guest-vm-writethrough-threads', 'vda.blkparse.txt');
  const r = await checkFiles([file]);
  assert.deepEqual(tally(r.findings), { 'flush-never-issued:warning': 1 });
  const wt = await checkFiles([file], { cache: [parseCacheDeclaration('vda=writethrough')] });
  assert.deepEqual(tally(wt.findings, true), {});
});

test('--at on ext4-fsync: a data write waiting for its fsync flush is at risk; after the flush nothing is', async () => {
  const file = join(REAL, 'host-ext4-fsync', 'loop1.blkparse.txt');
  // line 1167: C WS 263392 + 16 at 0.043659812; Q FWS 0.043700678; D FN 0.043708139; C FN 0.043868848
  const before = await checkFiles([file], { at: 0.0437 });
  assert.equal(before.at[0]!.writes, 1);
  assert.deepEqual(before.at[0]!.ranges, [{ start: 263392, end: 263408 }]);
  assert.equal(before.at[0]!.evidence[0]!.loc, 1167);
  const after = await checkFiles([file], { at: 0.04387 });
  assert.equal(after.at[0]!.writes, 0);
  // inside a journal commit: C WSM 1051408 + 8 (0.069631267) waits for its post-flush (C FN 0.069910191)
  const commit = await checkFiles([file], { at: 0.0697 });
  assert.ok(commit.at[0]!.ranges.some((x) => x.start <= 1051408 && x.end >= 1051416));
  const end = await checkFiles([file], { at: 99 });
  assert.equal(end.at[0]!.afterEnd, true);
  assert.equal(end.at[0]!.writes, 0);
});

// ---- the whole corpus, when present (not in CI) ----
const CORPUS = CORPUS_DIR;

test('corpus sweep: every single-layer blkparse trace — counts equal EXPECTED.json, errors/warnings only where single-layer semantics show them', async (t) => {
  if (!existsSync(join(CORPUS, 'EXPECTED.json'))) {
    t.skip('no ../shared/corpus here');
    return;
  }
  const exp = JSON.parse(readFileSync(join(CORPUS, 'EXPECTED.json'), 'utf8')) as {
    captures: Array<{ name: string; inputs: string[]; counts: Record<string, unknown> }>;
  };
  // A single layer shows these and nothing else: no flush ever reaches a device
  // whose journal keeps committing (nobarrier), or whose cache the trace cannot
  // show to be write-through (the guest of vm-writethrough: virtio WCE=0).
  const expectedFindings: Record<string, Record<string, number>> = {
    'host/ext4-nobarrier/loop1.blkparse.txt': { 'flush-never-issued:warning': 1 },
    'host/lol-bottom-nobarrier/loop1.blkparse.txt': { 'flush-never-issued:warning': 1 },
    'guest/vm-writethrough-threads/guest/vda.blkparse.txt': { 'flush-never-issued:warning': 1 },
  };
  let n = 0;
  for (const c of exp.captures) {
    for (const input of c.inputs) {
      const rel = input.replace(/^\w+=/, '');
      if (!rel.endsWith('.blkparse.txt')) continue;
      const layer = /^(\w+)=/.exec(input)?.[1];
      const counts = (layer && c.counts[layer] ? c.counts[layer] : c.counts) as Record<string, unknown>;
      const r = await checkFiles([join(CORPUS, rel)]);
      // every count EXPECTED.json states for the device (the stack capture adds fuaWrites for dm-0 and md0)
      for (const d of r.devices) {
        const want = counts[d.device] as Record<string, number> | undefined;
        assert.ok(want, `${rel} ${d.device}: not in EXPECTED.json`);
        assert.deepEqual(pick(d, want), want, `${rel} ${d.device}`);
      }
      assert.deepEqual(tally(r.findings), expectedFindings[rel] ?? {}, rel);
      n++;
    }
  }
  // 24 before guest/vm-stack-none-threads, which adds dm-0, md0, vda, vdb, loop1 and loop2.
  assert.equal(n, 30);
  const declared = await checkFiles([join(CORPUS, 'host/lol-bottom-nobarrier/loop1.blkparse.txt')], { cache: [parseCacheDeclaration('loop1=writeback')] });
  assert.deepEqual(tally(declared.findings), { 'flush-never-issued:error': 1 });
});
