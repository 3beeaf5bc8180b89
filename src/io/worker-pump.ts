/**
 * Feeding an input through its format's parser core, in this thread or in a
 * worker thread, so parsing and analysis run on two cores as a pipeline. The
 * result is the same event stream and the same context calls in the same
 * order (src/io/packed.ts); only the thread doing the parsing differs.
 *
 * A regular file or a blktrace per-CPU set is read by the worker itself (the
 * main thread only analyses); a pipe, stdin or a gzip stream is read here and
 * posted in chunks. Memory stays bounded: at most RING_SLOTS packed batches
 * and MAX_IN_FLIGHT posted chunks exist at any time.
 *
 * The decision (useWorker, useSetWorker): `parseWorker: true|false` wins;
 * otherwise BLKAUDIT_PARSE_WORKER=0 turns it off and =1 on for any large
 * input (a regular file or set of at least WORKER_MIN_BYTES, or a stream
 * whose first read filled the detection head). By default a large regular
 * file or set is parsed in workers when this process may run on two or more
 * CPUs (os.availableParallelism); a stream or a gzip file only with =1,
 * since posting its chunks costs the main thread more than the parse it
 * saves. Only formats in WORKER_FORMATS run there: blkparse and blktrace (block events, packed.ts) and the
 * QEMU log backend (QEMU events, packed-qemu.ts).
 */
import { availableParallelism } from 'node:os';
import { statAsync } from './fs-async.js';
import type { FormatSpec, ParseContext } from '../formats/types.js';
import { emptyEvent } from '../model/event.js';
import { HEAD_BYTES, pump } from './open.js';
import type { BatchFeeder, BatchReader, BlockJoin } from './packed.js';
import type { WorkerLink } from './worker-link.js';
import { finishSummary, SUMMARY_LINE } from '../formats/blkparse/parser.js';
import { OrderChecks } from '../formats/blkparse/order.js';
import { SummaryCollector } from '../formats/blkparse/summary.js';
import type { WorkerInput } from './parse-worker.js';

/** Formats whose parser cores use only the plain ParseContext (see packed.ts; QEMU events: packed-qemu.ts). */
export const WORKER_FORMATS: ReadonlySet<string> = new Set(['blkparse', 'blktrace', 'qemu-log']);
export const WORKER_MIN_BYTES = 32 << 20;
const MAX_IN_FLIGHT = 4;
const CHUNK_BUFFER = 1 << 20;

export interface PumpOptions {
  /** The input path ("-" for stdin), for the size test. */
  path: string;
  /** Bytes of the detection head actually read (< HEAD_BYTES: the whole input was that small). */
  headBytes: number;
  /** false: never use a worker; true: always (for formats that support it); undefined: decided (see above). */
  parseWorker?: boolean;
  afterChunk?: (bytesSoFar: number) => Promise<void> | void;
  /** Inputs read at the same time as this one, itself included (parseWorkers). */
  inputsAtOnce?: number;
}

/** Blocks a blkparse text file is split in for parallel parsing (tests make it small). */
export const DEFAULT_BLOCK_BYTES = 1 << 20;
let blockBytes = DEFAULT_BLOCK_BYTES;
export function setBlockBytes(n: number): void {
  blockBytes = n;
}

/**
 * Workers a blkparse text file is parsed by: BLKAUDIT_PARSE_WORKERS, or one
 * per CPU but one, up to four: the main thread runs every stage (the request
 * tracker, the rules) and sets the pace, so it keeps a CPU of its own
 * (measured 2026-12-06 on 2 CPUs, `check` on the 10 M-event text: one worker
 * 2.31-2.36 s, 3.8 CPU s, 88 MiB; two 2.39-2.47 s, 4.2-4.4 CPU s, 108 MiB;
 * `stats` the same way). Shared by the `inputsAtOnce` inputs read at the same
 * time (src/read/schedule.ts): each of a stack's layers already parses beside
 * the others, and splitting a file in blocks costs CPU (measured on the
 * 1000-copy stack bench, 2 CPUs: one worker per layer took 0.9 CPU s less
 * than two, in no more time).
 */
export function parseWorkers(inputsAtOnce = 1): number {
  const env = Number(process.env.BLKAUDIT_PARSE_WORKERS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 16);
  return Math.max(1, Math.floor(Math.min(4, availableParallelism() - 1) / Math.max(1, inputsAtOnce)));
}

