import { test } from 'node:test';
import { qdcCounts } from './helpers/counts.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { tracepointFormat } from '../src/formats/tracepoint/spec.js';
import { TracepointSkip } from '../src/formats/tracepoint/parser.js';
import type { TraceMarker } from '../src/formats/tracepoint/ftrace-text.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { detectFormat } from '../src/formats/registry.js';
import { Act, type BlockEvent } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { formatDev } from '../src/model/device.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const read = (dir: string, name: string) => {
  const data = readFileSync(fileURLToPath(new URL(`../../fixtures/${dir}/${name}`, import.meta.url)));
  return name.endsWith('.gz') ? gunzipSync(data) : data;
};
const fixture = (name: string) => read('tracepoint', name);
const parse = (name: string) => parseBuffer(tracepointFormat, fixture(name));
const noLoc = (e: BlockEvent) => ({ ...e, loc: 0 });

test('tracefs text: queued/dispatched/completed reads, writes, flushes and FUA writes as blkparse counts them', () => {
  for (const cap of ['raw-odirect-dsync', 'qio-raw-none-threads-einval']) {
    const ref = parseBuffer(blkparseFormat, read('ftrace', `${cap}.loop1.blkparse.txt`)).events;
    const r = parse(`${cap}.block-events.txt`);
    assert.deepEqual(qdcCounts(r.events), qdcCounts(ref), cap);
    assert.equal(r.diag.list().filter((d) => d.severity !== 'info').length, 0, JSON.stringify(r.diag.list()));
    assert.equal(r.clock?.name, 'trace-clock');
  }
});

test('trace-cmd report of the same buffer gives the same events', () => {
  for (const cap of ['raw-odirect-dsync', 'qio-raw-none-threads-einval']) {
    const a = parse(`${cap}.block-events.txt`);
    const b = parse(`${cap}.block-events.report.txt.gz`);
    assert.deepEqual(b.events.map(noLoc), a.events.map(noLoc), cap);
    assert.deepEqual(b.diag.toRecord(), a.diag.toRecord());
    const texts = (x: typeof a) => (x.attachments['markers'] as TraceMarker[]).map((m) => m.text);
    assert.deepEqual(texts(b), texts(a));
  }
});

test('flush request FF: issue sector 0, completion sector 18446744073709551615 read as 0 (blkparse: C FN 0)', () => {
  const ev = parse('raw-odirect-dsync.block-events.txt').events;
  const q = (i: number) => ev[i]!;
  assert.deepEqual(
    ev.slice(0, 14).map((e) => [e.act, e.op, e.flags, e.sector, e.bytes]),
    [
      [Act.Queue, Op.Write, Flag.FUA | Flag.SYNC, 8192, 65536],
      [Act.GetRq, Op.Write, Flag.FUA | Flag.SYNC, 8192, 65536],
      [Act.IoStart, Op.Write, Flag.FUA | Flag.SYNC, 8192, 65536],
      [Act.Issue, Op.Write, Flag.SYNC, 8192, 65536],
      [Act.Complete, Op.Write, Flag.SYNC, 8192, 65536],
      [Act.Issue, Op.Flush, Flag.PREFLUSH, 0, 0],
      [Act.Complete, Op.Flush, Flag.PREFLUSH, 0, 0],
      [Act.Complete, Op.Write, Flag.SYNC, 8192, 0],
      [Act.Queue, Op.Write, Flag.PREFLUSH | Flag.SYNC, 0, 0],
      [Act.GetRq, Op.Write, Flag.PREFLUSH | Flag.SYNC, 0, 0],
      [Act.IoStart, Op.Write, Flag.PREFLUSH | Flag.SYNC, 0, 0],
      [Act.Issue, Op.Flush, Flag.PREFLUSH, 0, 0],
      [Act.Complete, Op.Flush, Flag.PREFLUSH, 0, 0],
      [Act.Complete, Op.Write, Flag.SYNC, 0, 0],
    ],
  );
  assert.deepEqual([q(0).time, q(0).cpu, q(0).pid, q(0).comm, q(0).seq], [892_573_506_000, 0, 11683, 'python3', -1]);
  assert.deepEqual([q(4).pid, q(4).comm], [14, 'ksoftirqd/0'], 'a completion takes the context comm');
});

