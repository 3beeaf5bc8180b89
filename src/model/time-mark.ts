/**
 * A time inside a finding's message, written by the stage in its source's own
 * clock and put on the report's reference clock when the analysis ends
 * (src/clock/place.ts). Stages cannot do it themselves: the clocks of the
 * layers are aligned only after every layer has been read.
 *
 *   `acknowledged a flush at ${timeMark(source, 5.247788)}`
 *   → "acknowledged a flush at 0.021644 s ± 12 µs" (or "… at 5.247788 s (qemu clock, not aligned)")
 *
 * The mark is plain text so a message stays a string; it never appears in a
 * finished Report (resolveTimeMarks replaces every one).
 */

const MARK = /\u27e6t (-?\d+) (-?[0-9.e+-]+|NaN|-?Infinity)\u27e7/g;

/** A time (seconds in the source's clock, as stored: without the clock's base) in a message. */
export function timeMark(source: number, seconds: number): string {
  return `\u27e6t ${source} ${seconds}\u27e7`;
}

/** Replace every time mark in `text` with `render(source, seconds)`. */
export function resolveTimeMarks(text: string, render: (source: number, seconds: number) => string): string {
  return text.replace(MARK, (_m, src: string, sec: string) => render(Number(src), Number(sec)));
}
