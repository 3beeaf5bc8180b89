import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { biosnoopFormat, iosnoopFormat } from '../src/formats/snoop/spec.js';
import { SnoopReason } from '../src/formats/snoop/parser.js';
import { SYNTHETIC_MAJOR, syntheticDev, type DeviceName } from '../src/formats/snoop/device-names.js';
import { Act } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { devMajor, makeDev } from '../src/model/device.js';
import { detectFormat } from '../src/formats/registry.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const dir = fileURLToPath(new URL('../../fixtures/snoop/', import.meta.url));
const fixture = (name: string) => readFileSync(dir + name);

test('wild 15 (bcc biosnoop, md raid1): three runs, elisions, two named disks', () => {
  const r = parseBuffer(biosnoopFormat, fixture('md-raid1-three-runs-elisions.biosnoop.txt'));
  assert.equal(r.events.length, 107);
  assert.ok(r.events.every((e) => e.act === Act.IoDone && e.op === Op.Write && e.comm === 'md0_raid1'));
  assert.deepEqual(r.diag.toRecord(), {
    [SnoopReason.blank]: 2,
    [SnoopReason.elision]: 2,
    [SnoopReason.rerun]: 2,
  });
  assert.equal(r.diag.list().find((c) => c.reason === SnoopReason.elision)!.severity, 'data-loss');
  const first = r.events[0]!;
  assert.deepEqual([first.loc, first.time, first.pid, first.sector, first.bytes, first.aux], [2, 38_090_366_000, 4800, 40, 4096, 10_000]);
  // latency 0.07 ms on line 3; a 1536-byte bitmap write later on
  assert.equal(r.events[1]!.aux, 70_000);
  assert.equal(r.events.filter((e) => e.bytes === 1536).length, 8);
  const names = r.attachments['device-names'] as DeviceName[];
  assert.deepEqual(names.map((n) => n.name).sort(), ['nvme3n1', 'nvme6n1']);
  for (const n of names) {
    assert.equal(devMajor(n.dev), SYNTHETIC_MAJOR);
    assert.equal(n.dev, syntheticDev(n.name), 'the id is a function of the name alone');
  }
  assert.equal(r.events.filter((e) => e.dev === syntheticDev('nvme3n1')).length, 51);
  // the second run's TIME(s) restarts: kept as printed, and said so
  assert.equal(r.events.find((e) => e.loc === 28)!.time, 16_292_235_000);
  assert.ok(r.limitations.some((l) => l.includes('3 runs concatenated')));
  assert.ok(r.limitations.some((l) => l.includes('T column is R/W only')));
  assert.equal(r.clock?.name, 'relative');
});

test('wild 28 (biosnoop 2015 layout): nine-decimal TIME(s), three Xen disks', () => {
  const r = parseBuffer(biosnoopFormat, fixture('layout-2015-nine-decimals.biosnoop.txt'));
  assert.equal(r.events.length, 15);
  assert.equal(r.diag.total, 0);
  assert.deepEqual(r.events.slice(0, 2).map((e) => [e.time, e.aux]), [[4001, 740_000], [178_002, 610_000]]);
  const xfsaild = r.events.filter((e) => e.comm === 'xfsaild/md0');
  assert.deepEqual(xfsaild.map((e) => e.bytes), [8192, 512, 8192, 4096]);
  assert.equal((r.attachments['device-names'] as DeviceName[]).length, 3);
});

test('wild 29 (biosnoop -Q): the QUE(ms) column is skipped, LAT(ms) kept', () => {
  const r = parseBuffer(biosnoopFormat, fixture('queue-column-Q.biosnoop.txt'));
  assert.deepEqual(r.events.map((e) => e.aux), [550_000, 470_000, 610_000, 640_000, 650_000, 650_000]);
  assert.deepEqual(r.events.map((e) => e.bytes), [4096, 3072, 16384, 16384, 512, 8192]);
  assert.equal(r.events[2]!.comm, 'xfsaild/nvme1n');
  assert.deepEqual(r.diag.toRecord(), { [SnoopReason.elision]: 1 });
});

