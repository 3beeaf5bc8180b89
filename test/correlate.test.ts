import { test } from 'node:test';
import { CORPUS_DIR } from './helpers/cli.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnalysisEnv } from '../src/model/analysis.js';
import type { Report } from '../src/model/report.js';
import { Diagnostics } from '../src/model/diagnostics.js';
import type { ParseContext } from '../src/formats/types.js';
import { detectFormat } from '../src/formats/registry.js';
import { createCorrelator, type CorrelateOptions, type CorrelationResult } from '../src/correlate/correlator.js';
import { parseMapSpec, parseFilefrag, parseExtentCsv, parseExtentJson, extentMap, offsetMap, IDENTITY } from '../src/correlate/mapping.js';
import { follow } from '../src/correlate/follow.js';
import { correlateOptions, parseStack, StackError } from '../src/correlate/stack.js';
import { OpFlag, OpKind, OpTable } from '../src/correlate/ops.js';
import { checkPair } from '../src/correlate/rules.js';
import { identityAlignment } from '../src/correlate/align.js';
import { loadLayers, type Input } from './helpers/correlate-load.js';

const path = (p: string) => fileURLToPath(new URL(`../../fixtures/scenarios/${p}`, import.meta.url));
const read = (p: string) => readFileSync(path(p));
const load = (inputs: Input[], opts: CorrelateOptions = {}) => loadLayers(inputs, opts, read);

const vm = (name: string, shiftHost = 0) => load([
  { layer: 'guest', file: `${name}/vda.blkparse.txt` },
  { layer: 'qemu', file: `${name}/qemu-trace.log` },
  { layer: 'host', file: `${name}/loop1.blkparse.txt`, shift: shiftHost },
]);
const qio = (name: string, opts: CorrelateOptions = {}) => load([
  { layer: 'qemu', file: `${name}/qemu-trace.log` },
  { layer: 'host', file: `${name}/loop1.blkparse.txt` },
], opts);
const lol = (name: string, map = parseMapSpec('f', readFileSync(path(`${name}/upper.img.filefrag.txt`), 'utf8'))) => load([
  { layer: 'upper', file: `${name}/loop2.blkparse.txt` },
  { layer: 'lower', file: `${name}/loop1.blkparse.txt` },
], { maps: { upper: map } });

function rules(r: CorrelationResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of r.findings) out[`${f.rule}@${f.layer}`] = (out[`${f.rule}@${f.layer}`] ?? 0) + 1;
  return out;
}

test('vm-none-threads: no violation; 15 flushes QEMU elided are not violations', () => {
  const { r } = vm('vm-none-threads');
  assert.deepEqual(rules(r), {});
  assert.deepEqual(r.levels.map((l) => [l.name, l.writes, l.flushes]), [['guest', 129, 104], ['qemu', 129, 104], ['qemu:jobs', 129, 89],
    // QEMU's second device (one write, no guest trace above it): a level of its own, named by its vdev
    ['qemu 0x5648dd29c4c0', 1, 0], ['qemu:jobs 0x5648dd29c4c0', 1, 0], ['host', 129, 89]]);
  // loop1 is under the guest disk's device (identity explains all 129 writes), not under the second one
  assert.deepEqual(r.alignment.map((a) => [a.upper, a.lower, a.mapSource]), [
    ['guest:254,0', 'qemu:0x5648dd17f5c0', 'inferred'], ['qemu:0x5648dd17f5c0', 'qemu:jobs:0x5648dd17f5c0', 'linked'],
    ['qemu:jobs:0x5648dd17f5c0', 'host:7,1', 'inferred'], ['qemu:0x5648dd29c4c0', 'qemu:jobs:0x5648dd29c4c0', 'linked']]);
  // every promise decided: nothing undecided within the alignment uncertainty
  assert.deepEqual(r.pairs.map((p) => [p.violated, p.undecided]), [[0, 0], [0, 0], [0, 0], [0, 0]]);
  assert.equal(r.pairs[1]!.promises.flush, 89); // virtio flushes with writes pending; the other 15 had none
  assert.equal(r.levels[1]!.cache.mode, 'writeback-or-none');
});

