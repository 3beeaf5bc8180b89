/**
 * The CLI's handling of unusable and awkward input: clear messages naming the
 * file, exit 2 for unusable input, never a stack trace; EPIPE ends quietly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BIN, ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const FIX = join(ROOT, 'fixtures/blkparse/raw-odirect-dsync.loop1.blkparse.txt');
const tmp = tempDir('blkaudit-cli-');

function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace reaches the user');
}

test('a missing file: exit 2, message names it', async () => {
  const r = await runCli(['events', join(tmp, 'nope.txt')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.txt: no such file or directory/);
  noStack(r.stderr);
});

test('an unreadable path (through a regular file) and a directory without traces: exit 2', async () => {
  const r = await runCli(['events', join(FIX, 'child')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a directory/);
  const d = await runCli(['events', tmp]);
  assert.equal(d.code, 2);
  assert.match(d.stderr, /is a directory with no blktrace per-CPU files/);
  noStack(d.stderr);
});

test('an empty file and an empty stdin: exit 2, "empty"', async () => {
  const p = join(tmp, 'empty.txt');
  writeFileSync(p, '');
  const r = await runCli(['events', p]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /empty\.txt is empty/);
  const s = await runCli(['events', '-'], '');
  assert.equal(s.code, 2);
  assert.match(s.stderr, /- is empty/);
  noStack(s.stderr);
});

test('a file that is no trace at all is refused', async () => {
  const p = join(tmp, 'prose.txt');
  writeFileSync(p, 'Dear colleagues,\nplease find attached the minutes.\n');
  const r = await runCli(['events', p]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /prose\.txt is not a trace blkaudit can read/);
});

test('stdin, a gzip file and CRLF line endings give the same events as the file', async () => {
  const data = readFileSync(FIX);
  const ref = await runCli(['events', '--csv', FIX]);
  assert.equal(ref.code, 0);
  const strip = (s: string) => s.split('\n').map((l) => l.replace(/^[^,]*,/, '')).join('\n');
  const viaStdin = await runCli(['events', '--csv', '-'], data);
  assert.equal(strip(viaStdin.stdout), strip(ref.stdout));
  const gz = join(tmp, 'trace.gz');
  writeFileSync(gz, gzipSync(data));
  const viaGz = await runCli(['events', '--csv', gz]);
  assert.equal(strip(viaGz.stdout), strip(ref.stdout));
  const crlf = await runCli(['events', '--csv', '-'], data.toString('latin1').replace(/\n/g, '\r\n'));
  assert.equal(strip(crlf.stdout), strip(ref.stdout));
});

test('a 10 MB line and binary garbage inside text are counted, the run goes on', async () => {
  const data = readFileSync(FIX, 'latin1').split('\n');
  data.splice(50, 0, 'x'.repeat(10 * 1024 * 1024));
  data.splice(60, 0, '\u0000\u00ff\u00fe garbage \u0001\u0002');
  const r = await runCli(['events', '--csv', '-'], Buffer.from(data.join('\n'), 'latin1'));
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim().split('\n').length - 1, 415);
  assert.match(r.stderr, /1 × line too long/);
  assert.match(r.stderr, /1 × blkparse: not an event line \(first: -:61\)/);
  const strict = await runCli(['events', '--strict', '-'], Buffer.from(data.join('\n'), 'latin1'));
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /--strict: 2 record\(s\) of - could not be used/);
});

test('invalid UTF-8 and escape sequences in a process name never reach the terminal raw', async () => {
  const line = Buffer.concat([
    Buffer.from('  7,1    0        1     0.000000000  42  Q  WS 8 + 8 [evil\u001b]0;pwned\u0007'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(']\n'),
  ]);
  const r = await runCli(['events', '--csv', '-'], line);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stdout, /\u001b/, 'CSV output carries no raw ESC');
  const j = await runCli(['events', '-'], line);
  const rec = JSON.parse(j.stdout) as { comm: string };
  assert.match(rec.comm, /^evil\u001b\]0;pwned\u0007\ufffd\ufffd$/, 'JSON keeps the name, escaped by JSON');
  assert.doesNotMatch(j.stdout, /\u001b/);
});

test('output piped into a reader that goes away (| head) ends quietly with success', async () => {
  const big = readFileSync(FIX, 'latin1').repeat(200);
  const child = spawn(process.execPath, [BIN, 'events', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  child.stdin.end(big);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(stderr, '');
});

test('usage errors exit 2; --help and --version exit 0', async () => {
  assert.equal((await runCli(['events', '--no-such-option', FIX])).code, 2);
  assert.equal((await runCli(['no-such-command'])).code, 2);
  assert.equal((await runCli(['events', '--format', 'nonsense', FIX])).code, 2);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Exit codes: 0 clean/);
  assert.equal((await runCli(['--version'])).code, 0);
});

test('a capture directory given as input: exit 2 naming what inside it can be read (its blktrace/ per-CPU files, its trace files)', async () => {
  const { cpSync, mkdirSync, rmSync } = await import('node:fs');
  const dir = tempDir('blkaudit-capdir-');
  try {
    mkdirSync(join(dir, 'blktrace'));
    cpSync(join(ROOT, 'fixtures/blktrace/raw-odirect-dsync'), join(dir, 'blktrace'), { recursive: true });
    writeFileSync(join(dir, 'loop1.blkparse.txt'), readFileSync(join(ROOT, 'fixtures/check/real/host-ext4-fsync/loop1.blkparse.txt')));
    writeFileSync(join(dir, 'notes.md'), 'not a trace\n');
    const r = await runCli(['check', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is a directory with no blktrace per-CPU files; it holds .*blktrace \(per-CPU blktrace files\), .*loop1\.blkparse\.txt/);
    assert.doesNotMatch(r.stderr, /notes\.md/);
    // and what it names can be read
    assert.equal((await runCli(['check', join(dir, 'blktrace')])).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a per-CPU set named every way the README lists: directory, base name, NAME.blktrace, a member — the same report', async () => {
  const d = join(ROOT, 'fixtures/blktrace/raw-odirect-dsync');
  const ways = [d, join(d, 'loop1'), join(d, 'loop1.blktrace'), join(d, 'loop1.blktrace.'), join(d, 'loop1.blktrace.1')];
  const outs: string[] = [];
  for (const w of ways) {
    const r = await runCli(['stats', '--json', w]);
    assert.equal(r.code, 0, `${w}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as { devices: unknown[] };
    outs.push(JSON.stringify(j.devices));
  }
  assert.match(outs[0]!, /"7,1"/, 'loop1 read');
  for (const o of outs) assert.equal(o, outs[0]);
  // a name with no set behind it is still an unreadable input
  const none = await runCli(['stats', join(d, 'loop9.blktrace')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no such file/);
});
