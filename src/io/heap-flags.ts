/**
 * V8 flags a run sets after start-up, set again each time a worker thread
 * starts.
 *
 * bin/blkaudit.js caps the main thread's young generation for long inputs
 * (`--max-semi-space-size=1 --semi-space-growth-factor=1`, set at run time:
 * a flag on the command line would cost start-up). Every isolate V8
 * configures, a worker thread's too, puts a growth factor below 2 back to 2
 * (V8 src/heap/heap.cc, Heap::ConfigureHeap), and the main thread's young
 * generation then grows to its maximum, 2 × 16 MiB, as soon as the first
 * parse worker runs: measured on the 1,000-copy stack, about 30 MiB more
 * peak RSS (README, Performance). The library sets no flag of its own: only
 * what a caller asked to keep (the CLI) is set again, once each new worker's
 * isolate is running.
 */

let reapply: (() => void) | undefined;

/** How to set the run's flags again (bin/blkaudit.js), or undefined to stop. */
export function keepHeapFlags(set: (() => void) | undefined): void {
  reapply = set;
}

/** A worker thread is running (its isolate configured): the run's flags are set again. */
export function workerStarted(): void {
  reapply?.();
}
