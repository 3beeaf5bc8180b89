/**
 * Issue 8, the hostile-input catalogue: each broken input has one named test
 * with a clear, exact outcome (a counter in report.skipped with its first
 * file:line / file:@offset, or the CLI's exit code and message). Inputs are
 * real captures (fixtures/blkparse, fixtures/blktrace) cut, doubled, reversed
 * or concatenated here, plus fixtures/hostile (see its README).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/index.js';
import type { Report } from '../src/model/report.js';
import { ROOT, runCli } from './helpers/cli.js';
import { VERSION } from '../src/version.js';
import { spawnSync } from 'node:child_process';
import { tempDir } from './helpers/tmp.js';

const BLKPARSE = join(ROOT, 'fixtures/blkparse/raw-odirect-dsync.loop1.blkparse.txt');
const BLKTRACE = join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/loop1.blktrace.0');
const WILD01 = join(ROOT, 'fixtures/blktrace/wild-01-dm-partition-remap-chain/01-centos7-sda-mynotes');
const HOSTILE = join(ROOT, 'fixtures/hostile');
const tmp = tempDir('blkaudit-hostile-');

/** The 415 event lines of the real loop1 capture (without its summary block). */
const EVENTS = readFileSync(BLKPARSE, 'latin1').split('\n').filter((l) => l.startsWith('  7,1 '));

function write(name: string, data: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

async function run(path: string, stages = ['stats', 'check']): Promise<Report> {
  return analyze([path], { stages });
}

function firstExample(r: Report, reason: string): { loc: number; source: string } {
  const entry = r.diagnostics.find((d) => d.reason === reason);
  assert.ok(entry, `diagnostic "${reason}" present`);
  const ex = (entry as unknown as { examples: Array<{ loc: number; source: string }> }).examples[0];
  assert.ok(ex, 'with a first example');
  return ex;
}

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace reaches the user');
}

test('fixture sanity: 415 event lines', () => {
  assert.equal(EVENTS.length, 415);
});

test('truncated last line (text): counted with its line number, every whole line read', async () => {
  const text = EVENTS.join('\n') + '\n';
  const p = write('trunc.blkparse.txt', text.slice(0, text.length - 10));
  const r = await run(p);
  assert.equal(r.inputs[0]!.events, 414);
  assert.deepEqual(Object.keys(r.skipped).filter((k) => k.startsWith('blkparse')), ['blkparse: unreadable RWBS']);
  assert.equal(r.skipped['blkparse: unreadable RWBS'], 1);
  assert.equal(firstExample(r, 'blkparse: unreadable RWBS').loc, 415);
});

test('truncated last record (binary, CLI): counter with the byte offset, exit 0, the rest read', async () => {
  const p = write('cut.blktrace.0', readFileSync(BLKTRACE).subarray(0, 20000));
  const r = await runCli(['stats', p, '--json']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /1 × blktrace: truncated record at end of input \(first: .*cut\.blktrace\.0:@19976\)/);
  const rep = JSON.parse(r.stdout) as { skipped: Record<string, number>; inputs: Array<{ events: number }> };
  assert.equal(rep.skipped['blktrace: truncated record at end of input'], 1);
  noStack(r.stderr);
  const strict = await runCli(['stats', p, '--strict']);
  assert.equal(strict.code, 2, '--strict refuses the cut record');
});

test('text where binary was expected (--format blktrace on blkparse text): bad magic at @0, nothing invented, exit 2', async () => {
  const r = await runCli(['events', '--format', 'blktrace', BLKPARSE]);
  // no event could be read at all: an unreadable input (exit 2), not "0 events" (issue 12)
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '', 'no events printed');
  assert.match(r.stderr, /loop1\.blkparse\.txt: no event could be read \(1 unreadable record as blktrace; first: blktrace: bad magic, rest of input not read at offset 0\)/);
  const strict = await runCli(['events', '--strict', '--format', 'blktrace', BLKPARSE]);
  assert.equal(strict.code, 2);
  noStack(strict.stderr);
});

test('binary garbage given as text: refused when detected, every line counted when forced', async () => {
  // 64 lines of 63 pseudo-random bytes with no CR/LF
  let x = 12345;
  const buf = Buffer.alloc(64 * 64);
  for (let i = 0; i < buf.length; i++) {
    if (i % 64 === 63) buf[i] = 10;
    else {
      x = (x * 1103515245 + 12345) >>> 0;
      let b = (x >>> 16) & 255;
      if (b === 10 || b === 13) b = 0;
      buf[i] = b;
    }
  }
  const p = write('garbage.bin', buf);
  const detected = await runCli(['stats', p]);
  assert.equal(detected.code, 2);
  assert.match(detected.stderr, /garbage\.bin is not a trace blkaudit can read/);
  noStack(detected.stderr);
  // forced: every line is counted, and since none was an event the input is refused as unreadable
  await assert.rejects(
    analyze([p], { format: 'blkparse', stages: ['stats', 'check'] }),
    /garbage\.bin: no event could be read \(64 unreadable lines as blkparse; first: blkparse: not an event line at line 1\)/,
  );
});