test('vm-writethrough-threads: a write-through guest sending no flushes is not a violation', () => {
  const { r } = vm('vm-writethrough-threads');
  assert.deepEqual(rules(r), {});
  assert.equal(r.levels[0]!.flushes, 0);
  assert.deepEqual([r.levels[0]!.cache.mode, r.levels[0]!.cache.source], ['writethrough', 'inferred']);
  assert.deepEqual([r.levels[1]!.cache.mode, r.levels[1]!.cache.source], ['writethrough', 'inferred']);
  assert.deepEqual(r.pairs.map((p) => p.promises.writeThrough), [129, 129, 0, 0]);
  assert.equal(r.pairs[2]!.promises.flush, 125);
});

test('vm-unsafe-threads: 104 guest flushes acknowledged, 0 host flushes → flush-not-passed-down at qemu', () => {
  const { r } = vm('vm-unsafe-threads');
  assert.deepEqual(rules(r), { 'flush-not-passed-down@qemu': 104 });
  assert.ok(r.statements.includes('104 flush(es) acknowledged at guest (254,0); 0 flush(es) at host (7,1)'), r.statements.join('\n'));
  assert.equal(r.levels[1]!.cache.mode, 'unsafe');
  const f = r.findings[0]!;
  assert.equal(f.severity, 'error');
  assert.match(f.message, /qemu:jobs completed 130 write\(s\) and 0 flushes in the whole trace/);
  assert.deepEqual(f.evidence.slice(0, 2).map((e) => e.note), ['flush issued', 'flush acknowledged']);
  assert.ok(f.evidence.every((e) => e.loc > 0));
});

test('alignment of the guest captures: offset, interval width and supporting pairs', () => {
  for (const name of ['vm-none-threads', 'vm-unsafe-threads', 'vm-writethrough-threads']) {
    const { r } = vm(name);
    const a = r.alignment[0]!;
    assert.equal(a.method, 'causal-offset', name);
    assert.ok(a.supportingPairs >= 140, `${name}: ${a.supportingPairs} pairs`);
    assert.ok(a.widthSeconds! > 0 && a.widthSeconds! < 100e-6, `${name}: width ${a.widthSeconds}`);
    assert.equal(r.alignment[1]!.method, 'identity');
  }
});

// True QEMU → host offsets from each capture's clock sample (see the scenario READMEs).
const TRUE_OFFSET: Record<string, number> = {
  'vm-none-threads': -0.499135432, 'vm-writethrough-threads': -0.238931363,
};

test('clock alignment recovers a known shift within the reported interval', () => {
  for (const [name, truth] of Object.entries(TRUE_OFFSET)) {
    for (const shift of [0, 1.234567, -7.5]) {
      const { r } = vm(name, shift * 1e9);
      const a = r.alignment[2]!;
      assert.equal(a.method, 'causal-offset');
      const half = a.widthSeconds! / 2;
      const expected = truth + shift;
      assert.ok(Math.abs(a.offsetSeconds! - expected) <= half + 1e-9, `${name} shift ${shift}: ${a.offsetSeconds} ± ${half} vs ${expected}`);
      assert.ok(a.supportingPairs >= 100);
      assert.deepEqual(rules(r), {}, `${name} shift ${shift}`);
    }
  }
});

test('qemu-io (no timestamps): order-only matching; flush, aio_flush and elided flushes are not violations', () => {
  for (const name of ['qio-raw-none-threads', 'qio-raw-writethrough-threads']) {
    const { r } = qio(name);
    assert.deepEqual(rules(r), {}, name);
    assert.equal(r.alignment[1]!.method, 'order-only');
    assert.match(r.alignment[1]!.note, /no timestamps/);
    assert.equal(r.levels[1]!.unknown, 0, `${name}: every untyped job resolved against the host`);
  }
  const none = qio('qio-raw-none-threads').r;
  assert.equal(none.levels[1]!.flushes, 4); // flush ×3 + the FUA emulation; the discard is not one
  assert.equal(none.pairs[1]!.promises.flush, 4);
});

test('qio-raw-unsafe-threads: the FUA write that never became durable; flushes the trace cannot show', () => {
  const { r } = qio('qio-raw-unsafe-threads');
  assert.deepEqual(rules(r), { 'fua-not-honored@qemu': 1 });
  const f = r.findings[0]!;
  assert.equal(f.evidence[0]!.sector, 256);
  assert.equal(f.evidence[0]!.loc, 6);
  assert.ok(r.limitations.some((l) => /no event at all/.test(l) && /cannot be checked/.test(l)));
  assert.equal(r.levels[0]!.cache.mode, 'unsafe');
});

