/**
 * Campaign 6 guest captures (fixtures/stacks/vm-{ctype,wc}-switch*; ORIGIN.md in each): a guest that switches its
 * virtio disk's write cache at run time. Through virtio's own `cache_type` QEMU sees it (hw/block/virtio-blk.c
 * virtio_blk_set_config → blk_set_enable_write_cache: every write issued while it is off gets BDRV_REQ_FUA at the
 * format node), so the commits made while it is off need no flush; through the block layer's queue/write_cache
 * alone QEMU never does, its cache stays volatile, and the commits made meanwhile are lost on a host crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { CacheModeTracker } from '../src/qemu/cache-mode.js';
import type { FrontRequest, HostJob } from '../src/qemu/records.js';

const DIR = join(ROOT, 'fixtures/stacks');

interface Out {
  findings: Array<{ severity: string; rule: string; layer: string; device: string; message: string }>;
  devices: Array<{ layer: string; device: string; cache: string; cacheHow?: string }>;
}

async function check(c: string, form: 'layer' | 'machine'): Promise<{ code: number | null; out: Out }> {
  const g = form === 'layer' ? 'guest/vda.blkparse.txt.gz' : 'guest/ftrace-blk-classic.txt.gz';
  const h = form === 'layer' ? 'host/loop1.blkparse.txt.gz' : 'host/ftrace-blk-classic.txt.gz';
  const r = await runCli(['check', '--json', `guest=${join(DIR, c, g)}`, `qemu=${join(DIR, c, 'qemu-trace.log.gz')}`, `host=${join(DIR, c, h)}`]);
  return { code: r.code, out: JSON.parse(r.stdout) as Out };
}

const brief = (o: Out) => o.findings.map((f) => `${f.severity} ${f.rule}@${f.layer} ${f.device}: ${f.message.slice(0, 200)}`).join('\n');

// (vm-ctype-toggle-writeback, vm-ctype-toggleback-none: switched twice, one stretch written through between two
// write-back ones, or the reverse — before session 15 only one switch per trace was placed: the same warning)
for (const [c, side] of [['vm-ctype-switch-writeback', 'from'], ['vm-ctype-switchback-writeback', 'until'],
  ['vm-ctype-toggle-writeback', 'from'], ['vm-ctype-toggleback-none', 'until']] as const) {
  for (const form of ['layer', 'machine'] as const) {
    test(`${c} (${form}): the guest's commits while QEMU wrote through need no flush — clean, no flush-never-issued`, async () => {
      // before: a flush-never-issued warning on guest 254,0 (66 levels after its last flush while written
      // through; switched back: 62 levels before its first flush)
      const { code, out } = await check(c, form);
      assert.deepEqual(out.findings.filter((f) => f.severity !== 'info' || f.rule === 'unflushed-at-end'), [], brief(out));
      assert.equal(code, 0);
      const vda = out.devices.find((d) => d.layer === 'guest' && d.device === '254,0')!;
      assert.equal(vda.cache, 'writeback');
      assert.match(vda.cacheHow ?? '', new RegExp(`virtio_blk_set_config.*written through ${side} \\d+\\.\\d{6} s`), vda.cacheHow);
    });
  }
}

for (const c of ['vm-wc-switch-writeback', 'vm-wc-switchback-writeback']) {
  test(`${c}: queue/write_cache switched alone (QEMU keeps WCE=1) — flush-never-issued on guest 254,0, said of the right stretch`, async () => {
    const { code, out } = await check(c, 'layer');
    const errs = out.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errs.map((f) => `${f.rule}@${f.layer} ${f.device}`), ['flush-never-issued@guest 254,0'], brief(out));
    assert.equal(code, 1);
    const m = errs[0]!.message;
    // a virtio disk's cache shown by QEMU: no word of md's superblock updates
    assert.doesNotMatch(m, /md's own superblock/);
    if (c === 'vm-wc-switchback-writeback') {
      // the stretch began with the trace (write through at boot, flushes only after the switch back): not "after
      // the last flush or FUA (at -0.000000 s)", and its writes were flushed later, not "0 B never covered"
      assert.match(m, /from the start of the trace to its first flush or FUA 62 ordered commit levels/);
      assert.match(m, /each covered by a flush of this device only later/);
    } else assert.match(m, /after the last flush or FUA \(at \d+\.\d+ s\) 66 more ordered commit levels/);
  });
}

const write = (id: number, t: number, fua: boolean): FrontRequest => ({
  id, source: 0, iface: 'virtio', device: 'd', req: `0x${id}`, kind: 'write', kindHow: 'virtio_blk_handle_write', sector: id * 8, nsectors: 8,
  fuaAsked: false, fuaFormat: fua, fuaProtocol: false, issue: { time: t, seq: id, loc: id }, complete: { time: t + 50, seq: id, loc: id },
  completeHow: 'virtio_blk_req_complete', status: 0, jobs: [],
});

test('cache mode: a switch of WCE at run time is seen from the writes QEMU gave FUA, in either direction', () => {
  const run = (fua: (i: number) => boolean, n = 10, order?: number[]) => {
    const t = new CacheModeTracker();
    // (front requests reach the tracker in completion order: `order` permutes them)
    for (const i of order ?? Array.from({ length: n }, (_, k) => k)) t.front(write(i, i * 100, fua(i)));
    return t.infer();
  };
  const on = run((i) => i >= 5);
  // not before the first write given FUA was issued (500) nor before the last one without it completed (450)
  assert.deepEqual(on.switched?.spans, [[500, Infinity]]);
  assert.equal(on.switched?.switches, 1);
  assert.match(on.switched!.how, /switched the device's write cache off at run time/);
  const late = run((i) => i >= 5, 10, [0, 1, 2, 3, 5, 6, 4, 7, 8, 9]);
  assert.deepEqual(late.switched?.spans, [[500, Infinity]]);
  const back = run((i) => i < 5);
  assert.deepEqual(back.switched?.spans, [[-Infinity, 400]]);
  assert.match(back.switched!.how, /switched the device's write cache on at run time/);
  // switched twice, either way round, completions out of order: one stretch written through, or two
  const twice = run((i) => i >= 5 && i < 10, 15, [0, 1, 2, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 13, 14]);
  assert.deepEqual(twice.switched?.spans, [[500, 900]]);
  assert.equal(twice.switched?.switches, 2);
  assert.match(twice.switched!.how, /switched the device's write cache 2 times at run time/);
  const twiceBack = run((i) => i < 5 || i >= 10, 15);
  assert.deepEqual(twiceBack.switched?.spans, [[-Infinity, 400], [1000, Infinity]]);
  // mixed, or too few in a run: no switch
  assert.equal(run((i) => i % 2 === 0).switched, undefined);
  assert.equal(run((i) => i >= 8).switched, undefined);
  assert.equal(run((i) => i >= 5 && i < 7, 15).switched, undefined);
  assert.equal(run((i) => i >= 5 && i !== 12, 15).switched, undefined);
  // a write without FUA issued inside a stretch QEMU gave FUA (it completed last): the kinds interleave, no switch
  assert.equal(run((i) => i >= 5 && i < 10 && i !== 7, 15, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 7]).switched, undefined);
  assert.deepEqual(run((i) => i >= 5 && i < 10 && i !== 7, 15).switched, undefined);
  assert.equal(run(() => true).switched, undefined);
  assert.equal(run(() => true).writeThrough, true);
});

/** The guest's blkparse text of a capture cut as `blkparse -a queue` (no D, no C) or `-a complete` (C only) would. */
function cutGuest(c: string, keep: (act: string) => boolean): string {
  const dir = tempDir('camp6-mask-');
  const out = join(dir, 'vda.blkparse.txt');
  const lines = gunzipSync(readFileSync(join(DIR, c, 'guest/vda.blkparse.txt.gz'))).toString().split('\n');
  writeFileSync(out, lines.filter((l) => {
    const t = l.trim().split(/\s+/);
    return !(t.length > 6 && t[0]!.includes(',') && /^[A-Z]$/.test(t[5]!) && !keep(t[5]!));
  }).join('\n'));
  return out;
}

