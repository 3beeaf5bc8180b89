import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { blkparseConfidence, blkparseFormat } from '../src/formats/blkparse/spec.js';
import { detectFormat } from '../src/formats/registry.js';
import { decodeErrno } from '../src/formats/blkparse/parser.js';
import type { BlkparseSummary } from '../src/formats/blkparse/summary.js';
import { Act } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { formatDev } from '../src/model/device.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/blkparse/${name}`, import.meta.url)));

test('raw O_DSYNC capture: every event line read, summary parsed, counts match blkparse', () => {
  const r = parseBuffer(blkparseFormat, fixture('raw-odirect-dsync.loop1.blkparse.txt'));
  const summary = r.attachments['blkparse-summary'] as BlkparseSummary;
  assert.equal(r.events.length, summary.events['loop1']);
  assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
  assert.equal(summary.skips, 0);
  // one CPU had events, so blkparse printed no Total block: CPU0 is the total
  assert.equal(summary.blocks.length, 1);
  const total = summary.blocks[0]!;
  // blkparse counts the flush request (D FN, not a write) as a read dispatch
  const flushIssues = r.events.filter((e) => e.act === Act.Issue && e.op === Op.Flush).length;
  assert.equal(flushIssues, total.counters.readDispatches);
  const writesQueued = r.events.filter((e) => e.act === Act.Queue && (e.op === Op.Write || e.op === Op.Flush)).length;
  // blkparse counts a queued PREFLUSH-only bio (FWS, 0 bytes) as a write: every Q here is a write or empty flush.
  assert.equal(writesQueued, total.counters.writesQueued);
  // the O_DSYNC FUA emulation: Q WFS … D FN … C FN … final 0-byte C WS
  const q = r.events.find((e) => e.act === Act.Queue && e.flags & Flag.FUA)!;
  assert.ok(q, 'a FUA write is queued');
  const flushIssue = r.events.find((e) => e.act === Act.Issue && e.op === Op.Flush)!;
  assert.equal(flushIssue.sector, -1);
  assert.equal(flushIssue.bytes, 0);
  const finalC = r.events.find((e) => e.act === Act.Complete && e.op === Op.Write && e.bytes === 0 && e.sector === q.sector);
  assert.ok(finalC, 'the 0-byte final completion of the FUA write is an event');
});

