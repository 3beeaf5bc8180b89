/**
 * Sweeps the shared corpus when it is present (never in CI): every per-CPU
 * blktrace set must give exactly the events blkparse printed for it, and each
 * capture's ftrace-blk-bin.raw the same events as its sets merged.
 */
import { CORPUS_DIR } from './helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveBlktraceSet } from '../src/io/blktrace-files.js';
import { ftraceBlkBinFormat } from '../src/formats/blktrace/spec.js';
import { parseBuffer } from './helpers/chunking.js';
import { cgroupMessages, compareWithBlkparse, parseBlkparseText, readSet, withoutMessages } from './blktrace-helpers.js';

const CORPUS = CORPUS_DIR;

function blktraceDirs(root: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (!statSync(p).isDirectory()) continue;
    if (name === 'blktrace') out.push(p);
    else out.push(...blktraceDirs(p));
  }
  return out.sort();
}

test('corpus: every blktrace set equals its blkparse text, event by event', async (t) => {
  if (!existsSync(CORPUS)) return t.skip(`no corpus at ${CORPUS}`);
  let sets = 0;
  let unprintedMessages = 0;
  for (const dir of blktraceDirs(CORPUS)) {
    const resolved = (await resolveBlktraceSet(dir))!;
    assert.deepEqual(resolved.ignored, [], dir);
    for (const name of resolved.names) {
      const files = resolved.files.filter((f) => f.startsWith(join(dir, `${name}.blktrace.`)));
      const r = await readSet(files);
      assert.equal(r.diag.total, 0, `${dir}/${name}: ${JSON.stringify(r.diag.list())}`);
      const text = parseBlkparseText(readFileSync(join(dirname(dir), `${name}.blkparse.txt`)));
      // blkparse 1.2.0 prints no message tagged with a cgroup id (md0 of guest/vm-stack-none-threads:
      // "md md_update_sb"): every event it left out must be such a record of the files (cgroupMessages).
      const unprinted = cgroupMessages(files);
      unprintedMessages += unprinted.length;
      assert.deepEqual(compareWithBlkparse(withoutMessages(r.events, unprinted), text), [], `${dir}/${name}`);
      sets++;
    }
  }
  assert.ok(sets >= 20, `${sets} sets`);
  assert.ok(unprintedMessages >= 1, 'the stack capture holds a cgroup-tagged message');
});

test('corpus: ftrace-blk-bin.raw gives the events of the blktrace sets', async (t) => {
  if (!existsSync(CORPUS)) return t.skip(`no corpus at ${CORPUS}`);
  for (const dir of blktraceDirs(CORPUS)) {
    const raw = join(dirname(dir), 'ftrace-blk-bin.raw');
    if (!existsSync(raw)) continue;
    const bin = parseBuffer(ftraceBlkBinFormat, readFileSync(raw));
    assert.equal(bin.diag.total, 0, raw);
    const set = await readSet((await resolveBlktraceSet(dir))!.files);
    // blkparse-style merge and ftrace's own order may break time ties differently: compare as sorted lists
    const key = (e: (typeof bin.events)[number]) =>
      [e.time, e.dev, e.cpu, e.act, e.op, e.flags, e.sector, e.bytes, e.error, e.pid, e.aux, e.auxDev, e.text].join(' ');
    assert.deepEqual(bin.events.map(key).sort(), set.events.map(key).sort(), raw);
  }
});
