/**
 * Correctness of the bench's trace generator and harness (no timing here):
 *  - the per-CPU files are valid blk_io_trace streams (magic, per-CPU
 *    sequence from 1, cpu field, time order, pdu lengths) and the counts agree;
 *  - the same seed gives the same bytes;
 *  - the blkparse text reader reads the generated text with nothing skipped,
 *    and every event matches its binary record;
 *  - with blkparse installed: the real blkparse prints the same event lines
 *    and counts the same number of events;
 *  - measure() pipes a whole file into a child (no byte taken by the parent)
 *    and reports exit codes; argument parsing and the result tables;
 *  - replay.js replays the first N events of a real capture (all of them
 *    when it has fewer) into each row, and refuses a row it does not know.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../bench/gen.js';
import { MAGIC, RECORD_SIZE, TA, TC } from '../bench/records.js';
import { measure, median } from '../bench/measure.js';
import { parseArgs, parseCount } from '../bench/run.js';
import { ROWS } from '../bench/rows.js';
import { dropExtraCaCerts, machineProbe, PROBE_SOURCE } from '../bench/probe.js';
import { markdownTable, memoryTable, verdicts, type RowResult } from '../bench/table.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import type { BlkparseSummary } from '../src/formats/blkparse/summary.js';
import { Act } from '../src/model/event.js';
import { analyze } from '../src/index.js';
import { fileURLToPath } from 'node:url';
import { parseBuffer } from './helpers/chunking.js';
import { tempDir } from './helpers/tmp.js';

interface Rec {
  cpu: number;
  seq: number;
  time: number;
  sector: number;
  bytes: number;
  action: number;
  pid: number;
  pduLen: number;
}

/** Walks one per-CPU file; asserts the framing as it goes. */
function records(file: Buffer): Rec[] {
  const out: Rec[] = [];
  let off = 0;
  while (off < file.length) {
    assert.ok(off + RECORD_SIZE <= file.length, `truncated record at ${off}`);
    assert.equal(file.readUInt32LE(off), MAGIC, `magic at ${off}`);
    const pduLen = file.readUInt16LE(off + 46);
    out.push({
      seq: file.readUInt32LE(off + 4),
      time: file.readUInt32LE(off + 12) * 2 ** 32 + file.readUInt32LE(off + 8),
      sector: file.readUInt32LE(off + 20) * 2 ** 32 + file.readUInt32LE(off + 16),
      bytes: file.readUInt32LE(off + 24),
      action: file.readUInt32LE(off + 28),
      pid: file.readUInt32LE(off + 32),
      cpu: file.readUInt32LE(off + 40),
      pduLen,
    });
    off += RECORD_SIZE + pduLen;
  }
  return out;
}

const isNote = (r: Rec) => ((r.action >>> 16) & TC.NOTIFY) !== 0;