test('markers are attached with their trace-clock time; io_done and buffer events are counted', () => {
  const r = parse('raw-odirect-dsync.block-events.txt');
  const markers = r.attachments['markers'] as TraceMarker[];
  assert.deepEqual(Object.keys(r.attachments), ['markers']);
  assert.equal(markers.length, 79);
  assert.deepEqual(markers[0], { time: 892_526_215_000, text: 'CAPTURE_START realtime_ns=1795464033294551199 monotonic_ns=892526032055', line: 13 });
  assert.equal(markers[1]!.text, 'APP dsync_write_begin seq=1 off=4194304 len=65536 sector=8192');
  assert.deepEqual(r.diag.toRecord(), {
    'other-event: block_dirty_buffer': 8,
    'other-event: block_io_done (accounting end; not emitted)': 123,
    'other-event: tracing_mark_write': 79,
  });
});

test('write-zeroes: NS with a size in the tracepoints (WS in blktrace) is Op.WriteZeroes', () => {
  const ev = parse('discard-write-zeroes-NS.block-events.txt').events.filter((e) => e.dev === 0x700003 && e.sector === 16384);
  assert.deepEqual(ev.map((e) => [e.act, e.op, e.flags, e.bytes]), [
    [Act.Queue, Op.WriteZeroes, Flag.SYNC, 2097152],
    [Act.GetRq, Op.WriteZeroes, Flag.SYNC, 2097152],
    [Act.IoStart, Op.WriteZeroes, Flag.SYNC, 2097152],
    [Act.Insert, Op.WriteZeroes, Flag.SYNC, 2097152],
    [Act.Issue, Op.WriteZeroes, Flag.SYNC, 2097152],
    [Act.Complete, Op.WriteZeroes, Flag.SYNC, 2097152],
  ]);
  // the blk tracer's rendering of the same request
  const blk = parseBuffer(blkparseFormat, Buffer.from('  7,3    0      565     0.017700095    10  D  WS 16384 + 4096 [kworker/0:0H]\n')).events[0]!;
  assert.deepEqual([blk.op, blk.sector, blk.bytes], [Op.Write, 16384, 2097152]);
});

test('errors: bio_complete [-22]; rq_complete [-5] then rq_error (pseudo action E, not a second C)', () => {
  const einval = parse('qio-raw-none-threads-einval.block-events.txt').events.filter((e) => e.error !== 0);
  assert.deepEqual(einval.map((e) => [e.act, e.op, e.sector, e.bytes, e.error]), [[Act.Complete, Op.Read, 0, 4096, -22]]);
  const r = parse('wild-26-nullblk-5.17-block_rq_error-neg-errno-ftrace-header.ftrace.txt');
  assert.deepEqual(r.events.map((e) => [e.act, formatDev(e.dev), e.sector, e.bytes, e.error]), [
    [Act.Complete, '251,0', 131072, 65536, -5],
    [Act.Complete, '251,0', 1310720, 65536, -5],
    [Act.Error, '251,0', 1310720, 65536, -5],
    [Act.Error, '251,0', 1310720, 65536, -5],
  ]);
  assert.equal(r.diag.total, 0, 'three tracefs headers are structure, not skips');
});

test('splits', () => {
  const r = parse('mixed-rw-split-readahead.block-events.txt');
  assert.deepEqual(r.events.filter((e) => e.act === Act.Split).map((e) => [e.sector, e.aux, e.bytes]), [
    [282112, 284672, -1], [286208, 288768, -1], [290816, 293376, -1], [295936, 298496, -1],
  ]);
});

test('wild: bare lines (no context), comm with brackets, 2-part ioprio', () => {
  const r = parse('wild-27-ioprio-tracepoint-patch-examples-android-comm-brackets.ftrace.txt');
  assert.deepEqual(r.events.map((e) => [e.act, e.op, e.sector, e.bytes, e.comm, e.time, e.pid]), [
    [Act.Insert, Op.Write, 16573296, 4096, 'highpool[1]', 0, -1],
    [Act.Issue, Op.Write, 16573296, 4096, 'kworker/7:0H', 0, -1],
    [Act.Complete, Op.Write, 16573296, 4096, '', 0, -1],
    [Act.Insert, Op.Read, 6500840, 16384, 'binder:815_3', 0, -1],
    [Act.Issue, Op.Read, 6500840, 16384, 'binder:815_3', 0, -1],
    [Act.Complete, Op.Read, 6500840, 16384, '', 0, -1],
  ]);
  assert.equal(r.clock?.orderOnly, true);
  assert.equal(r.diag.total, 0);
});

test('wild: perf script with callchains; 4.6 prints 0 bytes for fs requests, the size comes from nr_sector', () => {
  const r = parse('wild-30-perf-script-4.6rc3-sampleblk-253-callchain.perf.txt');
  assert.equal(r.events.length, 21);
  const e = r.events[0]!;
  assert.deepEqual([e.act, formatDev(e.dev), e.op, e.sector, e.bytes, e.comm, e.pid, e.cpu, e.time], [
    Act.Insert, '253,1', Op.Write, 3510, 255 * 512, 'fio', 73790, 0, 1_011_438_379_090_000,
  ]);
  assert.deepEqual(r.diag.toRecord(), { [TracepointSkip.callchain]: 18, 'time went backwards': 1, [TracepointSkip.notEvent]: 1 });
});

