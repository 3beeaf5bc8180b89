/**
 * Device names wherever the input gives them — blkparse's summary, its
 * "Input file" notes, per-CPU file names — so `--cache NAME` works on stdin,
 * on renamed files and on directories; and evidence from per-CPU binaries
 * that names the file each record is in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { namesFromFiles, namesFromSummary, type NamesByDevice } from '../src/io/device-names.js';
import { makeDev } from '../src/model/device.js';
import { FILE_LOC_STRIDE, locate, type SourceInfo } from '../src/model/analysis.js';
import { tempDir } from './helpers/tmp.js';

const NOBARRIER = 'fixtures/check/real/host-ext4-nobarrier/loop1.blkparse.txt';
const THREE = 'fixtures/blkparse/host-discard.three-devices.blkparse.txt';
const SET = 'fixtures/blktrace/ext4-nobarrier';
const tmp = tempDir('blkaudit-names-');

/** The text without blkparse's trailer (from the first "CPU0 (" line on). */
function withoutSummary(text: string): string {
  return text.slice(0, text.indexOf('\nCPU0 (') + 1);
}

interface CheckJson {
  findings: Array<{ rule: string; severity: string; evidence: Array<{ source: string; loc: number; locKind: string; sector: number; bytes: number; action: string }> }>;
  devices: Array<{ device: string; name?: string; cache: string; cacheSource: string }>;
}

test('stdin: blkparse -i loop1 | blkaudit check --cache loop1=writeback - (the name comes from the summary at the end)', async () => {
  const text = readFileSync(NOBARRIER, 'latin1');
  const r = await runCli(['check', '--json', '--cache', 'loop1=writeback', '-'], text);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as CheckJson;
  assert.deepEqual(doc.findings.map((f) => `${f.rule}:${f.severity}`), ['flush-never-issued:error']);
  assert.deepEqual(doc.devices.map((d) => [d.device, d.name, d.cache, d.cacheSource]), [['7,1', 'loop1', 'writeback', 'declared']]);
  // the same stream cut before its summary names nothing: a usage error that lists what is known
  const cut = await runCli(['check', '--cache', 'loop1=writeback', '-'], withoutSummary(text));
  assert.equal(cut.code, 2, cut.stdout);
  assert.match(cut.stderr, /--cache loop1: no such device in the input \(devices: 7,1\)/);
});

test('a renamed file is named by its summary; "Input file" notes name a stream that has no summary', async () => {
  const renamed = join(tmp, 'trace.txt');
  writeFileSync(renamed, readFileSync(NOBARRIER));
  const r = await runCli(['check', '--cache', 'loop1=writeback', renamed]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /loop1 \(7,1\)\s+writeback \(declared\)/);
  // blkparse -i loop1 2>&1 | head: the notes are there, the summary is not
  const notes = 'Input file loop1.blktrace.0 added\nInput file loop1.blktrace.1 added\n' + withoutSummary(readFileSync(NOBARRIER, 'latin1'));
  const n = await runCli(['check', '--json', '--cache', 'loop1=writeback', '-'], notes);
  assert.equal(n.code, 1, n.stderr);
  assert.equal((JSON.parse(n.stdout) as CheckJson).devices[0]!.cacheSource, 'declared');
});

test('three devices in one blkparse stream: each name tied to its device by the summary\'s event counts', async () => {
  const r = await runCli(['check', '--json', '--cache', 'loop2=writethrough', '-'], readFileSync(THREE));
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as CheckJson;
  assert.deepEqual(doc.devices.map((d) => [d.device, d.name]), [['7,1', 'loop1'], ['7,2', 'loop2'], ['7,3', 'loop3']]);
  assert.deepEqual(doc.devices.map((d) => `${d.cache}/${d.cacheSource}`), ['writeback/inferred', 'writethrough/declared', 'unknown/unknown']);
});

test('namesFromSummary ties a name only when unambiguous; maj,min headers are not names', () => {
  const dev = (m: number) => makeDev(7, m);
  const book: NamesByDevice = {};
  const summary = { blocks: [], events: { loop1: 10, loop2: 10, loop3: 5 }, skips: 0 };
  namesFromSummary(summary, new Map([[dev(1), 10], [dev(2), 10], [dev(3), 5]]), book);
  assert.deepEqual(book, { '7,3': ['loop3'] }, 'two devices with 10 events: neither is named');
  const numbers: NamesByDevice = {};
  namesFromSummary({ blocks: [{ scope: 'CPU0', device: '252,0', counters: {} }], events: { '252,0': 3 }, skips: 0 }, new Map([[makeDev(252, 0), 3]]), numbers);
  assert.deepEqual(numbers, {});
  const files: NamesByDevice = {};
  namesFromFiles([{ path: 'd/sda.blktrace.0', devices: ['8,0'] }, { path: 'd/sda.blktrace.1', devices: [] }, { path: 'd/mix.blktrace.0', devices: ['8,0', '8,16'] }], files);
  assert.deepEqual(files, { '8,0': ['sda'] }, 'a set holding two devices names neither');
});

