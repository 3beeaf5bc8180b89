/**
 * Rule sync-call-not-durable on real PostgreSQL captures (fixtures/app, verdicts
 * from the lab's syncmark markers, see each ORIGIN.md), the stack seam, and the
 * cases that are not violations (judge() on small synthetic devices).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.js';
import { judge, type JudgeContext } from '../src/app/judge.js';
import { DeviceTimeline } from '../src/app/timeline.js';
import type { SyncCall } from '../src/app/call.js';
import { emptyEvent, Act } from '../src/model/event.js';
import { Flag, Op } from '../src/model/rwbs.js';
import { tempDir } from './helpers/tmp.js';

const fx = (p: string) => fileURLToPath(new URL(`../../fixtures/app/${p}`, import.meta.url));

interface Doc {
  findings: Array<{ rule: string; severity: string; layer: string; device: string; message: string; details?: Record<string, unknown> }>;
  app: Array<{ byOp: Record<string, Record<string, number>>; violated: number; honored: number }>;
  alignment: Array<{ method: string; supportingPairs: number; widthSeconds?: number }>;
}

async function check(args: string[]): Promise<{ code: number; doc: Doc }> {
  const r = await runCli(['check', '--json', ...args]);
  return { code: r.code ?? -1, doc: JSON.parse(r.stdout) as Doc };
}
const appErrors = (d: Doc, layer = 'app') => d.findings.filter((f) => f.rule === 'sync-call-not-durable' && f.severity === 'error' && f.layer === layer);
/** The incident the app stage adds at the lower level for the calls that rode on what it broke. */
const lowerIncident = (d: Doc, layer: string) => {
  const l = d.findings.filter((f) => f.rule === 'sync-call-not-durable' && f.layer === layer);
  assert.equal(l.length, 1, `one incident at ${layer}`);
  return l[0]!;
};

for (const [name, op] of [['pg-ext4', 'fdatasync'], ['pg-wal-sync-open-datasync', 'dsync-write'], ['pg-wal-sync-open-datasync-direct', 'dsync-write']] as const) {
  test(`${name}: barriers on — every WAL ${op} durable at return, no error`, async () => {
    const { code, doc } = await check([`app=${fx(`${name}/strace.txt`)}`, `disk=${fx(`${name}/loop0.blkparse.txt`)}`]);
    assert.equal(code, 0);
    assert.equal(appErrors(doc).length, 0);
    assert.equal(doc.findings.filter((f) => f.severity !== 'info').length, 0);
    assert.deepEqual(doc.app[0]!.byOp[op], { honored: 22 });
    assert.equal(doc.alignment[0]!.method, 'causality');
    assert.ok(doc.alignment[0]!.supportingPairs >= 30);
  });
}

test('pg-ext4-nobarrier: the WAL fdatasyncs are app-layer errors, grouped per process and file group', async () => {
  const { code, doc } = await check([`app=${fx('pg-ext4-nobarrier/strace.txt')}`, `disk=${fx('pg-ext4-nobarrier/loop0.blkparse.txt')}`]);
  assert.equal(code, 1);
  assert.deepEqual(doc.app[0]!.byOp['fdatasync'], { violated: 22 });
  const wal = appErrors(doc).filter((f) => f.details?.['op'] === 'fdatasync' && f.details?.['fileGroup'] === 'pg_wal');
  assert.equal(wal.reduce((n, f) => n + (f.details!['calls'] as number), 0), 22);
  // one incident per process: two backends (10 each) and the checkpointer (2)
  assert.deepEqual(wal.map((f) => f.details!['calls']).sort(), [10, 10, 2]);
  assert.match(wal[0]!.message, /^postgres pid \d+: \d+ fdatasync call\(s\) on pg_wal returned without a flush reaching loop0 \(7,0\)/);
  assert.ok(wal.every((f) => f.layer === 'app' && f.device === '7,0'));
});

