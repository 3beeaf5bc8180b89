/**
 * Opening inputs: a path, a directory or base name of per-CPU blktrace files,
 * or "-" for stdin; gzip is recognised by its magic bytes and decompressed on
 * the fly. The format is detected from the first bytes only (never from the
 * file name) unless --format names it. Bytes are then streamed through the
 * format's parser core: memory does not grow with input length.
 */
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { CATALOG, detectEntry, entryByName, type FormatEntry } from '../formats/catalog.js';
import type { ParseContext, ParseOptions } from '../formats/types.js';
import { InputError } from '../model/errors.js';
import { openReadAsync, readdirEntriesAsync, readdirNamesAsync, statAsync } from './fs-async.js';
import { FileChunks, type ByteSource } from './file-chunks.js';

export const HEAD_BYTES = 64 * 1024;
const READ_CHUNK = 1 << 20;

/** Input that cannot be used at all: the CLI exits 2 with this message (defined in errors.ts). */
export { InputError };
export type { ByteSource };

export interface InputSpec {
  /** Layer name from "layer=path", or "". */
  layer: string;
  path: string;
}

const LAYER_ARG = /^([A-Za-z][\w.-]{0,31})=(.+)$/;

/** "guest=vm/vda.txt" → {layer: "guest", path}; a plain path has layer "". */
export function parseInputArg(arg: string): InputSpec {
  const m = LAYER_ARG.exec(arg);
  if (m) return { layer: m[1]!, path: m[2]! };
  return { layer: '', path: arg };
}

export interface StreamHead {
  head: Buffer;
  gzip: boolean;
  /** The whole decompressed stream, starting with `head`'s bytes. */
  stream: AsyncIterable<Buffer>;
}

/** Opens a path or "-" as a byte stream; rejects with InputError when unreadable. */
export async function openByteStream(path: string, stdin?: Readable): Promise<ByteSource> {
  // process.stdin is a getter that makes the stream (a ReadStream, a socket): only for "-"
  if (path === '-') return stdin ?? process.stdin;
  let st;
  try {
    st = await statAsync(path);
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${describeFsError(err)}`, path);
  }
  if (st.isDirectory()) throw new InputError(`${path} is a directory with no blktrace per-CPU files${await directoryHint(path)}`, path);
  try {
    // opened here, so that an unreadable file is an InputError before any byte is read
    return new FileChunks(await openReadAsync(path), READ_CHUNK);
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${describeFsError(err)}`, path);
  }
}

/**
 * What in a directory given as input could be read: its subdirectories holding per-CPU blktrace files (a
 * capture directory keeps them in blktrace/) and a few trace-like files, as "; try …" (empty when none).
 */
async function directoryHint(dir: string): Promise<string> {
  const found: string[] = [];
  let entries;
  try {
    entries = await readdirEntriesAsync(dir);
  } catch {
    return '';
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      const inner = await readdirNamesAsync(join(dir, e.name)).catch(() => [] as string[]);
      if (inner.some((n) => PER_CPU_FILE.test(n))) found.push(`${join(dir, e.name)} (per-CPU blktrace files)`);
    } else if (e.isFile() && TRACE_NAME.test(e.name)) found.push(join(dir, e.name));
  }
  if (found.length === 0) return '';
  const shown = found.sort().slice(0, 4);
  return `; it holds ${shown.join(', ')}${found.length > shown.length ? ` and ${found.length - shown.length} more` : ''}`;
}

const PER_CPU_FILE = /\.blktrace\.\d+$/;
/** Names the capture tools give traces (blkparse text, QEMU logs, ftrace / tracepoint text, strace). */
const TRACE_NAME = /(\.blkparse\.txt|qemu-trace\.log|ftrace[-\w]*\.txt|block-events\.txt|strace\.txt|\.iosnoop\.txt|\.biosnoop\.txt)(\.gz)?$/;

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'a path component is not a directory';
    default: return (err as Error)?.message ?? String(err);
  }
}

