/**
 * A worker thread of `blkaudit check --each`: checks the captures the main
 * thread posts, one at a time, and posts each one's summary back. Parsing
 * stays in this thread (no nested parse workers): the captures themselves
 * are the parallel work.
 */
import { parentPort } from 'node:worker_threads';
import { checkAnalysis, type CheckCliOptions } from '../cli/check-analysis.js';
import { InputError } from '../model/errors.js';
import { UsageError } from '../cli/options.js';
import { VERSION } from '../version.js';
import { summarize, unreadable, type CaptureSummary } from './summary.js';
import type { CaptureInput } from './discover.js';

export interface CaptureJob {
  id: number;
  capture: string;
  name: string;
  inputs: CaptureInput[];
  opts: CheckCliOptions;
}

export interface CaptureDone {
  id: number;
  summary: CaptureSummary;
}

const LAYER_LIKE = /^[A-Za-z][\w.-]{0,31}=/;

/** The capture's inputs as check arguments; a plain path that looks like "layer=path" is kept a path. */
export function inputArgs(inputs: CaptureInput[]): string[] {
  return inputs.map((i) => (i.layer ? `${i.layer}=${i.path}` : LAYER_LIKE.test(i.path) ? `./${i.path}` : i.path));
}

export async function checkCapture(job: CaptureJob): Promise<CaptureSummary> {
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  try {
    const run = await checkAnalysis(inputArgs(job.inputs), { ...job.opts, parseWorker: false }, false);
    return summarize(job.capture, job.name, run, seconds());
  } catch (err) {
    // One capture that cannot be read, or that trips a bug, does not stop the others: its line says why.
    const e = err as Error;
    const message = err instanceof InputError || err instanceof UsageError
      ? e.message
      : `internal error (blkaudit ${VERSION}): ${e?.message ?? String(err)}`;
    return unreadable(job.capture, job.name, job.inputs, message, seconds());
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (job: CaptureJob) => {
    void checkCapture(job).then((summary) => port.postMessage({ id: job.id, summary } satisfies CaptureDone));
  });
}
