import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ftraceBlkClassicFormat, ftraceBlkFormat } from '../src/formats/ftrace-blk/spec.js';
import { FtraceBlkSkip } from '../src/formats/ftrace-blk/parser.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { detectFormat } from '../src/formats/registry.js';
import { Act, type BlockEvent } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { formatDev } from '../src/model/device.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/ftrace/${name}`, import.meta.url)));

/** Everything blkparse prints about an event except time, seq and comm. */
const shape = (e: BlockEvent) => [formatDev(e.dev), e.cpu, e.pid, e.act, e.op, e.flags, e.sector, e.bytes, e.error, e.aux, e.auxDev, e.text];

test('blk_classic: the same events as blkparse, field by field, ns times up to a constant offset', () => {
  for (const cap of ['raw-odirect-dsync', 'qio-raw-none-threads-einval']) {
    const ref = parseBuffer(blkparseFormat, fixture(`${cap}.loop1.blkparse.txt`)).events;
    const r = parseBuffer(ftraceBlkClassicFormat, fixture(`${cap}.ftrace-blk-classic.txt`));
    assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
    assert.equal(r.events.length, ref.length);
    const offset = r.events[0]!.time - ref[0]!.time; // blkparse prints time since its first event
    r.events.forEach((e, i) => {
      const b = ref[i]!;
      assert.deepEqual(shape(e), shape(b), `${cap} event ${i + 1}`);
      assert.equal(e.time - offset, b.time, `${cap} event ${i + 1} time`);
      assert.equal(e.seq, -1);
      if (b.comm !== '') assert.equal(e.comm, b.comm);
    });
    assert.equal(r.clock?.name, 'trace-clock');
    assert.deepEqual(r.limitations, []);
  }
});

test('default rendering: the classic events with µs timestamps and the task comm on every line', () => {
  for (const cap of ['raw-odirect-dsync', 'qio-raw-none-threads-einval']) {
    const classic = parseBuffer(ftraceBlkClassicFormat, fixture(`${cap}.ftrace-blk-classic.txt`)).events;
    const r = parseBuffer(ftraceBlkFormat, fixture(`${cap}.ftrace-blk.txt`));
    assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
    assert.equal(r.events.length, classic.length);
    r.events.forEach((e, i) => {
      const c = classic[i]!;
      assert.deepEqual(shape(e), shape(c), `${cap} event ${i + 1}`);
      // trace_print_context prints ns2usecs(ts): (ns + 500) / 1000
      assert.equal(e.time, Math.floor((c.time + 500) / 1000) * 1000, `${cap} event ${i + 1} time`);
      if (c.comm !== '') assert.equal(e.comm, c.comm);
    });
    assert.deepEqual(r.limitations, ['timestamps are printed with 6 decimals: µs precision, not ns']);
    // completions print [error], not [comm]: the comm comes from the context (`ksoftirqd/0-14`)
    const cs = r.events.filter((e) => e.act === Act.Complete && e.pid === 14);
    assert.ok(cs.length > 0 && cs.every((e) => e.comm === 'ksoftirqd/0'));
  }
});

test('O_DSYNC write: FUA emulated by a post-flush, final 0-byte completion', () => {
  const ev = parseBuffer(ftraceBlkFormat, fixture('raw-odirect-dsync.ftrace-blk.txt')).events;
  assert.deepEqual(
    ev.slice(0, 9).map((e) => [e.act, e.op, e.flags, e.sector, e.bytes]),
    [
      [Act.Queue, Op.Write, Flag.FUA | Flag.SYNC, 8192, 65536],
      [Act.GetRq, Op.Write, Flag.FUA | Flag.SYNC, 8192, 65536],
      [Act.Plug, Op.None, 0, -1, 0],
      [Act.Unplug, Op.None, 0, -1, 0],
      [Act.Issue, Op.Write, Flag.SYNC, 8192, 65536],
      [Act.Complete, Op.Write, Flag.SYNC, 8192, 65536],
      [Act.Issue, Op.Flush, Flag.PREFLUSH, -1, 0],
      [Act.Complete, Op.Flush, Flag.PREFLUSH, 0, 0],
      [Act.Complete, Op.Write, Flag.SYNC, 8192, 0],
    ],
  );
  assert.equal(ev[3]!.aux, 1, 'unplug depth');
  assert.equal(ev[0]!.time, 892_573_504_000);
  assert.equal(ev[0]!.cpu, 0);
  assert.equal(ev[0]!.pid, 11683);
});

test('failed completions: [65514] is -EINVAL', () => {
  const ev = parseBuffer(ftraceBlkClassicFormat, fixture('qio-raw-none-threads-einval.ftrace-blk-classic.txt')).events;
  const failed = ev.filter((e) => e.error !== 0);
  assert.deepEqual(failed.map((e) => [e.act, e.op, e.sector, e.bytes, e.error]), [
    [Act.Complete, Op.Read, 0, 4096, -22],
  ]);
});