test('syscall tracepoints in the block stream give the same verdicts (no alignment needed)', async () => {
  const clean = await check([fx('pg-ext4/block-events.txt.gz')]);
  assert.equal(clean.code, 0);
  assert.deepEqual(clean.doc.app[0]!.byOp['fdatasync'], { honored: 22 });
  const broken = await check([fx('pg-ext4-nobarrier/block-events.txt.gz')]);
  assert.equal(broken.code, 1);
  assert.deepEqual(broken.doc.app[0]!.byOp['fdatasync'], { violated: 22 });
  assert.equal(appErrors(broken.doc, '').filter((f) => f.details?.['op'] === 'fdatasync').reduce((n, f) => n + (f.details!['calls'] as number), 0), 22);
});

const lol = (d: string, extra: string[] = []) => [
  `app=${fx(`${d}/strace.txt`)}`, `disk=${fx(`${d}/loop1.blkparse.txt.gz`)}`, `lower=${fx(`${d}/loop0.blkparse.txt.gz`)}`,
  '--map', `disk=${fx(`${d}/upper.img.filefrag.txt`)}`, ...extra,
];

test('loop on loop, barriers on both: no finding at any layer', async () => {
  const { code, doc } = await check(lol('pg-lol'));
  assert.equal(code, 0);
  assert.deepEqual(doc.findings.filter((f) => f.severity !== 'info'), []);
  assert.deepEqual(doc.app[0]!.byOp['fdatasync'], { honored: 22 });
});

test('loop on loop, lower barrier=0: errors at the lower layer name the app calls, none at the app layer', async () => {
  const d = 'pg-lol-bottom-nobarrier';
  const { code, doc } = await check(lol(d));
  assert.equal(code, 1);
  assert.equal(appErrors(doc).length, 0);
  assert.deepEqual(doc.app[0]!.byOp['fdatasync'], { honored: 22 });
  assert.ok(doc.findings.some((f) => f.rule === 'flush-not-passed-down' && f.layer === 'disk' && f.severity === 'error'));
  const inc = lowerIncident(doc, 'lower');
  assert.equal(inc.severity, 'error');
  assert.equal(inc.device, '7,0');
  assert.ok((inc.details!['affectedAppCalls'] as number) >= 22);
  const groups = inc.details!['groups'] as Array<{ op: string; fileGroup: string; calls: number }>;
  assert.equal(groups.filter((g) => g.op === 'fdatasync' && g.fileGroup === 'pg_wal').reduce((n, g) => n + g.calls, 0), 22);
  assert.match(inc.message, /application sync call\(s\) of app returned on flushes or writes of disk that lower \(7,0\) never made durable/);
  // without the map the lower layer's verdict is the count-level one; the app layer is still clean
  const nomap = await check([`app=${fx(`${d}/strace.txt`)}`, `disk=${fx(`${d}/loop1.blkparse.txt.gz`)}`, `lower=${fx(`${d}/loop0.blkparse.txt.gz`)}`]);
  assert.equal(appErrors(nomap.doc).length, 0);
  // the same from the tracepoint stream of the upper device (loop1 = 7,1) over the lower blkparse
  const tp = await check([`app=${fx(`${d}/block-events.txt.gz`)}`, `lower=${fx(`${d}/loop0.blkparse.txt.gz`)}`, '--device', 'app=7,1', '--map', `app=${fx(`${d}/upper.img.filefrag.txt`)}`]);
  assert.equal(appErrors(tp.doc).length, 0);
  assert.deepEqual(tp.doc.app[0]!.byOp['fdatasync'], { honored: 22 });
  assert.ok((lowerIncident(tp.doc, 'lower').details!['affectedAppCalls'] as number) >= 22);
  // and from the one tracepoint stream alone, given as two layers split by --device (its calls judged once)
  const one = `${fx(`${d}/block-events.txt.gz`)}`;
  const st = await check([`app=${one}`, `lower=${one}`, '--device', 'app=7,1', '--device', 'lower=7,0']);
  assert.equal(st.doc.app.length, 1);
  assert.equal(appErrors(st.doc).length, 0);
  assert.deepEqual(st.doc.app[0]!.byOp['fdatasync'], { honored: 22 });
  const named = lowerIncident(st.doc, 'lower');
  assert.ok(named.severity === 'error' && named.device === '7,0' && (named.details!['affectedAppCalls'] as number) >= 22);
});

