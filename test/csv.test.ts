import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { csvFormat, csvMsrFormat } from '../src/formats/csv/spec.js';
import { CsvReason } from '../src/formats/csv/parser.js';
import { parseMapping } from '../src/formats/csv/mapping.js';
import { syntheticDev, type DeviceName } from '../src/formats/snoop/device-names.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { detectFormat } from '../src/formats/registry.js';
import { InputError } from '../src/model/errors.js';
import { Act } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { makeDev } from '../src/model/device.js';
import { CHUNK_SIZES, parseBuffer } from './helpers/chunking.js';

const fixture = (dir: string, name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/${dir}/${name}`, import.meta.url)));
const msr = () => fixture('csv', 'msr-layout-handmade.csv');
const d2c = () => fixture('csv', 'raw-odirect-dsync.d2c.csv');
const D2C_COLUMNS = 'time=issue_s,end=complete_s,device=dev,op=rwbs,sector=sector,sectors=blocks,pid=pid,comm=comm';

test('MSR Cambridge layout: detected by content, rows put in completion order', () => {
  assert.equal(detectFormat(msr())?.format.name, 'csv-msr');
  const r = parseBuffer(csvMsrFormat, msr());
  assert.equal(r.diag.total, 0);
  // issue order 1..10; completion = Timestamp + ResponseTime (100 ns ticks)
  assert.deepEqual(r.events.map((e) => e.loc), [2, 3, 4, 1, 5, 6, 7, 9, 8, 10]);
  for (let i = 1; i < r.events.length; i++) assert.ok(r.events[i]!.time >= r.events[i - 1]!.time);
  const w = r.events.find((e) => e.loc === 1)!;
  assert.deepEqual(
    [w.act, w.op, w.time, w.aux, w.sector, w.bytes],
    [Act.IoDone, Op.Write, 2_500_000, 2_500_000, 3154305024 / 512, 4096],
  );
  const r7 = r.events.find((e) => e.loc === 7)!;
  assert.deepEqual([r7.time, r7.aux], [4_000_200, 100], 'one 100 ns tick after row 6, plus one tick of latency');
  assert.equal(r.clock?.name, 'windows-filetime');
  assert.equal(r.clock?.baseSeconds, 1172174400); // 2007-02-22 20:00:00 UTC
  const names = (r.attachments['device-names'] as DeviceName[]).map((d) => d.name);
  assert.deepEqual(names, ['hm_0', 'hm_1', 'src1_0']);
  assert.equal(r.events.filter((e) => e.dev === syntheticDev('hm_1')).length, 3);
  assert.ok(r.limitations.some((l) => /no flush or FUA information/.test(l)));
});

test('MSR rows with a header, CRLF, blank, broken and badly quoted lines: each counted, the rest read', () => {
  const rows = msr().toString('latin1').trimEnd().split('\n');
  rows.splice(3, 0, '', '128166480000010000,hm,"0"x,Read,0,512,10', '128166480000010000,"hm,0,Read,0,512,10', 'nonsense,hm,0,Read,0,512,10');
  const text = ['Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime', ...rows].join('\r\n') + '\r\n';
  const r = parseBuffer(csvMsrFormat, Buffer.from(text));
  assert.equal(r.events.length, 10);
  assert.deepEqual(r.diag.toRecord(), {
    [CsvReason.blank]: 1,
    [CsvReason.csvError]: 1,
    [CsvReason.header]: 1,
    [CsvReason.quotes]: 1,
    'csv: unreadable time': 1,
  });
  // line numbers still point at the file's lines (header is line 1)
  assert.deepEqual(r.events.slice(0, 4).map((e) => e.loc), [3, 4, 9, 2]);
});

test('generic CSV by header names: D→C pairs derived from the real raw O_DSYNC capture', () => {
  const r = parseBuffer(csvFormat, d2c(), 65536, { csvColumns: D2C_COLUMNS });
  assert.equal(r.events.length, 80);
  assert.deepEqual(r.diag.toRecord(), { [CsvReason.header]: 1 });
  const flushes = r.events.filter((e) => e.op === Op.Flush);
  assert.equal(flushes.length, 43);
  assert.ok(flushes.every((e) => e.flags === Flag.PREFLUSH && e.bytes === 0));
  assert.equal(r.events.filter((e) => e.op === Op.Write && e.flags === Flag.SYNC).length, 37);
  assert.ok(r.events.every((e) => e.dev === makeDev(7, 1)));
  const first = r.events.find((e) => e.loc === 2)!;
  assert.deepEqual([first.time, first.aux, first.sector, first.bytes, first.pid, first.comm], [82_482, 66_058, 8192, 65536, 11683, 'python3']);
  assert.ok(!r.limitations.some((l) => /no flush/.test(l)), 'FN rows carry flush information');
  // Independent check: the issue times are exactly the D times of the default blkparse text.
  const text = parseBuffer(blkparseFormat, fixture('custom', 'raw-odirect-dsync.default-layout.txt'));
  const dTimes = text.events.filter((e) => e.act === Act.Issue).map((e) => e.time).sort((a, b) => a - b);
  assert.deepEqual(r.events.map((e) => e.time - e.aux).sort((a, b) => a - b), dTimes);
});

test('a fully quoted file goes through csv-parse and reads the same as the plain one', () => {
  const plain = parseBuffer(csvFormat, d2c(), 65536, { csvColumns: D2C_COLUMNS });
  const quoted = d2c()
    .toString('utf8')
    .split('\n')
    .map((l) => (l === '' ? l : l.split(',').map((f) => `"${f.replace(/python3/, 'py""thon3')}"`).join(',')))
    .join('\n');
  for (const size of CHUNK_SIZES) {
    const r = parseBuffer(csvFormat, Buffer.from(quoted), size, { csvColumns: D2C_COLUMNS });
    assert.deepEqual(r.diag.toRecord(), { [CsvReason.header]: 1 });
    assert.deepEqual(
      r.events.map((e) => ({ ...e, comm: e.comm.replace('py"thon3', 'python3') })),
      plain.events,
      `${size}-byte chunks`,
    );
    assert.equal(r.events.filter((e) => e.comm === 'py"thon3').length, 37);
  }
});

test('units, byte multipliers and value maps; a file without latency says so', () => {
  const text = 'ts_us,lba,len4k,kind\n1000,10,2,0\n1500.5,11,1,1\n1200,0,0,2\n';
  const r = parseBuffer(csvFormat, Buffer.from(text), 65536, {
    csvColumns: 'time=ts_us:us,offset=lba:4096,size=len4k:4096,op=kind{0=read,1=write,2=flush}',
  });
  assert.deepEqual(
    r.events.map((e) => [e.time, e.sector, e.bytes, e.op, e.aux]),
    [
      [1_000_000, 80, 8192, Op.Read, -1],
      [1_500_500, 88, 4096, Op.Write, -1],
      [1_200_000, 0, 0, Op.Flush, -1],
    ],
  );
  assert.equal(r.diag.count(CsvReason.unordered), 1);
  assert.ok(r.limitations.some((l) => /no latency column/.test(l)));
  assert.ok(!r.limitations.some((l) => /no flush/.test(l)));
  assert.equal(r.events[0]!.dev, 0, 'no device column: device 0,0');
});

test('positional mapping on a file without a header; the msr preset by name', () => {
  const text = '5.000001,sdb,W,100,8,0.2\n5.000002,sdb,FWFS,0,0,1.5\n';
  const r = parseBuffer(csvFormat, Buffer.from(text), 65536, { csvColumns: 'time=#1,device=#2,op=#3,sector=#4,sectors=#5,latency=#6:ms' });
  assert.deepEqual(r.events.map((e) => [e.time, e.op, e.flags, e.aux]), [
    [5_000_001_000 + 200_000, Op.Write, 0, 200_000],
    [5_000_002_000 + 1_500_000, Op.Write, Flag.PREFLUSH | Flag.FUA | Flag.SYNC, 1_500_000],
  ]);
  assert.equal(r.diag.total, 0);
  const viaPreset = parseBuffer(csvFormat, msr(), 65536, { csvColumns: 'msr' });
  assert.deepEqual(viaPreset.events, parseBuffer(csvMsrFormat, msr()).events);
});

test('mapping mistakes are usage errors (InputError, exit 2)', () => {
  assert.throws(() => parseMapping('when=Timestamp'), /unknown field "when"/);
  assert.throws(() => parseMapping('offset=Offset'), /a time or end column is required/);
  assert.throws(() => parseMapping('time=T:fortnights'), /time units are/);
  assert.throws(() => parseMapping('time=T,offset=O,sector=S'), /offset or sector, not both/);
  const noMapping = parseBuffer(csvFormat, msr());
  assert.equal(noMapping.events.length, 10, 'no mapping: the MSR layout is assumed');
  assert.ok(noMapping.limitations.some((l) => /no --csv-columns given/.test(l)));
  assert.throws(() => parseBuffer(csvFormat, d2c(), 65536, { csvColumns: 'time=Issue,size=bytes' }), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /names "Issue", "bytes", but the header row/);
    return true;
  });
});

test('chunk boundaries never change the events', () => {
  const cases: Array<[Buffer, typeof csvFormat, string | undefined]> = [
    [msr(), csvMsrFormat, undefined],
    [d2c(), csvFormat, D2C_COLUMNS],
  ];
  for (const [data, spec, csvColumns] of cases) {
    const ref = parseBuffer(spec, data, 1 << 20, csvColumns ? { csvColumns } : {});
    for (const size of CHUNK_SIZES) {
      const r = parseBuffer(spec, data, size, csvColumns ? { csvColumns } : {});
      assert.deepEqual(r.events, ref.events, `${spec.name} in ${size}-byte chunks`);
      assert.deepEqual(r.diag.list(), ref.diag.list());
    }
  }
});