/** BLKAUDIT_PARSE_WORKER: '0' never, '1' asked for, 'auto' when two or more CPUs are there. */
function workerMode(): 'off' | 'on' | 'auto' {
  const env = process.env.BLKAUDIT_PARSE_WORKER;
  if (env === '0') return 'off';
  if (env === '1') return 'on';
  return availableParallelism() >= 2 ? 'auto' : 'off';
}

export async function useWorker(format: FormatSpec, o: PumpOptions): Promise<boolean> {
  if (!WORKER_FORMATS.has(format.name) || o.parseWorker === false) return false;
  if (o.parseWorker === true) return true;
  const mode = workerMode();
  if (mode === 'off') return false;
  if (o.headBytes < HEAD_BYTES) return false;
  // A stream is read here and posted in chunks: that costs this thread more
  // than the parse it saves (measured on 2 CPUs), so only when asked for.
  if (o.path === '-') return mode === 'on';
  try {
    const st = await statAsync(o.path);
    if (!st.isFile()) return mode === 'on';
    return st.size >= WORKER_MIN_BYTES;
  } catch {
    return false;
  }
}

/** The same decision for a blktrace per-CPU set (read by the worker itself): its total size. */
export async function useSetWorker(files: string[], parseWorker: boolean | undefined): Promise<boolean> {
  if (parseWorker !== undefined) return parseWorker;
  if (workerMode() === 'off') return false;
  let total = 0;
  for (const f of files) {
    try {
      total += (await statAsync(f)).size;
    } catch {
      return false;
    }
  }
  return total >= WORKER_MIN_BYTES;
}

/**
 * Parses the whole input into ctx (events, diagnostics, attachments); returns
 * the bytes read. `regularFile`: the input is that uncompressed regular file,
 * which a worker reads itself (the stream is then closed unread).
 */
export async function pumpFormat(
  stream: AsyncIterable<Buffer>,
  format: FormatSpec,
  ctx: ParseContext,
  o: PumpOptions & { regularFile?: string; closeStream?: () => void },
): Promise<number> {
  if (!(await useWorker(format, o))) return pump(stream, format.create(ctx), o.afterChunk);
  if (o.regularFile) {
    o.closeStream?.();
    const n = parseWorkers(o.inputsAtOnce);
    if (format.name === 'blkparse' && n >= 2) {
      const size = (await statAsync(o.regularFile)).size;
      return runBlockWorkers(o.regularFile, size, n, ctx, o.afterChunk);
    }
    return runWorker({ kind: 'file', path: o.regularFile }, format, ctx, undefined, o.afterChunk);
  }
  // a stream, or a gzip file, is posted in chunks: only when asked for (see above)
  if (o.parseWorker !== true && workerMode() !== 'on') return pump(stream, format.create(ctx), o.afterChunk);
  return runWorker({ kind: 'chunks' }, format, ctx, stream, o.afterChunk);
}

/** Reads and merges a blktrace per-CPU set in a worker (as readBlktraceSet would here). */
export function readSetInWorker(
  files: string[],
  ctx: ParseContext,
  afterChunk?: (bytesSoFar: number) => Promise<void> | void,
): Promise<number> {
  return runWorker({ kind: 'blktrace-set', files }, { name: 'blktrace', produces: 'block' }, ctx, undefined, afterChunk);
}

/**
 * A blkparse text file parsed by several workers at once: block k (of
 * BLOCK_BYTES) goes to worker k mod N, and blocks are taken back in file
 * order, each joined to the ones before it — line numbers shifted, the
 * order checks (repeated line, time going backwards) run across the join,
 * summary lines collected here — so the result is what one parser gives.
 */
/** node:worker_threads and the link are loaded only when a worker runs (start-up of small runs). */
const loadLink = () => import('./worker-link.js');

