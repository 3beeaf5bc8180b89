/**
 * Reading a stack's layers at the same time (src/read/schedule.ts) gives the
 * report a reading one after another gives — findings, counters with their
 * examples in argument order, source indices, layer order — whatever order
 * the layers' events actually arrive in (forced here with the pacing hook);
 * and a failing input among several ends the analysis with its error, the
 * others stopped or read to their end, nothing left running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { analyze, InputError, type AnalyzeOptions } from '../src/index.js';
import { setBlockBytes, DEFAULT_BLOCK_BYTES } from '../src/io/worker-pump.js';
import { CHECK_DROPPED_REASON } from '../src/check/checker.js';
import { tempDir } from './helpers/tmp.js';

const FX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const VM = join(FX, 'scenarios/vm-none-threads');
const STACK = join(FX, 'scenarios/vm-stack-none-threads');

/** The check as the CLI runs it on a stack: every stage that reads layers. */
const STAGES: AnalyzeOptions = {
  stages: ['stats', 'check', 'correlate', 'app'],
  stageOptions: { check: {}, correlate: {}, app: {} },
};

/** The QEMU log as a pipe on stdin, in 4 KiB pieces: read in many chunks, beside files. */
const qemuStdin = () => {
  const bytes = readFileSync(join(VM, 'qemu-trace.log'));
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 4096) parts.push(bytes.subarray(i, i + 4096));
  return Readable.from(parts);
};

/** The layers read in many pieces: blkparse text in 4 KiB blocks by two parse workers. */
async function inPieces<T>(f: () => Promise<T>): Promise<T> {
  const saved = process.env['BLKAUDIT_PARSE_WORKERS'];
  process.env['BLKAUDIT_PARSE_WORKERS'] = '2';
  setBlockBytes(4096);
  try {
    return await f();
  } finally {
    setBlockBytes(DEFAULT_BLOCK_BYTES);
    if (saved === undefined) delete process.env['BLKAUDIT_PARSE_WORKERS'];
    else process.env['BLKAUDIT_PARSE_WORKERS'] = saved;
  }
}

/**
 * Runs `inputs` three ways — one after another (readInOrder), at once, and at once with input 0 held after
 * its first piece until every other input has been read (its events then come last) — and returns the
 * reports as JSON, and the order sources gave events in the held run.
 */
async function threeWays(inputs: string[], extra: AnalyzeOptions = {}) {
  const opts = (): AnalyzeOptions => ({ ...STAGES, ...extra, parseWorker: true, stdin: qemuStdin() });
  const inOrder = JSON.stringify(await analyze(inputs, { ...opts(), readInOrder: true }));
  const atOnce = JSON.stringify(await inPieces(() => analyze(inputs, opts())));
  const done = new Set<number>();
  let othersDone: () => void = () => {};
  const others = new Promise<void>((resolve) => (othersDone = resolve));
  const arrival: number[] = [];
  const held = JSON.stringify(await inPieces(() => analyze(inputs, {
    ...opts(),
    onEvent: (_e, src) => {
      if (arrival.at(-1) !== src.index) arrival.push(src.index);
    },
    paceInput: (i, fraction) => {
      if (fraction === 1) done.add(i);
      if (done.size === inputs.length - 1 && !done.has(0)) othersDone();
      if (i === 0 && fraction < 1) return others;
      return undefined;
    },
  })));
  return { inOrder, atOnce, held, arrival };
}

test('a three-layer stack read at once: the report read one after another, whatever order the layers arrive in', async () => {
  const inputs = [`guest=${join(VM, 'vda.blkparse.txt')}`, 'qemu=-', `host=${join(VM, 'loop1.blkparse.txt')}`];
  const r = await threeWays(inputs);
  // the held run really took the guest's events after the others'
  assert.ok(r.arrival.lastIndexOf(0) > r.arrival.lastIndexOf(2) && r.arrival.lastIndexOf(0) > r.arrival.lastIndexOf(1), `arrival ${r.arrival.join(' ')}`);
  assert.equal(r.atOnce, r.inOrder);
  assert.equal(r.held, r.inOrder);
  const report = JSON.parse(r.inOrder);
  assert.deepEqual(report.inputs.map((i: { path: string }) => i.path), [join(VM, 'vda.blkparse.txt'), '-', join(VM, 'loop1.blkparse.txt')]);
  const levels: string[] = report.correlation.levels.map((l: { layer: string }) => l.layer);
  assert.deepEqual([levels[0], levels.at(-1), new Set(levels).size], ['guest', 'host', 3], levels.join(' '));
  assert.ok(report.inputs.every((i: { events: number }) => i.events > 1000));
});

