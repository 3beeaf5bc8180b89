/**
 * Byte-level scanning helpers shared by the text readers: read numbers and
 * tokens straight from a Buffer without building a string per field.
 * Every function takes (buf, pos, end) and returns a position; -1 = no match.
 */

export const SP = 32;
export const TAB = 9;

export function isSpace(c: number): boolean {
  return c === SP || c === TAB;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function skipSpaces(buf: Buffer, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SP || buf[pos] === TAB)) pos++;
  return pos;
}

/** Position after the non-space token starting at pos. */
export function tokenEnd(buf: Buffer, pos: number, end: number): number {
  while (pos < end && buf[pos] !== SP && buf[pos] !== TAB) pos++;
  return pos;
}

/**
 * Scratch result for number parsing: avoids an object per call.
 * `value` is the parsed number, `pos` the position after it.
 */
export const num = { value: 0, pos: 0 };

/** Unsigned decimal integer at pos. Returns false when there is no digit. */
export function readUint(buf: Buffer, pos: number, end: number): boolean {
  let v = 0;
  const start = pos;
  while (pos < end) {
    const c = buf[pos]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    pos++;
  }
  if (pos === start) return false;
  num.value = v;
  num.pos = pos;
  return true;
}

/** Optionally signed decimal integer. */
export function readInt(buf: Buffer, pos: number, end: number): boolean {
  if (buf[pos] === 45 /* - */) {
    if (!readUint(buf, pos + 1, end)) return false;
    num.value = -num.value;
    return true;
  }
  return readUint(buf, pos, end);
}

/**
 * "SEC.FRAC" → ns. FRAC may have any number of digits (ftrace prints 6,
 * blkparse 9); digits beyond 9 are ignored.
 */
export function readSecondsNs(buf: Buffer, pos: number, end: number): boolean {
  if (!readUint(buf, pos, end)) return false;
  const sec = num.value;
  pos = num.pos;
  if (buf[pos] !== 46 /* . */) return false;
  pos++;
  let frac = 0;
  let digits = 0;
  while (pos < end) {
    const c = buf[pos]!;
    if (c < 48 || c > 57) break;
    if (digits < 9) {
      frac = frac * 10 + (c - 48);
      digits++;
    }
    pos++;
  }
  if (digits === 0) return false;
  while (digits < 9) {
    frac *= 10;
    digits++;
  }
  num.value = sec * 1e9 + frac;
  num.pos = pos;
  return true;
}

/** Pack up to 7 ASCII bytes into a number key (for small lookup caches). */
export function packKey(buf: Buffer, start: number, end: number): number {
  if (end - start > 7) return -1;
  let k = 0;
  for (let i = start; i < end; i++) k = k * 128 + (buf[i]! & 0x7f);
  return k * 8 + (end - start);
}

/**
 * Same bytes → same string without decoding each time: process names and
 * disk names repeat on every line. Keyed by an FNV-1a hash of the bytes, the
 * bytes verified on a hit; cleared when it holds more than `max` entries.
 */
export class TextCache {
  private readonly map = new Map<number, { bytes: Buffer; text: string }>();

  constructor(private readonly max = 4096) {}

  get(buf: Buffer, s: number, e: number): string {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const hit = this.map.get(h);
    if (hit && hit.bytes.length === e - s) {
      const b = hit.bytes;
      let i = 0;
      while (i < b.length && b[i] === buf[s + i]) i++;
      if (i === b.length) return hit.text;
    }
    const text = buf.toString('utf8', s, e);
    if (this.map.size > this.max) this.map.clear();
    this.map.set(h, { bytes: Buffer.from(buf.subarray(s, e)), text });
    return text;
  }
}