test('chunk boundaries never change the events', () => {
  for (const name of ['raw-odirect-dsync.loop1.blkparse.txt', 'wild-20-bfq-5.12-message-cgroup-pc.blkparse.txt']) {
    const data = fixture(name);
    const ref = parseBuffer(blkparseFormat, data, 1 << 20);
    for (const size of CHUNK_SIZES) {
      const r = parseBuffer(blkparseFormat, data, size);
      assert.deepEqual(r.events, ref.events, `${name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list());
    }
  }
});

test('error completions: 65531 is -EIO', () => {
  assert.equal(decodeErrno(65531), -5);
  assert.equal(decodeErrno(0), 0);
  const r = parseBuffer(blkparseFormat, fixture('wild-19-nullblk-zoned-6.5rc1-split-error-annotated.blkparse.txt'));
  const failed = r.events.filter((e) => e.act === Act.Complete && e.error !== 0);
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.error, -5);
  assert.equal(failed[0]!.bytes, 765 * 512);
  const splits = r.events.filter((e) => e.act === Act.Split);
  assert.ok(splits.length > 0 && splits.every((s) => s.aux > s.sector));
});

test('messages with a cgroup column, PC requests without cdb', () => {
  const r = parseBuffer(blkparseFormat, fixture('wild-20-bfq-5.12-message-cgroup-pc.blkparse.txt'));
  assert.equal(r.diag.total, 0);
  const msgs = r.events.filter((e) => e.act === Act.Message);
  assert.equal(msgs.length, 2);
  assert.match(msgs[0]!.text, /^bfq \[bfq_limit_depth\] wr_busy 0/);
  const d = r.events.filter((e) => e.act === Act.Issue);
  assert.deepEqual(d.map((e) => [e.bytes, e.flags & Flag.PC]), [[4, Flag.PC], [24, Flag.PC]]);
});

test('SCSI passthrough with a CDB, remaps, requeues', () => {
  const pc = parseBuffer(blkparseFormat, fixture('wild-04-blktrace-guide-2.6-cdrom-scsi-inquiry.blkparse.txt'));
  const ins = pc.events.find((e) => e.act === Act.Insert)!;
  assert.equal(ins.bytes, 56);
  assert.match(ins.text, /^12 00 00 00 38/);
  const rm = parseBuffer(blkparseFormat, fixture('wild-11-ext4-sdc-annotated-remap-flush-2024.blkparse.txt'));
  const remap = rm.events.find((e) => e.act === Act.Remap)!;
  assert.equal(formatDev(remap.auxDev), '8,33');
  assert.equal(remap.aux, 14);
  assert.equal(remap.sector, 2062);
  const rq = parseBuffer(blkparseFormat, fixture('wild-10-nullblk-5.11-sched-bounce-split-requeue.blkparse.txt'));
  assert.ok(rq.events.some((e) => e.act === Act.Requeue && e.sector === 0 && e.bytes === 8 * 512));
});

test('a summary whose numbers musl could not print is read without inventing numbers', () => {
  const r = parseBuffer(blkparseFormat, fixture('wild-13-alpine-5.15-sas-sata-ssd-discard-split-musl-summary.blkparse.txt'));
  const s = r.attachments['blkparse-summary'] as BlkparseSummary;
  assert.ok(s.blocks.length > 0);
  for (const b of s.blocks) for (const v of Object.values(b.counters)) assert.ok(Number.isFinite(v));
});

test('detection: blkparse text yes, prose no', () => {
  assert.ok(blkparseFormat.detect(fixture('raw-odirect-dsync.loop1.blkparse.txt')) > 0.9);
  assert.equal(blkparseFormat.detect(Buffer.from('hello world\nthis is not a trace\n')), 0);
});

test('blkparse over a trace with no events (its summary alone) is detected as blkparse: 0 events, not unreadable', () => {
  // fixtures/stacks/qio-qcow2-ext4-unsafe: cache=unsafe, nothing reached loop0 while traced
  const empty = readFileSync(fileURLToPath(new URL('../../fixtures/stacks/qio-qcow2-ext4-unsafe/loop0.blkparse.txt', import.meta.url)));
  assert.equal(detectFormat(empty)?.format.name, 'blkparse');
  const r = parseBuffer(blkparseFormat, empty);
  assert.equal(r.events.length, 0);
  assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
  assert.equal((r.attachments['blkparse-summary'] as BlkparseSummary).events['loop0'], 0);
  // prose that merely mentions events is not blkparse
  assert.equal(detectFormat(Buffer.from('Events (loop0): 0 entries were seen by the tool\nno throughput here\n')), undefined);
});

test('a blkparse text of a device that saw no I/O (only the trailer) is blkparse with no events; prose is not', () => {
  const empty = Buffer.from('\nThroughput (R/W): 0KiB/s / 0KiB/s\nEvents (loop0): 0 entries\nSkips: 0 forward (0 -   0.0%)\n');
  assert.ok(blkparseConfidence(empty) > 0.5);
  assert.equal(blkparseConfidence(Buffer.from('Events (loop0): 0 entries\nand then some prose\n')), 0);
  assert.equal(blkparseConfidence(Buffer.from('Throughput (R/W): 0KiB/s / 0KiB/s\n')), 0, 'no Events line: not enough to call it blkparse');
});

/** fixtures/blktrace/raw-odirect-dsync: the same real capture printed by blkparse 1.2.0 plainly and with options. */
const rawOdirect = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/blktrace/raw-odirect-dsync/${name}`, import.meta.url)));

test('blkparse -t (elapsed times): every line read, the same events as without -t — a flush request prints "D FN (elapsed) [comm]"', () => {
  const plain = parseBuffer(blkparseFormat, rawOdirect('loop1.blkparse.txt'));
  const timed = parseBuffer(blkparseFormat, rawOdirect('loop1.blkparse-t.txt'));
  // before: 25 × "unreadable sector/size/comm", every one a flush request's D (or a zero-byte Q) with its elapsed time
  assert.equal(timed.diag.total, 0, JSON.stringify(timed.diag.list()));
  assert.equal(timed.events.length, plain.events.length);
  const key = (e: (typeof plain.events)[number]) => `${e.loc} ${e.act} ${e.op} ${e.flags} ${e.sector} ${e.bytes} ${e.error} ${e.comm}`;
  assert.deepEqual(timed.events.map(key), plain.events.map(key));
  assert.ok(timed.events.some((e) => e.act === Act.Issue && e.op === Op.Flush && e.comm.startsWith('kworker/')));
});
