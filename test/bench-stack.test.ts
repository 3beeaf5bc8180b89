/**
 * The bench's stack generator (bench/stack.ts) and its rows, without timing:
 * each copy of the real VM capture is the original with every time shifted
 * by the copy's shift (the same in every layer), sequence numbers continuing
 * per CPU, nothing the readers skip; copies never overlap; gaps are random
 * within bounds or absent (periodic). And the first target at small
 * scale: the clean capture repeated stays clean.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GAP_MAX, GAP_MIN, loadTemplate, prepareStack, shifts, STACK_SOURCE } from '../bench/stack.js';
import { ambiguityOf, stackTable, stackVerdicts, verdictOf, type StackResult } from '../bench/stack-rows.js';
import { parseArgs } from '../bench/run.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { qemuLogFormat } from '../src/formats/qemu/log.js';
import { parseBuffer } from './helpers/chunking.js';
import { Diagnostics } from '../src/model/diagnostics.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const COPIES = 3;

function withStack(variant: 'random' | 'periodic', fn: (dir: string, s: ReturnType<typeof prepareStack>) => void | Promise<void>) {
  return async () => {
    const root = tempDir('blkaudit-stack-');
    try {
      await fn(root, prepareStack({ root, copies: COPIES, variant, seed: 7 }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** QEMU log event times, ns from the first event's whole second (the reader's own clock). */
function qemuTimes(path: string): number[] {
  const times: number[] = [];
  const diag = new Diagnostics();
  const p = qemuLogFormat.create({
    sourceIndex: 0, sourceName: path, sink: { event: () => assert.fail('no block events in a QEMU log') },
    qemuSink: { qemu: (e) => times.push(e.time) }, diag, options: {}, setClock: () => {}, attach: () => {}, limitation: () => {},
  });
  p.push(readFileSync(path));
  p.end();
  assert.equal(diag.list().filter((c) => c.severity !== 'info').length, 0);
  return times;
}

test('stack template: the capture\'s own counts (1,263 guest and 1,315 host event lines, 1,819 QEMU lines)', () => {
  const t = loadTemplate();
  assert.deepEqual([t.guest.length, t.host.length, t.qemu.length], [1263, 1315, 1819]);
  assert.ok(t.spanUs > 5e6 && t.spanUs < 7e6, `one copy lasts ${t.spanUs} µs`);
});

test('stack (random): copy k = the original shifted by S_k in every layer; sequence numbers continue; nothing skipped', withStack('random', (_root, s) => {
  const t = loadTemplate();
  assert.deepEqual(s.lines, { guest: COPIES * 1263, qemu: COPIES * 1819, host: COPIES * 1315 });
  const sh = s.shiftsUs!;
  assert.equal(sh[0], 0);
  for (let k = 1; k < COPIES; k++) {
    const gap = (sh[k]! - sh[k - 1]! - t.spanUs) / 1e6;
    assert.ok(gap >= GAP_MIN && gap < GAP_MAX, `gap ${gap} s`);
  }
  for (const [layer, file, n] of [['guest', 'vda.blkparse.txt', 1263], ['host', 'loop1.blkparse.txt', 1315]] as const) {
    const orig = parseBuffer(blkparseFormat, readFileSync(join(STACK_SOURCE, file)));
    const long = parseBuffer(blkparseFormat, readFileSync(join(s.dir, file)));
    assert.equal(long.diag.total, 0, `${layer}: ${JSON.stringify(long.diag.list())}`);
    assert.equal(long.events.length, COPIES * n);
    const lastSeq = new Map<number, number>();
    for (let k = 0; k < COPIES; k++) {
      for (let i = 0; i < n; i++) {
        const a = orig.events[i]!;
        const b = long.events[k * n + i]!;
        assert.equal(b.time, a.time + sh[k]! * 1000, `${layer} copy ${k} event ${i} time`);
        assert.deepEqual([b.act, b.op, b.flags, b.sector, b.bytes, b.dev, b.cpu, b.pid], [a.act, a.op, a.flags, a.sector, a.bytes, a.dev, a.cpu, a.pid]);
        assert.ok(b.seq > (lastSeq.get(b.cpu) ?? 0), `${layer} seq grows per CPU`);
        lastSeq.set(b.cpu, b.seq);
      }
      // copies never overlap in a layer
      if (k > 0) assert.ok(long.events[k * n]!.time > long.events[k * n - 1]!.time);
    }
  }
  const q0 = qemuTimes(join(STACK_SOURCE, 'qemu-trace.log'));
  const q = qemuTimes(join(s.dir, 'qemu-trace.log'));
  assert.equal(q0.length, 1819);
  assert.equal(q.length, COPIES * q0.length);
  for (let k = 0; k < COPIES; k++) for (let i = 0; i < q0.length; i++) assert.equal(q[k * q0.length + i], q0[i]! + sh[k]! * 1000);
}));