test('wild 43 (perf-tools iosnoop): plain rows have no time, -ts rows take ENDs and END-START', () => {
  const r = parseBuffer(iosnoopFormat, fixture('banner-plain-and-ts.iosnoop.txt'));
  assert.equal(r.events.length, 23);
  const plain = r.events.filter((e) => e.loc < 17);
  const ts = r.events.filter((e) => e.loc > 18);
  assert.equal(plain.length, 13);
  assert.ok(plain.every((e) => e.time === 0));
  assert.ok(r.events.every((e) => e.dev === makeDev(202, 1)));
  const tar = plain.filter((e) => e.comm === 'tar');
  assert.equal(tar.length, 11);
  assert.ok(tar.every((e) => e.op === Op.Read && e.flags === Flag.META), 'TYPE RM is a metadata read');
  assert.equal(tar[1]!.aux, 14_900_000);
  // 5982800.302061 → 5982800.302679: ENDs is the time, the difference the latency (LATms says 0.62); the -ts
  // run follows rows with no time (placed at 0 s), so it is counted from its own first row: no duration spans
  // the unknown time between the runs (it was 69 days, 5,982,800 s of uptime, in "the oldest had waited")
  assert.deepEqual([ts[0]!.time, ts[0]!.aux], [0, 618_000]);
  assert.equal(ts[9]!.time, 5_982_800_310_283_000 - 5_982_800_302_679_000);
  assert.ok(r.limitations.some((l) => /rows without timestamps come before a timed run/.test(l)));
  assert.equal(ts.length, 10);
  assert.deepEqual(r.diag.toRecord(), {
    [SnoopReason.banner]: 1,
    [SnoopReason.blank]: 1,
    [SnoopReason.elision]: 2,
    [SnoopReason.rerun]: 1,
    [SnoopReason.clockChange]: 1,
  });
  assert.equal(r.clock?.name, 'ftrace');
  assert.equal(r.attachments['device-names'], undefined, 'iosnoop prints real dev numbers');
});

test('libbpf-tools biosnoop layout (hand-made from its printf formats): RWBS types, a comm with a space, lost events', () => {
  const r = parseBuffer(biosnoopFormat, fixture('libbpf-rwbs-handmade.biosnoop.txt'));
  assert.deepEqual(
    r.events.map((e) => [e.op, e.flags]),
    [
      [Op.Write, Flag.SYNC],
      [Op.Write, Flag.SYNC],
      [Op.Flush, Flag.PREFLUSH],
      [Op.Write, Flag.FUA | Flag.SYNC],
      [Op.Read, 0],
      [Op.Read, Flag.META],
    ],
  );
  assert.equal(r.events[4]!.comm, 'Web Content');
  assert.equal(r.events[3]!.aux, 210_000);
  assert.deepEqual(r.diag.toRecord(), { [SnoopReason.lost]: 3 });
  assert.ok(!r.limitations.some((l) => l.includes('R/W only')), 'RWBS types show flushes');
});

test('libbpf biosnoop -t -Q: wall-clock TIMESTAMP crossing midnight stays monotonic', () => {
  const r = parseBuffer(biosnoopFormat, fixture('libbpf-timestamp-queued-midnight-handmade.biosnoop.txt'));
  assert.deepEqual(
    r.events.map((e) => e.time),
    [86_399_998_000_000, 86_399_999_000_000, 86_400_003_000_000, 86_400_120_000_000],
  );
  assert.equal(r.clock?.name, 'local-time-of-day');
  assert.equal(r.events[2]!.op, Op.Flush);
});

test('zero-byte R rows of biosnoop.py are not reads; unreadable rows are counted', () => {
  const text =
    'TIME(s)     COMM           PID    DISK    T SECTOR     BYTES  LAT(ms)\n' +
    '0.000000    jbd2/sda1-8    312    sda     R 0          0         0.41\n' +
    '0.000100    jbd2/sda1-8    312    sda     X 8          4096      0.41\n' +
    '0.000200    jbd2/sda1-8    312    sda     W 8\n' +
    '0.000300    jbd2/sda1-8    312    sda     W 8          4096      abc\n';
  const r = parseBuffer(biosnoopFormat, Buffer.from(text));
  assert.equal(r.events.length, 1);
  assert.equal(r.events[0]!.op, Op.None);
  assert.deepEqual(r.diag.toRecord(), {
    [SnoopReason.zeroRead]: 1,
    [SnoopReason.badType]: 1,
    [SnoopReason.shortRow]: 1,
    [SnoopReason.badRow]: 1,
  });
});

test('detection by header, and each tool is told from the other', () => {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.txt')) continue;
    const want = name.endsWith('.iosnoop.txt') ? 'iosnoop' : 'biosnoop';
    assert.equal(detectFormat(fixture(name))?.format.name, want, name);
  }
  assert.equal(biosnoopFormat.detect(fixture('banner-plain-and-ts.iosnoop.txt')), 0);
  assert.equal(iosnoopFormat.detect(fixture('queue-column-Q.biosnoop.txt')), 0);
});

test('chunk boundaries never change the events', () => {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.txt')) continue;
    const spec = name.endsWith('.iosnoop.txt') ? iosnoopFormat : biosnoopFormat;
    const ref = parseBuffer(spec, fixture(name), 1 << 20);
    assert.ok(ref.events.length > 0, name);
    for (const size of CHUNK_SIZES) {
      const r = parseBuffer(spec, fixture(name), size);
      assert.deepEqual(r.events, ref.events, `${name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list(), `${name} diagnostics in ${size}-byte chunks`);
    }
  }
});