for (const [mask, keep] of [['-a queue', (a: string) => a !== 'D' && a !== 'C'], ['-a complete', (a: string) => a === 'C']] as const) {
  test(`flush-never-issued under ${mask}: a long run of commits with no flush after flushes were seen is undecided (info), not silence`, async () => {
    // vm-wc-switch-writeback: the 40 fsyncs after queue/write_cache was switched off have no flush; cut so, the
    // ordering levels cannot be counted. Before: nothing at all (the undecided note only for a trace with no flush).
    const run = async (c: string) => {
      const r = await runCli(['check', '--json', `guest=${cutGuest(c, keep)}`, `qemu=${join(DIR, c, 'qemu-trace.log.gz')}`,
        `host=${join(DIR, c, 'host/loop1.blkparse.txt.gz')}`]);
      return (JSON.parse(r.stdout) as { findings: Array<{ severity: string; rule: string; device: string; message: string; details?: { kind?: string } }> })
        .findings.filter((f) => f.rule === 'flush-never-issued');
    };
    const f = await run('vm-wc-switch-writeback');
    assert.deepEqual(f.map((x) => `${x.severity} ${x.device} ${x.details?.kind}`), ['info 254,0 undecided'], f.map((x) => x.message).join('\n'));
    assert.match(f[0]!.message, /sync metadata writes (queued|completed) in a row with no flush or FUA between them/);
    // a clean capture with barriers cut the same way: its runs end at every commit's flush, no note
    assert.deepEqual(await run('vm-datajournal-none-threads'), []);
  });
}