test('stack (periodic): no gap — every copy starts one span + 1 µs after the previous', () => {
  const span = loadTemplate().spanUs;
  assert.deepEqual(shifts(4, 'periodic', span, 1), [0, span + 1, 2 * (span + 1), 3 * (span + 1)]);
  assert.deepEqual(shifts(4, 'random', span, 3), shifts(4, 'random', span, 3), 'same seed, same shifts');
  assert.notDeepEqual(shifts(4, 'random', span, 3), shifts(4, 'random', span, 4));
});

test('stack: the clean VM capture repeated is still clean (no error, as one copy)', withStack('random', async (_root, s) => {
  const r = await runCli(['check', ...s.inputs]);
  assert.equal(r.code, 0, r.stdout.slice(0, 2000));
  assert.match(verdictOf(r.stdout), /^0 error\(s\), 0 warning\(s\)/);
}));

test('stack rows: options, verdict parsing, table and targets', () => {
  const o = parseArgs(['--stack', '1000', '--startup']);
  assert.deepEqual([o.stack, o.startup, o.runsGiven], [1000, true, false]);
  assert.equal(verdictOf('blkaudit check: promises broken — 2 incident(s) from 3 error(s), 0 warning(s), 6 info\n…'), '3 error(s), 0 warning(s), 6 info');
  assert.equal(verdictOf('blkaudit check: clean — no broken promise found (0 error(s), 0 warning(s), 6 info)\n'), '0 error(s), 0 warning(s), 6 info');
  assert.equal(verdictOf('blkaudit: cannot read x\n'), 'no verdict (see stderr)');
  const run = (wallS: number, rssMiB: number) => ({ wallS, cpuS: wallS, rssMiB, exitCode: 1, stderrTail: '', rssSource: 'time' as const });
  const r: StackResult = {
    stack: { dir: '/x', copies: 1000, variant: 'periodic', inputs: [], lines: { guest: 1_263_000, qemu: 1_820_000, host: 1_315_000 }, bytes: 330e6 },
    runs: [run(29, 1100)],
    verdicts: ['8229 error(s), 0 warning(s), 6 info'],
    ambiguity: [false],
  };
  assert.match(stackTable([r]), /\| stack-periodic \| 1000 \| 1263000 \/ 1820000 \/ 1315000 \| 330 \| 29\.00 \| 0\.15 M \| 29\.00 \| 1100 \| 8229 error\(s\)/);
  // the periodic variant: no error and its ambiguity said are targets; its speed and memory are shown only
  assert.deepEqual(stackVerdicts([r]).map((v) => v.ok), [false, false, undefined, undefined]);
  assert.deepEqual(stackVerdicts([{ ...r, verdicts: ['0 error(s), 0 warning(s), 8 info'], ambiguity: [true] }]).map((v) => v.ok), [true, true, undefined, undefined]);
  // the random one: no error, ≥ 1 M lines/s, ≤ 200 MiB; no ambiguity line
  const random: StackResult = { ...r, stack: { ...r.stack, variant: 'random' }, runs: [run(4.2, 165)], verdicts: ['0 error(s), 0 warning(s), 6 info'], ambiguity: [false] };
  assert.deepEqual(stackVerdicts([random]).map((v) => v.ok), [true, true, true]);
  assert.deepEqual(stackVerdicts([{ ...random, runs: [run(4.5, 210)] }]).map((v) => v.ok), [true, false, false]);
  // as check prints it, folded over lines
  assert.equal(ambiguityOf('offsets -164.008693 s (11 flush pairs) and\n  -146.484343 s (11) fit about as well — a periodic workload? — so no single\n  offset is justified: verdicts that need the clock are undecided'), true);
  assert.equal(ambiguityOf('of the offsets 1.000000 s and 2.000000 s that fit about as well, the one within 0.001 s of the offset found before'), false);
  assert.equal(ambiguityOf('blkaudit check: clean — no broken promise found'), false);
});