async function runBlockWorkers(
  path: string,
  size: number,
  n: number,
  ctx: ParseContext,
  afterChunk?: (bytesSoFar: number) => Promise<void> | void,
): Promise<number> {
  const B = blockBytes;
  const blocks = Math.max(1, Math.ceil(size / B));
  const links: WorkerLink<BatchReader>[] = [];
  const order = new OrderChecks(ctx);
  const summary = new SummaryCollector();
  const join: BlockJoin = {
    lineOffset: 0,
    accept: (e) => order.accept(e),
    takeOp: (op) => {
      if (op.kind !== 'attach' || op.name !== SUMMARY_LINE) return false;
      summary.line(op.data as string);
      return true;
    },
  };
  const ev = emptyEvent();
  const { WorkerLink, BatchReader, createRing } = await loadLink();
  try {
    for (let w = 0; w < Math.min(n, blocks); w++) {
      const ring = createRing();
      const input: WorkerInput = { kind: 'text-blocks', path, size, blockBytes: B, first: w, stride: n };
      links.push(new WorkerLink('blkparse', ctx, input, ring, new BatchReader(ring)));
    }
    for (let k = 0; k < blocks; k++) {
      const link = links[k % n]!;
      for (;;) {
        const m = await link.next(ctx);
        if (m.type !== 'batch') throw new Error(`parse worker: ${m.type} while waiting for block ${k}`);
        link.reader.unpack(m, ev, ctx, join);
        if (m.blockEnd) {
          if (m.blockEnd.block !== k) throw new Error(`parse worker: block ${m.blockEnd.block} ended while reading block ${k}`);
          join.lineOffset += m.blockEnd.lines;
          break;
        }
      }
      if (afterChunk) await afterChunk(Math.min((k + 1) * B, size));
    }
    finishSummary(summary, ctx);
    return size;
  } finally {
    await Promise.all(links.map((l) => l.terminate()));
  }
}

async function runWorker(
  input: WorkerInput,
  format: Pick<FormatSpec, 'name' | 'produces'>,
  ctx: ParseContext,
  stream: AsyncIterable<Buffer> | undefined,
  afterChunk?: (bytesSoFar: number) => Promise<void> | void,
): Promise<number> {
  const { WorkerLink, BatchReader, createRing, QemuBatchReader, createQemuRing } = await loadLink();
  let link: WorkerLink<BatchFeeder>;
  if (format.produces === 'qemu') {
    const ring = createQemuRing();
    link = new WorkerLink(format.name, ctx, input, ring, new QemuBatchReader(ring));
  } else {
    const ring = createRing();
    link = new WorkerLink(format.name, ctx, input, ring, new BatchReader(ring));
  }
  const worker = link.worker;
  const chunks = stream?.[Symbol.asyncIterator]();
  const sizes: number[] = [];
  const pool: ArrayBuffer[] = [];
  let ended = chunks === undefined;
  // A chunk the pooled buffer had no room for: it starts the next message.
  let spill: Buffer | undefined;
  /**
   * Posts the next message: stream chunks copied into one pooled buffer until
   * it holds CHUNK_BUFFER bytes (pipes deliver 64 KiB at a time; fewer,
   * larger messages cost less), transferred to the worker and handed back with
   * "chunk-done" (the stream may reuse its own buffers, so they are copied).
   */
  const send = async (): Promise<void> => {
    let buf = pool.pop();
    let len = 0;
    for (;;) {
      let chunk = spill;
      spill = undefined;
      if (!chunk) {
        const r = await chunks!.next();
        if (r.done) break;
        chunk = r.value;
      }
      if (!buf || buf.byteLength < len + chunk.length) {
        if (len > 0) {
          spill = chunk;
          break;
        }
        buf = new ArrayBuffer(Math.max(chunk.length, CHUNK_BUFFER));
      }
      chunk.copy(new Uint8Array(buf), len, 0, chunk.length);
      len += chunk.length;
      if (len >= CHUNK_BUFFER / 2) break;
    }
    if (len === 0) {
      if (buf) pool.push(buf);
      ended = true;
      worker.postMessage({ type: 'end' });
      return;
    }
    sizes.push(len);
    worker.postMessage({ type: 'chunk', buf, len }, [buf!]);
  };
  let reported = 0;
  try {
    while (!ended && sizes.length < MAX_IN_FLIGHT) await send();
    for (;;) {
      const m = await link.next(ctx);
      if (m.type === 'batch') {
        link.reader.feed(m, ctx);
        if (afterChunk && m.bytes > reported) {
          reported = m.bytes;
          await afterChunk(reported);
        }
      } else if (m.type === 'chunk-done') {
        pool.push(m.buf);
        sizes.shift();
        if (!ended) await send();
      } else {
        if (afterChunk && m.bytes > reported) await afterChunk(m.bytes);
        return m.bytes;
      }
    }
  } finally {
    await link.terminate();
  }
}
