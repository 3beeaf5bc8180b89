/**
 * Every real excerpt in ../shared/wild (other kernels, devices, tools, mail
 * and blog mangling) is read without a crash: whatever is not understood is
 * counted by reason; a file that is no trace at all is refused with a clear
 * message. Runs only when the shared corpus is present (the fixtures/
 * copies of several wild files are covered by each format's own tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, InputError } from '../src/index.js';
import { ROOT } from './helpers/cli.js';

const WILD = join(ROOT, '../shared/wild');

test('every wild file is read without a crash; what is not understood is counted', { skip: !existsSync(WILD) && 'no ../shared/wild here' }, async () => {
  const files = readdirSync(WILD).filter((f) => f !== 'MANIFEST.md' && !/\.blktrace\.[1-9]\d*$/.test(f));
  assert.ok(files.length >= 40);
  const refused: string[] = [];
  for (const f of files) {
    // a per-CPU member names its whole set, like blkparse -i
    const path = join(WILD, f);
    try {
      const r = await analyze([path], { stageOptions: { check: {} }, stages: ['stats', 'check'] });
      const events = r.inputs.reduce((n, i) => n + i.events, 0);
      assert.ok(events > 0 || r.diagnostics.length > 0, `${f}: neither events nor counted skips`);
    } catch (err) {
      assert.ok(err instanceof InputError, `${f}: ${(err as Error).stack}`);
      assert.match(err.message, /not a trace blkaudit can read|is empty|no event could be read/);
      refused.push(f);
    }
  }
  // 42 is QEMU memory-allocation events (no block I/O) in the 2010 simpletrace grammar: still a trace it reads.
  // Refused, exit 2 (issue 12: an input from which no event could be read is not "0 errors"): excerpts whose
  // every event line was wrapped by a mail client or a blog, so not one event can be read from them.
  assert.deepEqual(refused.sort(), [
    '21-android-f2fs-ufs-dm-remap-split-gmail-wrapped.ftrace.txt',
    '25-ubuntu24.04-6.14-sata-ioprio-field-latency-fmt-wrapped.trace-cmd.txt',
    '40-blktrace-ext-rfc-2020-zone-append-prio-column-wrapped.blkparse.txt',
  ]);
});

test('the CentOS 7 capture: the dm → partition → disk remap chain is followed', { skip: !existsSync(WILD) && 'no ../shared/wild here' }, async () => {
  const events: Array<{ dev: string; from: string }> = [];
  await analyze([join(WILD, '01-centos7-sda-mynotes')], {
    stages: [],
    onEvent: (e) => {
      if (e.act === 15) events.push({ dev: `${e.dev >> 20},${e.dev & 0xfffff}`, from: `${e.auxDev >> 20},${e.auxDev & 0xfffff}` });
    },
  });
  const chain = new Set(events.map((e) => `${e.from}->${e.dev}`));
  assert.deepEqual([...chain].sort(), ['253,0->8,2', '8,2->8,0']);
  assert.equal(events.filter((e) => e.from === '253,0').length, events.filter((e) => e.from === '8,2').length);
});