test('write-zeroes is WS in the blk tracer (fill_rwbs): a write of 4096 sectors', () => {
  const ev = parseBuffer(ftraceBlkClassicFormat, fixture('discard-write-zeroes-WS.ftrace-blk-classic.txt')).events;
  assert.deepEqual(ev.map((e) => [e.act, e.op, e.sector, e.bytes]), [
    [Act.Queue, Op.Write, 16384, 4096 * 512],
    [Act.GetRq, Op.Write, 16384, 4096 * 512],
    [Act.Plug, Op.None, -1, 0],
    [Act.UnplugTimer, Op.None, -1, 0],
    [Act.Insert, Op.Write, 16384, 4096 * 512],
    [Act.Issue, Op.Write, 16384, 4096 * 512],
    [Act.Complete, Op.Write, 16384, 4096 * 512],
  ]);
});

test('splits: X sector / new sector, unplug depth', () => {
  const r = parseBuffer(ftraceBlkFormat, fixture('mixed-rw-split-readahead.ftrace-blk.txt'));
  assert.equal(r.diag.total, 0);
  const x = r.events.filter((e) => e.act === Act.Split);
  assert.deepEqual(x.map((e) => [e.sector, e.aux, e.op, e.flags]), [
    [282112, 284672, Op.Read, Flag.AHEAD],
    [286208, 288768, Op.Read, Flag.AHEAD],
    [290816, 293376, Op.Read, Flag.AHEAD],
    [295936, 298496, Op.Read, Flag.AHEAD],
  ]);
  assert.ok(r.events.filter((e) => e.act === Act.Unplug).every((e) => e.aux === 1));
});

test('2.6.29 blk plugin (no irq-flags column): read, with the bogus C "error" counted', () => {
  const r = parseBuffer(ftraceBlkFormat, fixture('wild-36-kernel-2.6.29-ftrace-blk-plugin-no-flags-column.ftrace.txt'));
  assert.deepEqual(r.events.map((e) => e.act), [
    Act.Remap, Act.Queue, Act.GetRq, Act.Plug, Act.Insert, Act.Issue, Act.Unplug, Act.Complete,
  ]);
  const a = r.events[0]!;
  assert.deepEqual([formatDev(a.dev), a.sector, a.bytes, formatDev(a.auxDev), a.aux, a.comm], ['8,1', 6367, 4096, '8,1', 6304, 'kjournald']);
  assert.equal(a.flags, Flag.BARRIER | Flag.SYNC);
  const c = r.events[7]!;
  // the plugin printed the sector in the error's place: a positive value, so not an errno (never a failure), counted
  assert.deepEqual([c.comm, c.pid, c.error], ['<idle>', 0, 0]);
  assert.deepEqual(r.diag.toRecord(), { [FtraceBlkSkip.oddError]: 1 });
});

// The following lines are built from the kernel's format strings
// (kernel/trace/blktrace.c blk_log_action with blk_cgroup / blk_cgname and the
// `verbose` option, blk_log_msg, blk_log_dump_pdu): no real capture with these
// options was available.
test('verbose action names, cgroup columns, messages, PC requests, "Unknown action"', () => {
  const text = [
    '# tracer: blk',
    '# entries-in-buffer/entries-written: 7/9   #P:2',
    '         python3-11683   [000] d..1.   892.573504:   7,1    queue WFS 8192 + 128 [python3]',
    '         python3-11683   [000] d..1.   892.573518:   7,1    unplug_io   N [python3] 1',
    '     ksoftirqd/0-14      [000] d.s1.   892.574235:   7,1    complete  FN 0 [0]',
    '         python3-11683   [000] d..1.   892.573504:   7,1   a3,0     Q WFS 8192 + 128 [python3]',
    '         python3-11683   [000] d..1.   892.573505:   7,1   /user.slice  G WFS 8192 + 128 [<...>]',
    '           <...>-900     [001] d..1.   892.573506:   8,0    m   N cfq900S  /user.slice alloced',
    '           <...>-900     [001] d..1.   892.573507:   8,0    D   R 56 (12 00 00 00 38 ..) [inquiry]',
    '          <idle>-0       [001] d.h1.   892.573508:   8,0    C   R (12 00 00 00 38 ..) [0]',
    '          <idle>-0       [001] d.h1.   892.573509: Unknown action 1f',
    '  8,0    1   892.573510000   900  UT   N [kworker/1:1H] 3',
  ].join('\n');
  const r = parseBuffer(ftraceBlkFormat, Buffer.from(text));
  assert.deepEqual(r.events.map((e) => e.act), [
    Act.Queue, Act.Unplug, Act.Complete, Act.Queue, Act.GetRq, Act.Message, Act.Issue, Act.Complete, Act.UnplugTimer,
  ]);
  assert.equal(r.events[1]!.aux, 1);
  assert.equal(r.events[4]!.comm, 'python3', '<...> in the body falls back to the context comm');
  assert.equal(r.events[5]!.comm, '', '<...> context comm is unknown');
  assert.equal(r.events[5]!.text, 'cfq900S  /user.slice alloced');
  assert.deepEqual([r.events[6]!.flags & Flag.PC, r.events[6]!.bytes, r.events[6]!.text], [Flag.PC, 56, '12 00 00 00 38 ..']);
  assert.deepEqual([r.events[7]!.flags & Flag.PC, r.events[7]!.error], [Flag.PC, 0]);
  assert.deepEqual([r.events[8]!.aux, r.events[8]!.cpu, r.events[8]!.time], [3, 1, 892_573_510_000]);
  assert.deepEqual(r.diag.toRecord(), {
    [FtraceBlkSkip.unknownAction]: 1,
    'lost-events: ring buffer overwritten (entries-written > entries-in-buffer)': 2,
    'time went backwards': 1,
  });
});

