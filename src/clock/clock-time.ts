/**
 * Times a user gives (`check --at`, `follow --time`): on the report's
 * reference clock by default — the clock every time is printed on, so a time
 * copied from one command's output means the same instant in another — or,
 * written `trace:SECONDS`, in the trace's own clock (each source's, as its
 * trace prints it). Converting a reference time into a source's own clock is
 * the inverse of ReferenceClock.place (place.ts) and fails, saying so, for a
 * source the alignment did not reach.
 */
import type { ReferenceClockSection } from '../model/report.js';

export interface ClockTime {
  clock: 'reference' | 'trace';
  seconds: number;
}

/** The prefix that selects the trace's own clock. */
export const TRACE_CLOCK_PREFIX = 'trace:';

/** "12.5" (reference clock) or "trace:12.5" (the trace's own clock); throws an Error saying what was expected. */
export function parseClockTime(text: string, option: string): ClockTime {
  const trace = text.startsWith(TRACE_CLOCK_PREFIX);
  const num = (trace ? text.slice(TRACE_CLOCK_PREFIX.length) : text).trim();
  const seconds = Number(num);
  if (num === '' || !Number.isFinite(seconds)) {
    throw new Error(`${option} expects seconds on the report's clock (e.g. 12.5) or in the trace's own clock (trace:12.5), got ${JSON.stringify(text)}`);
  }
  if (seconds < 0) {
    throw new Error(`${option} ${text}: a time before 0 s, before anything was traced`);
  }
  return { clock: trace ? 'trace' : 'reference', seconds };
}

/** Where an input sits on the reference clock: reference seconds = own seconds (without clock base) − shift. */
export interface SourceShift {
  shift: number;
  uncertainty: number;
}

/** undefined when the input is not placed on the reference clock (unaligned, untimed, or unknown). */
export function sourceShift(clock: ReferenceClockSection | undefined, path: string): SourceShift | undefined {
  const s = clock?.sources.find((x) => x.source === path);
  if (!clock || !s || (s.status !== 'reference' && s.status !== 'placed')) return undefined;
  return { shift: (s.offsetSeconds ?? 0) + clock.zeroLocal, uncertainty: s.uncertaintySeconds ?? 0 };
}