test('qio-qcow2-ext4-none: qcow2 on ext4 through a filefrag map: no violation', () => {
  const map = parseMapSpec('f', readFileSync(path('qio-qcow2-ext4-none/disk.qcow2.filefrag.txt'), 'utf8'));
  const { r } = qio('qio-qcow2-ext4-none', { maps: { qemu: map } });
  assert.deepEqual(rules(r), {});
  assert.deepEqual([r.pairs[1]!.promises.flush, r.pairs[1]!.honored], [11, 11]);
});

test('loop on loop: buffered no violation; lower barrier=0 violates at the upper layer', () => {
  const ok = lol('lol-buffered').r;
  assert.deepEqual(rules(ok), {});
  assert.deepEqual([ok.pairs[0]!.promises.flush, ok.pairs[0]!.promises.fua, ok.pairs[0]!.honored], [20, 20, 40]);
  const a = ok.alignment[0]!;
  assert.ok(Math.abs(a.offsetSeconds! - -88.291e-6) <= a.widthSeconds! / 2, `${a.offsetSeconds} ± ${a.widthSeconds! / 2}`);
  const bad = lol('lol-bottom-nobarrier').r;
  assert.deepEqual(rules(bad), { 'flush-not-passed-down@upper': 40, 'fua-not-honored@upper': 20 });
  assert.ok(bad.statements.includes('40 flush(es) and 20 FUA write(s) acknowledged at upper; 0 flush(es) and 140 write(s) at lower'));
});

test('count-level verdicts need no clock: 0 flushes below decides without alignment', () => {
  // a map that sends every upper sector far past the lower device: nothing matches, no offset
  const { r } = lol('lol-bottom-nobarrier', offsetMap(1e12));
  assert.equal(r.alignment[0]!.method, 'none');
  assert.deepEqual(rules(r), { 'flush-not-passed-down@upper': 40, 'fua-not-honored@upper': 20 });
  assert.ok(r.limitations.some((l) => /only count-level verdicts/.test(l)));
});

test('follow one request: guest → virtio → host job → loop1, one clock', () => {
  const { env, r } = vm('vm-none-threads');
  const f = follow(env, r, { sector: 32788 });
  assert.deepEqual(f.steps.map((s) => [s.level, s.sector, s.op]), [['guest', 32788, 'WF'], ['qemu', 32788, 'W'], ['qemu:jobs', 32788, 'W'], ['host', 32788, 'W']]);
  assert.match(f.reference, /^host/);
  const host = f.steps[3]!;
  assert.equal(host.issue.ref[0], host.issue.ref[1]); // the reference level is exact
  const g = f.steps[0]!;
  const width = g.issue.ref[1]! - g.issue.ref[0]!;
  assert.ok(width > 0 && width < 200e-6, `guest uncertainty ${width}`);
  // causality, in one clock: the guest issued before the host did, the host completed before the guest
  assert.ok(g.issue.ref[0]! <= host.issue.ref[1]! && host.complete.ref[0]! <= g.complete.ref[1]!);
  assert.equal(follow(env, r, { sector: 32788, time: 1e6 }).steps.length, 0);
});

test('sector maps: filefrag -v, CSV, qemu-img map JSON, offsets', () => {
  const ex = parseFilefrag(readFileSync(path('lol-buffered/upper.img.filefrag.txt'), 'utf8'));
  assert.equal(ex.length, 12);
  assert.deepEqual(ex[0], { upper: 0, lower: 1312000, sectors: 528 });
  const m = extentMap(ex, 'x');
  assert.deepEqual(m.map(520, 16), [[1312520, 8]]); // 528..535 is a hole in upper.img
  assert.deepEqual(m.map(266240, 8), [[1429504, 8]]);
  assert.equal(m.unmap(1429504), 266240);
  assert.equal(m.covers(530), false);
  // blocks of 4096 bytes (filefrag without -b512): units scale
  const k4 = parseFilefrag('File size of f is 8192 (2 blocks of 4096 bytes)\n ext: logical_offset: physical_offset: length: expected: flags:\n   0:        0..       1:      100..       101:      2:             last,eof\n');
  assert.deepEqual(k4, [{ upper: 0, lower: 800, sectors: 16 }]);
  assert.deepEqual(parseExtentCsv('upper_sector,lower_sector,sectors\n0,2048,100\n'), [{ upper: 0, lower: 2048, sectors: 100 }]);
  assert.throws(() => parseExtentCsv('upper_sector,lower_sector,sectors\nx,1,2\n'), /row 2/);
  const img = JSON.parse(readFileSync(path('qio-qcow2-ext4-none/qemu-img-map.json'), 'utf8'));
  const q = parseExtentJson(img);
  assert.deepEqual(q[0], { upper: 0, lower: 640, sectors: 128 }); // guest 0 → file 327680
  assert.equal(q.length, 5); // only clusters with data and a file offset
  assert.deepEqual(parseMapSpec('+2048').map(10, 1), [[2058, 1]]);
  assert.equal(parseMapSpec('identity'), IDENTITY);
  assert.throws(() => parseMapSpec('sideways'), /expected \+N/);
});

