/**
 * The application-layer readers: strace text (leaders, unfinished/resumed pairs,
 * -y paths, -T durations, O_DSYNC from openat and F_GETFL, pwritev2 flags, msync,
 * sync_file_range as a hint), the sync-call CSV, and syscall tracepoints beside
 * block tracepoints (block events unchanged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/model/diagnostics.js';
import type { ParseContext, FormatSpec } from '../src/formats/types.js';
import type { SyncCall } from '../src/app/call.js';
import type { BlockEvent } from '../src/model/event.js';
import { detectFormat } from '../src/formats/registry.js';
import { straceFormat } from '../src/formats/strace/spec.js';
import { syncCsvFormat } from '../src/formats/sync-csv/spec.js';
import { tracepointFormat } from '../src/formats/tracepoint/spec.js';
import { readLeader } from '../src/formats/strace/line.js';

const fx = (p: string) => fileURLToPath(new URL(`../../fixtures/app/${p}`, import.meta.url));

function read(format: FormatSpec, text: Buffer | string, chunk = 0): { calls: SyncCall[]; events: number; diag: Diagnostics; limits: string[] } {
  const calls: SyncCall[] = [];
  let events = 0;
  const diag = new Diagnostics();
  const limits: string[] = [];
  const ctx: ParseContext = {
    sourceIndex: 0, sourceName: 'x', diag, options: {},
    sink: { event: (_e: BlockEvent) => { events++; } },
    appSink: { call: (c) => calls.push({ ...c }) },
    setClock: () => {}, attach: () => {}, limitation: (t) => limits.push(t),
  };
  const p = format.create(ctx);
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  if (chunk > 0) for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  else p.push(buf);
  p.end();
  return { calls, events, diag, limits };
}

test('strace leaders: -f pid, [pid N], -ttt, -tt, none', () => {
  assert.deepEqual([readLeader('812 1796537001.927884 x(').pid, readLeader('812 1796537001.927884 x(').whole], [812, 1796537001]);
  assert.equal(readLeader('[pid   99] 12:00:01.000500 fsync(3) = 0').pid, 99);
  assert.equal(readLeader('[pid   99] 12:00:01.000500 fsync(3) = 0').secs, 43201.0005);
  assert.equal(readLeader('1796537001.927884 fsync(3) = 0').pid, -1);
  assert.equal(readLeader('fsync(3) = 0').clock, 'none');
});

const STRACE = [
  '812 1796537001.000100 openat(AT_FDCWD</pg>, "pg_wal/0001", O_RDWR|O_DSYNC|O_DIRECT) = 26</pg/pg_wal/0001> <0.000005>',
  '812 1796537001.000200 pwrite64(26</pg/pg_wal/0001>, "\\20\\321"..., 8192, 0 <unfinished ...>',
  '813 1796537001.000210 fdatasync(7</pg/pg_wal/0002>) = 0 <0.000300>',
  '812 1796537001.000900 <... pwrite64 resumed>) = 8192 <0.000700>',
  '813 1796537001.001000 sync_file_range(9</pg/base/5/1259>, 0, 8192, SYNC_FILE_RANGE_WRITE) = 0 <0.000010>',
  '813 1796537001.001100 fcntl(11</pg/x>, F_GETFL) = 0x9002 (flags O_RDWR|O_DSYNC|O_LARGEFILE) <0.000002>',
  '813 1796537001.001200 write(11</pg/x>, "a", 1) = 1 <0.000100>',
  '813 1796537001.001300 pwritev2(12</pg/y>, [{iov_base="a", iov_len=1}], 1, 0, RWF_DSYNC) = 1 <0.000100>',
  '813 1796537001.001400 msync(0x7f00, 4096, MS_SYNC) = 0 <0.000100>',
  '813 1796537001.001500 fsync(13</pg/z>) = -1 EIO (Input/output error) <0.000100>',
  '813 1796537001.001600 pwrite64(14</pg/plain>, "a", 1, 0) = 1 <0.000010>',
  '813 1796537001.001700 --- SIGCHLD {si_signo=SIGCHLD} ---',
  '',
].join('\n');

test('strace: every sync call, with its window, path, flags and return', () => {
  const { calls, diag } = read(straceFormat, STRACE);
  assert.deepEqual(calls.map((c) => [c.pid, c.op, c.path]), [
    [813, 'fdatasync', '/pg/pg_wal/0002'],
    [812, 'dsync-write', '/pg/pg_wal/0001'],
    [813, 'sync_file_range', '/pg/base/5/1259'],
    [813, 'dsync-write', '/pg/x'],
    [813, 'dsync-write', '/pg/y'],
    [813, 'msync', ''],
    [813, 'fsync', '/pg/z'],
  ]);
  const w = calls[1]!;
  // unfinished at .000200, -T 700 µs on the resumed line: the window is entry + duration
  assert.equal(w.begin, 200_000);
  assert.equal(w.end, 900_000);
  assert.equal(w.direct, true);
  assert.equal(w.bytes, 8192);
  assert.match(w.how, /openat line 1 O_RDWR\|O_DSYNC\|O_DIRECT/);
  assert.equal(calls[3]!.how, 'fcntl F_GETFL line 6');
  assert.equal(calls[4]!.how, 'RWF_DSYNC');
  assert.equal(calls[6]!.ret, -1);
  assert.equal(diag.count('strace: signal or exit line'), 1);
});

test('strace: chunk boundaries never change the calls (1-byte and 7-byte chunks)', () => {
  const whole = read(straceFormat, STRACE).calls;
  assert.deepEqual(read(straceFormat, STRACE, 1).calls, whole);
  assert.deepEqual(read(straceFormat, STRACE, 7).calls, whole);
});

test('strace: detection by content; a real PostgreSQL strace reads whole', () => {
  const text = readFileSync(fx('pg-ext4/strace.txt'));
  assert.equal(detectFormat(text.subarray(0, 65536))?.format.name, 'strace');
  const { calls, diag } = read(straceFormat, text);
  const byOp = new Map<string, number>();
  for (const c of calls) byOp.set(c.op, (byOp.get(c.op) ?? 0) + 1);
  assert.equal(byOp.get('fdatasync'), 22);
  assert.equal(diag.list().filter((d) => d.severity === 'error').length, 0);
});

test('strace: O_DSYNC|O_DIRECT WAL writes of open_datasync (wal_level=minimal) are direct sync writes', () => {
  const { calls } = read(straceFormat, readFileSync(fx('pg-wal-sync-open-datasync-direct/strace.txt')));
  const w = calls.filter((c) => c.op === 'dsync-write');
  assert.equal(w.length, 22);
  assert.ok(w.every((c) => c.direct && c.path.includes('/pg_wal/')));
  const buffered = read(straceFormat, readFileSync(fx('pg-wal-sync-open-datasync/strace.txt'))).calls.filter((c) => c.op === 'dsync-write');
  assert.equal(buffered.length, 22);
  assert.ok(buffered.every((c) => !c.direct));
});

test('sync-call CSV: header detected, rows to calls, bad rows counted', () => {
  const csv = 'pid,comm,op,path,begin,end,ret\n812,postgres,fdatasync,/pg/pg_wal/1,100.000100,100.000400,0\n813,postgres,O_DSYNC,/pg/pg_wal/1,100.5,100.6,8192\n9,x,frobnicate,/a,1,2,0\n';
  assert.equal(detectFormat(Buffer.from(csv))?.format.name, 'sync-csv');
  const { calls, diag } = read(syncCsvFormat, csv);
  assert.deepEqual(calls.map((c) => [c.pid, c.comm, c.op, c.begin, c.end]), [
    [812, 'postgres', 'fdatasync', 100_000, 400_000],
    [813, 'postgres', 'dsync-write', 500_000_000, 600_000_000],
  ]);
  assert.equal(diag.count('sync-csv: row without a known op or with unreadable times'), 1);
});

test('syscall tracepoints beside block tracepoints: calls read, block events unchanged', () => {
  const text = gunzipSync(readFileSync(fx('pg-ext4/block-events.txt.gz')));
  assert.equal(detectFormat(text.subarray(0, 65536))?.format.name, 'tracepoint');
  const both = read(tracepointFormat, text);
  const fdatasync = both.calls.filter((c) => c.op === 'fdatasync');
  assert.equal(fdatasync.length, 22);
  assert.ok(fdatasync.every((c) => c.comm === 'postgres' && c.fd > 0 && c.end > c.begin));
  const blockOnly = Buffer.from(text.toString('utf8').split('\n').filter((l) => !/: sys_/.test(l)).join('\n'));
  const plain = read(tracepointFormat, blockOnly);
  assert.equal(both.events, plain.events);
  assert.ok(both.events > 1000);
  assert.equal(both.diag.list().filter((d) => d.severity === 'error').length, 0);
});

test('syscall tracepoints in trace-cmd report and perf script spelling', () => {
  const tc = [
    '         postgres-10621 [001]   319.943000: sys_enter_openat:     dfd: 0xffffff9c, filename: 0x7f04, flags: 0x00001002, mode: 0x00000000',
    '         postgres-10621 [001]   319.943010: sys_exit_openat:      0x1a',
    '         postgres-10621 [001]   319.943084: sys_enter_pwrite64:   fd: 0x0000001a, buf: 0x7f, count: 0x00002000, pos: 0x00000000',
    '         postgres-10621 [001]   319.943446: sys_exit_pwrite64:    0x2000',
    ' postgres 10622 [000] 320.000100: syscalls:sys_enter_fdatasync: fd: 0x00000019',
    ' postgres 10622 [000] 320.000500: syscalls:sys_exit_fdatasync: 0xfffffffffffffffb',
    '',
  ].join('\n');
  const { calls } = read(tracepointFormat, tc);
  assert.deepEqual(calls.map((c) => [c.pid, c.op, c.fd, c.ret, c.begin, c.end]), [
    [10621, 'dsync-write', 26, 8192, 319943084000, 319943446000],
    [10622, 'fdatasync', 25, -5, 320000100000, 320000500000],
  ]);
});

test('app readers never throw on damaged input, and chunking never changes the calls', () => {
  const seeds = [readFileSync(fx('pg-wal-sync-open-datasync/strace.txt')).subarray(0, 60000), Buffer.from(STRACE)];
  let x = 12345;
  const r = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const seed of seeds) {
    for (let i = 0; i < 30; i++) {
      const b = Buffer.from(seed);
      for (let k = 0; k < 20; k++) b[Math.floor(r() * b.length)] = [10, 40, 41, 60, 62, 34, 44, 32, Math.floor(r() * 256)][Math.floor(r() * 9)]!;
      for (const f of [straceFormat, syncCsvFormat, tracepointFormat]) {
        const whole = read(f, b).calls;
        assert.deepEqual(read(f, b, 1 + Math.floor(r() * 97)).calls, whole, f.name);
      }
    }
  }
});
