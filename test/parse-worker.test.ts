/**
 * Parsing in a worker thread (src/io/worker-pump.ts, packed.ts) gives exactly
 * what parsing in the main thread gives: every event field, every
 * diagnostic with its examples, the attachments and the whole report — on
 * real blkparse captures, on generated traces, and on damaged text (so the
 * context calls travel in order with the events). Also: the decision rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/index.js';
import { copyEvent, type BlockEvent } from '../src/model/event.js';
import { DEFAULT_BLOCK_BYTES, setBlockBytes, useSetWorker, useWorker, WORKER_MIN_BYTES } from '../src/io/worker-pump.js';
import { availableParallelism } from 'node:os';
import { HEAD_BYTES } from '../src/io/open.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { generate } from '../bench/gen.js';
import { rng } from './helpers/fuzz.js';
import { tempDir } from './helpers/tmp.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/blkparse/', import.meta.url));

async function both(path: string, extra: { strict?: boolean } = {}) {
  const run = async (parseWorker: boolean) => {
    const events: BlockEvent[] = [];
    try {
      const report = await analyze([path], { ...extra, parseWorker, onEvent: (e) => events.push(copyEvent(e)) });
      return { events, report: JSON.stringify(report) };
    } catch (err) {
      return { events, report: `threw ${(err as Error).message}` };
    }
  };
  return { inline: await run(false), worker: await run(true) };
}

/** Damages some lines (deletes/replaces bytes) so the parser counts skips. */
function damage(data: Buffer, seed: number): Buffer {
  const r = rng(seed);
  const lines = data.toString('latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (r() < 0.05) {
      const l = lines[i]!;
      const at = Math.floor(r() * l.length);
      lines[i] = r() < 0.5 ? l.slice(0, at) + l.slice(at + 1) : l.slice(0, at) + 'Z' + l.slice(at + 1);
    }
  }
  return Buffer.from(lines.join('\n'), 'latin1');
}

test('worker = main thread on every blkparse fixture (events, diagnostics, report)', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const { inline, worker } = await both(join(FIXTURES, f));
    assert.ok(inline.events.length > 0, f);
    assert.deepEqual(worker.events, inline.events, f);
    assert.equal(worker.report, inline.report, f);
  }
});

