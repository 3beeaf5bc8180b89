import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blktraceFormat, BlktraceStreamParser, ftraceBlkBinFormat } from '../src/formats/blktrace/spec.js';
import { Reason } from '../src/formats/blktrace/decode.js';
import { detectFormat } from '../src/formats/registry.js';
import { resolveBlktraceInput } from '../src/io/blktrace-files.js';
import { Act } from '../src/model/event.js';
import { formatDev, makeDev } from '../src/model/device.js';
import { Flag, Op } from '../src/model/rwbs.js';
import type { WallclockSample } from '../src/formats/blktrace/session.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';
import {
  byteSwapV7, chunkedOpen, collectingContext, compareWithBlkparse, fixture, fixturePath,
  parseBlkparseText, readSet, toV8, v7Record, v7Records, withoutLoc,
} from './blktrace-helpers.js';
import { tempDir } from './helpers/tmp.js';

const RAW = 'raw-odirect-dsync/loop1.blktrace.0';
const RAW_SET = [fixturePath('raw-odirect-dsync/loop1.blktrace.0'), fixturePath('raw-odirect-dsync/loop1.blktrace.1')];
const WILD = 'wild-01-dm-partition-remap-chain/01-centos7-sda-mynotes';

function countBy(events: { act: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.act] = (out[e.act] ?? 0) + 1;
  return out;
}

test('raw O_DSYNC set (6.18 loop1, CPU1 file empty): events equal blkparse text, notes read', async () => {
  const r = await readSet(RAW_SET);
  assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
  assert.equal(r.events.length, 415); // "Events (loop1): 415 entries"
  assert.deepEqual(compareWithBlkparse(r.events, parseBlkparseText(fixture('raw-odirect-dsync/loop1.blkparse.txt'))), []);
  // absolute CLOCK_MONOTONIC ns, not relative to the first event
  assert.deepEqual(r.clock, { name: 'monotonic', origin: 'CLOCK_MONOTONIC ns (blktrace records, ktime_get)', baseSeconds: 0 });
  const wall = r.attachments['wallclock'] as WallclockSample[];
  assert.deepEqual(wall, [{ device: '7,1', time: 892526032055, realtimeSeconds: 1795464033, realtimeNanos: 294551199 }]);
  // names come from BLK_TN_PROCESS notes; the flush request D FN is a 0-byte Op.Flush
  const d = r.events.find((e) => e.act === Act.Issue && e.op === Op.Flush)!;
  assert.equal(d.bytes, 0);
  assert.equal(d.flags, Flag.PREFLUSH);
  assert.ok(r.events.filter((e) => e.act === Act.Queue).every((e) => e.comm === 'python3'));
  const files = r.attachments['blktrace-files'] as Array<{ path: string; events: number; bytes: number }>;
  assert.deepEqual(files.map((f) => [f.events, f.bytes]), [[415, 20464], [0, 0]]);
});

test('wild CentOS 7 sda (base name 01-centos7-sda-mynotes): dm → partition → disk remap chain', async () => {
  const files = await resolveBlktraceInput(fixturePath(WILD));
  assert.deepEqual(files, [fixturePath(`${WILD}.blktrace.0`), fixturePath(`${WILD}.blktrace.1`)]);
  const r = await readSet(files!);
  assert.equal(r.diag.total, 0);
  assert.equal(r.events.length, 799);
  assert.deepEqual(compareWithBlkparse(r.events, parseBlkparseText(fixture(`${WILD}.blkparse.txt`))), []);
  assert.deepEqual(countBy(r.events), { 1: 113, 2: 4, 4: 109, 7: 109, 8: 109, 9: 10, 10: 10, 12: 109, 15: 226 });
  const remaps = r.events.filter((e) => e.act === Act.Remap);
  const fromDm = remaps.filter((e) => formatDev(e.dev) === '8,2' && formatDev(e.auxDev) === '253,0');
  const fromPart = remaps.filter((e) => formatDev(e.dev) === '8,0' && formatDev(e.auxDev) === '8,2');
  assert.equal(fromDm.length, 113);
  assert.equal(fromPart.length, 113);
  // each partition remap picks up the sector the dm remap produced
  const first = remaps[0]!;
  const second = remaps[1]!;
  assert.deepEqual([formatDev(first.dev), first.sector, first.aux, first.bytes], ['8,2', 24391512, 20481880, 81920]);
  assert.deepEqual([formatDev(second.dev), second.sector, second.aux], ['8,0', 24803160, 24391512]);
  assert.equal(r.events[2]!.comm, 'kworker/u256:1');
});

