/**
 * Worker-thread entry: runs one format's parser core and posts back batches
 * of packed events and context calls (src/io/packed.ts). The input is either
 * read here — a regular file read with plain synchronous reads, or a blktrace
 * per-CPU set read and merged by the set reader — or posted in chunks by the
 * main thread (pipes, stdin, gzip), each acknowledged with "chunk-done" so
 * the main thread keeps a bounded number in flight.
 *
 * The batches' numbers live in a shared ring the main thread releases slot by
 * slot; the packer waits while the ring is full, so the memory of both
 * threads stays flat whatever the input length.
 *
 * Messages in (chunk mode): {type:'chunk', buf, len} … {type:'end'}
 * Messages out: {type:'batch', …}* [{type:'chunk-done', buf}] … {type:'end', bytes} | {type:'error', message, stack}
 * (a text parsed in blocks: the last batch of each block carries `blockEnd`).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { formatByName } from '../formats/registry.js';
import { readBlktraceSet } from '../formats/blktrace/set-reader.js';
import { BlkparseParser } from '../formats/blkparse/parser.js';
import { describeFsError } from './open.js';
import { EventPacker, type Batch, type Ring } from './packed.js';
import { QemuPacker } from './packed-qemu.js';
import type { LazyArgs } from '../qemu/event.js';
import type { ParseContext, ParseOptions } from '../formats/types.js';

/** What the worker reads: chunks posted to it, a regular file, or a blktrace per-CPU set. */
export type WorkerInput =
  | { kind: 'chunks' }
  | { kind: 'file'; path: string }
  | { kind: 'blktrace-set'; files: string[] }
  /** blkparse text split in blocks of `blockBytes`: this worker parses blocks first, first + stride, … */
  | { kind: 'text-blocks'; path: string; size: number; blockBytes: number; first: number; stride: number };

export interface ParseWorkerData {
  format: string;
  sourceIndex: number;
  sourceName: string;
  options: ParseOptions;
  ring: Ring;
  input: WorkerInput;
}

type Inbound = { type: 'chunk'; buf: ArrayBuffer; len: number } | { type: 'end' };

/** Bytes per read of a regular file (one buffer, reused). */
const READ_BYTES = 1 << 20;
/** Bytes read at a time to find where a line that crosses a block boundary ends. */
const LINE_PROBE = 4096;
/** Bytes per read of each file of a per-CPU set (one buffer per file, see readChunks). */
const SET_READ_BYTES = 1 << 18;

/**
 * A file's bytes in chunks by plain synchronous reads: this thread has nothing
 * else to do while it waits, and a read stream's machinery costs more than
 * the reads. One buffer per file, reused: the record reader copies what it
 * is given (blktrace/reader.ts append), so no garbage piles up per chunk.
 */
async function* readChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(size);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield n === size ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The blocks of a blkparse text this worker parses, each with a parser of its
 * own in segment mode; its last batch carries the block's line count. A block's lines
 * are those that start in it: the line holding its first byte belongs to the
 * block before (unless the block starts the file), and its last line is read
 * on past the block's end to its newline. The last block is read to the end
 * of the file.
 */
function readBlocks(input: Extract<WorkerInput, { kind: 'text-blocks' }>, ctx: ParseContext, packer: EventPacker): void {
  const fd = openSync(input.path, 'r');
  // One buffer for every read: the blkparse parser copies what it keeps (a line cut by a read, names).
  const buf = Buffer.allocUnsafe(READ_BYTES);
  const read = (pos: number, len: number): number => readOrFail(fd, buf, input.path, Math.min(len, buf.length), pos);
  try {
    const B = input.blockBytes;
    for (let k = input.first; k === 0 || k * B < input.size; k += input.stride) {
      const from = k * B;
      const last = from + B >= input.size;
      const to = last ? Infinity : from + B;
      const parser = new BlkparseParser(ctx, true);
      let pos = from;
      let lastByte = 10;
      if (from > 0) {
        // skip the end of the line that started in the block before
        pos = from - 1;
        for (;;) {
          const n = read(pos, LINE_PROBE);
          if (n === 0) break;
          const nl = buf.indexOf(10);
          if (nl >= 0 && nl < n) {
            pos += nl + 1;
            break;
          }
          pos += n;
        }
      }
      // lines starting before `to`, and the rest of the last of them
      while (pos < to) {
        const n = read(pos, to - pos);
        if (n === 0) break;
        parser.push(buf.subarray(0, n));
        lastByte = buf[n - 1]!;
        pos += n;
      }
      while (lastByte !== 10) {
        const n = read(pos, LINE_PROBE);
        if (n === 0) break;
        const nl = buf.indexOf(10);
        const take = nl >= 0 && nl < n ? nl + 1 : n;
        parser.push(buf.subarray(0, take));
        lastByte = buf[take - 1]!;
        pos += take;
      }
      parser.end();
      packer.bytes = Math.min(from + B, input.size);
      packer.flush({ block: k, lines: parser.lines });
      if (last) break;
    }
  } finally {
    closeSync(fd);
  }
}

