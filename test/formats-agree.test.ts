/**
 * One capture read from each of its files — blkparse text, the per-CPU
 * blktrace set, ftrace blk text (default and classic), tracepoint text and
 * the trace-cmd report — gives the same per-device counts and the same
 * findings. Runs on the real copies in fixtures/ always, and on every capture
 * of ../shared/corpus when it is present. Detection gives the same answer
 * whatever the file is called.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, type Report } from '../src/index.js';
import { CORPUS_DIR, ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const CORPUS = CORPUS_DIR;

/** Findings as rule/severity/device, sorted: what must not depend on the format. */
function verdict(r: Report): string[] {
  return r.findings.map((f) => `${f.rule}/${f.severity}/${f.device}`).sort();
}

function counts(r: Report): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of r.devices) {
    const c = d['check'] as { writesCompleted: number; flushesCompleted: number; fuaWrites: number } | undefined;
    if (c) out[d.device] = { writes: c.writesCompleted, flushes: c.flushesCompleted, fua: c.fuaWrites };
  }
  return out;
}

async function run(input: string): Promise<Report> {
  return analyze([input], { stages: ['check'], stageOptions: { check: {} } });
}

async function agree(label: string, inputs: string[]): Promise<void> {
  const ref = await run(inputs[0]!);
  for (const input of inputs.slice(1)) {
    const r = await run(input);
    assert.deepEqual(counts(r), counts(ref), `${label}: counts of ${input} vs ${inputs[0]}`);
    assert.deepEqual(verdict(r), verdict(ref), `${label}: findings of ${input} vs ${inputs[0]}`);
  }
}

test('raw O_DSYNC capture (fixtures): six files, one verdict', async () => {
  await agree('raw-odirect-dsync', [
    join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/loop1.blkparse.txt'),
    join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/loop1'),
    join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/ftrace-blk-bin.raw'),
    join(ROOT, 'fixtures/ftrace/raw-odirect-dsync.ftrace-blk.txt'),
    join(ROOT, 'fixtures/ftrace/raw-odirect-dsync.ftrace-blk-classic.txt'),
    join(ROOT, 'fixtures/tracepoint/raw-odirect-dsync.block-events.txt'),
    join(ROOT, 'fixtures/tracepoint/raw-odirect-dsync.block-events.report.txt.gz'),
  ]);
});

test('detection does not depend on the file name', async () => {
  const dir = tempDir('blkaudit-names-');
  const files = [
    'fixtures/blktrace/raw-odirect-dsync/loop1.blkparse.txt', 'fixtures/blktrace/raw-odirect-dsync/loop1.blktrace.0',
    'fixtures/ftrace/raw-odirect-dsync.ftrace-blk.txt', 'fixtures/tracepoint/raw-odirect-dsync.block-events.txt',
    'fixtures/tracepoint/raw-odirect-dsync.block-events.report.txt.gz', 'fixtures/csv/msr-layout-handmade.csv',
    'fixtures/scenarios/vm-none-threads/qemu-trace.log',
  ];
  for (const [i, f] of files.entries()) {
    const renamed = join(dir, `input-${i}`);
    copyFileSync(join(ROOT, f), renamed);
    const a = await analyze([join(ROOT, f)], { stages: [] });
    const b = await analyze([renamed], { stages: [] });
    assert.equal(b.inputs[0]!.format, a.inputs[0]!.format, f);
    assert.equal(b.inputs[0]!.events, a.inputs[0]!.events, f);
  }
});

test('several devices in one stream are separated per device, with the counts each has alone', async () => {
  const dir = join(ROOT, 'fixtures/check/real/host-discard');
  const parts = readdirSync(dir).filter((f) => f.endsWith('.blkparse.txt')).sort().map((f) => join(dir, f));
  assert.ok(parts.length >= 2);
  const alone: Record<string, unknown> = {};
  for (const p of parts) Object.assign(alone, counts(await run(p)));
  const joined = join(tempDir('blkaudit-cat-'), 'all.txt');
  writeFileSync(joined, Buffer.concat(parts.map((p) => readFileSync(p))));
  const r = await run(joined);
  assert.deepEqual(counts(r), alone);
  assert.equal(Object.keys(alone).length, parts.length);
});

test('every corpus capture: blkparse text, blktrace set, ftrace, classic, tracepoints and trace-cmd agree', { skip: !existsSync(CORPUS) && 'no ../shared/corpus here' }, async () => {
  const dirs: string[] = [];
  for (const group of ['host', 'qemu-io', 'guest']) {
    for (const name of readdirSync(join(CORPUS, group))) {
      const base = join(CORPUS, group, name);
      if (group === 'guest') dirs.push(join(base, 'guest'), join(base, 'host'));
      else dirs.push(base);
    }
  }
  let compared = 0;
  for (const dir of dirs) {
    const set = readdirSync(join(dir, 'blktrace')).filter((f) => f.endsWith('.blktrace.0')).map((f) => f.replace(/\.blktrace\.0$/, ''));
    const inputs = [
      ...readdirSync(dir).filter((f) => f.endsWith('.blkparse.txt')).map((f) => join(dir, f)),
      join(dir, 'blktrace'),
      join(dir, 'ftrace-blk.txt'),
      join(dir, 'ftrace-blk-classic.txt'),
      join(dir, 'block-events.txt'),
    ];
    if (existsSync(join(dir, 'block-events.report.txt.gz'))) inputs.push(join(dir, 'block-events.report.txt.gz'));
    // per-device text files are compared as one layer against the whole-capture files
    const perDevice = inputs.filter((p) => p.endsWith('.blkparse.txt'));
    const ref = await analyze(perDevice, { stages: ['check'], stageOptions: { check: {} } });
    for (const input of inputs.filter((p) => !p.endsWith('.blkparse.txt'))) {
      const r = await run(input);
      assert.deepEqual(counts(r), counts(ref), `${dir}: ${input}`);
      assert.deepEqual(verdict(r), verdict(ref), `${dir}: findings of ${input}`);
      compared++;
    }
    assert.ok(set.length >= 1);
  }
  assert.ok(compared >= 80, `${compared} comparisons`);
});
