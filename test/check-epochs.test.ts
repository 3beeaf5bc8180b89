/**
 * flush-never-issued per flush epoch (issue 13): a stretch of >= MIN_LEVELS
 * ordered commit levels with no flush between them fires even when the
 * trace has flushes elsewhere; with barriers it never does. Real captures
 * only: fixtures/check/real/ext4-remount-nobarrier (one commit with flushes,
 * then `remount,barrier=0`) and every clean capture copied next to it, plus
 * the clean single-layer blkparse traces of ../shared/corpus when present.
 */
import { CORPUS_DIR } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles, checkFixture, tally } from './helpers/check-run.js';
import { parseCacheDeclaration } from '../src/check/cache.js';
import { MIN_LEVELS_AFTER_FLUSH } from '../src/check/rules/flush-never-issued.js';

const REAL = checkFixture('real');
const REMOUNT = join(REAL, 'ext4-remount-nobarrier', 'loop0.blkparse.txt');

test('ext4 remounted nobarrier after one flushed commit: flush-never-issued fires on the stretch after the last flush', async () => {
  const r = await checkFiles([REMOUNT]);
  // the oracle from the text: flush requests exist (2 x C FN), and the last F-flagged event is at line 68
  const lines = readFileSync(REMOUNT, 'utf8').split('\n');
  const flagged = lines.map((l, i) => [l.trim().split(/\s+/), i + 1] as const).filter(([f]) => /^\d+,\d+$/.test(f[0] ?? '') && /F/.test(f[6] ?? ''));
  assert.equal(flagged.at(-1)![1], 68);
  assert.equal(r.devices[0]!.flushesCompleted, 2);
  assert.deepEqual(tally(r.findings), { 'flush-never-issued:warning': 1 });
  const f = r.findings[0]!;
  assert.ok((f.details!['levelsWithoutFlush'] as number) >= MIN_LEVELS_AFTER_FLUSH);
  assert.match(f.message, /after the last flush or FUA \(at 0\.021560 s\)/);
  // the evidence lies after the last flush, not before it
  for (const e of f.evidence) assert.ok(e.loc > 68, `evidence line ${e.loc}`);
  const declared = await checkFiles([REMOUNT], { cache: [parseCacheDeclaration('loop0=writeback')] });
  assert.deepEqual(tally(declared.findings), { 'flush-never-issued:error': 1 });
  // the writes left after the flush are not reported twice as unflushed-at-end
  assert.equal(declared.findings.filter((x) => x.rule === 'unflushed-at-end').length, 0);
});

interface Expected {
  captures: Array<{ dir: string; files: string[]; verdict: string; options?: string[] }>;
}

test('silent on every clean real capture copied in fixtures/check/real (barriers on: every epoch is short)', async () => {
  const exp = JSON.parse(readFileSync(join(REAL, 'EXPECTED.json'), 'utf8')) as Expected;
  // a guest layer alone (vm-writethrough's vda never flushes) warns until its cache is declared: check-corpus tests it
  const clean = exp.captures.filter((c) => c.verdict === 'clean' && !c.dir.startsWith('guest-'));
  assert.ok(clean.length >= 5);
  for (const c of clean) {
    for (const file of c.files) {
      const r = await checkFiles([join(REAL, c.dir, file)], { cache: [] });
      assert.equal(r.findings.filter((f) => f.rule === 'flush-never-issued').length, 0, `${c.dir}/${file}`);
    }
  }
  for (const dir of ['host-fio-fsync-trimmed', 'host-mixed-rw-trimmed']) {
    const r = await checkFiles([join(REAL, dir, 'loop1.blkparse.txt')]);
    assert.equal(r.findings.filter((f) => f.rule === 'flush-never-issued').length, 0, dir);
  }
});

