/**
 * Streaming correlation (src/correlate/segments.ts): a long stack is cut where every level is quiet and no
 * write waits for a later flush, and each segment is correlated alone. On the real VM capture
 * (fixtures/scenarios/vm-none-threads) repeated 40 times with random gaps, with pieces made small
 * (BLKAUDIT_STREAM_ROWS) so that the 40 copies are many segments, the verdicts must be those of the whole
 * trace correlated at once (BLKAUDIT_STREAM_ROWS=0): clean stays clean with nothing undecided, the same
 * counts at every level, the same clock offsets; a copy whose host flushes were removed is found, and only
 * there; a drifting clock is followed from segment to segment; a periodic workload (no gap between copies,
 * no clock justified) is cut with its ambiguity held, every clock-dependent promise undecided as on the whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { prepareStack, type StackOptions } from '../bench/stack.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

interface Link {
  upper: string;
  lower: string;
  method: string;
  offsetSeconds?: number;
  widthSeconds?: number;
  drift?: { ppm: number };
  note?: string;
}

interface Out {
  code: number;
  findings: Array<{ rule: string; severity: string; layer: string; device: string; message: string; time: number; details?: Record<string, unknown> }>;
  alignment: Link[];
  levels: Array<{ id: string; reads: number; writes: number; flushes: number; fua: number; series?: { writes: number[]; flushes: number[] } }>;
  statements: string[];
}

async function check(o: Partial<StackOptions>, rows: number): Promise<Out> {
  const root = tempDir('blkaudit-stream-');
  try {
    const s = prepareStack({ root, copies: 40, variant: 'random', seed: 5, ...o });
    const r = await runCli(['check', '--json', ...s.inputs], undefined, { BLKAUDIT_STREAM_ROWS: String(rows) });
    const j = JSON.parse(r.stdout) as { findings: Out['findings']; alignment: Link[]; correlation: { levels: Out['levels']; statements: string[] } };
    return { code: r.code ?? -1, findings: j.findings, alignment: j.alignment, levels: j.correlation.levels, statements: j.correlation.statements };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const segments = (o: Out): number => Number(/^correlated in (\d+) segment/.exec(o.statements.find((s) => s.startsWith('correlated in')) ?? '')?.[1] ?? 0);
const verdicts = (o: Out) => o.findings.map((f) => `${f.severity} ${f.rule} ${f.layer} ${f.device}`).sort();
const counts = (o: Out) => o.levels.map((l) => `${l.id} ${l.reads}/${l.writes}/${l.flushes}/${l.fua}`);

test('a clean 40-copy VM stack in many segments: the verdicts, counts and clocks of the whole', async () => {
  const whole = await check({}, 0);
  const streamed = await check({}, 128);
  assert.equal(segments(whole), 0);
  assert.ok(segments(streamed) >= 4, `${segments(streamed)} segments`);
  assert.deepEqual(verdicts(streamed), verdicts(whole));
  assert.deepEqual(streamed.findings.filter((f) => f.severity === 'error' || f.rule === 'cross-layer-undecided'), []);
  assert.deepEqual(counts(streamed), counts(whole));
  // the HTML timeline's QEMU lanes: each segment's series added into one over the whole trace
  const lanes = (o: Out) => o.levels.filter((l) => l.series).map((l) => `${l.id} ${l.series!.writes.reduce((a, b) => a + b, 0)}/${l.series!.flushes.reduce((a, b) => a + b, 0)}`);
  assert.ok(lanes(whole).length > 0);
  assert.deepEqual(lanes(streamed), lanes(whole));
  for (const a of whole.alignment) {
    const b = streamed.alignment.find((x) => x.upper === a.upper && x.lower === a.lower);
    assert.ok(b, `${a.upper} → ${a.lower} aligned`);
    // a clock found on the whole is found in segments; one not justified on the whole (the seed disk's few
    // writes) is not in segments either (ambiguous or none: both leave its verdicts to the count level)
    const justified = (m: string) => m === 'causal-offset' || m === 'identity';
    if (justified(a.method)) assert.equal(b.method, a.method, `${a.upper} → ${a.lower}`);
    else assert.ok(!justified(b.method), `${a.upper} → ${a.lower}: ${b.method}`);
    if (a.offsetSeconds !== undefined) assert.ok(Math.abs(a.offsetSeconds - b.offsetSeconds!) < 1e-4, `${a.offsetSeconds} vs ${b.offsetSeconds}`);
  }
  assert.equal(streamed.code, 0);
});

/** The stack with the host loop device's flush requests and PREFLUSH bios (rwbs starting with F) of three copies removed. */
function hostFlushesRemoved(variant: StackOptions['variant']): Partial<StackOptions> {
  const broken = new Set([12, 13, 30]);
  return {
    variant,
    tag: 'noflush',
    dropLine: (layer, copy, line) => layer === 'host' && broken.has(copy) && /^\s*\S+\s+\d+\s+\d+\s+\S+\s+\d+\s+[A-Z]\s+F/.test(line),
  };
}

const errors = (x: Out) => x.findings.filter((f) => f.severity === 'error');

