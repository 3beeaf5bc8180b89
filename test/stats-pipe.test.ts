/**
 * `blkparse -i X | blkaudit stats -` gives the same result as
 * `blkaudit stats X.blkparse.txt`: stdin is read as a stream exactly like a
 * file. With blkparse installed, the pipe is the real one from the binary
 * per-CPU files; the stdin half always runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, runCli } from './helpers/cli.js';

const TXT = join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/loop1.blkparse.txt');
const SET = join(ROOT, 'fixtures/blktrace/raw-odirect-dsync/loop1');

function devices(stdout: string): unknown {
  const doc = JSON.parse(stdout) as { devices: Array<Record<string, unknown>> };
  // the input's name and the events' locations are the only things allowed to differ
  return doc.devices.map(({ device, blkparse, latency, latencyTrue, flushes }) => ({ device, blkparse, latency, latencyTrue, flushes }));
}

test('stats from stdin equals stats from the file', async () => {
  const file = await runCli(['stats', '--json', TXT]);
  const piped = await runCli(['stats', '--json', '-'], readFileSync(TXT));
  assert.equal(file.code, 0, file.stderr);
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(devices(piped.stdout), devices(file.stdout));
});

let blkparse: string | undefined;
try {
  blkparse = execFileSync('sh', ['-c', 'command -v blkparse'], { encoding: 'utf8' }).trim() || undefined;
} catch {
  blkparse = undefined;
}

test('the real blkparse pipe gives the same stats as the saved text and as the binary set', { skip: !blkparse && 'blkparse not installed' }, async () => {
  // blkparse 1.2.0 writes "-o -" to a file named "-": its default output is stdout
  const text = execFileSync(blkparse!, ['-i', SET], { maxBuffer: 64 << 20, cwd: tmpdir() });
  const piped = await runCli(['stats', '--json', '-'], text);
  const file = await runCli(['stats', '--json', TXT]);
  const binary = await runCli(['stats', '--json', SET]);
  assert.deepEqual(devices(piped.stdout), devices(file.stdout));
  assert.deepEqual(devices(binary.stdout), devices(file.stdout));
});