test('with barriers a stretch between two flushes stays short on every real guest stack (dm-0, md0, vda): the margin holds', async () => {
  // fixtures/stacks: each guest layer alone of every clean capture (the guest filesystem had barriers); the
  // violation captures break promises below the guest (vm-stack-flakey-drop's dm-0 is the dm-flakey target itself)
  const STACKS = join(REAL, '../../stacks');
  const clean = (JSON.parse(readFileSync(join(STACKS, 'EXPECTED.json'), 'utf8')) as { captures: Array<{ name: string; verdict: string }> })
    .captures.filter((c) => c.verdict === 'clean').map((c) => c.name);
  // The one exception to the 2x margin, measured, not excused: dm-raid1's dm-0 (vm-mirror-none-threads) reaches 10
  // levels inside one jbd2 commit. jbd2 queued its journal blocks one by one (33194, 33196, … 33208, each 2 sectors)
  // and under TCG each completed (kmirrord on the other vCPU) before the next was queued, so each counts as a level
  // although jbd2 waited for none of them (README Limits: the margin there is 1.6x, not 2x).
  const thin = new Map([['vm-mirror-none-threads/dm-0.blkparse.txt.gz', 10]]);
  // Clean only with the layer below: a guest that switched its virtio disk's cache_type at run time committed with
  // no flush while QEMU wrote through (campaign 6); its vda alone shows those levels, and QEMU's trace decides them
  // (test/stacks-camp6.test.ts).
  const switched = new Map([['vm-ctype-switch-writeback', 66], ['vm-ctype-switchback-writeback', 62], ['vm-ctype-switch-iothread-mq4-io_uring', 66],
    ['vm-ctype-toggle-writeback', 61], ['vm-ctype-toggleback-none', 68]]);
  let n = 0;
  for (const cap of readdirSync(STACKS).filter((x) => clean.includes(x))) {
    const guest = join(STACKS, cap, 'guest');
    if (!existsSync(guest)) continue;
    for (const f of readdirSync(guest).filter((x) => /^(dm-0|md0|vda)\.blkparse\.txt\.gz$/.test(x))) {
      const r = await checkFiles([join(guest, f)]);
      for (const d of r.devices) {
        if (d.flushesCompleted === 0) continue; // a guest that never flushes: the whole-trace rule's business
        n++;
        const sw = switched.get(cap);
        if (sw !== undefined) {
          assert.equal(d.maxLevelsWithoutFlush, sw, `${cap}/${f}`);
          continue;
        }
        const known = thin.get(`${cap}/${f}`);
        if (known !== undefined) assert.equal(d.maxLevelsWithoutFlush, known, `${cap}/${f}`);
        else assert.ok(d.maxLevelsWithoutFlush * 2 <= MIN_LEVELS_AFTER_FLUSH, `${cap}/${f}: ${d.maxLevelsWithoutFlush} levels between flushes`);
        assert.ok(d.maxLevelsWithoutFlush < MIN_LEVELS_AFTER_FLUSH, `${cap}/${f}: ${d.maxLevelsWithoutFlush} levels between flushes`);
        assert.equal(r.findings.filter((x) => x.rule === 'flush-never-issued').length, 0, `${cap}/${f}`);
      }
    }
  }
  assert.ok(n >= 10, `${n} devices`);
});

test('corpus sweep: flush-never-issued only on the captures the corpus says are nobarrier', async (t) => {
  const expPath = join(CORPUS_DIR, 'EXPECTED.json');
  if (!existsSync(expPath)) {
    t.skip('../shared/corpus not present');
    return;
  }
  const exp = JSON.parse(readFileSync(expPath, 'utf8')) as { captures: Array<{ name: string; inputs: string[]; verdict: string; rules?: string[] }> };
  let swept = 0;
  for (const c of exp.captures) {
    const files = c.inputs.filter((i) => !i.includes('=') && i.endsWith('.blkparse.txt'));
    if (files.length !== c.inputs.length) continue; // stacks: the cross-layer tests' business
    for (const file of files) {
      const r = await checkFiles([join(CORPUS_DIR, file)]);
      const fired = r.findings.some((f) => f.rule === 'flush-never-issued');
      if (c.verdict === 'clean') assert.equal(fired, false, `${c.name}: ${file}`);
      swept++;
    }
  }
  assert.ok(swept >= 5, `swept ${swept}`);
});
