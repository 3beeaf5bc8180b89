/**
 * One set of per-device facts (issue 12): `stats` and `check` state the same
 * completed flushes, completions without issue, lost events and time
 * reversals for every device of every trace — the copies in fixtures/ always,
 * and every trace of ../shared/corpus and ../shared/wild when they exist.
 * Where the text shows the number plainly, it is also counted from the text
 * here (an oracle independent of the readers and of src/track).
 */
import { CORPUS_DIR, ROOT } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { analyze, InputError } from '../src/index.js';
import { statsOf } from '../src/stats/stage.js';
import { checkOf } from '../src/check/stage.js';
import type { Finding } from '../src/check/types.js';
import { tempDir } from './helpers/tmp.js';

const FACTS = join(ROOT, 'fixtures/facts');
const BLKPARSE = join(ROOT, 'fixtures/blkparse');
const WILD = process.env['BLKAUDIT_WILD'] ?? join(ROOT, '../shared/wild');

interface Seen {
  flushes: number;
  orphans: number;
  lost: number;
  reversals: number;
}

async function both(inputs: string[]): Promise<{ stats: Map<string, Seen>; check: Map<string, Seen>; findings: Finding[] }> {
  const s = await analyze(inputs, { stages: ['stats'], stageOptions: { stats: {} } });
  const c = await analyze(inputs, { stages: ['check'], stageOptions: { check: {} } });
  const stats = new Map<string, Seen>();
  for (const { layer, stats: d } of statsOf(s)) {
    const r = d.requests;
    stats.set(`${layer}|${d.device}`, {
      flushes: d.flushes.completed,
      orphans: r.completionWithoutIssue + r.zeroByteCompletionWithoutIssue + r.flushCompletionWithoutIssue,
      lost: d.facts.lostEvents,
      reversals: d.facts.timeReversals,
    });
  }
  const check = new Map<string, Seen>();
  for (const d of checkOf(c).devices) {
    const orphan = c.findings.find((f) => f.rule === 'completion-without-issue' && f.device === d.device && f.layer === d.layer);
    const reversed = c.findings.find((f) => f.rule === 'requests-in-flight-at-end' && f.device === d.device && f.details?.['discontinuities'] !== undefined);
    check.set(`${d.layer}|${d.device}`, {
      flushes: d.flushesCompleted,
      orphans: (orphan?.details?.['count'] as number | undefined) ?? 0,
      lost: d.facts.lostEvents,
      reversals: (reversed?.details?.['discontinuities'] as number | undefined) ?? 0,
    });
  }
  return { stats, check, findings: c.findings };
}

async function assertAgree(inputs: string[], label: string): Promise<Map<string, Seen>> {
  const { stats, check } = await both(inputs);
  assert.deepEqual([...check.keys()].sort(), [...stats.keys()].sort(), `${label}: devices`);
  for (const [dev, s] of stats) assert.deepEqual(check.get(dev), s, `${label} ${dev}: check vs stats`);
  return stats;
}

/** Event lines of blkparse default output: [dev, cpu, time(s), action, rwbs]. */
function blkparseLines(path: string): Array<{ dev: string; cpu: number; time: number; act: string; rwbs: string; rest: string }> {
  const out = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*(\d+,\d+)\s+(\d+)\s+\d+\s+(\d+\.\d+)\s+\d+\s+([A-Z]+)\s+(\S+)(.*)$/.exec(line);
    if (m) out.push({ dev: m[1]!, cpu: Number(m[2]), time: Number(m[3]), act: m[4]!, rwbs: m[5]!, rest: m[6]! });
  }
  return out;
}

test('pmem with Q and C only (wild 12): each PREFLUSH bio is a completed flush, in stats and check alike', async () => {
  const file = join(FACTS, 'wild-12-xfs-pmem-5.19rc2-preflush-fua-QC-only.blkparse.txt');
  const oracle = blkparseLines(file).filter((l) => l.act === 'C' && l.rwbs.startsWith('F')).length;
  assert.equal(oracle, 7);
  const seen = await assertAgree([file], 'wild 12');
  assert.equal(seen.get('|259,1')!.flushes, oracle);
  assert.equal(seen.get('|259,1')!.orphans, 0);
});

test('D FN, C FN 0, C NS 0: one flush each, not two (the C NS 0 matched nothing)', async () => {
  const file = join(FACTS, 'flush-fn-then-ns.blkparse.txt');
  const lines = blkparseLines(file);
  const seen = await assertAgree([file], 'fn-then-ns');
  assert.equal(seen.get('|7,1')!.flushes, lines.filter((l) => l.act === 'C' && l.rwbs === 'FN').length);
  assert.equal(seen.get('|7,1')!.orphans, lines.filter((l) => l.act === 'C' && l.rwbs === 'NS').length);
});