for (const form of ['layer', 'machine'] as const) {
  test(`vm-throttle-none-threads (${form}): a throttled request resumed later keeps its own host job — clean, every promise decided`, async () => {
    // block/throttle-groups.c: the coroutine yields between blk_co_pwritev and its root-node bdrv_co_pwritev_part;
    // its job came after the thread had moved on, was taken for another request's (or for a BlockBackend request
    // of its own with no completion event), and 42 guest promises were undecided at QEMU (reason ack)
    const { code, out } = await check('vm-throttle-none-threads', form);
    assert.deepEqual(out.findings.filter((f) => f.severity !== 'info' || f.rule === 'cross-layer-undecided'), [], brief(out));
    assert.equal(code, 0);
  });
}

/** The QEMU rebuild of a capture's log: its requests and host jobs. */
async function rebuildLog(c: string): Promise<{ fronts: FrontRequest[]; jobs: Map<number, HostJob> }> {
  const { Diagnostics } = await import('../src/model/diagnostics.js');
  const { qemuLogFormat } = await import('../src/formats/qemu/log.js');
  const { copyQemuEvent } = await import('../src/qemu/event.js');
  const { QemuRebuilder } = await import('../src/qemu/rebuild.js');
  const diag = new Diagnostics();
  const fronts: FrontRequest[] = [];
  const jobs = new Map<number, HostJob>();
  const rb = new QemuRebuilder({ front: (r) => fronts.push(r), job: (j) => jobs.set(j.id, j) }, diag, 't');
  const p = qemuLogFormat.create({
    sourceIndex: 0, sourceName: 't', sink: { event: () => {} }, qemuSink: { qemu: (e) => rb.qemu(copyQemuEvent(e)) }, diag, options: {},
    setClock: () => {}, attach: () => {}, limitation: () => {},
  });
  p.push(gunzipSync(readFileSync(join(DIR, c, 'qemu-trace.log.gz'))));
  p.end();
  rb.end();
  return { fronts, jobs };
}

test('a throttled request resumed after its thread moved on keeps its own data job (vm-throttle-none-threads)', async () => {
  // block/throttle-groups.c: the coroutine yields between blk_co_pwritev and its root-node bdrv_co_pwritev_part;
  // its job was linked to the request the thread handled last (two guest writes left with none, another with two)
  const { fronts, jobs } = await rebuildLog('vm-throttle-none-threads');
  const writes = fronts.filter((f) => f.iface === 'virtio' && (f.kind === 'write' || f.kind === 'write-zeroes'));
  assert.equal(writes.length, 138);
  const wrong = writes.filter((f) => f.jobs.length !== 1 || jobs.get(f.jobs[0]!)?.offset !== f.sector * 512);
  assert.deepEqual(wrong.map((f) => `${f.kind} ${f.sector}+${f.nsectors} jobs ${f.jobs.map((j) => jobs.get(j)?.offset).join(',')}`), []);
});

test('a virtio WRITE_ZEROES request is the zero write issued right after its pop: one request, its job, its completion', async () => {
  // QEMU 7.2 traces no virtio event for it (virtio_blk_handle_discard_write_zeroes → blk_aio_pwrite_zeroes): the
  // guest's ext4lazyinit zeroings of vm-asynccommit-none-io_uring (7, out_num 2) were BlockBackend requests of their
  // own, acknowledged "at their last job", and the virtio requests requests of unknown kind with no job
  const { fronts } = await rebuildLog('vm-asynccommit-none-io_uring');
  const zeroes = fronts.filter((f) => f.kind === 'write-zeroes');
  assert.deepEqual(zeroes.map((f) => `${f.iface} ${f.completeHow} ${f.jobs.length}`), Array(7).fill('virtio virtio_blk_req_complete 1'));
  assert.equal(fronts.filter((f) => f.iface === 'virtio' && f.kind === 'other').length, 0);
});