test('counters from two layers keep their examples in argument order when the first layer arrives last', async () => {
  // a damaged copy of each block layer: the same unreadable-line counter, more examples than kept, from both
  const dir = tempDir('blkaudit-concurrent-');
  const damaged = (name: string, tag: string): string => {
    const lines = readFileSync(join(VM, name), 'utf8').split('\n');
    const out = lines.flatMap((l, i) => (i > 0 && i % 40 === 0 ? [`${tag} line ${i} is not a trace event`, l] : [l]));
    const p = join(dir, `${tag}-${name}`);
    writeFileSync(p, out.join('\n'));
    return p;
  };
  const inputs = [`guest=${damaged('vda.blkparse.txt', 'guest')}`, 'qemu=-', `host=${damaged('loop1.blkparse.txt', 'host')}`];
  const r = await threeWays(inputs);
  assert.equal(r.atOnce, r.inOrder);
  assert.equal(r.held, r.inOrder);
  const report = JSON.parse(r.inOrder);
  const both = report.diagnostics.find((d: { examples: Array<{ source: string }> }) =>
    d.examples.some((x) => x.source.includes('guest-')) && (d as unknown as { count: number }).count > 60);
  assert.ok(both, JSON.stringify(report.diagnostics.map((d: { reason: string; count: number }) => [d.reason, d.count])));
  // the first examples kept are the guest's: its lines come first in argument order
  assert.ok(both.examples.every((x: { source: string }) => x.source.includes('guest-')), JSON.stringify(both.examples));
});

test('a layer given as two inputs, its inputs apart in the argument list: the same report read at once and in order', async () => {
  const at = (f: string) => join(STACK, f);
  const inputs = [
    `host=${at('loop1.blkparse.txt.gz')}`, `virtio=${at('vda.blkparse.txt.gz')}`, `qemu=${at('qemu-trace.log.gz')}`,
    `host=${at('loop2.blkparse.txt.gz')}`, `virtio=${at('vdb.blkparse.txt.gz')}`, `dm=${at('dm-0.blkparse.txt.gz')}`, `md=${at('md0.blkparse.txt.gz')}`,
  ];
  const inOrder = JSON.stringify(await analyze(inputs, { ...STAGES, readInOrder: true }));
  for (let run = 0; run < 2; run++) assert.equal(JSON.stringify(await inPieces(() => analyze(inputs, { ...STAGES, parseWorker: true }))), inOrder);
  const report = JSON.parse(inOrder);
  assert.deepEqual(report.inputs.map((i: { layer: string }) => i.layer), ['host', 'virtio', 'qemu', 'host', 'virtio', 'dm', 'md']);
  assert.deepEqual(report.layers.map((l: { name: string; inputs: string[] }) => [l.name, l.inputs.length]), [['host', 2], ['virtio', 2], ['qemu', 1], ['dm', 1], ['md', 1]]);
});

/** A blkparse line with an RWBS no kernel writes: detected as blkparse, read as nothing. */
const unreadable = (l: string) => l.replace(/^(\s*(?:\S+\s+){6})\S+/, '$1ZZZZ');

/** Worker threads still running in this process (node:worker_threads handles). */
const workersLeft = () => process.getActiveResourcesInfo().filter((r) => /worker|messageport/i.test(r)).length;

test('one input that cannot be opened among three: InputError with its message, nothing read', async () => {
  const missing = join(tempDir('blkaudit-concurrent-'), 'nope.blkparse.txt');
  const inputs = [`guest=${join(VM, 'vda.blkparse.txt')}`, `qemu=${missing}`, `host=${join(VM, 'loop1.blkparse.txt')}`];
  let chunks = 0;
  await assert.rejects(
    analyze(inputs, { ...STAGES, afterChunk: () => void chunks++ }),
    (err: unknown) => err instanceof InputError && err.message === `cannot read ${missing}: no such file or directory`,
  );
  assert.equal(chunks, 0, 'no input was read');
});

