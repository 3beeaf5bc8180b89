/**
 * Verdict paths of sync-call-not-durable that no real capture here can show
 * (found by breaking each path on purpose: test/mutations/, README
 * "Deliberate breaks"): every application capture in fixtures/app writes to a
 * loop device, whose cache is known volatile, and every fsync there waited for
 * its writes. So these run the rule's own code on small synthetic timelines,
 * built the way the block reader feeds them (DeviceTimeline.event).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, type JudgeContext } from '../src/app/judge.js';
import { reportIncidents, type CacheView } from '../src/app/incidents.js';
import { DeviceTimeline } from '../src/app/timeline.js';
import type { SyncCall } from '../src/app/call.js';
import type { Report } from '../src/model/report.js';
import { Act, emptyEvent } from '../src/model/event.js';
import { Op } from '../src/model/rwbs.js';
import { newEnv } from './helpers/check-run.js';

// a SCSI disk (8,16), not a loop device: its cache is known only from --cache or its flushes
const SDB = (8 << 20) | 16;

function timeline(evs: Array<[number, 'Q' | 'C']>): DeviceTimeline {
  const t = new DeviceTimeline(SDB);
  const e = emptyEvent();
  for (const [us, kind] of evs) {
    Object.assign(e, { time: us * 1000, pid: 5, dev: SDB, sector: 8, bytes: 4096, flags: 0, comm: 'postgres', error: 0, op: Op.Write, act: kind === 'Q' ? Act.Queue : Act.Complete });
    t.event(e, new Map());
  }
  return t;
}

const call: SyncCall = { source: 0, loc: 1, locEnd: 1, pid: 5, comm: 'postgres', op: 'fdatasync', syscall: 'fdatasync', fd: 3, path: '/pg/pg_wal/1', begin: 0, end: 100_000, ret: 0, direct: false, bytes: -1, how: '' };

function ctx(t: DeviceTimeline): JudgeContext {
  return {
    alignment: { method: 'same-stream', offsetNs: 0, widthNs: 0, toleranceNs: 0, supporting: 0, candidates: 0, note: '' },
    devices: new Map([[t.dev, t]]), mountDev: () => undefined, writeThrough: () => false,
  };
}

test('judge: own write queued in the window but acknowledged only after the return → undecided (the clocks cannot be right), not violated', () => {
  const late = timeline([[10, 'Q'], [150, 'C']]);
  const v = judge(call, ctx(late));
  assert.deepEqual(v, { kind: 'undecided', reason: 'no write completed on the device inside the window', dev: SDB });
  // the same write acknowledged inside the window, no flush: violated
  assert.equal(judge(call, ctx(timeline([[10, 'Q'], [20, 'C']]))).kind, 'violated');
});

function incidentsWith(volatile: boolean | undefined): Report['findings'] {
  const t = timeline([[10, 'Q'], [20, 'C']]);
  const v = judge(call, ctx(t));
  assert.equal(v.kind, 'violated');
  const cache: CacheView = {
    label: () => 'sdb (8,16)',
    mountDev: () => undefined,
    of: () => ({ volatile, writeThrough: false, how: volatile ? 'declared write-back' : 'cache unknown (no --cache, no flush or FUA in its trace)' }),
  };
  const report = { findings: [] } as unknown as Report;
  reportIncidents(report, newEnv(), {
    layer: 'app', shown: 'app', belowShown: 'disk', verdicts: [[call, v]], alignment: ctx(t).alignment, appBase: 0, belowBase: 0, cache,
    below: { name: 'disk', calls: [], dropped: 0, devices: new Map([[SDB, t]]), comms: new Map([[5, 'postgres']]) },
  });
  return report.findings;
}

test('incident severity: error when the device cache is known volatile, a warning saying how to decide when it is unknown', () => {
  const known = incidentsWith(true);
  assert.deepEqual(known.map((f) => `${f.rule} ${f.severity} ${f.device}`), ['sync-call-not-durable error 8,16']);
  assert.doesNotMatch(known[0]!.message, /Undecided/);
  const unknown = incidentsWith(undefined);
  assert.deepEqual(unknown.map((f) => `${f.rule} ${f.severity} ${f.device}`), ['sync-call-not-durable warning 8,16']);
  assert.match(unknown[0]!.message, /Undecided: declare the cache \(--cache DEV=writeback\)/);
});

test('app stage: its analyzers read block events only when some input can carry a sync call', async () => {
  const { appStage } = await import('../src/app/stage.js');
  const uses = (fs: Array<{ name: string; produces: string; carriesCalls?: boolean }>) => appStage.usesBlockEvents!(fs);
  assert.equal(uses([{ name: 'blkparse', produces: 'block' }, { name: 'qemu-log', produces: 'qemu' }]), false);
  assert.equal(uses([{ name: 'strace', produces: 'app' }, { name: 'blkparse', produces: 'block' }]), true);
  assert.equal(uses([{ name: 'tracepoint', produces: 'block', carriesCalls: true }]), true);
});