test('wild: trace-cmd report and ftrace with other subsystems interleaved', () => {
  const xfs = parse('wild-23-xfs-5.9-trace-cmd-report-mixed-xfs-iomap-block.trace-cmd.txt');
  assert.deepEqual(xfs.events.map((e) => [e.act, e.sector, e.bytes, e.flags]), [
    [Act.Queue, 1800896, 65536, Flag.AHEAD],
    [Act.Complete, 1800896, 65536, Flag.AHEAD],
    [Act.Complete, 1752640, 65536, Flag.AHEAD],
    [Act.Complete, 1675200, 65536, Flag.AHEAD],
    [Act.Complete, 1652672, 65536, Flag.AHEAD],
  ]);
  assert.deepEqual(xfs.diag.toRecord(), {
    'other-event: iomap_apply': 1, 'other-event: iomap_apply_dstmap': 1, 'other-event: iomap_readahead': 1,
    'other-event: xfs_file_buffered_read': 7, [TracepointSkip.notEvent]: 3,
  });
  const nvme = parse('wild-24-debian-6.4-nvme-ext4-iouring-fua-mixed-events.ftrace.txt');
  assert.deepEqual(nvme.events.map((e) => e.act), [
    Act.Remap, Act.Queue, Act.GetRq, Act.Issue, Act.Complete, Act.Remap, Act.Queue, Act.GetRq, Act.Issue, Act.Complete,
  ]);
  const remap = nvme.events[5]!;
  assert.deepEqual([formatDev(remap.dev), remap.sector, formatDev(remap.auxDev), remap.aux, remap.flags], ['259,0', 498192384, '259,5', 0, Flag.FUA | Flag.SYNC]);
  // block_plug prints "[comm]" only: no device to give the event, so it is counted, not emitted
  assert.equal(nvme.diag.count('other-event: block_plug (no device; not emitted)'), 1);
  assert.deepEqual(nvme.limitations, [
    'timestamps are printed with 6 decimals: µs precision, not ns',
    'block_plug/block_unplug tracepoints name no device: plugs and unplugs are not reported',
  ]);
  assert.equal(nvme.diag.list().filter((d) => d.severity !== 'info').length, 0);
  const loop = parse('wild-22-f2fs-loop-5.4-block_rq_issue.ftrace.txt');
  assert.equal(loop.events.length, 26);
  assert.deepEqual(loop.diag.toRecord(), { 'time went backwards': 1 });
});

test('wild: email-wrapped traces are read without a crash, every half line counted', () => {
  const gmail = parse('wild-21-android-f2fs-ufs-dm-remap-split-gmail-wrapped.ftrace.txt');
  assert.equal(gmail.events.length, 0);
  assert.deepEqual(gmail.diag.toRecord(), {
    [TracepointSkip.wrapped]: 28,
    [TracepointSkip.notEvent]: 63,
    'tracepoint: unreadable block_getrq body': 9,
    'tracepoint: unreadable block_rq_issue body': 8,
    'tracepoint: unreadable block_split body': 6,
  });
  const flowed = parse('wild-25-ubuntu24.04-6.14-sata-ioprio-field-latency-fmt-wrapped.trace-cmd.txt');
  assert.equal(flowed.events.length, 0);
  assert.equal(flowed.diag.count('tracepoint: unreadable block_rq_issue body'), 4);
  assert.equal(flowed.diag.count('tracepoint: unreadable block_rq_complete body'), 3);
  // the latency-format context ("test-2991    0.....") was read: the event names were found
  assert.equal(flowed.diag.count('other-event: scsi_dispatch_cmd_start'), 4);
});

// Built from the formats printed by kernel/trace/trace.c (print_event_info,
// "CPU:%d [LOST %lu EVENTS]") and trace-cmd's banners; no capture with lost events.
test('lost events and overwritten buffers are data-loss counters', () => {
  const text = [
    'version = 6',
    'cpus=2',
    '# entries-in-buffer/entries-written: 100/150   #P:2',
    'CPU:1 [LOST 42 EVENTS]',
    '##### CPU 1 buffer started ####',
    'CPU 0 is empty',
    '  fio-9 (   9) [001] d..1.   10.000001: block_bio_queue: 8,0 R 8 + 8 [fio]',
  ].join('\n');
  const r = parseBuffer(tracepointFormat, Buffer.from(text));
  assert.equal(r.events.length, 1);
  assert.deepEqual([r.events[0]!.pid, r.events[0]!.cpu, r.events[0]!.comm], [9, 1, 'fio']);
  assert.deepEqual(r.diag.toRecord(), {
    'lost-events: CPU buffer started late (older events overwritten)': 1,
    'lost-events: ftrace': 42,
    'lost-events: ring buffer overwritten (entries-written > entries-in-buffer)': 50,
  });
  assert.ok(r.diag.list().every((d) => d.severity === 'data-loss'));
});