test('stack description: validated, command line wins', async () => {
  const stack = parseStack({ layers: [{ name: 'guest', device: '254,0' }, { name: 'qemu', cache: 'none', map: 2048 }, { name: 'host', device: '7,1' }] });
  const o = await correlateOptions({ stack, cache: ['qemu=unsafe', 'loop1=writeback'] }, ['guest', 'qemu', 'host']);
  assert.deepEqual(o.order, ['guest', 'qemu', 'host']);
  assert.equal(o.cache!['qemu'], 'unsafe');
  assert.equal(o.cache!['loop1'], undefined); // a device declaration: the checker's
  assert.deepEqual(o.maps!['qemu']!.map(0, 8), [[2048, 8]]);
  assert.throws(() => parseStack({ layers: [] }), StackError);
  assert.throws(() => parseStack({ layers: [{ name: 'a' }, { name: 'a' }] }), /twice/);
  assert.throws(() => parseStack({ layers: [{ name: 'a', cache: 'sometimes' }] }), /cache must be/);
  await assert.rejects(correlateOptions({ cache: ['host=sometimes'] }, ['host']), /mode must be/);
});

/** Two levels on one clock, built by hand: [kind, sector, count, issue, complete, flags]. */
function table(layer: string, rows: Array<[number, number, number, number, number, number?]>): OpTable {
  const t = new OpTable(layer, 'd', 'block', false);
  for (const [k, s, n, i, c, f] of rows) {
    const r = t.add(k as OpKind, s, n, i, t.n + 1, 0, f ?? 0);
    t.complete(r, c, r + 1, true);
  }
  t.computeDurability();
  return t;
}
const W = OpKind.Write;
const F = OpKind.Flush;

test('durable-order-inverted: B durable below while A, ordered before it by a flush, is still volatile', () => {
  const env: AnalysisEnv = { sources: [{ index: 0, name: 'synthetic', layer: 'x', format: 'x', detectedBy: 'x', locKind: 'line', clock: { name: 'relative', origin: '' }, limitations: [] }], diag: new Diagnostics(), options: {} };
  // upper: A written (0–10), flush (20–30) covering A, then B (40–50)
  const up = table('up', [[W, 100, 8, 0, 10], [F, -1, 0, 20, 30], [W, 200, 8, 40, 50]]);
  // lower: A's write completes only at 60, after the lower flush was issued (55) → not covered;
  // B completes at 52 and that flush (55–58) covers it. A is never made durable.
  const low = table('low', [[W, 100, 8, 5, 60], [W, 200, 8, 45, 52], [F, -1, 0, 55, 58]]);
  const upper = { name: 'up', layer: 'up', table: up, cache: { mode: 'writeback', source: 'declared' as const } };
  const lower = { name: 'low', layer: 'low', table: low, cache: { mode: 'writeback', source: 'declared' as const } };
  const r = checkPair({ env, upper, lower, map: IDENTITY, alignment: identityAlignment(up, low, [{ u: 0, l: 0 }, { u: 2, l: 1 }]) });
  const byRule = r.findings.map((f) => f.rule).sort();
  // the flush at 20–30 covered A, not durable below by 30 (A's write had not even completed)
  assert.deepEqual(byRule, ['durable-order-inverted', 'flush-not-passed-down']);
  const inv = r.findings.find((f) => f.rule === 'durable-order-inverted')!;
  assert.deepEqual(inv.evidence.map((e) => e.note), ['A: written first', 'flush covering A completed', 'B: issued after that flush', 'B below: durable first', 'A below: still volatile']);
  // the same lower trace with A covered by the flush: no finding at all
  const good = table('low', [[W, 100, 8, 5, 15], [W, 200, 8, 45, 52], [F, -1, 0, 55, 58]]);
  const up2 = table('up', [[W, 100, 8, 0, 10], [F, -1, 0, 20, 70], [W, 200, 8, 75, 80]]);
  const r2 = checkPair({ env, upper: { ...upper, table: up2 }, lower: { ...lower, table: good }, map: IDENTITY, alignment: identityAlignment(up2, good, [{ u: 0, l: 0 }, { u: 2, l: 1 }]) });
  assert.deepEqual(r2.findings, []);
});

