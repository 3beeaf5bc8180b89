/**
 * The parse workers give exactly what the main thread gives (src/io/worker-pump.ts): one file parsed inline, by a
 * worker that reads it, by a worker it is posted to in chunks, and — blkparse text — in blocks by three workers;
 * every call the parser makes is compared (events with every field, QEMU arguments included, diagnostics with
 * their examples, clock, attachments, limitations). Shared by test/worker-fuzz.test.ts (seeded mutations of the
 * fixtures) and the long run (`npm run fuzz -- --workers`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import type { FormatSpec, ParseContext } from '../../src/formats/types.js';
import { HEAD_BYTES } from '../../src/io/open.js';
import { DEFAULT_BLOCK_BYTES, pumpFormat, setBlockBytes } from '../../src/io/worker-pump.js';
import { copyEvent, type BlockEvent } from '../../src/model/event.js';
import { copyQemuEvent, type QemuEvent } from '../../src/qemu/event.js';
import { ROOT } from './cli.js';
import { mutate } from './fuzz.js';

export type WorkerWay = 'inline' | 'worker-file' | 'worker-chunks' | 'blocks';

/** Every call the parser makes while `path` is read the given way; a throw is the last call. */
export async function parseVia(format: FormatSpec, path: string, way: WorkerWay, blockBytes = DEFAULT_BLOCK_BYTES): Promise<unknown[]> {
  const calls: unknown[] = [];
  const ctx: ParseContext = {
    sourceIndex: 2,
    sourceName: path,
    sink: { event: (e: BlockEvent) => calls.push(copyEvent(e)) },
    diag: {
      add: (reason: string, severity: string, example?: unknown) => calls.push(['add', reason, severity, example]),
      addMany: (reason: string, severity: string, n: number, example?: unknown) => calls.push(['addMany', reason, severity, n, example]),
    } as unknown as ParseContext['diag'],
    options: {},
    setClock: (d) => calls.push(['clock', d]),
    attach: (name, data) => calls.push(['attach', name, data]),
    limitation: (text) => calls.push(['limitation', text]),
    qemuSink: { qemu: (e: QemuEvent) => calls.push(copyQemuEvent(e)) },
  };
  const data = readFileSync(path);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65_521) chunks.push(data.subarray(at, at + 65_521));
  const saved = process.env.BLKAUDIT_PARSE_WORKERS;
  // one worker reading the file, or three taking blocks of it in turn
  process.env.BLKAUDIT_PARSE_WORKERS = way === 'blocks' ? '3' : '1';
  setBlockBytes(blockBytes);
  try {
    await pumpFormat(Readable.from(chunks), format, ctx, {
      path,
      headBytes: HEAD_BYTES,
      parseWorker: way !== 'inline',
      ...(way === 'worker-file' || way === 'blocks' ? { regularFile: path } : {}),
    });
  } catch (err) {
    calls.push(['threw', String((err as Error)?.message ?? err)]);
  } finally {
    setBlockBytes(DEFAULT_BLOCK_BYTES);
    if (saved === undefined) delete process.env.BLKAUDIT_PARSE_WORKERS;
    else process.env.BLKAUDIT_PARSE_WORKERS = saved;
  }
  return calls;
}

/** The first difference between the main thread and each worker way on `path`, or undefined. */
export async function workerDifference(format: FormatSpec, path: string, blockBytes: number): Promise<string | undefined> {
  const inline = await parseVia(format, path, 'inline');
  const ways: WorkerWay[] = format.name === 'blkparse' ? ['worker-file', 'worker-chunks', 'blocks'] : ['worker-file', 'worker-chunks'];
  for (const way of ways) {
    const other = await parseVia(format, path, way, blockBytes);
    if (isDeepStrictEqual(inline, other)) continue;
    let i = 0;
    while (i < inline.length && isDeepStrictEqual(inline[i], other[i])) i++;
    const show = (x: unknown) => JSON.stringify(x)?.slice(0, 200);
    return `${way} (blocks of ${blockBytes} B): call ${i} of ${inline.length} inline / ${other.length}: ${show(inline[i])} vs ${show(other[i])}`;
  }
  return undefined;
}

/** The bytes of a fixture a mutated input is cut from (a worker batch is 4,096 events: several batches). */
const SLICE = 96 << 10;

/** The fixtures of a worker format, by file name. */
export function workerFixtures(format: string): string[] {
  const pattern = format === 'qemu-log' ? /^qemu.*\.log(\.gz)?$/ : /\.blkparse\.txt(\.gz)?$/;
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (pattern.test(f)) out.push(p);
    }
  };
  walk(join(ROOT, 'fixtures'));
  return out;
}

/** A mutated slice of one of `files`. */
export function mutatedInput(files: string[], r: () => number): Buffer {
  const f = files[Math.floor(r() * files.length)]!;
  let data: Buffer = readFileSync(f);
  if (f.endsWith('.gz')) data = gunzipSync(data);
  if (data.length > SLICE) {
    const at = Math.floor(r() * (data.length - SLICE));
    data = data.subarray(at, at + SLICE);
  }
  const steps = 1 + Math.floor(r() * 4);
  for (let i = 0; i < steps; i++) data = mutate(data, r);
  return data;
}
