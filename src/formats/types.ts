import type { Diagnostics } from '../model/diagnostics.js';
import type { EventSink } from '../model/event.js';
import type { ClockDomain } from '../model/time.js';
import type { QemuSink } from '../qemu/event.js';
import type { AppSink } from '../app/call.js';

/**
 * One input format: detection by content (never by file name) and a parser
 * core with no stream code (`push(chunk)` → events to the sink), as in
 * csv-parse's api/ vs lib/ split. src/io wraps these for files and stdin.
 */
export interface StreamParser {
  /**
   * The next bytes of the input. A parser may keep a reference to the chunk
   * after returning (the blktrace reader keeps its tail to join a record cut
   * by the chunk's end), so the caller must not overwrite a chunk it pushed.
   */
  push(chunk: Buffer): void;
  /**
   * True when the parser never reads a chunk after push returns (it copies what it keeps, as LineSplitter
   * does): the caller may then read the next bytes into the same buffer.
   */
  readonly keepsNoChunk?: boolean;
  /** No more input: flush partial state (a last line without "\n", a truncated record). */
  end(): void;
}

export interface ParseOptions {
  /** Reject (exit 2) on any skipped line or record instead of counting it. */
  strict?: boolean;
  /** Longest text line accepted; longer lines are counted and skipped. */
  maxLineLength?: number;
  /** blkparse -f/-F style format used to write the input (formats/blkparse-custom). */
  blkparseFormat?: string;
  /** CSV column mapping, "time=Timestamp,offset=Offset,…", or a preset name. */
  csvColumns?: string;
}

export interface ParseContext {
  /** Index of this source in the analysis' source table; stored in every event. */
  sourceIndex: number;
  /** Display name: the path, or "-" for stdin. */
  sourceName: string;
  sink: EventSink;
  /** Receives QEMU trace events from formats with `produces: 'qemu'` (src/qemu/event.ts); absent = not wanted. */
  qemuSink?: QemuSink;
  /**
   * Receives application sync calls (src/app/call.ts) from formats with `produces: 'app'` and from
   * syscall tracepoints beside block events; absent = not wanted (the readers then only count them).
   */
  appSink?: AppSink;
  diag: Diagnostics;
  options: ParseOptions;
  /** Formats that know their clock say so (default: "relative", order as printed). */
  setClock(domain: ClockDomain): void;
  /** Side data a format carries besides events (e.g. blkparse's summary blocks). */
  attach(kind: string, data: unknown): void;
  /** Notice that a fact cannot be known from this format (e.g. "no flush information"). */
  limitation(text: string): void;
}

export interface FormatSpec {
  /** Stable id used by --format and in reports. */
  name: string;
  /** One line for `blkaudit formats`. */
  title: string;
  /** A real one-line example of the format. */
  example: string;
  /** How detection recognises it, in words (shown by `blkaudit formats`). */
  detectedBy: string;
  kind: 'text' | 'binary';
  /** What the parser produces: block events, QEMU trace events (src/formats/qemu), or application sync calls (src/app). */
  produces: 'block' | 'qemu' | 'app';
  /** Block events that may have application sync calls beside them (syscall tracepoints, ctx.appSink). */
  carriesCalls?: boolean;
  /**
   * Confidence 0..1 that `head` (the first bytes of the input, up to 64 KiB,
   * already decompressed) is this format. 0 = certainly not.
   */
  detect(head: Buffer): number;
  create(ctx: ParseContext): StreamParser;
}

/**
 * What detection and `blkaudit formats` need of a format, without its parser
 * core: formats/catalog.ts lists these and loads a format's parser module
 * only when an input is read with it (CLI start-up).
 */
export type FormatMeta = Omit<FormatSpec, 'create'>;