test('FUA at the lower level counts at its final completion (emulated FUA: the 0-byte C)', () => {
  const t = table('x', [[W, 8, 8, 0, 10, OpFlag.FUA], [W, 16, 8, 0, 12], [F, -1, 0, 20, 25]]);
  assert.deepEqual([t.durable[0], t.durableBy[0]], [10, -1]);
  assert.deepEqual([t.durable[1], t.durableBy[1]], [25, 2]);
  const inflight = table('y', [[W, 8, 8, 0, 22], [F, -1, 0, 20, 25]]);
  assert.equal(inflight.durable[0], Infinity); // in flight when the flush was issued: not covered (D2)
});

// Optional sweep over the full lab corpus (absent in CI).
const CORPUS = CORPUS_DIR;
test('corpus sweep: full captures give the MANIFEST verdicts', async (t) => {
  const { existsSync } = await import('node:fs');
  if (!existsSync(CORPUS)) {
    t.skip('no ../shared/corpus');
    return;
  }
  const { correlateFiles } = await import('../src/correlate-files.js');
  const g = (n: string) => [`guest=${CORPUS}/guest/${n}/guest/vda.blkparse.txt`, `qemu=${CORPUS}/guest/${n}/qemu-trace.log`, `host=${CORPUS}/guest/${n}/host/loop1.blkparse.txt`];
  const count = async (inputs: string[], opts: CorrelateOptions = {}) => rules((await correlateFiles(inputs, opts)).result);
  assert.deepEqual(await count(g('vm-none-threads')), {});
  assert.deepEqual(await count(g('vm-writethrough-threads')), {});
  assert.deepEqual(await count(g('vm-unsafe-threads')), { 'flush-not-passed-down@qemu': 104 });
  const capture = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as { workload: Record<string, { filefrag_output: string }> };
  for (const [n, expect] of [['lol-buffered', {}], ['lol-bottom-nobarrier', { 'flush-not-passed-down@upper': 141, 'fua-not-honored@upper': 61 }]] as const) {
    const map = parseMapSpec('f', capture(`${CORPUS}/host/${n}/capture.json`).workload['mapping_after']!.filefrag_output);
    assert.deepEqual(await count([`upper=${CORPUS}/host/${n}/loop2.blkparse.txt`, `lower=${CORPUS}/host/${n}/loop1.blkparse.txt`], { maps: { upper: map } }), expect, n);
  }
  const q = (n: string) => [`qemu=${CORPUS}/qemu-io/${n}/qemu-trace.log`, `host=${CORPUS}/qemu-io/${n}/loop1.blkparse.txt`];
  assert.deepEqual(await count(q('qio-raw-none-threads')), {});
  assert.deepEqual(await count(q('qio-raw-writethrough-threads')), {});
  assert.deepEqual(await count(q('qio-raw-unsafe-threads')), { 'fua-not-honored@qemu': 1 });
  const qmap = parseMapSpec('f', capture(`${CORPUS}/qemu-io/qio-qcow2-ext4-none/capture.json`).workload['host_file_extents']!.filefrag_output);
  assert.deepEqual(await count(q('qio-qcow2-ext4-none'), { maps: { qemu: qmap } }), {});
});