test('a per-CPU set in a renamed directory: --cache loop1 matches by the files\' names', async () => {
  const dir = join(tmp, 'capture-2026');
  cpSync(SET, dir, { recursive: true });
  const r = await runCli(['check', '--cache', 'loop1=writeback', dir]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /loop1 \(7,1\)\s+writeback \(declared\)/);
});

/** The v7 record header at `offset` of a per-CPU file (blktrace_api.h struct blk_io_trace, little endian here). */
function recordAt(file: string, offset: number): { sector: number; bytes: number; action: number; cpu: number } {
  const b = readFileSync(file);
  assert.equal(b.readUInt32LE(offset) & 0xffffff00, 0x65617400, `${basename(file)}@${offset} is a record`);
  return { sector: Number(b.readBigUInt64LE(offset + 16)), bytes: b.readUInt32LE(offset + 24), action: b.readUInt32LE(offset + 28) & 0xffff, cpu: b.readUInt32LE(offset + 40) };
}

test('evidence from per-CPU binaries names the file; each location is the record it describes', async () => {
  const r = await runCli(['check', '--json', '--cache', 'loop1=writeback', SET]);
  assert.equal(r.code, 1, r.stderr);
  const ev = (JSON.parse(r.stdout) as CheckJson).findings.flatMap((f) => f.evidence);
  assert.ok(ev.length >= 5);
  const files = new Set<string>();
  for (const e of ev) {
    assert.equal(e.locKind, 'offset');
    const m = /loop1\.blktrace\.(\d)$/.exec(e.source);
    assert.ok(m, `evidence names a per-CPU file: ${e.source}`);
    files.add(e.source);
    const rec = recordAt(e.source, e.loc);
    assert.equal(rec.cpu, Number(m[1]));
    assert.equal(rec.sector, e.sector);
    assert.equal(rec.bytes, e.bytes);
  }
  assert.equal(files.size, 2, 'this finding\'s evidence spans both CPUs\' files');
  // the two events at offset 1648 of the two files are told apart (the issue's `blktrace/loop1@1648`)
  const at1648 = ev.filter((e) => e.loc === 1648);
  assert.ok(at1648.every((e) => e.source.endsWith('loop1.blktrace.0')));
});

test('events of a per-CPU set: every (file, offset) names one record', async () => {
  const r = await runCli(['events', '--csv', SET]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(','));
  const keys = new Set(rows.map((c) => `${c[0]}@${c[1]}`));
  assert.equal(keys.size, rows.length, 'no two events share a location');
  assert.ok(rows.every((c) => /loop1\.blktrace\.[01]$/.test(c[0]!) && Number(c[1]) < 1e6));
  const offsets = rows.map((c) => c[1]);
  assert.ok(offsets.length > new Set(offsets).size, 'offsets alone repeat across the two files');
});

test('locate: a set\'s loc carries its file index; other sources are left as they are', () => {
  const src = { name: 'dir', files: ['dir/a.blktrace.0', 'dir/a.blktrace.1'] } as SourceInfo;
  assert.deepEqual(locate(src, FILE_LOC_STRIDE + 1648), { source: 'dir/a.blktrace.1', loc: 1648 });
  assert.deepEqual(locate(src, 1648), { source: 'dir/a.blktrace.0', loc: 1648 });
  assert.deepEqual(locate({ name: 'x.txt' } as SourceInfo, 12), { source: 'x.txt', loc: 12 });
});

test('follow: a binary layer\'s LOCAL column names the per-CPU file and offset of the completion', async () => {
  const D = 'fixtures/scenarios/lol-buffered';
  const r = await runCli(['follow', `upper=${D}/loop2.blkparse.txt`, 'lower=fixtures/blktrace/lol-buffered', '--map', `upper=${D}/upper.img.filefrag.txt`, '--sector', '266240']);
  assert.equal(r.code, 0, r.stderr);
  const lower = r.stdout.split('\n').find((l) => l.startsWith('lower'))!;
  const m = /(loop1\.blktrace\.(\d))@(\d+)$/.exec(lower);
  assert.ok(m, lower);
  const rec = recordAt(`fixtures/blktrace/lol-buffered/${m[1]}`, Number(m[3]));
  assert.equal(rec.action, 8, 'the record there is a completion (__BLK_TA_COMPLETE)');
  assert.equal(rec.cpu, Number(m[2]));
  assert.match(lower, /W\s+1429504 \+ \d+/);
  assert.equal(rec.sector, 1429504);
  const j = await runCli(['follow', '--json', `upper=${D}/loop2.blkparse.txt`, 'lower=fixtures/blktrace/lol-buffered', '--map', `upper=${D}/upper.img.filefrag.txt`, '--sector', '266240']);
  const steps = (JSON.parse(j.stdout) as { steps: Array<{ level: string; complete: { localLine: number; localFile?: string } }> }).steps;
  const c = steps.find((x) => x.level.startsWith('lower'))!.complete;
  assert.deepEqual([basename(c.localFile ?? ''), c.localLine], [m[1], Number(m[3])]);
  assert.equal(steps[0]!.complete.localFile, undefined, 'a text layer keeps its line number');
});
