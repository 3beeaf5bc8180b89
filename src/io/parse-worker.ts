/**
 * Worker-thread entry: runs one format's parser core over the chunks the main
 * thread posts, in order, and posts back batches of packed events and context
 * calls (src/io/packed.ts), then "chunk-done" after each chunk so the main
 * thread can keep a bounded number of chunks in flight.
 *
 * Buffers travel both ways by transfer and are reused (chunk buffers go back
 * with "chunk-done", batch buffers come back with "recycle"), so the memory of
 * both threads stays flat whatever the input length.
 *
 * Messages in:  {type:'chunk', buf, len} … {type:'recycle', buf}* … {type:'end'}
 * Messages out: {type:'batch', …}* {type:'chunk-done', buf} … {type:'end'} | {type:'error', message, stack}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { formatByName } from '../formats/registry.js';
import { EventPacker, type Batch } from './packed.js';
import type { ParseOptions } from '../formats/types.js';

export interface ParseWorkerData {
  format: string;
  sourceIndex: number;
  sourceName: string;
  options: ParseOptions;
}

type Inbound = { type: 'chunk'; buf: ArrayBuffer; len: number } | { type: 'recycle'; buf: ArrayBuffer } | { type: 'end' };

function start(port: NonNullable<typeof parentPort>, data: ParseWorkerData): void {
  const format = formatByName(data.format);
  if (!format) throw new Error(`parse worker: unknown format ${data.format}`);
  const packer = new EventPacker((b: Batch) => port.postMessage(b, [b.data.buffer as ArrayBuffer]));
  const parser = format.create(packer.context(data.sourceIndex, data.sourceName, data.options));
  port.on('message', (m: Inbound) => {
    try {
      if (m.type === 'chunk') {
        // Parser cores copy what they keep of a chunk (StreamParser contract), so the buffer can go back.
        parser.push(Buffer.from(m.buf, 0, m.len));
        packer.flush();
        port.postMessage({ type: 'chunk-done', buf: m.buf }, [m.buf]);
      } else if (m.type === 'recycle') {
        packer.recycle(m.buf);
      } else {
        parser.end();
        packer.flush();
        port.postMessage({ type: 'end' });
      }
    } catch (err) {
      const e = err as Error;
      port.postMessage({ type: 'error', message: e?.message ?? String(err), stack: e?.stack ?? '' });
    }
  });
}

if (parentPort) start(parentPort, workerData as ParseWorkerData);