function withDir(fn: (dir: string) => void): void {
  const dir = tempDir('blkaudit-bench-test-');
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withDirAsync(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('blkaudit-bench-test-');
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasBlkparse = spawnSync('blkparse', ['-V'], { stdio: 'ignore' }).status === 0;

test('generator: valid per-CPU blk_io_trace files whose counts agree', () => {
  withDir((dir) => {
    const g = generate({ outDir: dir, events: 20000, cpus: 3, seed: 7, text: true });
    assert.equal(g.files.length, 3);
    let events = 0;
    let notes = 0;
    let bytes = 0;
    const acts = new Map<number, number>();
    let bioQueues = 0;
    for (const [cpu, path] of g.files.entries()) {
      const data = readFileSync(path);
      bytes += data.length;
      let seq = 0;
      let last = 0;
      for (const r of records(data)) {
        assert.equal(r.cpu, cpu, 'cpu field = file index');
        assert.ok(r.time >= last, 'time order within a CPU file');
        last = r.time;
        if (isNote(r)) {
          notes++;
          assert.equal(r.pduLen, (r.action & 0xffff) === 0 ? 16 : 8, 'PROCESS comm / TIMESTAMP pdu');
          continue;
        }
        events++;
        assert.equal(r.seq, ++seq, 'per-CPU sequence numbers from 1 without gaps');
        const a = r.action & 0xffff;
        acts.set(a, (acts.get(a) ?? 0) + 1);
        if (a === TA.Q && r.bytes > 0) bioQueues++;
        const pdu = a === TA.A ? 16 : a === TA.X || a === TA.U || a === TA.UT ? 8 : 0;
        assert.equal(r.pduLen, pdu, `pdu length of action ${a}`);
      }
    }
    assert.equal(events, g.events);
    assert.equal(notes, g.notes);
    assert.equal(bytes, g.binaryBytes);
    assert.ok(g.events >= 20000 && g.events < 20200, `stops right after the target (${g.events})`);
    // every story's actions occur (seed 7 draws at least one requeue)
    for (const a of [TA.Q, TA.M, TA.G, TA.RQ, TA.D, TA.C, TA.P, TA.U, TA.UT, TA.I, TA.X, TA.A]) {
      assert.ok((acts.get(a) ?? 0) > 0, `action ${a} present`);
    }
    // one remap per data bio on the partition (empty flushes carry none)
    assert.equal(acts.get(TA.A), bioQueues);
  });
});

test('generator: the same seed gives the same bytes, another seed does not', () => {
  withDir((dir) => {
    const a = generate({ outDir: join(dir, 'a'), events: 3000, cpus: 2, seed: 3 });
    const b = generate({ outDir: join(dir, 'b'), events: 3000, cpus: 2, seed: 3 });
    const c = generate({ outDir: join(dir, 'c'), events: 3000, cpus: 2, seed: 4 });
    for (let i = 0; i < 2; i++) assert.ok(readFileSync(a.files[i]!).equals(readFileSync(b.files[i]!)));
    assert.ok(!readFileSync(a.files[0]!).equals(readFileSync(c.files[0]!)));
  });
});

test('generator text: read with nothing skipped, each event matching its binary record', () => {
  withDir((dir) => {
    const g = generate({ outDir: dir, events: 5000, cpus: 2, seed: 11, text: true });
    const r = parseBuffer(blkparseFormat, readFileSync(g.textPath!));
    assert.equal(r.diag.total, 0, JSON.stringify(r.diag.list()));
    assert.equal(r.events.length, g.events);
    const bin = g.files.map((f) => records(readFileSync(f)).filter((x) => !isNote(x)));
    const genesis = Math.min(...bin.map((recs) => recs[0]!.time));
    for (const e of r.events) {
      const rec = bin[e.cpu]![e.seq - 1]!;
      assert.equal(e.time, rec.time - genesis, `time of line ${e.loc}`);
      assert.equal(e.act === Act.UnplugTimer ? TA.UT : e.act, rec.action & 0xffff);
      assert.equal(e.pid, rec.pid);
      if (e.act === Act.Complete) {
        assert.equal(e.sector, rec.sector);
        assert.equal(e.bytes, rec.bytes);
      } else if (rec.bytes > 0 && e.act !== Act.Plug && e.act !== Act.Unplug && e.act !== Act.UnplugTimer) {
        assert.equal(e.sector, rec.sector, `sector of line ${e.loc}`);
        if (e.act !== Act.Split) assert.equal(e.bytes, rec.bytes);
      }
    }
  });
});

test('generator text = real blkparse event lines (when blkparse is installed)', (t) => {
  if (!hasBlkparse) {
    t.skip('blkparse not installed');
    return;
  }
  withDir((dir) => {
    const g = generate({ outDir: dir, events: 8000, cpus: 4, seed: 5, text: true });
    const real = join(dir, 'real.txt');
    const res = spawnSync('blkparse', ['-D', dir, '-i', 'sdb', '-o', real], { stdio: 'ignore' });
    assert.equal(res.status, 0);
    const realText = readFileSync(real, 'latin1');
    const cut = realText.search(/^CPU\d+ \(/m);
    const realLines = realText.slice(0, cut).split('\n').filter(Boolean).sort();
    const ours = readFileSync(g.textPath!, 'latin1').split('\n').filter(Boolean).sort();
    assert.equal(ours.length, g.events);
    assert.deepEqual(ours, realLines);
    const summary = parseBuffer(blkparseFormat, Buffer.from(realText, 'latin1')).attachments['blkparse-summary'] as BlkparseSummary;
    assert.equal(summary.events['sdb'], g.events, 'blkparse counts the same events');
  });
});

test('measure: a pipe delivers every byte to the child; exit codes and timings reported', async () => {
  await withDirAsync(async (dir) => {
    const file = join(dir, 'in.bin');
    const size = 3 * (1 << 20) + 17;
    writeFileSync(file, Buffer.alloc(size, 0x61));
    const counter = `let n=0;process.stdin.on('data',d=>n+=d.length).on('end',()=>{process.exitCode=n===${size}?0:3})`;
    const m = await measure({ argv: [process.execPath, '-e', counter], stdinFile: file });
    assert.equal(m.exitCode, 0, m.stderrTail);
    assert.ok(m.wallS > 0);
    assert.ok(m.rssMiB > 1 || m.rssSource === 'none', `rss ${m.rssMiB} from ${m.rssSource}`);
    const failed = await measure({ argv: [process.execPath, '-e', 'process.stderr.write("boom\\n");process.exit(2)'] });
    assert.equal(failed.exitCode, 2);
    assert.equal(failed.stderrTail, 'boom');
  });
});

test('bench options, medians and tables', () => {
  assert.equal(parseCount('10M'), 10_000_000);
  assert.equal(parseCount('500k'), 500_000);
  assert.equal(parseCount('2e6'), 2_000_000);
  assert.throws(() => parseCount('0'));
  assert.throws(() => parseCount('ten'));
  const o = parseArgs(['--events', '1M', '--runs', '5', '--rows', 'check-file,blkparse', '--memory', '--sizes', '1M,2M']);
  assert.deepEqual([o.events, o.runs, o.rows, o.memory, o.sizes], [1e6, 5, ['check-file', 'blkparse'], true, [1e6, 2e6]]);
  assert.throws(() => parseArgs(['--rows', 'nope']), /unknown row/);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown argument/);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));

  const run = (wallS: number, rssMiB: number) => ({ wallS, cpuS: wallS, rssMiB, exitCode: 0, stderrTail: '', rssSource: 'time' as const });
  const row = (id: string) => ROWS.find((r) => r.id === id)!;
  const results: RowResult[] = [
    { row: row('check-file'), events: 10e6, inputBytes: 760e6, runs: [run(2, 80), run(3, 90), run(4, 100)] },
    { row: row('blkparse'), events: 10e6, inputBytes: 526e6, runs: [run(20, 3)] },
    { row: row('btt'), events: 10e6, inputBytes: 526e6, runs: [], skipped: 'btt not installed' },
  ];
  const table = markdownTable(results);
  assert.match(table, /\| check-file \| blkparse text \| 760 \| 3\.00 \| 3\.33 M \| 253 \| 3\.00 \| 90 \|/);
  assert.match(table, /\| btt \| blkparse -d dump \| \| \| skipped: btt not installed/);
  const v = verdicts(results, 10e6);
  assert.deepEqual(v.filter((x) => x.ok !== undefined).map((x) => [x.text.split(' ')[0], x.ok]), [
    ['check-file', true], ['check-file', true], ['check-file', true],
  ]);
  const mem = memoryTable([5e6, 20e6], new Map([['check-file', new Map([[5e6, [run(1, 80)]], [20e6, [run(4, 120)]]])]]));
  assert.equal(mem.flat.length, 1);
  assert.equal(mem.flat[0]!.ok, false, '80 → 120 MiB is not flat');
});