test('six concatenated runs (wild 10): time reversals counted once, the same in both, equal to the text', async () => {
  const file = join(BLKPARSE, 'wild-10-nullblk-5.11-sched-bounce-split-requeue.blkparse.txt');
  const lines = blkparseLines(file);
  let back = 0;
  for (let i = 1; i < lines.length; i++) if (lines[i]!.time < lines[i - 1]!.time) back++;
  const seen = await assertAgree([file], 'wild 10');
  assert.equal(seen.get('|252,0')!.reversals, back);
  assert.ok(back >= 5, `${back}`);
});

test('a CPU stamped ~1266874889 s (wild 08, 09) is reported per CPU, not read as a 40-year-old write', async () => {
  for (const name of ['wild-08-aws-i3-nvme-md-ubuntu-5.4.0-1068-aws.blkparse.txt', 'wild-09-aws-i3-nvme-md-ubuntu-4.4.0-1137-aws.blkparse.txt']) {
    const file = join(FACTS, name);
    const offCpus = [...new Set(blkparseLines(file).filter((l) => l.time > 1e6).map((l) => l.cpu))].sort((a, b) => a - b);
    assert.ok(offCpus.length >= 1, name);
    await assertAgree([file], name);
    const { findings } = await both([file]);
    const clock = findings.filter((f) => f.rule === 'cpu-clock-off');
    assert.deepEqual(clock.map((f) => f.details!['cpu'] as number).sort((a, b) => a - b), offCpus, name);
    for (const f of clock) assert.ok((f.details!['offsetSeconds'] as number) > 1e9, name);
    const c = await analyze([file], { stages: ['check'], stageOptions: { check: {} } });
    for (const d of checkOf(c).devices) assert.ok(d.maxVolatileSeconds < 1, `${name}: ${d.maxVolatileSeconds}`);
    for (const f of c.findings) assert.doesNotMatch(f.message, /\d{7,}\.\d+ s\b(?! ahead)/, `${name}: ${f.message}`);
    // five fio jobs write sector 399368 (wild 09): whether two were at the device at once hangs on the re-based clock
    const overlap = findings.filter((f) => f.rule === 'overlapping-writes-in-flight');
    assert.ok(overlap.every((f) => f.severity === 'info' && f.details!['reason'] === 'clock'), name);
    if (name.startsWith('wild-09')) assert.deepEqual(overlap.map((f) => f.details!['pairs']), [4]);
  }
});

test('two layers that each lost 3 events report 3 each, not 6', async () => {
  const src = join(ROOT, 'fixtures/check/lost-events.blkparse.txt');
  const dir = tempDir('blkaudit-facts-');
  const copy = join(dir, basename(src));
  copyFileSync(src, copy);
  const { stats, findings } = await both([`a=${src}`, `b=${copy}`]);
  const lost = findings.filter((f) => f.rule === 'lost-events');
  assert.deepEqual(lost.map((f) => [f.layer, f.details!['count']]).sort(), [['a', 3], ['b', 3]]);
  for (const [dev, s] of stats) assert.equal(s.lost, 3, dev);
  await assertAgree([`a=${src}`, `b=${copy}`], 'two layers');
});

test('every fixture copy of a trace that once disagreed: stats and check agree', async () => {
  const files = [
    ...readdirSync(FACTS).filter((f) => f.endsWith('.txt')).map((f) => join(FACTS, f)),
    ...readdirSync(BLKPARSE).filter((f) => f.startsWith('wild-')).map((f) => join(BLKPARSE, f)),
  ];
  assert.ok(files.length >= 10);
  for (const f of files) await assertAgree([f], basename(f));
});

/** Every file under `dir` that blkaudit reads as a trace of block events (others are skipped). */
function traceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!/\.(md|json|jsonl|py|gz)$|btt\.txt$|\.blktrace\.[1-9]\d*$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

for (const [label, dir] of [['corpus', CORPUS_DIR], ['wild', WILD]] as const) {
  test(`sweep of ../shared/${label}: stats and check give the same facts per device`, { skip: !existsSync(dir) && `no ../shared/${label} here` }, async (t) => {
    let swept = 0;
    for (const f of traceFiles(dir)) {
      try {
        await assertAgree([f], f.slice(dir.length + 1));
        swept++;
      } catch (e) {
        if (e instanceof InputError) continue; // not a trace (logs, notes)
        throw e;
      }
    }
    assert.ok(swept >= 20, `swept ${swept}`);
    t.diagnostic(`${swept} traces swept`);
  });
}