test('byte order: a big-endian copy gives identical events', async () => {
  const le = fixture(RAW);
  const be = byteSwapV7(le);
  assert.notDeepEqual(be.subarray(0, 4), le.subarray(0, 4));
  const a = parseBuffer(blktraceFormat, le);
  const b = parseBuffer(blktraceFormat, be);
  assert.equal(a.events.length, 415);
  assert.deepEqual(b.events, a.events);
  assert.deepEqual(b.attachments, a.attachments);
  assert.equal(b.diag.total, 0);
  assert.ok(blktraceFormat.detect(be) > 0.9);
});

test('protocol v8 (blk_io_trace2, 64 B) built from the v7 records gives identical events', () => {
  const v7 = fixture(RAW);
  const a = parseBuffer(blktraceFormat, v7);
  const v8 = toV8(v7);
  assert.equal(v8.length, v7.length + 16 * v7Records(v7).length);
  const b = parseBuffer(blktraceFormat, v8);
  assert.equal(b.diag.total, 0);
  assert.deepEqual(withoutLoc(b.events), withoutLoc(a.events));
  assert.ok(blktraceFormat.detect(v8) > 0.9);
  // v8-only categories: BLK_TC_WRITE_ZEROES (bit 38) and ZONE_APPEND (bit 32)
  const actOf = (i: number) => v7.readUInt32LE(v7Records(v7)[i]![0] + 28) & 0xffff;
  const z = parseBuffer(blktraceFormat, toV8(v7, (i) => (actOf(i) === Act.Queue ? 1 << 6 : actOf(i) === Act.Complete ? 1 : 0)));
  assert.deepEqual(
    z.events.filter((e) => e.act === Act.Queue || e.act === Act.Complete).map((e) => e.op === (e.act === Act.Queue ? Op.WriteZeroes : Op.ZoneAppend)),
    a.events.filter((e) => e.act === Act.Queue || e.act === Act.Complete).map(() => true),
  );
});

test('chunk boundaries never change the events (stream and set readers)', async () => {
  const data = fixture(RAW);
  const ref = parseBuffer(blktraceFormat, data, 1 << 20);
  const wildFiles = [fixturePath(`${WILD}.blktrace.0`), fixturePath(`${WILD}.blktrace.1`)];
  const setRef = await readSet(wildFiles);
  for (const size of CHUNK_SIZES) {
    const r = parseBuffer(blktraceFormat, data, size);
    assert.deepEqual(r.events, ref.events, `${size}-byte chunks`);
    assert.deepEqual(r.diag.list(), ref.diag.list());
    const s = await readSet(wildFiles, { open: chunkedOpen(new Map(), size) });
    assert.deepEqual(s.events, setRef.events, `set in ${size}-byte chunks`);
  }
});

test('truncated last record: counted as data loss, the rest read', () => {
  const data = fixture(RAW);
  const recs = v7Records(data);
  const [lastOff] = recs[recs.length - 1]!;
  const r = parseBuffer(blktraceFormat, data.subarray(0, lastOff + 30));
  assert.equal(r.events.length, 414);
  assert.equal(r.diag.count(Reason.truncated), 1);
  assert.equal(r.diag.list()[0]!.severity, 'data-loss');
  assert.equal(r.diag.list()[0]!.examples[0]!.loc, lastOff);
});

test('unknown protocol version: error for that input, earlier records kept', () => {
  const data = Buffer.from(fixture(RAW));
  const [off] = v7Records(data)[100]!;
  data[off] = 0x09;
  const r = parseBuffer(blktraceFormat, data);
  assert.equal(r.diag.count(Reason.badVersion), 1);
  assert.equal(r.diag.total, 1);
  assert.equal(r.events.length, 96); // records 0..99 less the 4 notes among them
  assert.ok(r.events.every((e) => e.loc < off));
});

