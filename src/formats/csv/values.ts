/**
 * Field values of CSV traces: decimal times split into whole seconds and ns
 * (a FILETIME such as 128166372003061629 is beyond 2^53, so it is never turned
 * into one Number), request types, integers.
 */
import { Op, parseRwbs, type Rwbs } from '../../model/rwbs.js';

/** Scratch result of `parseTime` (no object per call). */
export const tv = { sec: 0, ns: 0 };

const DECIMAL = /^\+?(\d*)(?:\.(\d*))?$/;

/**
 * "I[.F]" in a unit with `unitDigits` decimal digits below one second
 * (s 0, ms 3, us 6, 100 ns 7, ns 9) → tv.sec + tv.ns, exact to the ns.
 * Exponent forms ("1.5e3") are accepted through Number (not exact).
 */
export function parseTime(text: string, unitDigits: number): boolean {
  const m = DECIMAL.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
    const v = Number(text);
    if (text === '' || !Number.isFinite(v) || v < 0) return false;
    const secs = v / 10 ** unitDigits;
    tv.sec = Math.floor(secs);
    tv.ns = Math.round((secs - tv.sec) * 1e9);
    return true;
  }
  const whole = m[1]!;
  const frac = m[2] ?? '';
  const cut = Math.max(0, whole.length - unitDigits);
  tv.sec = cut > 0 ? Number(whole.slice(0, cut)) : 0;
  // Sub-second digits: the last `unitDigits` of the whole part, then the fraction.
  const sub = whole.slice(cut).padStart(unitDigits, '0') + frac;
  tv.ns = sub === '' ? 0 : Number(sub.padEnd(9, '0').slice(0, 9));
  return true;
}

/** Duration in a unit → ns (floating, rounded; durations are small). */
export function parseDurationNs(text: string, unitDigits: number): number {
  if (!parseTime(text, unitDigits)) return -1;
  return tv.sec * 1e9 + tv.ns;
}

/** Non-negative integer field; -1 when it is not one. */
export function parseCount(text: string): number {
  if (text === '' || text.length > 16) return -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  return Number(text);
}

const WORDS: Record<string, Rwbs> = {
  read: { op: Op.Read, flags: 0 },
  r: { op: Op.Read, flags: 0 },
  rd: { op: Op.Read, flags: 0 },
  write: { op: Op.Write, flags: 0 },
  w: { op: Op.Write, flags: 0 },
  wr: { op: Op.Write, flags: 0 },
  flush: { op: Op.Flush, flags: 0 },
  f: { op: Op.Flush, flags: 0 },
  discard: { op: Op.Discard, flags: 0 },
  trim: { op: Op.Discard, flags: 0 },
  unmap: { op: Op.Discard, flags: 0 },
  d: { op: Op.Discard, flags: 0 },
};

/**
 * A request type: a word (Read, write, W, Flush, Trim…), or an RWBS string as
 * blkparse prints it (WS, FWFSM, FN). `values` maps other spellings first.
 */
export function parseOp(text: string, values?: Map<string, string>): Rwbs | undefined {
  let t = text.trim();
  const mapped = values?.get(t.toLowerCase());
  if (mapped !== undefined) t = mapped;
  const word = WORDS[t.toLowerCase()];
  if (word) return word;
  if (/^[A-Z]+$/.test(t)) return parseRwbs(t, 'blktrace');
  return undefined;
}
