/**
 * Progress of a long analysis on stderr, for a person watching a terminal:
 * bytes read of the total, events per second, elapsed time, redrawn at most
 * 5 times a second on one line and erased at the end. Nothing at all when
 * stderr is not a TTY (a pipe, a file, CI), so logs stay clean.
 *
 * Fed by AnalyzeOptions.afterChunk (bytes read so far per input) and
 * onEvent (one increment per event).
 */
import { statSync } from 'node:fs';
import { formatBytes } from './view.js';
import { term } from './text.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface Progress {
  /** For AnalyzeOptions.afterChunk: bytes read so far of input `source`. */
  chunk(bytesRead: number, source: string): void;
  /** For AnalyzeOptions.onEvent. */
  event(): void;
  /** Erase the line (call before printing the report). */
  done(): void;
  /** True when it draws anything. */
  readonly active: boolean;
}

const NOOP: Progress = { chunk() {}, event() {}, done() {}, active: false };

/** Total bytes of the inputs that are regular files ("layer=path" accepted); undefined when unknown (stdin). */
export function totalBytes(paths: readonly string[]): number | undefined {
  let total = 0;
  for (const p of paths) {
    if (p === '-') return undefined;
    try {
      const st = statSync(p);
      if (!st.isFile()) return undefined;
      total += st.size;
    } catch {
      return undefined;
    }
  }
  return total;
}

export function createProgress(
  stream: ProgressStream,
  total: number | undefined,
  now: () => number = () => Date.now(),
  intervalMs = 200,
): Progress {
  if (!stream.isTTY) return NOOP;
  const start = now();
  const perSource = new Map<string, number>();
  let bytes = 0;
  let events = 0;
  let last = 0;
  let drawn = false;
  const draw = () => {
    const t = now();
    if (t - last < intervalMs) return;
    last = t;
    const secs = (t - start) / 1000;
    // a compressed input reads more bytes than its file size: then the total says nothing
    const of = total !== undefined && bytes <= total ? ` of ${formatBytes(total)} (${Math.floor((bytes / Math.max(1, total)) * 100)}%)` : '';
    const rate = secs > 0 ? Math.round(events / secs) : 0;
    const line = `blkaudit: read ${formatBytes(bytes)}${of}, ${events} events, ${rate} events/s, ${secs.toFixed(1)} s`;
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r${term(line).slice(0, width)}\x1b[K`);
    drawn = true;
  };
  return {
    active: true,
    chunk(bytesRead: number, source: string) {
      bytes += bytesRead - (perSource.get(source) ?? 0);
      perSource.set(source, bytesRead);
      draw();
    },
    event() {
      events++;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