test('a cut last line is never completed by stale bytes of the line before it', () => {
  // With small chunks both lines go through the splitter's carry buffer, whose
  // byte after the cut line held the "]" of the line before (the splitter now
  // writes a "\n" sentinel there; the readers do not rely on it either).
  const full = '  kworker/0:1H-1090    [000] .....   586.020342: block_rq_complete: 251,0 WS () 131072 + 128 [-5]';
  const data = Buffer.from(`${full}\n${full.slice(0, -1)}`);
  for (const size of CHUNK_SIZES) {
    const r = parseBuffer(tracepointFormat, data, size);
    assert.equal(r.events.length, 1, `${size}-byte chunks`);
    assert.deepEqual(r.diag.toRecord(), { 'tracepoint: unreadable block_rq_complete body': 1 });
  }
  const name = Buffer.from(`${full}\n  kworker/0:1H-1090    [000] .....   586.020342: block_rq_complete`);
  for (const size of CHUNK_SIZES) {
    assert.deepEqual(parseBuffer(tracepointFormat, name, size).diag.toRecord(), { [TracepointSkip.notEvent]: 1 }, `${size}-byte chunks`);
  }
});

test('chunk boundaries never change the events', () => {
  for (const name of [
    'raw-odirect-dsync.block-events.txt', 'raw-odirect-dsync.block-events.report.txt.gz', 'discard-write-zeroes-NS.block-events.txt',
    'wild-21-android-f2fs-ufs-dm-remap-split-gmail-wrapped.ftrace.txt', 'wild-24-debian-6.4-nvme-ext4-iouring-fua-mixed-events.ftrace.txt',
    'wild-25-ubuntu24.04-6.14-sata-ioprio-field-latency-fmt-wrapped.trace-cmd.txt',
    'wild-27-ioprio-tracepoint-patch-examples-android-comm-brackets.ftrace.txt', 'wild-30-perf-script-4.6rc3-sampleblk-253-callchain.perf.txt',
  ]) {
    const data = fixture(name);
    const ref = parseBuffer(tracepointFormat, data, 1 << 20);
    for (const size of CHUNK_SIZES) {
      const r = parseBuffer(tracepointFormat, data, size);
      assert.deepEqual(r.events, ref.events, `${name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list());
      assert.deepEqual(r.attachments, ref.attachments);
    }
  }
});

test('detection by content: every tracepoint fixture, nothing else', () => {
  for (const name of [
    'raw-odirect-dsync.block-events.txt', 'raw-odirect-dsync.block-events.report.txt.gz', 'qio-raw-none-threads-einval.block-events.txt',
    'wild-21-android-f2fs-ufs-dm-remap-split-gmail-wrapped.ftrace.txt', 'wild-22-f2fs-loop-5.4-block_rq_issue.ftrace.txt',
    'wild-23-xfs-5.9-trace-cmd-report-mixed-xfs-iomap-block.trace-cmd.txt', 'wild-24-debian-6.4-nvme-ext4-iouring-fua-mixed-events.ftrace.txt',
    'wild-25-ubuntu24.04-6.14-sata-ioprio-field-latency-fmt-wrapped.trace-cmd.txt',
    'wild-26-nullblk-5.17-block_rq_error-neg-errno-ftrace-header.ftrace.txt',
    'wild-27-ioprio-tracepoint-patch-examples-android-comm-brackets.ftrace.txt', 'wild-30-perf-script-4.6rc3-sampleblk-253-callchain.perf.txt',
  ]) {
    assert.equal(detectFormat(fixture(name))?.format.name, 'tracepoint', name);
  }
  assert.equal(tracepointFormat.detect(read('ftrace', 'raw-odirect-dsync.ftrace-blk.txt')), 0);
  assert.equal(tracepointFormat.detect(read('ftrace', 'raw-odirect-dsync.loop1.blkparse.txt')), 0);
  assert.equal(tracepointFormat.detect(Buffer.from('hello world\nblock_rq_issue is a tracepoint\n')), 0);
});