test('--mount must be PATH=DEV (exit 2)', async () => {
  const r = await runCli(['check', '--mount', 'nodev', fx('pg-ext4/strace.txt')]);
  assert.equal(r.code, 2);
});

// ---- judge() on synthetic devices: the cases that are not violations, and undecided ones

const DEV1 = (7 << 20) | 1;
const DEV2 = (7 << 20) | 2;

function dev(dev: number, evs: Array<[number, number, string, number, number]>): DeviceTimeline {
  // [time µs, pid, kind, sector, bytes]: kind W=write Q, WF=FUA write Q, C=write C, D/F = flush D/C
  const t = new DeviceTimeline(dev);
  const e = emptyEvent();
  for (const [us, pid, kind, sector, bytes] of evs) {
    Object.assign(e, { time: us * 1000, pid, dev, sector, bytes, flags: 0, comm: 'postgres', error: 0 });
    if (kind === 'W' || kind === 'WF') Object.assign(e, { act: Act.Queue, op: Op.Write, flags: kind === 'WF' ? Flag.FUA : 0 });
    else if (kind === 'C') Object.assign(e, { act: Act.Complete, op: Op.Write });
    else Object.assign(e, { act: kind === 'D' ? Act.Issue : Act.Complete, op: Op.Flush, bytes: 0, flags: Flag.PREFLUSH });
    t.event(e, new Map());
  }
  return t;
}

function call(pid: number, beginUs: number, endUs: number, path = '/pg/pg_wal/1', op: SyncCall['op'] = 'fdatasync'): SyncCall {
  return { source: 0, loc: 1, locEnd: 1, pid, comm: '', op, syscall: op, fd: 3, path, begin: beginUs * 1000, end: endUs * 1000, ret: 0, direct: false, bytes: -1, how: '' };
}

function ctx(devs: DeviceTimeline[], o: Partial<JudgeContext> = {}): JudgeContext {
  return {
    alignment: { method: 'same-stream', offsetNs: 0, widthNs: 0, toleranceNs: 0, supporting: 0, candidates: 0, note: '' },
    devices: new Map(devs.map((d) => [d.dev, d])), mountDev: () => undefined, writeThrough: () => false, ...o,
  };
}

test('judge: own write, no flush before return → violated; a flush inside the window → honored', () => {
  const broken = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096]]);
  assert.equal(judge(call(5, 0, 100), ctx([broken])).kind, 'violated');
  const kept = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096], [30, 0, 'D', 0, 0], [60, 0, 'F', 0, 0]]);
  assert.deepEqual(judge(call(5, 0, 100), ctx([kept])).kind, 'honored');
  // the flush completes after the return: not durable at return
  const late = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096], [90, 0, 'D', 0, 0], [150, 0, 'F', 0, 0]]);
  assert.equal(judge(call(5, 0, 100), ctx([late])).kind, 'violated');
});

test('judge: not violations — directory fsync / nothing dirty (no I/O), data covered by an earlier flush, FUA, write-through', () => {
  const other = dev(DEV1, [[10, 9, 'W', 8, 4096], [20, 0, 'C', 8, 4096]]); // another process wrote, nobody flushed
  assert.equal(judge(call(5, 0, 100, '/pg/pg_wal', 'fsync'), ctx([other])).kind, 'no-io');
  // the data went out and was flushed before the call: the call itself issues no write
  const covered = dev(DEV1, [[1, 5, 'W', 8, 4096], [2, 0, 'C', 8, 4096], [3, 0, 'D', 0, 0], [4, 0, 'F', 0, 0]]);
  assert.equal(judge(call(5, 10, 100), ctx([covered])).kind, 'no-io');
  const fua = dev(DEV1, [[10, 5, 'WF', 8, 4096], [20, 0, 'C', 8, 4096]]);
  assert.deepEqual(judge(call(5, 0, 100, '/pg/pg_wal/1', 'dsync-write'), ctx([fua])), { kind: 'honored', dev: DEV1, how: 'fua', flush: -1, first: 0, last: 0 });
  const wt = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096]]);
  assert.equal((judge(call(5, 0, 100), ctx([wt], { writeThrough: () => true })) as { how: string }).how, 'write-through');
  assert.deepEqual(judge({ ...call(5, 0, 100, '/a', 'sync_file_range') }, ctx([wt])), { kind: 'no-promise', why: 'hint' });
  assert.deepEqual(judge({ ...call(5, 0, 100), ret: -5 }, ctx([wt])), { kind: 'no-promise', why: 'failed' });
});