test('one input with nothing readable among three, the others held by the pacing hook: its error, no hang, no worker left', { timeout: 60_000 }, async () => {
  const dir = tempDir('blkaudit-concurrent-');
  const junk = join(dir, 'junk.blkparse.txt');
  // blkparse-looking enough to be detected as blkparse, but no line is an event
  writeFileSync(junk, readFileSync(join(VM, 'vda.blkparse.txt'), 'utf8').split('\n').slice(0, 400).map(unreadable).join('\n'));
  const inputs = [`guest=${join(VM, 'vda.blkparse.txt')}`, `mid=${junk}`, `host=${join(VM, 'loop1.blkparse.txt')}`];
  // what earlier tests' workers left is gone first
  for (let waited = 0; workersLeft() > 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  const base = workersLeft();
  let releasedCalls = 0;
  const held = new Set<number>();
  let bothHeld: () => void = () => {};
  const whenBothHeld = new Promise<void>((resolve) => (bothHeld = resolve));
  await inPieces(() => assert.rejects(
    analyze(inputs, {
      ...STAGES,
      parseWorker: true,
      // guest and host wait for a promise that never resolves: only the failure can end their wait;
      // the junk input goes on (to its failure) once both are held
      paceInput: (i) => {
        if (i === 1) return whenBothHeld;
        releasedCalls++;
        held.add(i);
        if (held.size === 2) bothHeld();
        return new Promise<void>(() => {});
      },
    }),
    (err: unknown) => err instanceof InputError && /junk\.blkparse\.txt: no event could be read \(\d+ unreadable lines as blkparse; first: /.test(err.message),
  ));
  assert.ok(releasedCalls >= 1, 'the pacing hook held an input');
  // a terminated worker's handles go within a few event-loop turns (more on a loaded machine)
  for (let waited = 0; workersLeft() > base && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.equal(workersLeft(), base, process.getActiveResourcesInfo().join(', '));
});

test('the first failing input in argument order is the one reported, whichever fails first in time', async () => {
  const dir = tempDir('blkaudit-concurrent-');
  const bad = (name: string, lines: number) => {
    const p = join(dir, name);
    writeFileSync(p, readFileSync(join(VM, 'vda.blkparse.txt'), 'utf8').split('\n').slice(0, lines).map(unreadable).join('\n'));
    return p;
  };
  // input 0 is long and fails at its end; input 2 is short and fails first
  const inputs = [`a=${bad('long.blkparse.txt', 1200)}`, `b=${join(VM, 'loop1.blkparse.txt')}`, `c=${bad('short.blkparse.txt', 5)}`];
  for (let run = 0; run < 3; run++) {
    await assert.rejects(inPieces(() => analyze(inputs, { ...STAGES, parseWorker: true })), /long\.blkparse\.txt: no event could be read/);
  }
  await assert.rejects(analyze(inputs, { ...STAGES, strict: true }), /long\.blkparse\.txt/);
});

test('inputs that can carry sync calls are read in argument order (the app stage keeps block events once a call was seen): no pacing, the same report', async () => {
  const app = join(FX, 'app/pg-ext4');
  for (const inputs of [[`app=${join(app, 'strace.txt')}`, `disk=${join(app, 'loop0.blkparse.txt')}`], [`disk=${join(app, 'loop0.blkparse.txt')}`, `app=${join(app, 'strace.txt')}`]]) {
    let paced = 0;
    const inOrder = JSON.stringify(await analyze(inputs, { ...STAGES, readInOrder: true }));
    const atOnce = JSON.stringify(await analyze(inputs, { ...STAGES, paceInput: () => void paced++ }));
    assert.equal(atOnce, inOrder, inputs.join(' '));
    assert.equal(paced, 0, 'read one after another: nothing to pace against');
  }
  // a layer that carries no calls: paced
  let paced = 0;
  await analyze([`guest=${join(VM, 'vda.blkparse.txt')}`, `host=${join(VM, 'loop1.blkparse.txt')}`], { ...STAGES, paceInput: () => void paced++ });
  assert.ok(paced >= 2, `${paced} pacing calls`);
});

test('standard input given twice: the second "-" is empty, as when read after the first', async () => {
  const stdin = Readable.from([readFileSync(join(VM, 'vda.blkparse.txt'))]);
  await assert.rejects(analyze(['a=-', 'b=-'], { ...STAGES, stdin }), (err: unknown) => err instanceof InputError && err.message === '- is empty: no trace to read');
});

test('counts the stages make once every input is read (at finish) are the analysis\' own, kept in the report', async () => {
  const inputs = [`guest=${join(VM, 'vda.blkparse.txt')}`, `host=${join(VM, 'loop1.blkparse.txt')}`];
  const atOnce = await analyze(inputs, { ...STAGES, maxInflight: 1 });
  const inOrder = await analyze(inputs, { ...STAGES, maxInflight: 1, readInOrder: true });
  assert.ok((atOnce.skipped[CHECK_DROPPED_REASON] ?? 0) > 0, JSON.stringify(atOnce.skipped));
  assert.equal(JSON.stringify(atOnce), JSON.stringify(inOrder));
});