test('replay: the first N events of a capture (or all) replayed into each row; an unknown row is a usage error', async () => {
  const replay = fileURLToPath(new URL('../bench/replay.js', import.meta.url));
  const trace = fileURLToPath(new URL('../../fixtures/blkparse/raw-odirect-dsync.loop1.blkparse.txt', import.meta.url));
  const all = (await analyze([trace], { stages: [] })).inputs[0]!.events;
  assert.ok(all > 100 && all < 1000);
  for (const row of ['none', 'track', 'check', 'stats']) {
    for (const [asked, got] of [['100', 100], ['1k', all]] as const) {
      const r = spawnSync(process.execPath, [replay, trace, '--events', asked, '--reps', '2', '--row', row], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${row}: ${got} events, min \\d+ ms, median \\d+ ms CPU, [\\d.]+ ns/event \\(min\\)\\n$`));
    }
  }
  const bad = spawnSync(process.execPath, [replay, trace, '--row', 'tracker'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage: replay\.js/);
});

test('machine probe: a positive CPU time from fresh processes; NODE_EXTRA_CA_CERTS dropped only when set', async () => {
  const ms = await machineProbe(2);
  assert.ok(Number.isFinite(ms) && ms > 0 && ms < 60_000, `probe ${ms} ms`);
  // the workload checks its own result: a broken one makes the probe NaN, not a fast machine
  const r = spawnSync(process.execPath, ['-e', PROBE_SOURCE], { encoding: 'utf8' });
  assert.match(r.stdout, /^\d+\.\d ok$/);
  const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', PATH: '/bin' };
  assert.equal(dropExtraCaCerts(env), true);
  assert.deepEqual(env, { PATH: '/bin' });
  assert.equal(dropExtraCaCerts(env), false);
});