test('judge: own writes on several devices without --mount → undecided; --mount picks the device', () => {
  const a = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096]]);
  const b = dev(DEV2, [[11, 5, 'W', 8, 4096], [21, 0, 'C', 8, 4096], [30, 0, 'D', 0, 0], [40, 0, 'F', 0, 0]]);
  const u = judge(call(5, 0, 100), ctx([a, b]));
  assert.equal(u.kind, 'undecided');
  assert.match((u as { reason: string }).reason, /several devices.*--mount/);
  assert.equal(judge(call(5, 0, 100), ctx([a, b], { mountDev: () => DEV2 })).kind, 'honored');
  assert.equal(judge(call(5, 0, 100), ctx([a, b], { mountDev: () => DEV1 })).kind, 'violated');
  assert.equal(judge(call(5, 0, 100), ctx([a], { alignment: { method: 'none', offsetNs: 0, widthNs: Infinity, toleranceNs: 0, supporting: 0, candidates: 0, note: 'x' } })).kind, 'undecided');
});

test('report --json with an application layer validates against the committed schema', async () => {
  const { schemaErrors } = await import('./helpers/schema.js');
  const r = await runCli(['report', '--json', '-', `app=${fx('pg-ext4-nobarrier/strace.txt')}`, `disk=${fx('pg-ext4-nobarrier/loop0.blkparse.txt')}`]);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as Record<string, unknown> & { app: Array<{ violated: number }> };
  assert.deepEqual(schemaErrors('report', doc), []);
  // the strace input is placed on the report's one clock through the causality alignment
  const clock = doc['clock'] as { sources: Array<{ source: string; status: string; uncertaintySeconds?: number }> };
  const app = clock.sources.find((x) => x.source.endsWith('strace.txt'))!;
  assert.equal(app.status, 'placed');
  assert.ok(app.uncertaintySeconds! < 1e-4);
  const inc = (doc['incidents'] as Array<{ rule: string; layer: string }>).filter((i) => i.rule === 'sync-call-not-durable' && i.layer === 'app');
  assert.equal(inc.length, 10); // one incident per process, operation and file group
  assert.equal(doc.app[0]!.violated, 49); // 22 WAL fdatasyncs + 27 fsyncs (15 writing in their window, 12 covering their sync_file_range hints)
});

