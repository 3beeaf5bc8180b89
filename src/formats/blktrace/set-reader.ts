/**
 * A per-CPU blktrace file set (`DEV.blktrace.0 … N`, possibly of several
 * devices) read as blkparse reads it (blkparse.c `do_file`): one stream per
 * file, each in time order, merged by event time into one event sequence.
 * Each file is streamed in chunks: memory holds one chunk per file and one
 * decoded event per file, whatever the trace length.
 *
 * Event `loc` is the byte offset of the record in its own file plus the
 * file's index times FILE_LOC_STRIDE, so that evidence can name the file
 * (`loop1.blktrace.1 record 1648`, model/analysis.ts `locate`); the files
 * are attached as `blktrace-files`.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { ParseContext } from '../types.js';
import { MergeList, type MergeStream } from '../../sort/merge-list.js';
import { RecordReader } from './reader.js';
import { Reason } from './decode.js';
import { BlktraceSession } from './session.js';
import { formatDev } from '../../model/device.js';
import { FILE_LOC_STRIDE, MAX_SET_FILES } from '../../model/analysis.js';

export interface BlktraceSetOptions {
  /** Bytes read per file per step (default 64 KiB). */
  chunkSize?: number;
  /** Opens one file as a byte stream (default: fs.createReadStream). Tests pass chunked buffers. */
  open?: (path: string, chunkSize: number) => AsyncIterable<Buffer>;
  /** Called after each chunk read, with the total bytes read so far (progress, backpressure). */
  afterChunk?: (bytesRead: number) => Promise<void> | void;
}

/** One per-CPU file as read: attached to the source as `blktrace-files`. */
export interface BlktraceFileInfo {
  path: string;
  /** CPU number from the file name, -1 when the name has none. */
  cpu: number;
  bytes: number;
  events: number;
  /** Devices ("maj,min") whose events this file held: its name names them (src/io/device-names.ts). */
  devices: string[];
}

interface Cursor extends MergeStream {
  reader: RecordReader;
  iter: AsyncIterator<Buffer>;
  eof: boolean;
  info: BlktraceFileInfo;
  /** Devices seen in this file (kept as numbers while reading, formatted at the end). */
  devs: Set<number>;
  lastDev: number;
}

const CPU_SUFFIX = /\.blktrace\.(\d+)$/;

function defaultOpen(path: string, chunkSize: number): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: chunkSize });
}

export async function readBlktraceSet(files: string[], ctx: ParseContext, options: BlktraceSetOptions = {}): Promise<void> {
  const chunkSize = options.chunkSize ?? 1 << 16;
  const open = options.open ?? defaultOpen;
  const afterChunk = options.afterChunk;
  const session = new BlktraceSession(ctx);
  const list = new MergeList<Cursor>();
  const infos: BlktraceFileInfo[] = [];
  let bytesRead = 0;

  const fill = async (c: Cursor): Promise<boolean> => {
    for (;;) {
      if (c.reader.next()) {
        c.nextTime = c.reader.ev.time;
        return true;
      }
      if (c.eof) return false;
      let r: IteratorResult<Buffer>;
      try {
        r = await c.iter.next();
      } catch (err) {
        throw new Error(`cannot read ${c.info.path}: ${(err as Error)?.message ?? String(err)}`);
      }
      if (r.done) {
        c.eof = true;
        c.reader.finish();
        continue;
      }
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      c.info.bytes += chunk.length;
      bytesRead += chunk.length;
      c.reader.append(chunk);
      if (afterChunk) await afterChunk(bytesRead);
    }
  };

  // Set up in the order given (blkparse: devices as named, CPUs 0..N), priming each.
  const cursors: Cursor[] = [];
  const encode = files.length <= MAX_SET_FILES;
  for (const [i, path] of files.entries()) {
    const m = CPU_SUFFIX.exec(basename(path));
    const cpu = m ? Number(m[1]) : -1;
    const info: BlktraceFileInfo = { path, cpu, bytes: 0, events: 0, devices: [] };
    infos.push(info);
    const c: Cursor = {
      // an event's loc says which file it is in (i × FILE_LOC_STRIDE + offset): evidence names the file
      reader: new RecordReader(session, path, 'blktrace', cpu, encode ? i * FILE_LOC_STRIDE : 0),
      iter: open(path, chunkSize)[Symbol.asyncIterator](),
      eof: false,
      info,
      nextTime: 0,
      devs: new Set(),
      lastDev: -1,
    };
    cursors.push(c);
    if (await fill(c)) list.insert(c);
  }

  const sink = ctx.sink;
  let last = -Infinity;
  for (let c = list.head; c; c = list.head) {
    const ev = c.reader.ev;
    // Names are looked up again at emission: a note read later in another file may name this pid.
    if (ev.comm === '' && session.comms.size > 0) ev.comm = session.commOf(ev.pid, ev.cpu);
    if (ev.time < last) {
      ctx.diag.add(Reason.unordered, 'info', {
        source: c.info.path, locKind: 'offset', loc: ev.loc, text: `${last - ev.time} ns earlier than the event before it`,
      });
    } else {
      last = ev.time;
    }
    c.info.events++;
    if (ev.dev !== c.lastDev) c.devs.add((c.lastDev = ev.dev));
    sink.event(ev);
    let more = c.reader.next();
    if (more) c.nextTime = ev.time;
    else more = await fill(c);
    list.advanced(!more);
  }
  for (const c of cursors) c.info.devices = [...c.devs].sort((a, b) => a - b).map(formatDev);
  ctx.attach('blktrace-files', infos);
}