test('wrong magic (blktrace with its magic byte flipped): counted at @0, --strict exits 2', async () => {
  const data = Buffer.from(readFileSync(BLKTRACE));
  data[3] = data[3]! ^ 0xff; // 0x65 of BLK_IO_TRACE_MAGIC 0x65617400 (little-endian file)
  const p = write('badmagic.blktrace.0', data);
  // nothing before the bad magic: no event could be read, so the input is unreadable (exit 2), said with where
  const r = await runCli(['stats', p, '--json']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /badmagic\.blktrace\.0: no event could be read \(1 unreadable record as blktrace; first: blktrace: bad magic, rest of input not read at offset 0\)/);
  assert.equal((await runCli(['stats', '--strict', p])).code, 2);
});

test('timestamps going backwards: every late line counted (info), all events still read', async () => {
  const p = write('backwards.blkparse.txt', [...EVENTS].reverse().join('\n') + '\n');
  const r = await run(p);
  assert.equal(r.inputs[0]!.events, 415);
  assert.equal(r.skipped['time went backwards'], 414);
  assert.equal(firstExample(r, 'time went backwards').loc, 2);
});

test('duplicated events (every blkparse line doubled): each repeat counted, stats equal the original', async () => {
  const p = write('doubled.blkparse.txt', EVENTS.flatMap((l) => [l, l]).join('\n') + '\n');
  const orig = write('orig.blkparse.txt', EVENTS.join('\n') + '\n');
  const r = await run(p);
  const o = await run(orig);
  const reason = 'blkparse: event line repeated (same device, CPU, sequence, time and action as the line before)';
  assert.equal(r.skipped[reason], 415);
  assert.equal(firstExample(r, reason).loc, 2);
  assert.equal(r.inputs[0]!.events, 415);
  assert.deepEqual(r.devices.map((d) => d['stats']), o.devices.map((d) => d['stats']));
  assert.deepEqual(r.findings.map((f) => f.rule), o.findings.map((f) => f.rule));
});

test('completions with no issue (only the C lines): counted by the tracker, info finding', async () => {
  const p = write('conly.blkparse.txt', EVENTS.filter((l) => l.split(/\s+/)[6] === 'C').join('\n') + '\n');
  const r = await run(p);
  assert.equal(r.inputs[0]!.events, 123);
  assert.equal(r.skipped['track: completion without issue'], 37);
  assert.equal(r.skipped['track: 0-byte completion without a waiting request'], 43);
  assert.equal(r.skipped['track: flush completion without flush issue'], 43);
  assert.ok(r.findings.some((f) => f.rule === 'completion-without-issue' && f.severity === 'info'));
});

test('requests never completed (C lines removed): in-flight counter and an info finding', async () => {
  const p = write('noc.blkparse.txt', EVENTS.filter((l) => l.split(/\s+/)[6] !== 'C').join('\n') + '\n');
  const r = await run(p);
  assert.equal(r.inputs[0]!.events, 292);
  assert.equal(r.skipped['track: requests in flight at end of trace'], 69);
  assert.deepEqual(r.findings.map((f) => `${f.severity}:${f.rule}`), ['info:requests-in-flight-at-end']);
});

test('two formats concatenated (blkparse then tracepoint text): the second part is counted, not silently read', async () => {
  const r = await run(join(HOSTILE, 'blkparse-then-tracepoint.txt'));
  assert.equal(r.inputs[0]!.format, 'blkparse');
  assert.equal(r.inputs[0]!.events, 60);
  assert.equal(r.skipped['blkparse: not an event line'], 40);
  assert.equal(firstExample(r, 'blkparse: not an event line').loc, 61);
});

test('a blkparse summary block in the middle of a stream: events after it still read', async () => {
  const r = await run(join(HOSTILE, 'summary-mid-stream.blkparse.txt'));
  assert.equal(r.inputs[0]!.events, 120);
  assert.deepEqual(Object.keys(r.skipped).filter((k) => k.startsWith('blkparse')), []);
  assert.ok(r.attachments[r.inputs[0]!.path]?.['blkparse-summary'], 'the summary is kept as an attachment');
});