test('sequence gaps are lost events; u32 wrap-around is not', () => {
  const data = fixture(RAW);
  const recs = v7Records(data);
  // drop two consecutive event records (not notes) in the middle
  const i = recs.findIndex(([p], k) => k > 50 && data.readUInt32LE(p + 4) !== 0);
  const [a] = recs[i]!;
  const [c] = recs[i + 2]!;
  assert.notEqual(data.readUInt32LE(recs[i + 1]![0] + 4), 0);
  const cut = Buffer.concat([data.subarray(0, a), data.subarray(c)]);
  const r = parseBuffer(blktraceFormat, cut);
  assert.equal(r.diag.count(Reason.lost), 2);
  const wrap = Buffer.concat([0xfffffffe, 0xffffffff, 0, 1, 2].map((seq, k) =>
    v7Record({ seq, time: BigInt(1000 + k), action: Act.Queue | (0x12 << 16), bytes: 4096, sector: 8n })));
  const w = parseBuffer(blktraceFormat, wrap);
  assert.equal(w.events.length, 5);
  assert.equal(w.diag.total, 0, JSON.stringify(w.diag.list()));
});

test('a note carrying its stream\'s next sequence number fills it; any other number on a note is ignored, never counted', () => {
  const dev = makeDev(9, 0);
  const q = (seq: number, time: number, cpu = 0) => v7Record({ seq, time: BigInt(time), action: Act.Queue | (0x02 << 16), bytes: 1024, sector: 2050n, device: dev, cpu });
  const msg = (seq: number, time: number, cpu = 0) => v7Record({ seq, time: BigInt(time), action: (0x400 << 16) | 0x100 | 2, pid: 122, device: dev, cpu, pdu: Buffer.concat([Buffer.alloc(8, 1), Buffer.from('md md_update_sb')]) });
  const lost = (...recs: Buffer[]) => parseBuffer(blktraceFormat, Buffer.concat(recs)).diag.count(Reason.lost);
  // a converter numbered the message (the corpus' stack capture, md0 CPU 0: 20, [21], 22): nothing lost
  assert.equal(lost(q(20, 1), msg(21, 2), q(22, 3)), 0);
  // the kernel's own notes carry 0: a real gap after one is still a gap
  assert.equal(lost(q(20, 1), msg(0, 2), q(22, 3)), 1);
  // a number that is not the next one (relay memory, another stream's count) neither fills nor hides a gap
  assert.equal(lost(q(20, 1), msg(77, 2), q(22, 3)), 1);
  assert.equal(lost(q(20, 1), msg(77, 2), q(21, 3)), 0);
  // the message belongs to its own CPU's stream only
  assert.equal(lost(q(20, 1), msg(21, 2, 1), q(22, 3)), 1);
  // a note before any event on its stream sets nothing
  assert.equal(lost(msg(5, 1), q(1, 2), q(2, 3)), 0);
});

test('notify records: process names, messages with and without a cgroup id, unknown actions counted', () => {
  const dev = makeDev(8, 16);
  const note = (kind: number, pdu: Buffer, extra = 0, time = 5n) => v7Record({ action: (0x400 << 16) | kind | extra, pid: 42, device: dev, time, pdu });
  const data = Buffer.concat([
    note(0, Buffer.from('fio\0\0\0\0\0\0\0\0\0\0\0\0\0')),
    v7Record({ seq: 1, time: 10n, action: 0x1 | (0x1a << 16), pid: 42, device: dev, bytes: 512, sector: 99n }),
    note(2, Buffer.from('bfq [bfq_limit_depth] wr_busy 0'), 0, 15n),
    note(2, Buffer.concat([Buffer.alloc(8, 1), Buffer.from('cgroup msg\n')]), 0x100, 16n),
    v7Record({ seq: 2, time: 20n, action: 0x77, pid: 42, device: dev }),
    v7Record({ seq: 3, time: 30n, action: 0x8 | ((0x80 | 0x100 | 0x2) << 16) | 0x100, device: dev, bytes: 4096, sector: 64n, error: 65531, pdu: Buffer.alloc(8, 7) }),
  ]);
  const r = parseBuffer(blktraceFormat, data);
  assert.deepEqual(r.events.map((e) => [e.act, e.comm, e.text]), [
    [Act.Queue, 'fio', ''], [Act.Message, 'fio', 'bfq [bfq_limit_depth] wr_busy 0'], [Act.Message, 'fio', 'cgroup msg'], [Act.Complete, '', ''],
  ]);
  assert.deepEqual([r.events[0]!.op, r.events[0]!.flags], [Op.Write, Flag.SYNC]);
  assert.deepEqual([r.events[3]!.op, r.events[3]!.error, r.events[3]!.sector], [Op.Write, -5, 64]);
  assert.equal(r.diag.count(Reason.badAction), 1);
  assert.equal(r.diag.total, 1);
});

