/**
 * Feeding an input through its format's parser core, in this thread or — for
 * large inputs of formats that support it — in a worker thread, so parsing
 * and analysis run on two cores as a pipeline. The result is the same event
 * stream and the same context calls in the same order (src/io/packed.ts);
 * only the thread doing the parsing differs.
 *
 * Memory stays bounded: at most MAX_IN_FLIGHT chunks are posted and not yet
 * finished, each with at most two packed batches alive.
 *
 * Worker mode is opt-in (measured on a 2-core machine shared with other
 * work: +35 % CPU for packing and messages and +35 MB of RSS for the second
 * isolate, for a wall-time gain only when a core is idle — see the bench
 * README): `parseWorker: true`, or BLKAUDIT_PARSE_WORKER=1 for large inputs
 * (a regular file of at least WORKER_MIN_BYTES, or a stream whose first read
 * filled the detection head). Only formats in WORKER_FORMATS run there.
 */
import { promises as fs } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FormatSpec, ParseContext, ParseOptions } from '../formats/types.js';
import { emptyEvent } from '../model/event.js';
import { HEAD_BYTES, pump } from './open.js';
import { unpackBatch, type Batch } from './packed.js';
import type { ParseWorkerData } from './parse-worker.js';

/** Formats whose parser cores use only the plain ParseContext (see packed.ts). */
export const WORKER_FORMATS: ReadonlySet<string> = new Set(['blkparse']);
export const WORKER_MIN_BYTES = 32 << 20;
const MAX_IN_FLIGHT = 4;
const CHUNK_BUFFER = 1 << 20;

export interface PumpOptions {
  /** The input path ("-" for stdin), for the size test. */
  path: string;
  /** Bytes of the detection head actually read (< HEAD_BYTES: the whole input was that small). */
  headBytes: number;
  /** false: never use a worker; true: always (for formats that support it); undefined: BLKAUDIT_PARSE_WORKER=1 and size. */
  parseWorker?: boolean;
  afterChunk?: (bytesSoFar: number) => Promise<void> | void;
}

export async function useWorker(format: FormatSpec, o: PumpOptions): Promise<boolean> {
  if (!WORKER_FORMATS.has(format.name) || o.parseWorker === false) return false;
  if (o.parseWorker === true) return true;
  if (process.env.BLKAUDIT_PARSE_WORKER !== '1') return false;
  if (o.headBytes < HEAD_BYTES) return false;
  if (o.path === '-') return true;
  try {
    const st = await fs.stat(o.path);
    return !st.isFile() || st.size >= WORKER_MIN_BYTES;
  } catch {
    return false;
  }
}

/** Parses the whole stream into ctx (events, diagnostics, attachments); returns the bytes read. */
export async function pumpFormat(
  stream: AsyncIterable<Buffer>,
  format: FormatSpec,
  ctx: ParseContext,
  o: PumpOptions,
): Promise<number> {
  if (!(await useWorker(format, o))) return pump(stream, format.create(ctx), o.afterChunk);
  return pumpInWorker(stream, format, ctx, o.afterChunk);
}

/** Only the plain-data parse options cross to the worker (functions and streams stay here). */
function plainOptions(options: ParseOptions): ParseOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out as ParseOptions;
}

type Inbound = Batch | { type: 'chunk-done'; buf: ArrayBuffer } | { type: 'end' } | { type: 'error'; message: string; stack: string };

export async function pumpInWorker(
  stream: AsyncIterable<Buffer>,
  format: FormatSpec,
  ctx: ParseContext,
  afterChunk?: (bytesSoFar: number) => Promise<void> | void,
): Promise<number> {
  const data: ParseWorkerData = {
    format: format.name, sourceIndex: ctx.sourceIndex, sourceName: ctx.sourceName, options: plainOptions(ctx.options),
  };
  // A small young generation: the worker's garbage is tiny (batches and chunks are pooled).
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url), {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  // Messages are queued here and handled in order by the loop below.
  const inbox: Inbound[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  worker.on('message', (m: Inbound) => {
    inbox.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !failure) failure = new Error(`parse worker exited with code ${code}`);
    notify();
  });
  const next = async (): Promise<Inbound> => {
    for (;;) {
      const m = inbox.shift();
      if (m) return m;
      if (failure) throw failure;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const chunks = stream[Symbol.asyncIterator]();
  const sizes: number[] = [];
  const pool: ArrayBuffer[] = [];
  let bytesSent = 0;
  let bytesDone = 0;
  let ended = false;
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
        const r = await chunks.next();
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
    bytesSent += len;
    sizes.push(len);
    worker.postMessage({ type: 'chunk', buf, len }, [buf!]);
  };
  const ev = emptyEvent();
  try {
    while (!ended && sizes.length < MAX_IN_FLIGHT) await send();
    for (;;) {
      const m = await next();
      if (m.type === 'batch') {
        unpackBatch(m, ev, ctx);
        worker.postMessage({ type: 'recycle', buf: m.data.buffer }, [m.data.buffer as ArrayBuffer]);
      } else if (m.type === 'chunk-done') {
        pool.push(m.buf);
        bytesDone += sizes.shift()!;
        if (afterChunk) await afterChunk(bytesDone);
        if (!ended) await send();
      } else if (m.type === 'end') {
        return bytesSent;
      } else {
        const err = new Error(m.message);
        err.stack = m.stack;
        throw err;
      }
    }
  } finally {
    await worker.terminate();
  }
}
