/**
 * Reading an analysis' inputs at the same time: one chain per layer, each
 * chain reading its layer's inputs one after another in argument order (a
 * layer's stage sinks see its events in that order), the chains side by side.
 * The main thread still runs every sink; what runs at once is the parsing
 * (parse workers, src/io/worker-pump.ts) and the waiting for bytes, so a stack
 * of three layers is read in about the time of its longest layer when the
 * main thread keeps up.
 *
 * Failures keep the meaning of a reading one after another: the error
 * reported is that of the first input, in argument order, that fails. When
 * input j fails, every input after it is stopped at once (its parse workers
 * ended, its stream closed); those before it are read on, since one of them
 * may fail too and would then be the one reported (they were read before j
 * when read one after another, so this takes no longer than that did),
 * no longer held by the pacing hook (AnalyzeOptions.paceInput).
 */
/** Thrown inside a stopped input's reading; never reaches the caller of analyze(). */
class Stopped extends Error {
  constructor() {
    super('input reading stopped: another input failed');
  }
}

/**
 * One input's "stop reading" flag, checked between chunks and batches (src/read/input.ts), and its release
 * from pacing: once an input after it failed, it is read to its end without waiting on the pacing hook
 * (what it would wait for may never come).
 */
export class InputStop {
  private stopped = false;
  private released = false;
  private readonly waiters = new Set<(err?: Error) => void>();
  /** Called once when stopped (closes the input's stream, so a read waiting for bytes ends). */
  onStop: (() => void) | undefined;

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop?.();
    this.wakeAll(new Stopped());
  }

  /** No more waiting on the pacing hook: a wait in progress ends now, later calls are not awaited. */
  release(): void {
    this.released = true;
    this.wakeAll();
  }

  private wakeAll(err?: Error): void {
    for (const w of this.waiters) w(err);
    this.waiters.clear();
  }

  /** Throws when stopped. */
  check(): void {
    if (this.stopped) throw new Stopped();
  }

  /** Whether the pacing hook is still to be called. */
  get paced(): boolean {
    return !this.released;
  }

  /** Awaits `p` (the pacing hook's answer, which may hold the input) until released; throws once stopped. */
  async race(p: Promise<void> | void): Promise<void> {
    this.check();
    if (p === undefined || typeof (p as Promise<void>).then !== 'function' || this.released) return;
    let wake: ((err?: Error) => void) | undefined;
    const woken = new Promise<void>((resolve, reject) => {
      wake = (err) => (err ? reject(err) : resolve());
      this.waiters.add(wake);
    });
    try {
      await Promise.race([p, woken]);
    } finally {
      this.waiters.delete(wake!);
    }
    this.check();
  }
}

export type ReadOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown } | undefined;

export interface ScheduledInput<T> {
  /** Position in the argument list. */
  index: number;
  /** Inputs with the same chain key are read one after another, in index order. */
  chain: string;
  read(stop: InputStop): Promise<T>;
  /** Called for an input never read (a failure before its turn): let go of what it holds. */
  skip(): void;
}

/**
 * Reads every input; returns each one's outcome by index (undefined: stopped or never read, which happens
 * only after an earlier input's failure). `failed(value)` says that a reading that returned is a failure all
 * the same (nothing readable, --strict): the inputs after it are stopped as after an error.
 */
export async function readAll<T>(inputs: ScheduledInput<T>[], failed: (v: T) => boolean): Promise<ReadOutcome<T>[]> {
  const outcomes: ReadOutcome<T>[] = inputs.map(() => undefined);
  const stops = inputs.map(() => new InputStop());
  let firstFailure = Infinity;
  const fail = (index: number): void => {
    if (index >= firstFailure) return;
    firstFailure = index;
    for (let k = index + 1; k < stops.length; k++) stops[k]!.stop();
    for (let k = 0; k < index; k++) stops[k]!.release();
  };
  const chains = new Map<string, ScheduledInput<T>[]>();
  for (const input of [...inputs].sort((a, b) => a.index - b.index)) {
    const c = chains.get(input.chain);
    if (c) c.push(input);
    else chains.set(input.chain, [input]);
  }
  // one chain (one layer, or in argument order): nothing is read beside it, so nothing to pace it against
  if (chains.size < 2) for (const s of stops) s.release();
  const runChain = async (chain: ScheduledInput<T>[]): Promise<void> => {
    for (const input of chain) {
      if (input.index > firstFailure) {
        input.skip();
        continue;
      }
      try {
        const value = await input.read(stops[input.index]!);
        outcomes[input.index] = { ok: true, value };
        if (failed(value)) fail(input.index);
      } catch (error) {
        // an input stopped because one before it failed: what it says after that does not count
        if (error instanceof Stopped || input.index > firstFailure) continue;
        outcomes[input.index] = { ok: false, error };
        fail(input.index);
      }
    }
  };
  await Promise.all([...chains.values()].map(runChain));
  return outcomes;
}