test('a blkparse line is not taken for a classic one', () => {
  const r = parseBuffer(ftraceBlkClassicFormat, Buffer.from('  7,1    0        1     0.000000000 11683  Q WFS 8192 + 128 [python3]\n'));
  assert.equal(r.events.length, 0);
  assert.deepEqual(r.diag.toRecord(), { [FtraceBlkSkip.blkparseLine]: 1 });
});

test('a cut last line is never completed by stale bytes of the line before it', () => {
  const full = '  7,1    0   892.574235225    14  C  FN 0 [0]';
  const data = Buffer.from(`${full}\n${full.slice(0, -1)}`);
  for (const size of CHUNK_SIZES) {
    const r = parseBuffer(ftraceBlkClassicFormat, data, size);
    assert.equal(r.events.length, 1, `${size}-byte chunks`);
    assert.deepEqual(r.diag.toRecord(), { [FtraceBlkSkip.unreadable]: 1 });
  }
});

test('chunk boundaries never change the events', () => {
  for (const name of [
    'raw-odirect-dsync.ftrace-blk.txt', 'raw-odirect-dsync.ftrace-blk-classic.txt', 'mixed-rw-split-readahead.ftrace-blk.txt',
    'wild-36-kernel-2.6.29-ftrace-blk-plugin-no-flags-column.ftrace.txt',
  ]) {
    const spec = name.includes('classic') ? ftraceBlkClassicFormat : ftraceBlkFormat;
    const data = fixture(name);
    const ref = parseBuffer(spec, data, 1 << 20);
    assert.ok(ref.events.length > 0);
    for (const size of CHUNK_SIZES) {
      const r = parseBuffer(spec, data, size);
      assert.deepEqual(r.events, ref.events, `${name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list());
    }
  }
});

test('detection by content: default vs classic vs blkparse vs the binary blk tracer output', () => {
  const def = fixture('raw-odirect-dsync.ftrace-blk.txt');
  const classic = fixture('raw-odirect-dsync.ftrace-blk-classic.txt');
  const blkparse = fixture('raw-odirect-dsync.loop1.blkparse.txt');
  assert.equal(detectFormat(def)?.format.name, 'ftrace-blk');
  assert.equal(detectFormat(classic)?.format.name, 'ftrace-blk-classic');
  assert.equal(detectFormat(fixture('wild-36-kernel-2.6.29-ftrace-blk-plugin-no-flags-column.ftrace.txt'))?.format.name, 'ftrace-blk');
  assert.equal(detectFormat(fixture('discard-write-zeroes-WS.ftrace-blk-classic.txt'))?.format.name, 'ftrace-blk-classic');
  assert.equal(ftraceBlkClassicFormat.detect(blkparse), 0);
  assert.equal(ftraceBlkFormat.detect(blkparse), 0);
  assert.equal(blkparseFormat.detect(classic), 0);
  assert.equal(ftraceBlkFormat.detect(classic), 0);
  assert.equal(ftraceBlkClassicFormat.detect(def), 0);
  // options/bin output starts with the same "# tracer: blk" header, then binary records
  const bin = Buffer.concat([Buffer.from('# tracer: blk\n#\n'), Buffer.from([0x07, 0x74, 0x61, 0x65, 0, 0, 0, 0])]);
  assert.equal(ftraceBlkFormat.detect(bin), 0);
  // a head cut in the middle of a line gives the same answer
  assert.equal(ftraceBlkFormat.detect(def.subarray(0, 1000)), ftraceBlkFormat.detect(def.subarray(0, 1100)));
});