test('host flushes removed in three copies: found in segments as in the whole, and nowhere else', async () => {
  const o = hostFlushesRemoved('random');
  const whole = await check(o, 0);
  const streamed = await check(o, 128);
  assert.ok(segments(streamed) >= 4, `${segments(streamed)} segments`);
  assert.ok(errors(whole).length > 0);
  assert.deepEqual(verdicts(streamed), verdicts(whole));
  // the same errors, their times within the clocks' uncertainty: each alignment's offset is narrowed by its own
  // data pairs (a segment's by its own, the whole's by all of them), so times differ by a few µs
  const said = (x: Out) => errors(x).map((f) => `${f.rule} ${f.layer} ${f.device} ${f.message.replace(/\d+\.\d+ s ± \d+ µs/g, 'T')}`).sort();
  assert.deepEqual(said(streamed), said(whole));
  const times = (x: Out) => errors(x).map((f) => f.time).sort((p, q) => p - q);
  const [ts, tw] = [times(streamed), times(whole)];
  assert.equal(ts.length, tw.length);
  for (let i = 0; i < ts.length; i++) assert.ok(Math.abs(ts[i]! - tw[i]!) < 50e-6, `${ts[i]} vs ${tw[i]}`);
  assert.equal(streamed.code, 1);
});

test('a guest clock drifting 200 ppm: followed from segment to segment, every promise kept', async () => {
  const streamed = await check({ driftPpm: 200 }, 128);
  assert.ok(segments(streamed) >= 4, `${segments(streamed)} segments`);
  const g = streamed.alignment.find((a) => a.upper.startsWith('guest:'))!;
  assert.equal(g.method, 'causal-offset', JSON.stringify(g));
  assert.ok(g.drift && Math.abs(g.drift.ppm + 200) < 5, JSON.stringify(g));
  assert.deepEqual(streamed.findings.filter((f) => f.severity === 'error' || f.rule === 'cross-layer-undecided'), []);
  assert.equal(streamed.code, 0);
});

/** A periodic stack streamed (its ambiguity held) against the same stack correlated whole. */
async function periodicHeld(copies: number, rows: number): Promise<void> {
  const whole = await check({ variant: 'periodic', copies }, 0);
  const streamed = await check({ variant: 'periodic', copies }, rows);
  assert.ok(whole.alignment.some((a) => a.method === 'ambiguous'));
  // the first rows fit several offsets: held ambiguous for every segment, the cuts placed by the likeliest
  assert.ok(segments(streamed) >= 4, `${segments(streamed)} segments`);
  assert.deepEqual(verdicts(streamed), verdicts(whole));
  assert.deepEqual(counts(streamed), counts(whole));
  // the promises left undecided: as many, for the same reasons, one finding per link and reason
  const undecided = (o: Out) => o.findings.filter((f) => f.rule === 'cross-layer-undecided').map((f) => `${f.layer} ${f.device} ${f.details?.['reason']} ${f.details?.['undecided']}`).sort();
  assert.ok(undecided(whole).length > 0);
  assert.deepEqual(undecided(streamed), undecided(whole));
  for (const a of whole.alignment) {
    const b = streamed.alignment.find((x) => x.upper === a.upper && x.lower === a.lower)!;
    if (a.method === 'ambiguous') {
      assert.equal(b.method, 'ambiguous', `${a.upper} → ${a.lower}`);
      assert.match(b.note ?? '', /held for each of its segments/);
    }
    if (a.method === 'identity' || a.method === 'causal-offset') assert.equal(b.method, a.method, `${a.upper} → ${a.lower}`);
  }
  assert.deepEqual(streamed.findings.filter((f) => f.severity === 'error'), []);
  assert.equal(streamed.code, 0);
}

test('a periodic stack (no gap between copies) whose first segment fits several offsets: cut with that ambiguity held, the verdicts and counts of the whole', async () => {
  // 40 copies, pieces of 128 rows: the first rows align at one offset (the traces begin together), the first
  // segment (a dozen copies) at several
  await periodicHeld(40, 128);
});

test('a periodic stack whose first rows already fit several offsets: held from the start, the verdicts and counts of the whole', async () => {
  // 200 copies, pieces of 2,048 rows: the first rows span several periods
  await periodicHeld(200, 2048);
});

test('a periodic stack with host flushes removed in three copies: the chain proof across the held link, summed over the segments, finds what the whole trace finds', async () => {
  const o = hostFlushesRemoved('periodic');
  const whole = await check(o, 0);
  const streamed = await check(o, 128);
  assert.ok(segments(streamed) >= 2, `${segments(streamed)} segments`);
  // no clock is justified: only the count-level chain proof decides (3,560 flushes in a chain, 3,293 below)
  assert.deepEqual(errors(whole).map((f) => f.rule), ['flush-not-passed-down']);
  assert.match(errors(whole)[0]!.message, /3560 flushes in a chain.*host completed 3293 flush\(es\).*at least 267/);
  assert.deepEqual(errors(streamed).map((f) => f.message), errors(whole).map((f) => f.message));
  assert.deepEqual(verdicts(streamed), verdicts(whole));
  assert.equal(streamed.code, 1);
});

test('no temporary file can be made: every row kept in memory, the same verdicts, and said', async () => {
  const root = tempDir('blkaudit-stream-');
  try {
    const s = prepareStack({ root, copies: 40, variant: 'random', seed: 5 });
    const run = async (env: Record<string, string>) => JSON.parse((await runCli(['check', '--json', ...s.inputs], undefined, env)).stdout) as {
      findings: Out['findings']; skipped: Record<string, unknown>; correlation: { statements: string[] };
    };
    const whole = await run({ BLKAUDIT_STREAM_ROWS: '0' });
    const blocked = await run({ BLKAUDIT_STREAM_ROWS: '128', TMPDIR: `${root}/not-there` });
    assert.deepEqual(blocked.findings.map((f) => f.message).sort(), whole.findings.map((f) => f.message).sort());
    assert.ok(!blocked.correlation.statements.some((x) => x.startsWith('correlated in')));
    assert.ok(Object.keys(blocked.skipped).some((k) => k.includes('no temporary file')), JSON.stringify(blocked.skipped));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
