/**
 * io/file-chunks.ts, the reader of plain files (in place of fs.createReadStream):
 * every byte once and in order, chunks of at most the chunk size, each its own
 * buffer; the descriptor closed at the end, on destroy() and on a read error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileChunks } from '../src/io/file-chunks.js';
import { openByteStream } from '../src/io/open.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const TRACE = join(ROOT, 'fixtures', 'check', 'real', 'host-ext4-fsync', 'loop1.blkparse.txt');

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 20));

/** Whether `fd` gets closed within `ms` (the close runs on libuv's thread pool: slow on a loaded machine). */
async function closedWithin(fd: number, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await tick()) if (!isOpen(fd)) return true;
  return !isOpen(fd);
}

test('every byte once, in order, in chunks of at most the chunk size, each its own buffer', async () => {
  const whole = readFileSync(TRACE);
  for (const size of [1 << 20, 65536, 4096, 1000, 7]) {
    const fd = openSync(TRACE, 'r');
    const chunks: Buffer[] = [];
    for await (const c of new FileChunks(fd, size)) chunks.push(c);
    assert.ok(chunks.every((c) => c.length > 0 && c.length <= size), `chunk size ${size}`);
    assert.ok(chunks.slice(0, -1).every((c) => c.length === size), 'only the last chunk is short');
    assert.ok(chunks.every((c) => c.buffer.byteLength === c.length), 'a short read is copied out of the big buffer');
    assert.deepEqual(Buffer.concat(chunks), whole);
    assert.equal(await closedWithin(fd), true, 'closed at the end of the file');
  }
});

test('an empty file gives no chunk', async () => {
  const dir = tempDir('blkaudit-chunks-');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  const chunks: Buffer[] = [];
  for await (const c of new FileChunks(openSync(empty, 'r'), 1024)) chunks.push(c);
  assert.deepEqual(chunks, []);
});

test('destroy() stops the reading and closes the file, also while a read is under way', { timeout: 10_000 }, async () => {
  // a FIFO opened read-write: a read waits until bytes are written, so a read is surely under way
  const dir = tempDir('blkaudit-chunks-');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+');
  const writer = openSync(fifo, 'r+'); // the bytes come from elsewhere, so a read under way returns whatever destroy() did
  writeSync(writer, 'first');
  const src = new FileChunks(fd, 1000);
  const it = src[Symbol.asyncIterator]();
  assert.equal(String((await it.next()).value), 'first');
  const pending = it.next(); // waits for bytes
  await tick();
  src.destroy();
  await tick();
  assert.equal(isOpen(fd), true, 'not closed under a read (the descriptor could be reused under it)');
  writeSync(writer, 'second');
  await pending;
  closeSync(writer);
  assert.equal(await closedWithin(fd), true, 'closed once the read returned, before the next is asked for');
  assert.equal((await it.next()).done, true, 'nothing read after destroy()');
});

test('a read error ends the iteration with the error and closes the file', async () => {
  const dir = tempDir('blkaudit-chunks-');
  const fd = openSync(dir, 'r'); // reading a directory: EISDIR
  await assert.rejects(async () => {
    for await (const c of new FileChunks(fd, 1024)) void c;
  }, (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
  assert.equal(await closedWithin(fd), true);
});

test('openByteStream: a file is read as FileChunks; a missing file is an InputError', async () => {
  const src = await openByteStream(TRACE);
  assert.ok(src instanceof FileChunks);
  const chunks: Buffer[] = [];
  for await (const c of src) chunks.push(c);
  assert.deepEqual(Buffer.concat(chunks), readFileSync(TRACE));
  await assert.rejects(openByteStream(join(ROOT, 'no-such-file')), /cannot read .*no-such-file: no such file or directory/);
});
