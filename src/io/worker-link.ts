/**
 * One parse worker seen from the main thread: the thread, its shared ring of
 * packed batches (src/io/packed.ts), and its messages in arrival order.
 */
import { Worker } from 'node:worker_threads';
import type { ParseContext, ParseOptions } from '../formats/types.js';
import { InputError } from '../model/errors.js';
import type { Batch, BatchFeeder, Ring } from './packed.js';
import type { ParseWorkerData, WorkerInput } from './parse-worker.js';
import { workerStarted } from './heap-flags.js';
import { emptyInPlace } from '../model/arrays.js';

// what the pump makes a link with, loaded with it (worker-pump.ts loadLink)
export { BatchReader, createRing } from './packed.js';
export { QemuBatchReader, createQemuRing } from './packed-qemu.js';

/** Only the plain-data parse options cross to the worker (functions and streams stay here). */
function plainOptions(options: ParseOptions): ParseOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out as ParseOptions;
}

export type Inbound =
  | Batch
  | { type: 'chunk-done'; buf: ArrayBuffer }
  | { type: 'end'; bytes: number }
  | { type: 'error'; message: string; stack: string; input: boolean };

/** One parse worker: its thread, its ring (read by `reader`), and its messages in arrival order. */
export class WorkerLink<R extends BatchFeeder> {
  readonly worker: Worker;
  private readonly inbox: Inbound[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(format: string, ctx: ParseContext, input: WorkerInput, ring: Ring, readonly reader: R) {
    const data: ParseWorkerData = {
      format, sourceIndex: ctx.sourceIndex, sourceName: ctx.sourceName, options: plainOptions(ctx.options), ring, input,
    };
    // A small young generation: the worker's garbage is tiny (batches live in the shared ring).
    this.worker = new Worker(new URL('./parse-worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.worker.once('online', workerStarted);
    this.worker.on('message', (m: Inbound) => {
      this.inbox.push(m);
      this.notify();
    });
    this.worker.on('error', (err) => {
      this.failure = err;
      this.notify();
    });
    this.worker.on('exit', (code) => {
      if (code !== 0 && !this.failure) this.failure = new Error(`parse worker exited with code ${code}`);
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The next message; an "error" message is thrown (an InputError when the worker could not read its input). */
  async next(ctx: ParseContext): Promise<Exclude<Inbound, { type: 'error' }>> {
    for (;;) {
      if (this.head < this.inbox.length) {
        const m = this.inbox[this.head]!;
        this.inbox[this.head++] = undefined as unknown as Inbound;
        if (this.head === this.inbox.length) {
          emptyInPlace(this.inbox);
          this.head = 0;
        }
        if (m.type !== 'error') return m;
        if (m.input) throw new InputError(m.message, ctx.sourceName);
        const err = new Error(m.message);
        err.stack = m.stack;
        throw err;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