test('correlate stage: per-layer analyzers + finishAll fill the report', async () => {
  const { correlateStage } = await import('../src/correlate/stage.js');
  const env: AnalysisEnv = { sources: [], diag: new Diagnostics(), options: { correlate: {} } };
  assert.equal(correlateStage.enabled({}), false);
  assert.equal(correlateStage.enabled({ stageOptions: { correlate: {} } }), true);
  const report: Report = {
    schemaVersion: 2, generator: { name: 'blkaudit', version: 'test' }, inputs: [], devices: [], findings: [],
    alignment: [], skipped: {}, diagnostics: [], attachments: {},
    layers: ['guest', 'qemu', 'host'].map((name) => ({ name, inputs: [], devices: [] })),
  };
  for (const [layer, file] of [['guest', 'vda.blkparse.txt'], ['qemu', 'qemu-trace.log'], ['host', 'loop1.blkparse.txt']] as const) {
    const a = correlateStage.create(env, layer);
    const data = read(`vm-unsafe-threads/${file}`);
    const format = detectFormat(data)!.format;
    const index = env.sources.length;
    env.sources.push({ index, name: file, layer, format: format.name, detectedBy: 'content', locKind: 'line', clock: { name: 'relative', origin: '' }, limitations: [] });
    const p = format.create({ sourceIndex: index, sourceName: file, sink: a, qemuSink: a, diag: env.diag, options: {}, setClock: (d) => { env.sources[index]!.clock = d; }, attach: () => {}, limitation: () => {} });
    p.push(data);
    p.end();
    a.finish();
  }
  correlateStage.finishAll(report, env);
  assert.equal(report.findings.length, 104);
  // the guest disk's QEMU device (front → jobs → loop1: its 13 page-cache writebacks cover the jobs' writes
  // at the same sectors) and QEMU's second device (front → jobs, nothing traced below it)
  assert.equal(report.alignment.length, 4);
  assert.deepEqual(report.alignment.filter((a: any) => a.mapSource === 'inferred').map((a: any) => [a.upper, a.lower, a.map]),
    [['guest:254,0', 'qemu:0x55a5c23c1890', 'identity'], ['qemu:jobs:0x55a5c23c1890', 'host:7,1', 'identity']]);
  assert.deepEqual(report.layers.find((l) => l.name === 'qemu')!.cacheMode?.mode, 'unsafe');
  assert.ok(report.correlation!.statements.includes('104 flush(es) acknowledged at guest (254,0); 0 flush(es) at host (7,1)'));
  JSON.stringify(report); // serializable: no typed arrays or maps leak into the report
});

test('a segment of a held-ambiguous link: the count-level proofs count the lower level\'s whole trace (lowerWhole)', async () => {
  const { NO_CLOCK } = await import('../src/correlate/clock-map.js');
  const { NO_MAP } = await import('../src/correlate/graph.js');
  const env: AnalysisEnv = { sources: [{ index: 0, name: 'synthetic', layer: 'x', format: 'x', detectedBy: 'x', locKind: 'line', clock: { name: 'relative', origin: '' }, limitations: [] }], diag: new Diagnostics(), options: {} };
  // upper: a chain of three flushes, each covering a write issued after the previous one was acknowledged
  const up = table('up', [[W, 100, 8, 0, 10], [F, -1, 0, 20, 30], [W, 200, 8, 40, 50], [F, -1, 0, 60, 70], [W, 300, 8, 80, 90], [F, -1, 0, 100, 110]]);
  const upper = { name: 'up', layer: 'up', table: up, cache: { mode: 'writeback', source: 'declared' as const } };
  const ambiguous = { upper: 'up:d', lower: 'low:d', method: 'ambiguous' as const, clock: NO_CLOCK, supportingPairs: 0, candidatePairs: 0, pairs: [], note: 'held' };
  const pair = (low: OpTable, lowerWhole?: { rows: number; writes: number; flushes: number; fua: number; unknown: number }) => checkPair({
    env, upper, lower: { name: 'low', layer: 'low', table: low, cache: { mode: 'writeback', source: 'declared' as const } },
    map: NO_MAP, mapSource: 'none', alignment: ambiguous, ...(lowerWhole ? { lowerWhole } : {}),
  });
  const errors = (r: ReturnType<typeof checkPair>) => r.findings.filter((f) => f.severity === 'error').map((f) => f.rule);
  // this segment's rows below: writes and one flush (fewer points than the chain), or no flush at all
  const oneFlush = table('low', [[W, 100, 8, 5, 15], [W, 200, 8, 45, 55], [F, -1, 0, 56, 58]]);
  const noFlush = table('low', [[W, 100, 8, 5, 15], [W, 200, 8, 45, 55]]);
  // counted alone, each is a count-level proof; over the whole trace the level below flushed enough
  assert.deepEqual(errors(pair(oneFlush)), ['flush-not-passed-down']);
  assert.ok(errors(pair(noFlush)).length > 0);
  const whole = { rows: 400, writes: 300, flushes: 100, fua: 0, unknown: 0 };
  assert.deepEqual(errors(pair(oneFlush, whole)), []);
  assert.deepEqual(errors(pair(noFlush, whole)), []);
  // and a whole trace that never flushed below is still the proof, said of the whole trace
  const never = pair(noFlush, { rows: 500, writes: 480, flushes: 0, fua: 0, unknown: 0 });
  assert.ok(errors(never).length > 0);
  assert.ok(never.findings.some((f) => /completed 480 write\(s\) and 0 flushes/.test(f.message)), never.findings.map((f) => f.message).join('\n'));
});