type Port = NonNullable<typeof parentPort>;

function fail(port: Port, err: unknown): void {
  const e = err as Error;
  port.postMessage({ type: 'error', message: e?.message ?? String(err), stack: e?.stack ?? '', input: err instanceof ReadError });
}

/** A file this worker reads could not be read (the main thread reports it as unreadable input, exit 2). */
class ReadError extends Error {}

/** Reads up to `len` bytes at `pos` (null: the current position) into buf[0..]. */
function readOrFail(fd: number, buf: Buffer, path: string, len = buf.length, pos: number | null = null): number {
  try {
    return readSync(fd, buf, 0, len, pos);
  } catch (err) {
    throw new ReadError(`cannot read ${path}: ${describeFsError(err)}`);
  }
}

async function start(port: Port, data: ParseWorkerData): Promise<void> {
  const format = formatByName(data.format);
  if (!format) throw new Error(`parse worker: unknown format ${data.format}`);
  const send = (b: Batch) => port.postMessage(b);
  const qemu = format.produces === 'qemu' ? new QemuPacker(data.ring, send) : undefined;
  const packer = qemu ?? new EventPacker(data.ring, send);
  const ctx = packer.context(data.sourceIndex, data.sourceName, data.options);
  const input = data.input;
  if (qemu && (input.kind === 'blktrace-set' || input.kind === 'text-blocks')) {
    throw new Error(`parse worker: ${input.kind} is for block traces`);
  }
  if (input.kind === 'blktrace-set') {
    await readBlktraceSet(input.files, ctx, {
      chunkSize: SET_READ_BYTES,
      open: readChunks,
      afterChunk: (n) => {
        packer.bytes = n;
      },
    });
    packer.flush();
    port.postMessage({ type: 'end', bytes: packer.bytes });
    return;
  }
  if (input.kind === 'text-blocks') {
    readBlocks(input, ctx, packer as EventPacker);
    port.postMessage({ type: 'end', bytes: packer.bytes });
    return;
  }
  const parser = format.create(ctx);
  // the log reader's argument bytes go to the main thread as bytes (packed-qemu.ts)
  if (qemu && 'argsText' in parser) qemu.raw = parser as unknown as LazyArgs;
  if (input.kind === 'file') {
    const fd = openSync(input.path, 'r');
    // One buffer for every read when the parser keeps no chunk (StreamParser.keepsNoChunk); otherwise a fresh
    // one per read, as it may keep the last chunk it was given. Fresh buffers are freed only when this
    // thread's heap is collected, which its garbage (small: events go to the ring) triggers rarely: on the
    // 1,000-copy stack bench the two blkparse workers held about 70 MiB of spent buffers a second into the run.
    const reused = parser.keepsNoChunk ? Buffer.allocUnsafe(READ_BYTES) : undefined;
    try {
      for (;;) {
        const buf = reused ?? Buffer.allocUnsafe(READ_BYTES);
        const n = readOrFail(fd, buf, input.path);
        if (n === 0) break;
        packer.bytes += n;
        const chunk = n === READ_BYTES ? buf : buf.subarray(0, n);
        if (qemu) qemu.chunk = chunk;
        parser.push(chunk);
        qemu?.endChunk();
      }
    } finally {
      closeSync(fd);
    }
    parser.end();
    packer.flush();
    port.postMessage({ type: 'end', bytes: packer.bytes });
    return;
  }
  port.on('message', (m: Inbound) => {
    try {
      if (m.type === 'chunk') {
        // The parser gets its own copy (it may keep the last chunk: StreamParser contract), so the buffer can go back.
        packer.bytes += m.len;
        const chunk = Buffer.from(new Uint8Array(m.buf, 0, m.len));
        if (qemu) qemu.chunk = chunk;
        parser.push(chunk);
        qemu?.endChunk();
        packer.flush();
        port.postMessage({ type: 'chunk-done', buf: m.buf }, [m.buf]);
      } else {
        parser.end();
        packer.flush();
        port.postMessage({ type: 'end', bytes: packer.bytes });
      }
    } catch (err) {
      fail(port, err);
    }
  });
}

if (parentPort) {
  const port = parentPort;
  start(port, workerData as ParseWorkerData).catch((err: unknown) => fail(port, err));
}