test('the same verdicts from strace -tt with [pid N] prefixes and from a sync-call CSV', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = tempDir('blkaudit-app-');
  const src = readFileSync(fx('pg-ext4-nobarrier/strace.txt'), 'utf8').split('\n');
  const tod = (t: string) => {
    const [s, us] = t.split('.') as [string, string];
    const d = Number(s) % 86400;
    const p2 = (n: number) => String(n).padStart(2, '0');
    return `${p2(Math.floor(d / 3600))}:${p2(Math.floor(d / 60) % 60)}:${p2(d % 60)}.${us}`;
  };
  const tt = src.map((l) => l.replace(/^(\d+) (\d+\.\d+) /, (_m, pid: string, t: string) => `[pid ${pid.padStart(5)}] ${tod(t)} `));
  writeFileSync(join(dir, 'strace-tt.txt'), tt.join('\n'));
  const csv = ['pid,comm,op,path,begin,end,ret'];
  for (const l of src) {
    const m = /^(\d+) (\d+)\.(\d+) (fdatasync|fsync)\(\d+<([^>]*)>\) = (-?\d+)[^<]*<(\d+)\.(\d+)>$/.exec(l);
    if (!m) continue;
    const begin = BigInt(m[2]!) * 1_000_000n + BigInt(m[3]!);
    const end = begin + BigInt(m[7]!) * 1_000_000n + BigInt(m[8]!);
    const s = (v: bigint) => `${v / 1_000_000n}.${String(v % 1_000_000n).padStart(6, '0')}`;
    csv.push(`${m[1]},postgres,${m[4]},${m[5]},${s(begin)},${s(end)},${m[6]}`);
  }
  writeFileSync(join(dir, 'calls.csv'), csv.join('\n') + '\n');
  const disk = `disk=${fx('pg-ext4-nobarrier/loop0.blkparse.txt')}`;
  const a = await check([`app=${join(dir, 'strace-tt.txt')}`, disk]);
  assert.deepEqual(a.doc.app[0]!.byOp['fdatasync'], { violated: 22 });
  assert.equal(a.doc.alignment[0]!.method, 'causality');
  const b = await check([`app=${join(dir, 'calls.csv')}`, disk]);
  assert.deepEqual(b.doc.app[0]!.byOp['fdatasync'], { violated: 22 });
  assert.equal(b.code, 1);
  const clean = readFileSync(fx('pg-ext4/strace.txt'), 'utf8').split('\n').map((l) => l.replace(/^(\d+) (\d+\.\d+) /, (_m, pid: string, t: string) => `[pid ${pid}] ${tod(t)} `));
  writeFileSync(join(dir, 'clean-tt.txt'), clean.join('\n'));
  const c = await check([`app=${join(dir, 'clean-tt.txt')}`, `disk=${fx('pg-ext4/loop0.blkparse.txt')}`]);
  assert.equal(c.code, 0);
  assert.deepEqual(c.doc.app[0]!.byOp['fdatasync'], { honored: 22 });
});

test('--mount naming no device of the layer below is a usage error (exit 2)', async () => {
  const r = await runCli(['check', '--mount', '/pg=loop9', `app=${fx('pg-ext4/strace.txt')}`, `disk=${fx('pg-ext4/loop0.blkparse.txt')}`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--mount \/pg=loop9 names no device/);
  const ok = await check(['--mount', '/tmp/blklab/pg-ext4/mnt=loop0', `app=${fx('pg-ext4/strace.txt')}`, `disk=${fx('pg-ext4/loop0.blkparse.txt')}`]);
  assert.deepEqual(ok.doc.app[0]!.byOp['fdatasync'], { honored: 22 });
});

test('a completions-only block trace (biosnoop) cannot tie writes to threads: undecided, with that reason', async () => {
  const { code, doc } = await check([`app=${fx('pg-ext4/strace.txt')}`, `disk=${fileURLToPath(new URL('../../fixtures/snoop/layout-2015-nine-decimals.biosnoop.txt', import.meta.url))}`]);
  assert.equal(code, 0);
  assert.deepEqual(doc.app[0]!.byOp['fdatasync'], { undecided: 22 });
  const w = doc.findings.filter((f) => f.rule === 'sync-call-not-durable');
  assert.equal(w.length, 1);
  assert.equal(w[0]!.severity, 'warning');
  assert.match(w[0]!.message, /no queue \(Q\) events naming the submitting thread/);
});

test('judge: an fsync covers the writes its thread queued in earlier sync_file_range hints of the file', () => {
  // hint at 0..50 µs queues the file's data; the fsync at 200..300 µs queues nothing more
  const hint = { ...call(5, 0, 50, '/pg/base/5/1259', 'sync_file_range') };
  const fsync = call(5, 200, 300, '/pg/base/5/1259', 'fsync');
  const noFlush = dev(DEV1, [[10, 5, 'W', 8, 8192], [20, 0, 'C', 8, 8192]]);
  const withHint = (d: DeviceTimeline, o: Partial<JudgeContext> = {}) => judge(fsync, ctx([d], { earlier: (c) => (c === fsync ? [hint] : []), ...o }));
  assert.equal(judge(fsync, ctx([noFlush])).kind, 'no-io');
  assert.equal(withHint(noFlush).kind, 'violated');
  const flushed = dev(DEV1, [[10, 5, 'W', 8, 8192], [20, 0, 'C', 8, 8192], [210, 5, 'D', 0, 0], [260, 0, 'F', 0, 0]]);
  assert.equal(withHint(flushed).kind, 'honored');
  const other = dev(DEV1, [[10, 9, 'W', 8, 8192], [20, 0, 'C', 8, 8192]]);
  assert.equal(withHint(other).kind, 'no-io');
});

test('coveredEarlier: hints and O_DIRECT writes since the previous sync of the same file by the same thread', async () => {
  const { coveredEarlier } = await import('../src/app/layer.js');
  const c = (op: SyncCall['op'], b: number, pid = 5, fd = 3) => ({ ...call(pid, b, b + 10, '/f', op), fd });
  const h1 = c('sync_file_range', 0);
  const s1 = c('fsync', 100);
  const d1 = c('direct-write', 200);
  const other = c('sync_file_range', 210, 6);
  const otherFd = c('sync_file_range', 220, 5, 4);
  const s2 = c('fdatasync', 300);
  const s3 = c('fsync', 400);
  const m = coveredEarlier([s2, h1, s1, d1, other, otherFd, s3]);
  assert.deepEqual(m.get(s1), [h1]);
  assert.deepEqual(m.get(s2), [d1]);
  assert.equal(m.get(s3), undefined);
});

test('strace without -f (no thread ids): undecided, saying so — never a verdict by time alone', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = tempDir('blkaudit-app-');
  const text = readFileSync(fx('pg-ext4-nobarrier/strace.txt'), 'utf8').replace(/^\d+ /gm, '');
  writeFileSync(join(dir, 'nopid.txt'), text);
  const { code, doc } = await check([`app=${join(dir, 'nopid.txt')}`, `disk=${fx('pg-ext4-nobarrier/loop0.blkparse.txt')}`]);
  assert.deepEqual(doc.app[0]!.byOp['fdatasync'], { undecided: 22 });
  assert.equal(appErrors(doc).length, 0);
  assert.ok(doc.findings.some((f) => f.severity === 'warning' && /strace without -f/.test(f.message)));
  assert.equal(code, 0);
});

