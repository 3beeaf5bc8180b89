/**
 * Opening one input before any is read: a per-CPU blktrace set, or a byte
 * stream (file, .gz, stdin) whose first bytes choose the format. Every input
 * of an analysis is opened first, at once (src/read/schedule.ts): an input
 * that cannot be used at all (missing, empty, not a trace) stops the analysis
 * before anything is read, and what is then read at the same time is bounded
 * by what each opened input holds — its detection head and one read-ahead
 * chunk (src/io/open.ts), never more of the file.
 */
import { statAsync as stat } from '../io/fs-async.js';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import type { SourceInfo } from '../model/analysis.js';
import { chooseFormat, InputError, openByteStream, peekStream, type InputSpec, type ByteSource } from '../io/open.js';
import { resolveBlktraceSet, type BlktraceSet } from '../io/blktrace-files.js';
import { entryByName } from '../formats/catalog.js';
import type { FormatSpec, ParseOptions } from '../formats/types.js';

export interface OpenOptions extends ParseOptions {
  format?: string;
  stdin?: Readable;
}

/** An input opened and its format chosen, not read yet. */
export interface OpenedInput {
  spec: InputSpec;
  /** Its index in the analysis' source table (its position among the inputs). */
  index: number;
  format: FormatSpec;
  source: SourceInfo;
  /** Side data its format attaches (report.attachments[path]). */
  attachments: Record<string, unknown>;
  gzip: boolean;
  /** A per-CPU blktrace set (read by the set reader), else `stream` is the input. */
  set?: BlktraceSet;
  stream?: AsyncIterable<Buffer>;
  /** The raw byte stream under `stream` (compressed bytes for a .gz). */
  raw?: ByteSource;
  headBytes: number;
  /** The input when it is an uncompressed regular file (a parse worker may read it itself). */
  regularFile?: string;
  /** Bytes on disk (a file, a .gz, a set's files together); NaN when unknown (stdin, a pipe). */
  size: number;
}

export async function openInput(spec: InputSpec, index: number, options: OpenOptions): Promise<OpenedInput> {
  // A per-CPU blktrace set (directory, base name or member file) is read as
  // blkparse -i reads it; anything else is one byte stream, detected by content.
  const set = options.format && options.format !== 'blktrace' ? undefined : await resolveBlktraceSet(spec.path);
  if (set && set.files.length === 0) {
    const names = set.ignored.map((f) => basename(f)).join(', ');
    throw new InputError(
      `${spec.path}: blktrace per-CPU file(s) ${names} present but CPU 0 is missing; like blkparse, CPUs are read from 0 up to the first missing number, so nothing could be read`,
      spec.path,
    );
  }
  let opened: Omit<OpenedInput, 'source' | 'attachments'> & { detectedBy: string };
  if (set) {
    let size = 0;
    for (const f of set.files) size += (await sizeOf(f)) ?? NaN;
    opened = {
      spec, index, set, gzip: false, headBytes: 0, size,
      format: await entryByName('blktrace')!.load(),
      detectedBy: `per-CPU file set ${set.names.join(', ')} (${set.files.length} file(s))`,
    };
  } else {
    const raw = await openByteStream(spec.path, options.stdin);
    try {
      const peeked = await peekStream(raw, spec.path);
      const chosen = chooseFormat(peeked.head, spec.path, options.format, options);
      const file = spec.path === '-' ? undefined : await stat(spec.path).catch(() => undefined);
      opened = {
        spec, index, raw, gzip: peeked.gzip, stream: peeked.stream, headBytes: peeked.head.length,
        format: await chosen.format.load(),
        detectedBy: chosen.detectedBy,
        size: file?.isFile() ? file.size : NaN,
      };
      if (!peeked.gzip && file?.isFile()) opened.regularFile = spec.path;
    } catch (err) {
      raw.destroy();
      throw err;
    }
  }
  const { detectedBy, ...rest } = opened;
  const source: SourceInfo = {
    index,
    name: spec.path,
    layer: spec.layer,
    format: rest.format.name,
    detectedBy,
    locKind: rest.format.kind === 'binary' ? 'offset' : 'line',
    clock: { name: 'relative', origin: 'as printed by the trace' },
    limitations: [],
  };
  if (set) source.files = set.files;
  return { ...rest, source, attachments: {} };
}

/** Lets go of an input's stream (read to its end, stopped, or never read). */
export function closeInput(input: OpenedInput): void {
  input.raw?.destroy();
}

/** How much of the input has been read, 0..1 (NaN when its size is unknown): for AnalyzeOptions.paceInput. */
export function fractionRead(input: OpenedInput, bytes: number): number {
  if (!(input.size > 0)) return input.size === 0 ? 1 : NaN;
  // a .gz: `bytes` counts decompressed bytes; the compressed bytes read so far say how far along it is
  const done = input.gzip ? (input.raw as { bytesRead?: number } | undefined)?.bytesRead ?? NaN : bytes;
  return Math.min(1, done / input.size);
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
