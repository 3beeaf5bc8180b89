import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBlktraceInput, resolveBlktraceSet } from '../src/io/blktrace-files.js';
import { tempDir } from './helpers/tmp.js';

test('resolving per-CPU sets like blkparse -i: directory, member file, base name', async (t) => {
  const dir = tempDir('blkaudit-bt-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['sda.blktrace.0', 'sda.blktrace.1', 'sda.blktrace.3', 'sdb.blktrace.0', 'sdb.blktrace.01', 'notes.txt', 'sdc']) {
    writeFileSync(join(dir, f), '');
  }
  writeFileSync(join(dir, 'sdc.blktrace.0'), '');
  mkdirSync(join(dir, 'empty'));
  const p = (f: string) => join(dir, f);

  assert.deepEqual(await resolveBlktraceSet(dir), {
    files: [p('sda.blktrace.0'), p('sda.blktrace.1'), p('sdb.blktrace.0'), p('sdc.blktrace.0')],
    names: ['sda', 'sdb', 'sdc'],
    ignored: [p('sda.blktrace.3')],
  });
  // one member names the whole set (blkparse name_fixup); CPUs stop at the first missing number
  assert.deepEqual(await resolveBlktraceInput(p('sda.blktrace.1')), [p('sda.blktrace.0'), p('sda.blktrace.1')]);
  assert.deepEqual(await resolveBlktraceInput(p('sda')), [p('sda.blktrace.0'), p('sda.blktrace.1')]);
  assert.deepEqual(await resolveBlktraceInput(p('sdb')), [p('sdb.blktrace.0')]);
  // the files' common prefix, typed or completed by a shell, names the set when no such file exists
  assert.deepEqual(await resolveBlktraceInput(p('sda.blktrace')), [p('sda.blktrace.0'), p('sda.blktrace.1')]);
  assert.deepEqual(await resolveBlktraceInput(p('sda.blktrace.')), [p('sda.blktrace.0'), p('sda.blktrace.1')]);
  assert.equal(await resolveBlktraceInput(p('nvme0n1.blktrace')), undefined);
  // not sets: an existing ordinary file (even if NAME.blktrace.0 exists), stdin, unknown names, empty dirs
  assert.equal(await resolveBlktraceInput(p('sdc')), undefined);
  assert.equal(await resolveBlktraceInput(p('notes.txt')), undefined);
  assert.equal(await resolveBlktraceInput('-'), undefined);
  assert.equal(await resolveBlktraceInput(p('nvme0n1')), undefined);
  assert.equal(await resolveBlktraceInput(p('empty')), undefined);
  // "sdb.blktrace.01" is no CPU file (blkparse opens %d names) but, like blkparse, it names the set sdb
  assert.deepEqual(await resolveBlktraceInput(p('sdb.blktrace.01')), [p('sdb.blktrace.0')]);
});