test('judge: a verdict that differs under a rival offset of the alignment is undecided; one that holds under all stands', () => {
  // honored at the best offset (its write flushed inside the window), violated 200 µs later (another write, never flushed)
  const d = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096], [30, 0, 'D', 0, 0], [60, 0, 'F', 0, 0], [210, 5, 'W', 16, 4096], [220, 0, 'C', 16, 4096]]);
  const aligned = { method: 'causality' as const, offsetNs: 0, widthNs: 0, toleranceNs: 0, supporting: 3, candidates: 1, note: '' };
  assert.equal(judge(call(5, 0, 100), ctx([d], { alignment: aligned })).kind, 'honored');
  const u = judge(call(5, 0, 100), ctx([d], { alignment: { ...aligned, rivals: [{ offsetNs: 200_000, widthNs: 0 }] } }));
  assert.equal(u.kind, 'undecided');
  assert.match((u as { reason: string }).reason, /fit about as well at 2 offsets.*honored at the best, violated 0\.200 ms away/);
  // violated under the best and under the rival alike: it stands
  const both = dev(DEV1, [[10, 5, 'W', 8, 4096], [20, 0, 'C', 8, 4096], [210, 5, 'W', 16, 4096], [220, 0, 'C', 16, 4096]]);
  assert.equal(judge(call(5, 0, 100), ctx([both], { alignment: { ...aligned, rivals: [{ offsetNs: 200_000, widthNs: 0 }] } })).kind, 'violated');
});

test('judge: a violation needs writes inside the window at every offset the alignment allows', () => {
  // the only own write sits 30 µs before the window's begin: inside only at the alignment's extreme (±50 µs)
  const d = dev(DEV1, [[70, 5, 'W', 8, 4096], [80, 0, 'C', 8, 4096]]);
  const aligned = { method: 'causality' as const, offsetNs: 0, widthNs: 100_000, toleranceNs: 0, supporting: 3, candidates: 1, note: '' };
  const u = judge(call(5, 100, 400), ctx([d], { alignment: aligned }));
  assert.equal(u.kind, 'undecided');
  assert.match((u as { reason: string }).reason, /within the clocks' uncertainty/);
  // well inside: violated
  assert.equal(judge(call(5, 0, 400), ctx([d], { alignment: aligned })).kind, 'violated');
});