test('stdin: CPUs interleaved out of order are sorted back; events beyond the window are counted', async () => {
  const f0 = fixture(`${WILD}.blktrace.0`);
  const f1 = fixture(`${WILD}.blktrace.1`);
  const sorted = await readSet([fixturePath(`${WILD}.blktrace.0`), fixturePath(`${WILD}.blktrace.1`)]);
  // blktrace -o - writes each CPU's buffer as it drains it: blocks of 40 records, alternating CPUs
  const r0 = v7Records(f0).map(([p, n]) => f0.subarray(p, p + 48 + n));
  const r1 = v7Records(f1).map(([p, n]) => f1.subarray(p, p + 48 + n));
  const parts: Buffer[] = [];
  for (let i = 0; i < Math.max(r0.length, r1.length); i += 40) parts.push(...r1.slice(i, i + 40), ...r0.slice(i, i + 40));
  const piped = Buffer.concat(parts);
  const { ctx, out } = collectingContext('-');
  const p = new BlktraceStreamParser(ctx, 'blktrace', { windowNs: 200e9 });
  p.push(piped);
  p.end();
  assert.equal(out.diag.total, 0);
  assert.deepEqual(withoutLoc(out.events), withoutLoc(sorted.events));
  // a 1 ms window cannot hold CPU0, which starts 5 s after CPU1: late events are passed on and counted
  const small = collectingContext('-');
  const q = new BlktraceStreamParser(small.ctx, 'blktrace', { windowNs: 1e6 });
  q.push(piped);
  q.end();
  assert.equal(small.out.events.length, 799);
  assert.equal(small.out.diag.count(Reason.late), 495);
  assert.equal(small.out.diag.total, 495);
});

test('ftrace-blk-bin: same events as the blktrace set, without sequence numbers or names', async () => {
  const raw = fixture('raw-odirect-dsync/ftrace-blk-bin.raw');
  assert.equal(detectFormat(raw)?.format.name, 'ftrace-blk-bin');
  assert.equal(detectFormat(fixture(RAW))?.format.name, 'blktrace');
  const r = parseBuffer(ftraceBlkBinFormat, raw);
  assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
  const set = await readSet(RAW_SET);
  const strip = (es: typeof r.events) => es.map((e) => ({ ...e, loc: 0, seq: 0, comm: '' }));
  assert.deepEqual(strip(r.events), strip(set.events));
  assert.equal(r.clock?.name, 'trace-clock');
  for (const size of CHUNK_SIZES) assert.deepEqual(parseBuffer(ftraceBlkBinFormat, raw, size).events, r.events);
});

test('a directory holding two devices\' sets: resolved and merged into one time order', async (t) => {
  const { mkdtempSync, copyFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = tempDir('blkaudit-bt-set-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const cpu of [0, 1]) {
    copyFileSync(fixturePath(`raw-odirect-dsync/loop1.blktrace.${cpu}`), join(dir, `loop1.blktrace.${cpu}`));
    copyFileSync(fixturePath(`${WILD}.blktrace.${cpu}`), join(dir, `sda.blktrace.${cpu}`));
  }
  const files = (await resolveBlktraceInput(dir))!;
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ['loop1.blktrace.0', 'loop1.blktrace.1', 'sda.blktrace.0', 'sda.blktrace.1']);
  const r = await readSet(files);
  assert.equal(r.events.length, 415 + 799);
  assert.equal(r.diag.total, 0);
  assert.ok(r.events.every((e, i) => i === 0 || e.time >= r.events[i - 1]!.time));
  assert.deepEqual(Object.keys(countBy(r.events.filter((e) => e.dev === makeDev(7, 1)))).length, 7);
  assert.equal((r.attachments['wallclock'] as WallclockSample[]).length, 2);
});
