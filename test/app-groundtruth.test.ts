/**
 * Per-window ground truth: in the tracepoint streams the lab's syncmark.so
 * shim wrote `APP <op>_begin seq=N pid=P` / `APP <op>_end seq=N` markers
 * around every sync call, in the block trace's clock. Counted here straight
 * from the text (a completed flush request = `block_rq_complete: … FF` line
 * between the two markers), independently of blkaudit's own block tracking,
 * and compared call by call with the verdicts of the app stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/index.js';
import type { AppLayerResult } from '../src/app/layer.js';

const fx = (p: string) => fileURLToPath(new URL(`../../fixtures/app/${p}`, import.meta.url));

interface Window {
  op: string;
  pid: number;
  begin: number;
  end: number;
  flushes: number;
}

/** syncmark windows by marker line numbers, with the flush completions between them. */
function markerWindows(text: string): Window[] {
  const open = new Map<string, Window>();
  const out: Window[] = [];
  const lines = text.split('\n');
  let flushesSoFar = 0;
  const at = new Map<Window, number>();
  lines.forEach((l, i) => {
    if (/block_rq_complete: +\d+,\d+ FF /.test(l) || /block_rq_complete: +\d+,\d+ FF$/.test(l)) flushesSoFar++;
    const b = /APP (fsync|fdatasync|dsync_write)_begin seq=(\d+) pid=(\d+)/.exec(l);
    if (b) {
      const w: Window = { op: b[1]!, pid: Number(b[3]), begin: i + 1, end: -1, flushes: 0 };
      open.set(b[2]!, w);
      at.set(w, flushesSoFar);
      return;
    }
    const e = /APP (?:fsync|fdatasync|dsync_write)_end seq=(\d+)/.exec(l);
    if (e && open.has(e[1]!)) {
      const w = open.get(e[1]!)!;
      open.delete(e[1]!);
      w.end = i + 1;
      w.flushes = flushesSoFar - at.get(w)!;
      out.push(w);
    }
  });
  return out;
}

async function verdicts(file: string): Promise<AppLayerResult> {
  let r: AppLayerResult[] | undefined;
  await analyze([file], {
    stages: ['check', 'app'], stageOptions: { check: { cache: [] }, app: {} },
    onStageResult: (stage, result) => {
      if (stage === 'app') r = result as AppLayerResult[];
    },
  });
  assert.ok(r && r.length === 1);
  return r[0]!;
}

for (const name of ['pg-ext4', 'pg-ext4-nobarrier']) {
  test(`${name}: every judged fdatasync and fsync agrees with the syncmark window around it`, async () => {
    const file = fx(`${name}/block-events.txt.gz`);
    const windows = markerWindows(gunzipSync(readFileSync(file)).toString('utf8'));
    const res = await verdicts(file);
    let compared = 0;
    let fsyncs = 0;
    for (const [c, v] of res.verdicts) {
      if (c.op !== 'fdatasync' && c.op !== 'fsync') continue;
      const w = windows.find((x) => x.op === c.op && x.pid === c.pid && x.begin < c.loc && x.end > c.locEnd);
      if (c.op === 'fsync' && (!w || v.kind === 'no-io')) continue; // fsyncs outside PGDATA have no marker; no-io is not judged
      assert.ok(w, `no marker window around the ${c.op} at line ${c.loc}`);
      assert.ok(v.kind === 'honored' || v.kind === 'violated', `line ${c.loc}: ${v.kind}`);
      assert.equal(v.kind === 'honored', w.flushes > 0, `line ${c.loc}: ${v.kind} but ${w.flushes} flush(es) between the markers`);
      if (c.op === 'fsync') fsyncs++;
      compared++;
    }
    assert.equal(compared - fsyncs, 22);
    assert.ok(fsyncs >= 20, `${fsyncs} fsyncs compared`);
    assert.equal(windows.filter((w) => w.op === 'fdatasync').length, 22);
  });
}

test('trace-cmd report of the same buffer: the same verdicts as the tracefs text', async () => {
  for (const name of ['pg-ext4', 'pg-ext4-nobarrier']) {
    const a = await verdicts(fx(`${name}/block-events.txt.gz`));
    const b = await verdicts(fx(`${name}/block-events.trace-cmd-report.txt.gz`));
    const kinds = (r: AppLayerResult) => r.verdicts.map(([c, v]) => `${c.pid} ${c.op} ${v.kind}`);
    assert.deepEqual(kinds(b), kinds(a));
    assert.ok(a.verdicts.length > 100);
  }
});

test('strace (realtime, aligned by causality) and tracepoints (one clock) judge each fdatasync alike', async () => {
  for (const name of ['pg-ext4', 'pg-ext4-nobarrier']) {
    let strace: AppLayerResult[] | undefined;
    await analyze([`app=${fx(`${name}/strace.txt`)}`, `disk=${fx(`${name}/loop0.blkparse.txt`)}`], {
      stages: ['check', 'app'], stageOptions: { check: { cache: [] }, app: {} },
      onStageResult: (stage, result) => {
        if (stage === 'app') strace = result as AppLayerResult[];
      },
    });
    const tp = await verdicts(fx(`${name}/block-events.txt.gz`));
    // one capture, both recorded: each process's fdatasyncs in order, with their verdicts, must match
    const seq = (r: AppLayerResult) => {
      const byPid = new Map<number, string[]>();
      for (const [c, v] of r.verdicts) if (c.op === 'fdatasync') byPid.set(c.pid, [...(byPid.get(c.pid) ?? []), v.kind]);
      return [...byPid.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1].join(','));
    };
    assert.deepEqual(seq(strace![0]!), seq(tp));
  }
});
