/**
 * md0 (bio-based md RAID1 under dm-linear, guest kernel 6.1) of the corpus'
 * guest storage-stack capture, cut to its first 0.544 s
 * (fixtures/blktrace/vm-stack-md0-numbered-message, README there): the same
 * recording as a per-CPU blktrace set, real blkparse 1.2.0 text, blk tracer
 * classic text and block tracepoints. What it pins down:
 *  - record 21 of CPU 0 is a cgroup-tagged message the lab's conversion
 *    numbered; nothing is lost, so no lost-events (the kernel never numbers
 *    notes; a converter that does must not make a gap appear);
 *  - blkparse 1.2.0 does not print that message; the blk tracer does;
 *  - md's empty PREFLUSH bios carry their parent's sector in the tracepoints,
 *    none in blkparse; `C FWS 2048` has no `+ n`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { blktraceFormat } from '../src/formats/blktrace/spec.js';
import { ftraceBlkClassicFormat } from '../src/formats/ftrace-blk/spec.js';
import { tracepointFormat } from '../src/formats/tracepoint/spec.js';
import { analyze } from '../src/index.js';
import { Act } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { makeDev } from '../src/model/device.js';
import { parseBuffer } from './helpers/chunking.js';
import { cgroupMessages, compareWithBlkparse, fixturePath, parseBlkparseText, readSet, withoutMessages } from './blktrace-helpers.js';
import { assertClassicEqualsBlkparse, newSeen, tracepointDifferences } from './helpers/format-differences.js';

const DIR = 'vm-stack-md0-numbered-message';
const SET = [fixturePath(`${DIR}/md0.blktrace.0`), fixturePath(`${DIR}/md0.blktrace.1`)];
const MD0 = makeDev(9, 0);
const text = () => parseBlkparseText(readFileSync(fixturePath(`${DIR}/md0.blkparse.txt`)));

test('md0 set: the numbered message fills sequence 21, nothing is lost; events equal blkparse but for that message', async () => {
  // the property, read from the file itself: CPU 0's records 20 (Q WFS), 21 (the message: notify | cgroup | message),
  // 22 (A RM); the process notes the conversion added carry 0, as the kernel's do
  const raw = readFileSync(SET[0]!);
  const seqs: Array<[number, number]> = [];
  for (let p = 0; p + 48 <= raw.length; p += 48 + raw.readUInt16LE(p + 46)) seqs.push([raw.readUInt32LE(p + 4), raw.readUInt32LE(p + 28)]);
  assert.ok(seqs.filter(([s]) => s === 0).every(([, a]) => a === 0x04000000 || a === 0x04000001), 'only process/timestamp notes carry 0');
  const numbered = seqs.filter(([s]) => s !== 0);
  assert.deepEqual(numbered.map(([s]) => s), numbered.map((_, i) => i + 1));
  const at = numbered.findIndex(([s]) => s === 21);
  assert.deepEqual(numbered.slice(at - 1, at + 2), [[20, 0x801a0001], [21, 0x04000102], [22, 0x1011000f]]);

  const r = await readSet(SET);
  assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
  const msgs = r.events.filter((e) => e.act === Act.Message);
  assert.deepEqual(msgs.map((e) => [e.dev, e.cpu, e.pid, e.text]), [[MD0, 0, 122, 'md md_update_sb']]);
  // one CPU's file read as a stream (as `blktrace -o -` would deliver it): no gap either
  const one = parseBuffer(blktraceFormat, raw);
  assert.equal(one.diag.total, 0, JSON.stringify(one.diag.list()));

  const unprinted = cgroupMessages(SET);
  assert.deepEqual(unprinted, [{ device: MD0, cpu: 0, pid: 122, text: 'md md_update_sb' }]);
  const bp = text();
  assert.equal(bp.length, 501); // "Events (md0): 501 entries"
  assert.equal(r.events.length, bp.length + 1);
  assert.deepEqual(compareWithBlkparse(withoutMessages(r.events, unprinted), bp), []);
});

test('md0 blk tracer classic text and tracepoints: only the listed differences (cgroup message, empty bios with their parent\'s sector)', () => {
  const bp = text();
  const seen = newSeen();
  const unprinted = cgroupMessages(SET);
  seen.cgroupMessage += unprinted.length;
  const classic = parseBuffer(ftraceBlkClassicFormat, readFileSync(fixturePath(`${DIR}/md0.ftrace-blk-classic.txt`)));
  assert.equal(classic.diag.total, 0, JSON.stringify(classic.diag.list()));
  assert.ok(classic.events.some((e) => e.act === Act.Message && e.text === 'md md_update_sb'));
  assertClassicEqualsBlkparse(DIR, bp, withoutMessages(classic.events, unprinted), seen);
  const tp = parseBuffer(tracepointFormat, readFileSync(fixturePath(`${DIR}/md0.block-events.txt`)));
  assert.deepEqual(tp.diag.list().filter((d) => d.severity !== 'info'), []);
  assert.deepEqual(tracepointDifferences(bp, tp.events, seen), []);
  // md passes the journal commit's empty PREFLUSH bio on with its sector: "block_bio_queue: 9,0 FWFSM 34836 + 0"
  const q = tp.events.find((e) => e.act === Act.Queue && e.bytes === 0 && e.flags & Flag.FUA)!;
  assert.deepEqual([q.sector, q.flags & Flag.PREFLUSH], [34836, Flag.PREFLUSH]);
  assert.ok(seen.emptyBioParentSector >= 1, JSON.stringify(seen));
  assert.equal(seen.cgroupMessage, 1);
  // blkparse: "C FWS 2048 [0]" (no "+ n"), the empty flush's completion at md0's data offset
  const c = bp.filter((e) => e.act === Act.Complete && e.bytes === 0 && e.flags & Flag.PREFLUSH && !(e.flags & Flag.FUA));
  assert.ok(c.length >= 1 && c.every((e) => e.sector === 2048 && e.op === Op.Write), JSON.stringify(c.map((e) => [e.sector, e.op])));
});

test('md0 checked from the set and from its blkparse text: same counts, no finding', async () => {
  const fromSet = await analyze([fixturePath(`${DIR}/md0`)], { stages: ['check'], stageOptions: { check: {} } });
  const fromText = await analyze([fixturePath(`${DIR}/md0.blkparse.txt`)], { stages: ['check'], stageOptions: { check: {} } });
  assert.deepEqual(fromSet.findings, []);
  assert.deepEqual(fromText.findings, []);
  const counts = (r: typeof fromSet) => r.devices.map((d) => d['check']);
  assert.deepEqual(counts(fromSet), counts(fromText));
});
