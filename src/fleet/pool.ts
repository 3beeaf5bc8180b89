/**
 * Runs `--each` captures over a pool of worker threads (check-worker.ts) and
 * hands back their summaries in the order the captures were found, whatever
 * order they finish in. A worker that dies (out of memory, a crash in the
 * runtime) costs only the capture it held: that capture's line says so and a
 * new worker takes the next one.
 */
import { Worker } from 'node:worker_threads';
import type { Capture } from './discover.js';
import type { CaptureDone, CaptureJob } from './check-worker.js';
import { unreadable, type CaptureSummary } from './summary.js';
import type { CheckCliOptions } from '../cli/check-analysis.js';
import { workerStarted } from '../io/heap-flags.js';

export async function runPool(
  captures: Capture[],
  opts: CheckCliOptions,
  jobs: number,
  /** Returns false to stop: no capture is started after that (the reader of stdout went away). */
  onSummary: (s: CaptureSummary) => Promise<boolean> | boolean,
): Promise<void> {
  const done = new Map<number, CaptureSummary>();
  let next = 0;
  let stopped = false;
  let emitted = 0;
  let emitting: Promise<void> = Promise.resolve();
  const plain: CheckCliOptions = JSON.parse(JSON.stringify(opts)) as CheckCliOptions;

  // Summaries leave in discovery order; the ones that finish early wait here (small: one record each).
  const emitReady = () => {
    emitting = emitting.then(async () => {
      while (done.has(emitted)) {
        const s = done.get(emitted)!;
        done.delete(emitted);
        emitted++;
        if (!stopped && !(await onSummary(s))) stopped = true;
      }
    });
  };

  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const start = (): void => {
      if (next >= captures.length) {
        if (running === 0) resolve();
        return;
      }
      const worker = new Worker(new URL('./check-worker.js', import.meta.url));
      worker.once('online', workerStarted);
      running++;
      let current: CaptureJob | undefined;
      const give = () => {
        if (next >= captures.length || stopped) {
          current = undefined;
          void worker.terminate();
          return;
        }
        const c = captures[next]!;
        current = { id: next++, capture: c.dir, name: c.name, inputs: c.inputs, opts: plain };
        worker.postMessage(current);
      };
      worker.on('message', (m: CaptureDone) => {
        done.set(m.id, m.summary);
        emitReady();
        give();
      });
      worker.on('error', (err) => {
        if (current) {
          done.set(current.id, unreadable(current.capture, current.name, current.inputs, `worker failed: ${err.message}`, 0));
          emitReady();
          current = undefined;
        }
      });
      worker.on('exit', () => {
        running--;
        if (current) {
          done.set(current.id, unreadable(current.capture, current.name, current.inputs, 'worker exited while checking this capture', 0));
          emitReady();
          current = undefined;
        }
        if (next < captures.length && !stopped) start();
        else if (running === 0) resolve();
      });
      give();
    };
    try {
      for (let i = 0; i < Math.min(jobs, captures.length); i++) start();
      if (captures.length === 0) resolve();
    } catch (err) {
      reject(err as Error);
    }
  });
  await emitting;
}