test('worker = main thread on blktrace per-CPU sets (read, merged and decoded in the worker)', async () => {
  const sets = ['raw-odirect-dsync/loop1', 'wild-01-dm-partition-remap-chain/01-centos7-sda-mynotes'];
  for (const s of sets) {
    const { inline, worker } = await both(fileURLToPath(new URL(`../../fixtures/blktrace/${s}`, import.meta.url)));
    assert.ok(inline.events.length > 0, s);
    assert.deepEqual(worker.events, inline.events, s);
    assert.equal(worker.report, inline.report, s);
  }
  const dir = tempDir('blkaudit-worker-test-');
  try {
    // large enough for several ring batches, with a truncated last record in one CPU's file
    const g = generate({ outDir: dir, events: 60000, cpus: 3, seed: 21, text: false });
    const cpu1 = join(dir, `${g.dev}.blktrace.1`);
    const data = readFileSync(cpu1);
    writeFileSync(cpu1, data.subarray(0, data.length - 20));
    const { inline, worker } = await both(join(dir, g.dev));
    assert.ok(inline.events.length > 50000);
    assert.match(inline.report, /truncated record/);
    assert.deepEqual(worker.events, inline.events);
    assert.equal(worker.report, inline.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker = main thread on one blktrace stream several MiB long: a file read by the worker, and stdin in chunks', async () => {
  const dir = tempDir('blkaudit-worker-test-');
  try {
    const g = generate({ outDir: dir, events: 80000, cpus: 1, seed: 5, text: false });
    // not named like a per-CPU file: one stream, as a `blkparse -d` dump or `blktrace -o -` is read
    const single = join(dir, 'one-stream.bin');
    const data = readFileSync(join(dir, `${g.dev}.blktrace.0`));
    assert.ok(data.length > 3 << 20, 'records cross several 1 MiB reads');
    writeFileSync(single, data);
    const file = await both(single);
    assert.equal(file.inline.events.length, g.events);
    assert.deepEqual(file.worker.events, file.inline.events);
    assert.equal(file.worker.report, file.inline.report);
    const r = rng(4);
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length;) {
      const n = 1 + Math.floor(r() * 200_000);
      chunks.push(data.subarray(at, (at += n)));
    }
    const viaStdin = async (parseWorker: boolean) => {
      const events: BlockEvent[] = [];
      const report = await analyze(['-'], { stdin: Readable.from(chunks), parseWorker, onEvent: (e) => events.push(copyEvent(e)) });
      return { events, report: JSON.stringify(report) };
    };
    const inline = await viaStdin(false);
    const worker = await viaStdin(true);
    assert.equal(inline.events.length, g.events);
    assert.deepEqual(worker.events, inline.events);
    assert.equal(worker.report, inline.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker = main thread on a generated trace, intact and damaged, and under --strict', async () => {
  const dir = tempDir('blkaudit-worker-test-');
  try {
    const g = generate({ outDir: dir, events: 60000, cpus: 2, seed: 9, text: true });
    const text = readFileSync(g.textPath!);
    const damaged = join(dir, 'damaged.txt');
    writeFileSync(damaged, damage(text, 3));
    const intact = await both(g.textPath!);
    assert.equal(intact.inline.events.length, g.events);
    assert.deepEqual(intact.worker.events, intact.inline.events);
    assert.equal(intact.worker.report, intact.inline.report);
    const bad = await both(damaged);
    assert.ok(bad.inline.events.length < g.events && bad.inline.events.length > g.events * 0.8);
    assert.match(bad.inline.report, /blkparse: /, 'skips are counted');
    assert.deepEqual(bad.worker.events, bad.inline.events);
    assert.equal(bad.worker.report, bad.inline.report);
    const strict = await both(damaged, { strict: true });
    assert.match(strict.inline.report, /^threw --strict: \d+ record\(s\)/);
    assert.equal(strict.worker.report, strict.inline.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one worker reading a text file with one buffer (StreamParser.keepsNoChunk): lines cut by its 1 MiB reads', async () => {
  // a stack's layers read at once have one worker each, which reads its file itself: the blkparse parser keeps
  // no chunk, so every read goes into the same buffer, and a line cut by a read must come out whole
  const dir = tempDir('blkaudit-worker-test-');
  const saved = process.env['BLKAUDIT_PARSE_WORKERS'];
  process.env['BLKAUDIT_PARSE_WORKERS'] = '1';
  try {
    const g = generate({ outDir: dir, events: 80000, cpus: 2, seed: 13, text: true });
    assert.ok(readFileSync(g.textPath!).length > 3 << 20, 'several reads');
    const r = await both(g.textPath!);
    assert.equal(r.inline.events.length, g.events);
    assert.deepEqual(r.worker.events, r.inline.events);
    assert.equal(r.worker.report, r.inline.report);
  } finally {
    if (saved === undefined) delete process.env['BLKAUDIT_PARSE_WORKERS'];
    else process.env['BLKAUDIT_PARSE_WORKERS'] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker = main thread on stdin in uneven chunks (coalesced into larger messages)', async () => {
  const dir = tempDir('blkaudit-worker-test-');
  try {
    const g = generate({ outDir: dir, events: 40000, cpus: 2, seed: 13, text: true });
    const text = damage(readFileSync(g.textPath!), 5);
    const r = rng(8);
    const sizes: number[] = [];
    for (let at = 0; at < text.length;) {
      const n = 1 + Math.floor(r() * (r() < 0.5 ? 300 : 400_000));
      sizes.push(n);
      at += n;
    }
    const run = async (parseWorker: boolean) => {
      let at = 0;
      const chunks = sizes.map((n) => text.subarray(at, (at += n)));
      const events: BlockEvent[] = [];
      const report = await analyze(['-'], { stdin: Readable.from(chunks), parseWorker, onEvent: (e) => events.push(copyEvent(e)) });
      return { events, report: JSON.stringify(report) };
    };
    const inline = await run(false);
    const worker = await run(true);
    assert.ok(inline.events.length > 30000);
    assert.deepEqual(worker.events, inline.events);
    assert.equal(worker.report, inline.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs fn with a text file split in `block`-byte blocks over `workers` parse workers. */
async function inBlocks<T>(workers: number, block: number, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.BLKAUDIT_PARSE_WORKERS;
  process.env.BLKAUDIT_PARSE_WORKERS = String(workers);
  setBlockBytes(block);
  try {
    return await fn();
  } finally {
    setBlockBytes(DEFAULT_BLOCK_BYTES);
    if (saved === undefined) delete process.env.BLKAUDIT_PARSE_WORKERS;
    else process.env.BLKAUDIT_PARSE_WORKERS = saved;
  }
}

test('blocks parsed by several workers = one parser: fixtures, summary trailers, tiny blocks', async () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'));
  for (const f of files) {
    const size = readFileSync(join(FIXTURES, f)).length;
    // blocks of 1 byte up to half the file: every line crosses or starts a block somewhere
    for (const [workers, block] of [[2, 1], [3, 97], [2, Math.max(1, size >> 1)], [4, 4096]] as const) {
      const { inline, worker } = await inBlocks(workers, block, () => both(join(FIXTURES, f)));
      assert.ok(inline.events.length > 0, f);
      assert.deepEqual(worker.events, inline.events, `${f} workers=${workers} block=${block}`);
      assert.equal(worker.report, inline.report, `${f} workers=${workers} block=${block}`);
    }
  }
});

test('blocks: repeated lines, time going backwards, long lines, CRLF and no final newline across block joins', async () => {
  const dir = tempDir('blkaudit-worker-test-');
  try {
    const g = generate({ outDir: dir, events: 30000, cpus: 2, seed: 17, text: true });
    const lines = readFileSync(g.textPath!, 'latin1').split('\n');
    const r = rng(23);
    const out: string[] = [];
    for (const l of lines) {
      out.push(l);
      const x = r();
      if (x < 0.02) out.push(l); // doubled: counted once, read once
      else if (x < 0.03) out.push(lines[Math.floor(r() * lines.length)]!); // an older line: time goes backwards
      else if (x < 0.032) out.push('x'.repeat(3000)); // a long line that is no event
      else if (x < 0.034) out.push(l + '\r'); // CRLF
    }
    const path = join(dir, 'joined.txt');
    writeFileSync(path, out.join('\n').replace(/\n+$/, ''), 'latin1'); // no final newline
    for (const [workers, block] of [[2, 1000], [3, 5000], [2, 65536]] as const) {
      const { inline, worker } = await inBlocks(workers, block, () => both(path));
      assert.match(inline.report, /event line repeated/);
      assert.match(inline.report, /time went backwards/);
      assert.deepEqual(worker.events, inline.events, `workers=${workers} block=${block}`);
      assert.equal(worker.report, inline.report, `workers=${workers} block=${block}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an afterChunk that throws stops reading, in one thread and with workers (output gone: events | head)', async () => {
  const dir = tempDir('blkaudit-worker-test-');
  try {
    const g = generate({ outDir: dir, events: 200000, cpus: 2, seed: 3, text: true });
    for (const [label, parseWorker] of [['one thread', false], ['workers', true]] as const) {
      for (const input of [g.textPath!, join(dir, g.dev)]) {
        let seen = 0;
        let calls = 0;
        const stop = Object.assign(new Error('output closed'), { code: 'EPIPE' });
        await assert.rejects(
          inBlocks(2, 1 << 16, () =>
            analyze([input], {
              parseWorker,
              stages: [],
              onEvent: () => void seen++,
              afterChunk: () => {
                if (++calls === 2) throw stop;
              },
            }),
          ),
          (err) => err === stop,
          `${label} ${input}`,
        );
        assert.ok(seen < g.events / 2, `${label} ${input}: stopped early (${seen} of ${g.events} events)`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker decision: opt-in, format, size, stdin', async () => {
  const big = { path: '-', headBytes: HEAD_BYTES };
  const fixture = join(FIXTURES, readdirSync(FIXTURES)[0]!);
  assert.ok(readFileSync(fixture).length < WORKER_MIN_BYTES);
  const saved = process.env.BLKAUDIT_PARSE_WORKER;
  const withEnv = async (v: string | undefined, fn: () => Promise<void>) => {
    if (v === undefined) delete process.env.BLKAUDIT_PARSE_WORKER;
    else process.env.BLKAUDIT_PARSE_WORKER = v;
    try {
      await fn();
    } finally {
      if (saved === undefined) delete process.env.BLKAUDIT_PARSE_WORKER;
      else process.env.BLKAUDIT_PARSE_WORKER = saved;
    }
  };
  await withEnv(undefined, async () => {
    // by default a large input goes to a worker when a second CPU is there to run it
    assert.equal(await useWorker(blkparseFormat, big), false, 'a stream: off by default');
    assert.equal(await useWorker(blkparseFormat, { path: fixture, headBytes: HEAD_BYTES }), false, 'a small file stays inline');
    // a large regular file (sparse: only its size is looked at) goes to workers when two CPUs are there
    const dir = tempDir('blkaudit-worker-test-');
    try {
      const large = join(dir, 'large.txt');
      writeFileSync(large, readFileSync(fixture));
      truncateSync(large, WORKER_MIN_BYTES);
      assert.equal(await useWorker(blkparseFormat, { path: large, headBytes: HEAD_BYTES }), availableParallelism() >= 2, 'a large file');
      assert.equal(await useSetWorker([large], undefined), availableParallelism() >= 2, 'a large set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(await useWorker(blkparseFormat, { path: '-', headBytes: 100 }), false, 'a small stream stays inline');
    assert.equal(await useWorker(blkparseFormat, { path: fixture, headBytes: 100, parseWorker: true }), true, 'asked for');
    assert.equal(await useWorker({ ...blkparseFormat, name: 'csv' }, { ...big, parseWorker: true }), false, 'only listed formats');
  });
  await withEnv('1', async () => {
    assert.equal(await useWorker(blkparseFormat, big), true, 'a large stream');
    assert.equal(await useWorker(blkparseFormat, { path: '-', headBytes: 100 }), false, 'a small stream stays inline');
    assert.equal(await useWorker(blkparseFormat, { path: fixture, headBytes: HEAD_BYTES }), false, 'a small file stays inline');
    assert.equal(await useWorker(blkparseFormat, { ...big, parseWorker: false }), false, 'the option wins');
  });
  await withEnv('0', async () => {
    assert.equal(await useWorker(blkparseFormat, big), false, 'turned off');
    assert.equal(await useWorker(blkparseFormat, { ...big, parseWorker: true }), true, 'the option wins');
    assert.equal(await useSetWorker([fixture], undefined), false, 'a set: turned off');
  });
  await withEnv('1', async () => {
    assert.equal(await useSetWorker([fixture], undefined), false, 'a small set stays inline');
    assert.equal(await useSetWorker([fixture], true), true, 'a set: the option wins');
  });
});
