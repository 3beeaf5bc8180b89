import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/model/diagnostics.js';
import type { ClockDomain } from '../src/model/time.js';
import type { FormatSpec, ParseContext } from '../src/formats/types.js';
import { detectFormat } from '../src/formats/registry.js';
import { qemuLogFormat, QemuLogSkip } from '../src/formats/qemu/log.js';
import { qemuSimpletraceFormat } from '../src/formats/qemu/simpletrace.js';
import { copyQemuEvent, QemuKind, type QemuEvent } from '../src/qemu/event.js';
import { QemuRebuilder } from '../src/qemu/rebuild.js';
import type { FrontRequest, HostJob } from '../src/qemu/records.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/qemu/${name}`, import.meta.url)));
const scenario = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/scenarios/${name}`, import.meta.url)));

interface Parsed {
  events: QemuEvent[];
  diag: Diagnostics;
  clock?: ClockDomain;
  limitations: string[];
}

function parse(format: FormatSpec, data: Buffer, chunk = 65536): Parsed {
  const out: Parsed = { events: [], diag: new Diagnostics(), limitations: [] };
  const ctx: ParseContext = {
    sourceIndex: 0, sourceName: 'test', sink: { event: () => assert.fail('QEMU readers emit no block events') },
    qemuSink: { qemu: (e) => out.events.push(copyQemuEvent(e)) }, diag: out.diag, options: {},
    setClock: (d) => { out.clock = d; }, attach: () => {}, limitation: (t) => { out.limitations.push(t); },
  };
  const p = format.create(ctx);
  for (let i = 0; i < data.length; i += chunk) p.push(data.subarray(i, Math.min(data.length, i + chunk)));
  p.end();
  return out;
}

function rebuild(data: Buffer) {
  const fronts: FrontRequest[] = [];
  const jobs: HostJob[] = [];
  const diag = new Diagnostics();
  const rb = new QemuRebuilder({ front: (r) => fronts.push(r), job: (j) => jobs.push(j) }, diag, 'test');
  for (const e of parse(qemuLogFormat, data).events) rb.qemu(e);
  const summary = rb.end();
  jobs.sort((a, b) => a.submit.seq - b.submit.seq);
  fronts.sort((a, b) => a.issue.seq - b.issue.seq);
  return { fronts, jobs, summary, diag };
}

test('detection by content: every QEMU fixture goes to its reader, none to another', () => {
  const expect: Record<string, string> = {
    'wild-32-qtest-interleaved-status1.qemu.log': 'qemu-log',
    'wild-33-noprefix-bs-nil.qemu.log': 'qemu-log',
    'wild-34-virtio-mmio-unused-events.qemu.log': 'qemu-log',
    'wild-35-nvme-flush-status.qemu.log': 'qemu-log',
    'wild-41-simpletrace-wrapped-record.simpletrace.txt': 'qemu-simpletrace',
    'wild-42-simpletrace-no-pid.simpletrace.txt': 'qemu-simpletrace',
  };
  for (const [name, format] of Object.entries(expect)) assert.equal(detectFormat(fixture(name))?.format.name, format, name);
  for (const name of ['qio-raw-none-threads/qemu-trace.log', 'qio-qcow2-ext4-none/qemu-trace.log', 'vm-none-threads/qemu-trace.log']) {
    assert.equal(detectFormat(scenario(name))?.format.name, 'qemu-log', name);
  }
  assert.equal(detectFormat(scenario('vm-none-threads/vda.blkparse.txt'))?.format.name, 'blkparse');
  const blkparseLine = Buffer.from('  7,1    1        1     0.000000000 11214  Q  RM 33928 + 8 [python3]\n');
  assert.equal(qemuLogFormat.detect(blkparseLine), 0);
  assert.equal(qemuSimpletraceFormat.detect(blkparseLine), 0);
});

test('chunk boundaries never change the events', () => {
  for (const data of [scenario('qio-qcow2-ext4-none/qemu-trace.log'), fixture('wild-32-qtest-interleaved-status1.qemu.log')]) {
    const ref = parse(qemuLogFormat, data);
    for (const size of [1, 7, 65536]) assert.deepEqual(parse(qemuLogFormat, data, size).events, ref.events);
  }
  const st = fixture('wild-41-simpletrace-wrapped-record.simpletrace.txt');
  for (const size of [1, 7]) assert.deepEqual(parse(qemuSimpletraceFormat, st, size).events, parse(qemuSimpletraceFormat, st).events);
});

test('the four log prefixes: tid@time, ISO-8601 (10.1), prog(TID:thread) (10.2 series), none', () => {
  const lines = [
    '2986097@1753122905.917608:blk_co_pwritev blk 0x5603eedc1960 bs 0x5603eedccd60 offset 0 bytes 4096 flags 0x0',
    '2025-07-21T18:43:28.089797Z blk_co_pwritev blk 0x5603eedc1960 bs 0x5603eedccd60 offset 4096 bytes 4096 flags 0x10',
    '2025-07-21T18:43:28.089800Z qemu-system-x86_64(1144713:main): thread_pool_submit pool 0x1 req 0x2 opaque 0x3',
    '[vm1] qemu-system-x86_64(1144713:iothread0): thread_pool_complete pool 0x1 req 0x2 opaque 0x3 ret -5',
    'blk_co_pwritev blk 0x5603eedc1960 bs 0x5603eedccd60 offset 0 bytes 4096 flags 0x0',
  ];
  const r = parse(qemuLogFormat, Buffer.from(lines.join('\n') + '\n'));
  assert.equal(r.events.length, 5);
  assert.deepEqual(r.events.map((e) => e.tid), [2986097, -1, 1144713, 1144713, -1]);
  assert.equal(r.clock?.name, 'qemu-realtime');
  assert.equal(r.clock?.baseSeconds, 1753122905);
  assert.equal(r.events[0]!.time, 917608000);
  // 2025-07-21T18:43:28Z = 1753123408 s
  assert.equal(r.events[1]!.time, (1753123408 - 1753122905) * 1e9 + 89797000);
  assert.equal(r.events[1]!.flags, 0x10);
  assert.equal(r.events[3]!.ret, -5);
  assert.equal(r.events[4]!.time, -1);
  assert.equal(r.diag.count(QemuLogSkip.noTime), 2);
  const none = parse(qemuLogFormat, scenario('qio-raw-none-threads/qemu-trace.log'));
  assert.equal(none.clock?.orderOnly, true);
  assert.ok(none.limitations.some((l) => l.includes('order only')));
});

test('qemu-trace-stap lines (PID@NS, the dtrace backend read by SystemTap): nanoseconds kept to the µs, no thread id, detected as the log backend', () => {
  // scripts/tracetool/format/log_stap.py: printf("%d@%d name fmt\n", pid(), gettimeofday_ns(), …); %p as 0x + 16 digits
  const lines = [
    '19318@1796537096188102345 blk_co_pwritev blk 0x00005601a0188860 bs 0x00005601a018b050 offset 0 bytes 4096 flags 0x10',
    '19318@1796537096188128999 thread_pool_submit pool 0x00005601a0001000 req 0x00005601a0002000 opaque 0x00007f0000003000',
  ];
  const data = Buffer.from(lines.join('\n') + '\n');
  assert.equal(detectFormat(data)?.format.name, 'qemu-log');
  const r = parse(qemuLogFormat, data);
  assert.equal(r.events.length, 2);
  // the process id is every thread's: no thread told apart
  assert.deepEqual(r.events.map((e) => e.tid), [-1, -1]);
  assert.equal(r.clock?.name, 'qemu-realtime');
  assert.equal(r.clock?.baseSeconds, 1796537096);
  // 19-digit nanoseconds read exactly (past a double's integers), kept to the microsecond as the other prefixes
  assert.deepEqual(r.events.map((e) => e.time), [188102000, 188128000]);
  assert.equal(r.events[0]!.flags, 0x10);
  assert.equal(r.events[0]!.bytes, 4096);
  assert.ok(r.limitations.some((l) => l.includes('qemu-trace-stap') && l.includes('not the thread id')), r.limitations.join('\n'));
  // a TID@SEC.USEC line still has its thread
  assert.deepEqual(parse(qemuLogFormat, Buffer.from('2986097@1753122905.917608:blk_co_pwritev blk 0x1 bs 0x2 offset 0 bytes 512 flags 0x0\n')).events.map((e) => e.tid), [2986097]);
});

test('io_uring under cache=directsync, two drives on the main loop (real capture): each FUA-emulating flush job is its own drive\'s, told by the coroutine stack of its LuringAIOCB', () => {
  // fixtures/stacks/vm-mirror-directsync-io_uring: dm-raid1 writes both legs at once, each write's data and its
  // emulating flush run in its coroutine (luring_co_submit type 2, then type 8, luringcbs within a page); before
  // session 15 a flush went to the oldest FUA write waiting in the main loop, often the other drive's (151 false errors)
  const { fronts, jobs } = rebuild(gunzipSync(readFileSync(fileURLToPath(new URL('../../fixtures/stacks/vm-mirror-directsync-io_uring/qemu-trace.log.gz', import.meta.url)))));
  const byId = new Map(fronts.map((f) => [f.id, f]));
  const dataNode = new Map<string, string>();
  for (const j of jobs) if (j.causeHow === 'data' && j.kind === 'write') dataNode.set(byId.get(j.cause)!.device, j.node);
  assert.equal(dataNode.size, 3, [...dataNode.keys()].join(' '));
  const fua = jobs.filter((j) => j.causeHow === 'fua-emulation');
  assert.ok(fua.length > 200, `${fua.length} emulating flushes`);
  // every emulating flush on the protocol node of the drive whose write it was given to
  for (const j of fua) assert.equal(j.node, dataNode.get(byId.get(j.cause)!.device), `job ${j.id} → front ${j.cause}`);
});

test('wild logs: non-trace lines counted, (nil) pointers, status 1, NVMe flush, unused events', () => {
  const w32 = parse(qemuLogFormat, fixture('wild-32-qtest-interleaved-status1.qemu.log'));
  assert.equal(w32.events.length, 5);
  // "...", "[S …] OK", "[R …] write …", "OK" ×2 … and the assertion line: 9 lines that are not events
  assert.equal(w32.diag.count(QemuLogSkip.notTrace), 9);
  const done = w32.events.find((e) => e.kind === QemuKind.VblkReqComplete)!;
  assert.equal(done.status, 1);
  assert.equal(w32.events.find((e) => e.kind === QemuKind.VblkRead)!.nsectors, 0);
  const w33 = parse(qemuLogFormat, fixture('wild-33-noprefix-bs-nil.qemu.log'));
  const read = w33.events.find((e) => e.kind === QemuKind.BlkRead)!;
  assert.equal(read.bs, '0');
  assert.equal(read.bytes, 134217728);
  assert.equal(w33.diag.count(QemuLogSkip.notTrace), 1); // "readv failed: No medium found"
  const w34 = parse(qemuLogFormat, fixture('wild-34-virtio-mmio-unused-events.qemu.log'));
  assert.equal(w34.events.length, 17);
  assert.equal(w34.diag.count(QemuLogSkip.unusedEvent), 17);
  const w35 = parse(qemuLogFormat, fixture('wild-35-nvme-flush-status.qemu.log'));
  const cmds = w35.events.filter((e) => e.kind === QemuKind.NvmeIoCmd);
  assert.deepEqual(cmds.map((e) => e.text), ['NVME_NVM_CMD_READ', 'NVME_NVM_CMD_FLUSH']);
  assert.deepEqual(w35.events.filter((e) => e.kind === QemuKind.NvmeCompletion).map((e) => e.status), [0x400b, 0]);
  assert.equal(w35.events.find((e) => e.kind === QemuKind.NvmeRead)!.sector, 0x802);
});

test('simpletrace: 2010 records, deltas summed, a wrapped record joined', () => {
  const w41 = parse(qemuSimpletraceFormat, fixture('wild-41-simpletrace-wrapped-record.simpletrace.txt'));
  assert.equal(w41.events.length, 1);
  const e = w41.events[0]!;
  assert.equal(e.kind, QemuKind.PaioComplete);
  assert.equal(e.type, 2);
  assert.equal(e.ret, 0);
  assert.equal(e.req, '0x2b933c0');
  const w42 = parse(qemuSimpletraceFormat, fixture('wild-42-simpletrace-no-pid.simpletrace.txt'));
  assert.deepEqual(w42.events.map((x) => x.time), [0, 768]); // 0.768 µs
  assert.equal(w42.clock?.name, 'qemu-simpletrace');
});

test('qemu-io raw, cache=none: FUA emulated by a flush job; flush commands are jobs of unknown type', () => {
  const r = rebuild(scenario('qio-raw-none-threads/qemu-trace.log'));
  assert.equal(r.summary.devices.length, 1);
  assert.deepEqual(r.summary.jobKinds, { write: 5, unknown: 4, flush: 1, 'write-zeroes': 1, read: 1 });
  const fua = r.fronts.find((f) => f.fuaAsked)!;
  assert.deepEqual([fua.sector, fua.nsectors, fua.fuaFormat, fua.fuaProtocol], [256, 8, true, false]);
  assert.deepEqual(fua.jobs.map((id) => r.jobs.find((j) => j.id === id)!.kind), ['write', 'flush']);
  assert.equal(r.jobs.find((j) => j.kind === 'flush')!.causeHow, 'fua-emulation');
});

test('qemu-io raw, cache=writethrough: every write followed by its FUA-emulation flush', () => {
  const r = rebuild(scenario('qio-raw-writethrough-threads/qemu-trace.log'));
  const writes = r.fronts.filter((f) => f.kind === 'write' || f.kind === 'write-zeroes');
  assert.equal(writes.length, 6);
  for (const w of writes) {
    assert.ok(w.fuaFormat, `write at ${w.sector} has FUA at the format node`);
    assert.equal(w.jobs.map((id) => r.jobs.find((j) => j.id === id)!.kind).filter((k) => k === 'flush').length, 1);
  }
  assert.equal(r.summary.jobCauses['fua-emulation'], 6);
  assert.equal(r.summary.jobCauses['zeroes-fallback'], 1);
  assert.equal(r.summary.jobKinds['unknown'], 2); // the discard and the last flush command
});

test('qemu-io raw, cache=unsafe: the FUA write gets no flush job at all', () => {
  const r = rebuild(scenario('qio-raw-unsafe-threads/qemu-trace.log'));
  assert.equal(r.summary.jobKinds['flush'], undefined);
  const fua = r.fronts.find((f) => f.fuaAsked)!;
  assert.deepEqual(fua.jobs.map((id) => r.jobs.find((j) => j.id === id)!.kind), ['write']);
  const failed = r.jobs.find((j) => j.kind === 'write-zeroes')!;
  assert.equal(failed.ret, -95);
});

test('qemu-io qcow2: metadata flushes after qcow2_cache_flush, data jobs at file offsets', () => {
  const r = rebuild(scenario('qio-qcow2-ext4-none/qemu-trace.log'));
  assert.deepEqual(r.summary.jobKinds, { read: 7, write: 16, flush: 11, 'write-zeroes': 2 });
  // the FUA write's emulating flush (bdrv_co_flush on the qcow2 node) writes the L2/refcount caches with a flush
  // of the file between them and flushes the file again after them: the first and the last are its FUA flushes
  assert.equal(r.summary.jobCauses['qcow2-metadata'], 9);
  assert.equal(r.summary.jobCauses['fua-emulation'], 2);
  const first = r.fronts.find((f) => f.kind === 'write')!;
  const dataJob = first.jobs.map((id) => r.jobs.find((j) => j.id === id)!).find((j) => j.kind === 'write' && j.bytes === 65536 && j.offset === 327680);
  assert.ok(dataJob, 'guest offset 0 lands at file offset 327680 (qemu-img map)');
});

test('VM qcow2 on a host file (real capture): a guest flush\'s L2/refcount cache writes are nobody\'s data, and every job after a write\'s completion is not that write\'s', () => {
  // fixtures/stacks/vm-file-qcow2-xfs-writeback: qcow2_co_flush_to_os writes the cache tables with no blk request of
  // its own; before, the thread's chain still held the last (completed) guest write, which took them as its data
  const r = rebuild(gunzipSync(readFileSync(fileURLToPath(new URL('../../fixtures/stacks/vm-file-qcow2-xfs-writeback/qemu-trace.log.gz', import.meta.url)))));
  const front = new Map(r.fronts.map((f) => [f.id, f]));
  const data = r.jobs.filter((j) => j.causeHow === 'data');
  assert.ok(data.length > 100);
  for (const j of data) {
    const f = front.get(j.cause)!;
    assert.ok(j.submit.seq < f.complete.seq, `job at line ${j.submit.loc} taken as data of the request completed at line ${f.complete.loc}`);
  }
  // the cache-table writes inside guest flushes (file offsets 128 KiB and 256 KiB here) are linked to no request
  const tables = r.jobs.filter((j) => j.kind === 'write' && (j.offset === 131072 || j.offset === 262144));
  assert.ok(tables.length > 10);
  assert.ok(tables.every((j) => j.cause < 0), `${tables.filter((j) => j.cause >= 0).length} cache-table writes linked to a request`);
});

test('VM traces: virtio requests from pop to completion; flushes are requests with no read/write handled', () => {
  const none = rebuild(scenario('vm-none-threads/qemu-trace.log'));
  const vda = none.summary.devices.find((d) => d.device === '0x5648dd17f5c0')!;
  assert.deepEqual(vda.requests, { read: 13, write: 129, writeZeroes: 0, flush: 104, other: 0 });
  assert.equal(none.summary.jobCauses['virtio-flush'], 89); // 15 flushes elided: nothing written since the last
  assert.equal(none.summary.merged, 3);
  const flushes = none.fronts.filter((f) => f.device === '0x5648dd17f5c0' && f.kind === 'flush');
  assert.equal(flushes.filter((f) => f.jobs.length === 0).length, 15);
  assert.ok(flushes.every((f) => f.status === 0 && f.complete.time > f.issue.time));
  const unsafe = rebuild(scenario('vm-unsafe-threads/qemu-trace.log'));
  assert.equal(unsafe.summary.jobKinds['flush'], undefined);
  assert.equal(unsafe.fronts.filter((f) => f.kind === 'flush').length, 104);
  const wt = rebuild(scenario('vm-writethrough-threads/qemu-trace.log'));
  assert.equal(wt.summary.jobCauses['fua-emulation'], 125);
  // vda (cache=writethrough): FUA added at the format node on every write; vdb (writeback) none
  assert.equal(wt.fronts.filter((f) => f.device === '0x55b11045f890' && f.kind === 'write' && f.fuaFormat && !f.fuaAsked).length, 129);
  assert.equal(wt.fronts.filter((f) => f.device !== '0x55b11045f890' && f.fuaFormat).length, 0);
});

test('cache mode inferred from the trace', async () => {
  const { CacheModeTracker } = await import('../src/qemu/cache-mode.js');
  const modes: Record<string, string> = {};
  for (const name of ['vm-none-threads', 'vm-unsafe-threads', 'vm-writethrough-threads', 'qio-raw-unsafe-threads']) {
    const r = rebuild(scenario(`${name}/qemu-trace.log`));
    const busiest = r.summary.devices.reduce((a, b) => (b.requests.write > a.requests.write ? b : a));
    const t = new CacheModeTracker();
    for (const f of r.fronts) if (f.device === busiest.device) t.front(f);
    for (const j of r.jobs) if (j.cause >= 0 && r.fronts.find((f) => f.id === j.cause)?.device === busiest.device) t.job(j);
    modes[name] = t.infer().mode;
  }
  assert.deepEqual(modes, {
    'vm-none-threads': 'writeback-or-none', 'vm-unsafe-threads': 'unsafe', 'vm-writethrough-threads': 'writethrough',
    'qio-raw-unsafe-threads': 'unsafe',
  });
});

test('io_uring jobs carry their type (QEMU_AIO_WRITE 2, QEMU_AIO_FLUSH 8) in 7.2 and 10.2 spellings', () => {
  const lines = [
    // format strings of block/trace-events (7.2; 10.2 renamed the completion luring_cqe_handler "req %p ret %d")
    '7@100.000001:blk_co_pwritev blk 0x1 bs 0x2 offset 0 bytes 4096 flags 0x0',
    '7@100.000002:bdrv_co_pwritev_part bs 0x2 offset 0 bytes 4096 flags 0x0',
    '7@100.000003:bdrv_co_pwritev_part bs 0x3 offset 0 bytes 4096 flags 0x0',
    '7@100.000004:luring_co_submit bs 0x3 s 0x9 luringcb 0xa fd 5 offset 0 nbytes 4096 type 2',
    '7@100.000010:luring_process_completion LuringState 0x9 luringcb 0xa ret 4096',
    '7@100.000020:luring_co_submit bs 0x3 req 0xb fd 5 offset 0 nbytes 0 type 8',
    '7@100.000030:luring_cqe_handler req 0xb ret 0',
  ];
  const r = rebuild(Buffer.from(lines.join('\n') + '\n'));
  assert.deepEqual(r.jobs.map((j) => [j.mech, j.kind, j.offset, j.bytes, j.ret, j.submit.loc, j.complete.loc]), [
    ['io_uring', 'write', 0, 4096, 4096, 4, 5],
    ['io_uring', 'flush', 0, 0, 0, 6, 7],
  ]);
  assert.equal(r.jobs[0]!.cause, r.fronts[0]!.id);
  assert.equal(r.summary.inFlightAtEnd, 0);
});

test('VM RAID5 over three drives (real capture): a flush job is the request popped just before it, not the oldest waiting flush of another drive', () => {
  // fixtures/stacks/vm-raid5-none-threads: md's flushes reach vda, vdb and vdc together. Lines 3651-3655: vdc's
  // flush popped (nothing written since its last: elided, completed later from a bottom half), then vdb's popped
  // → job, vda's popped → job. Taken oldest-first, vdb's job went to vdc and vda's to vdb; vda's flush then looked
  // completed with no host job (flush-not-passed-down at qemu, a false alarm on a clean stack).
  const r = rebuild(gunzipSync(readFileSync(fileURLToPath(new URL('../../fixtures/stacks/vm-raid5-none-threads/qemu-trace.log.gz', import.meta.url)))));
  const jobs = new Map(r.jobs.map((j) => [j.id, j]));
  const flushes = r.fronts.filter((f) => f.kind === 'flush');
  assert.ok(flushes.length > 250);
  for (const f of flushes) {
    for (const id of f.jobs) {
      const j = jobs.get(id)!;
      assert.ok(j.submit.seq > f.issue.seq && j.complete.seq < f.complete.seq,
        `flush popped at line ${f.issue.loc}, completed at line ${f.complete.loc}: its job ${j.submit.loc}-${j.complete.loc} is not inside it`);
    }
  }
  const vda = flushes.find((f) => f.issue.loc === 3654)!;
  assert.equal(vda.device, '0x5640bb66b280');
  assert.deepEqual(vda.jobs.map((id) => jobs.get(id)!.submit.loc), [3655]);
  const vdc = flushes.find((f) => f.issue.loc === 3651)!;
  assert.equal(vdc.jobs.length, 0);
});

test('a virtio request with a data segment from the device and no read handled (GET_ID, in_num 2) is not a flush', () => {
  // hw/block/virtio-blk.c virtio_blk_handle_request answers VIRTIO_BLK_T_GET_ID itself (`cat /sys/block/vda/serial`):
  // popped with the header out and the id buffer + status in, completed with no read/write and no host job. A flush
  // carries no data (Linux virtblk_add_req: header out, status in: in_num 1). Taken as a flush, the serial read
  // acknowledged the writes before it as durable (a false flush-not-passed-down at qemu on vm-cachewb-none-threads).
  const lines = [
    '7@100.000001:virtqueue_pop vq 0x10 elem 0x20 in_num 1 out_num 2',
    '7@100.000002:virtio_blk_handle_write vdev 0x1 req 0x20 sector 0 nsectors 8',
    '7@100.000003:blk_co_pwritev blk 0x2 bs 0x3 offset 0 bytes 4096 flags 0x8',
    '7@100.000004:bdrv_co_pwritev_part bs 0x3 offset 0 bytes 4096 flags 0x8',
    '7@100.000005:bdrv_co_pwritev_part bs 0x4 offset 0 bytes 4096 flags 0x8',
    '7@100.000006:thread_pool_submit pool 0x5 req 0x6 opaque 0x7',
    '7@100.000010:thread_pool_complete pool 0x5 req 0x6 opaque 0x7 ret 0',
    '7@100.000011:virtio_blk_rw_complete vdev 0x1 req 0x20 ret 0',
    '7@100.000012:virtio_blk_req_complete vdev 0x1 req 0x20 status 0',
    // GET_ID: the id buffer and the status byte in (in_num 2), answered at once
    '7@100.000020:virtqueue_pop vq 0x11 elem 0x21 in_num 2 out_num 1',
    '7@100.000021:virtio_blk_req_complete vdev 0x1 req 0x21 status 0',
    // a flush: header out, status in; its fdatasync job
    '7@100.000030:virtqueue_pop vq 0x10 elem 0x22 in_num 1 out_num 1',
    '7@100.000031:thread_pool_submit pool 0x5 req 0x6 opaque 0x8',
    '7@100.000040:thread_pool_complete pool 0x5 req 0x6 opaque 0x8 ret 0',
    '7@100.000041:virtio_blk_req_complete vdev 0x1 req 0x22 status 0',
  ];
  const r = rebuild(Buffer.from(lines.join('\n') + '\n'));
  const byLine = new Map(r.fronts.filter((f) => f.iface === 'virtio').map((f) => [f.issue.loc, f]));
  assert.equal(byLine.get(10)!.kind, 'other', byLine.get(10)!.kindHow);
  assert.match(byLine.get(10)!.kindHow, /in_num 2.*GET_ID/);
  assert.equal(byLine.get(12)!.kind, 'flush');
  assert.equal(byLine.get(12)!.jobs.length, 1);
  assert.deepEqual(r.summary.devices.find((d) => d.device === '0x1')!.requests, { read: 0, write: 1, writeZeroes: 0, flush: 1, other: 1 });
});