test('blktrace set with CPU 0 missing: exit 2 naming the file present; with a gap: later CPUs counted as ignored', async () => {
  const miss = join(tmp, 'miss0');
  mkdirSync(miss);
  copyFileSync(`${WILD01}.blktrace.1`, join(miss, 'sda.blktrace.1'));
  for (const arg of [miss, join(miss, 'sda')]) {
    const r = await runCli(['stats', arg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sda\.blktrace\.1 present but CPU 0 is missing/);
    noStack(r.stderr);
  }
  const gap = join(tmp, 'gap');
  mkdirSync(gap);
  copyFileSync(`${WILD01}.blktrace.0`, join(gap, 'sda.blktrace.0'));
  copyFileSync(`${WILD01}.blktrace.1`, join(gap, 'sda.blktrace.2'));
  const r = await runCli(['stats', gap, '--json']);
  assert.equal(r.code, 0);
  const rep = JSON.parse(r.stdout) as { skipped: Record<string, number>; inputs: Array<{ events: number }> };
  assert.equal(rep.skipped['blktrace: per-CPU file after a missing CPU number (not read, as blkparse)'], 1);
  assert.equal(rep.inputs[0]!.events, 230, 'only CPU 0 read, as blkparse -i does');
});

test('an unreadable file (a directory given where a file is expected inside a path): exit 2, named', async () => {
  const r = await runCli(['check', join(BLKPARSE, 'x')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /loop1\.blkparse\.txt\/x/);
  noStack(r.stderr);
});

test('an unreadable file (opens, then every read fails: /proc/self/mem gives EIO): exit 2, named, no stack', async (t) => {
  if (process.platform !== 'linux') return t.skip('needs Linux /proc');
  const r = await runCli(['stats', '/proc/self/mem']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read \/proc\/self\/mem: EIO/);
  noStack(r.stderr);
});

test('--max-inflight: 50,000 queued requests never completed, limit 1000 — counters reported, run completes', async () => {
  let s = '';
  for (let i = 0; i < 50000; i++) {
    s += `  7,1    0 ${String(i + 1).padStart(8)} ${(i / 1e6).toFixed(9).padStart(14)}  100  Q   W ${i * 8} + 8 [dd]\n`;
  }
  const stats = await runCli(['stats', '-', '--max-inflight', '1000', '--json'], s);
  assert.equal(stats.code, 0);
  const sr = JSON.parse(stats.stdout) as { skipped: Record<string, number> };
  // the tracker drops the oldest half each time 1000 is passed: 98 × 501 dropped, 902 left
  assert.equal(sr.skipped['track: oldest requests dropped (too many in flight)'], 98 * 501);
  assert.equal(sr.skipped['track: requests in flight at end of trace'], 50000 - 98 * 501);
  const check = await runCli(['check', '-', '--max-inflight', '1000', '--json'], s);
  assert.equal(check.code, 0);
  const cr = JSON.parse(check.stdout) as { skipped: Record<string, number>; findings: Array<{ rule: string; details?: Record<string, number> }> };
  // one cap, one tracker: check drops exactly the bios stats drops, and says how many are still queued
  assert.equal(cr.skipped['check: oldest requests dropped (too many in flight)'], 98 * 501);
  const open = cr.findings.filter((f) => f.rule === 'requests-in-flight-at-end').map((f) => f.details ?? {});
  assert.deepEqual(open.map((d) => d['dropped'] ?? d['queued']), [98 * 501, 50000 - 98 * 501]);
  // default cap (65,536): nothing dropped from 50,000
  const dflt = JSON.parse((await runCli(['check', '-', '--json'], s)).stdout) as { skipped: Record<string, number> };
  assert.equal(dflt.skipped['check: oldest requests dropped (too many in flight)'], undefined);
  const bad = await runCli(['check', '-', '--max-inflight', '0'], s);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-inflight: expected a positive whole number/);
});

test('an internal error (forced: stdout.write throws) is said once, with the version, exit 2, no stack', () => {
  const main = new URL('../src/cli/main.js', import.meta.url).href;
  const script =
    `const { main } = await import(${JSON.stringify(main)});` +
    `process.stdout.write = () => { throw new Error('forced failure'); };` +
    `const code = await main(['node', 'blkaudit', 'events', ${JSON.stringify(BLKPARSE)}]);` +
    `process.stderr.write('code=' + code + '\\n');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const said = r.stderr.split(`blkaudit: internal error (blkaudit ${VERSION}): forced failure`).length - 1;
  assert.equal(said, 1, r.stderr);
  assert.match(r.stderr, /This is a bug in blkaudit, not in your trace/);
  assert.match(r.stderr, /code=2\n$/);
  noStack(r.stderr);
});