/**
 * Reads the first HEAD_BYTES (decompressed) for detection and returns an
 * iterable over the whole stream that replays them first.
 */
export async function peekStream(raw: ByteSource, source: string): Promise<StreamHead> {
  const rawIter = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await nextChunk(rawIter, source);
  let gzip = false;
  let iter: AsyncIterator<Buffer> = rawIter;
  let pending: Buffer[] = first ? [first] : [];
  if (first && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
    gzip = true;
    // zlib is loaded only for a gzip input (start-up of the plain case)
    const { createGunzip } = await import('node:zlib');
    const gunzip = createGunzip();
    const feed = (async () => {
      try {
        gunzip.write(first);
        for (let r = await rawIter.next(); !r.done; r = await rawIter.next()) {
          if (!gunzip.write(r.value)) await new Promise((res) => gunzip.once('drain', res));
        }
        gunzip.end();
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    })();
    void feed;
    iter = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    pending = [];
  }
  const headParts: Buffer[] = [...pending];
  let headLen = headParts.reduce((n, b) => n + b.length, 0);
  while (headLen < HEAD_BYTES) {
    const c = await nextChunk(iter, source);
    if (!c) break;
    headParts.push(c);
    headLen += c.length;
  }
  const head = Buffer.concat(headParts);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const c = await nextChunk(iter, source);
      if (!c) return;
      yield c;
    }
  }
  return { head: head.subarray(0, HEAD_BYTES), gzip, stream: all() };
}

async function nextChunk(iter: AsyncIterator<Buffer>, source: string): Promise<Buffer | undefined> {
  try {
    const r = await iter.next();
    if (r.done) return undefined;
    return typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  } catch (err) {
    const msg = (err as NodeJS.ErrnoException)?.code === 'Z_DATA_ERROR' || /incorrect header|unexpected end/i.test(String(err))
      ? `corrupt gzip data (${(err as Error).message})`
      : describeFsError(err);
    throw new InputError(`cannot read ${source}: ${msg}`, source);
  }
}

/** Choose the format: --format wins; otherwise content detection. `format.load()` gives its parser. */
export function chooseFormat(
  head: Buffer,
  source: string,
  forced?: string,
  options?: ParseOptions,
): { format: FormatEntry; detectedBy: string } {
  if (forced) {
    const f = entryByName(forced);
    if (!f) {
      throw new InputError(`unknown --format ${JSON.stringify(forced)}; known: ${CATALOG.map((x) => x.name).join(', ')}`, source);
    }
    return { format: f, detectedBy: '--format' };
  }
  if (head.length === 0) throw new InputError(`${source} is empty: no trace to read`, source);
  const d = detectEntry(head);
  // Layouts content cannot identify are chosen by their option: text written
  // with blkparse -f (it may even look like the default layout), and CSV
  // files with a --csv-columns mapping (formats/blkparse-custom, formats/csv).
  if (options?.blkparseFormat && (!d || d.format.name === 'blkparse')) {
    return { format: entryByName('blkparse-custom')!, detectedBy: '--blkparse-format' };
  }
  if (options?.csvColumns && (!d || d.format.name === 'csv-msr')) {
    return { format: entryByName('csv')!, detectedBy: '--csv-columns' };
  }
  if (!d) {
    throw new InputError(
      `${source} is not a trace blkaudit can read (no known format matched its first bytes; ` +
        `see "blkaudit formats", or name one with --format)`,
      source,
    );
  }
  return { format: d.format, detectedBy: `content (${Math.round(d.confidence * 100)}%)` };
}

/** Feed a whole stream into a parser core. */
export async function pump(
  stream: AsyncIterable<Buffer>,
  parser: { push(b: Buffer): void; end(): void },
  afterChunk?: (bytesSoFar: number) => Promise<void> | void,
): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    parser.push(chunk);
    if (afterChunk) await afterChunk(bytes);
  }
  parser.end();
  return bytes;
}

export type { ParseContext };
