/**
 * `decodeArgs` (events.ts) over a line's bytes: the same walk over the same
 * tokens, without a string per token. Keys are found by their bytes, numbers
 * are read in place, and pointers come from a table (a trace repeats a few
 * hundred pointers millions of times). Rare shapes — `key=value` tokens, a
 * number with a '.', a text value — make their strings and go through the
 * string code (`setArg`, `parseNumber`), so a line decodes exactly as
 * `decodeArgs` decodes its text (test/qemu-bytes.test.ts compares the two on
 * every QEMU trace of the fixtures and on generated lines).
 *
 * Why the byte positions give the same tokens as the text: tokens are split
 * at the byte 0x20, which UTF-8 never uses inside a character (and an invalid
 * byte decodes to U+FFFD, not a space), and every byte the walk compares
 * (digits, '(', '=', '-', "'", "0x") is ASCII.
 */
import { QemuKind, type QemuEvent } from './event.js';
import { ARG_SLOTS, parseNumber, POINTER_FIELDS, sectorsToBytes, setArg, setNumber, setPointer, type Field } from './events.js';

interface Key {
  text: string;
  field: Field;
  /** obj/req/bs or a text field: the value is kept as text (setArg). */
  asText: boolean;
}

/** The hash every token gets while it is scanned: h·31 + byte, in 32 bits. */
function hashText(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

const KEYS = new Map<number, Key[]>();
let maxKey = 0;
for (const [text, field] of ARG_SLOTS) {
  const h = hashText(text);
  const list = KEYS.get(h) ?? [];
  list.push({ text, field, asText: POINTER_FIELDS.has(field) || field === 'text' });
  KEYS.set(h, list);
  maxKey = Math.max(maxKey, text.length);
}
const MAX_KEY = maxKey;

function keyAt(h: number, buf: Buffer, a: number, b: number): Key | undefined {
  const list = KEYS.get(h);
  if (list === undefined) return undefined;
  outer: for (const k of list) {
    if (k.text.length !== b - a) continue;
    for (let i = 0; i < k.text.length; i++) if (k.text.charCodeAt(i) !== buf[a + i]) continue outer;
    return k;
  }
  return undefined;
}

/**
 * One string per pointer text (and any short ASCII value): an open-addressing
 * table of the texts by a hash of their bytes, a hit checked character by
 * character. No number keys (a 48-bit pointer is no small integer: as a Map
 * key it would be boxed on every lookup).
 */
export class PointerTexts {
  private static readonly SLOTS = 1 << 14;
  private readonly hashes = new Int32Array(PointerTexts.SLOTS);
  private readonly texts: Array<string | undefined> = new Array<string | undefined>(PointerTexts.SLOTS).fill(undefined);
  private used = 0;

  /** Where the last token() ended. */
  next = 0;

  /** The token at a (up to the next space or `end`) as text; `next` is set to its end. */
  token(buf: Buffer, a: number, end: number): string {
    let h = 0;
    let high = 0;
    let b = a;
    for (; b < end; b++) {
      const c = buf[b]!;
      if (c === 32) break;
      high |= c;
      h = (Math.imul(h, 31) + c) | 0;
    }
    this.next = b;
    if (high >= 128 || b - a > 32) return buf.toString('utf8', a, b);
    const mask = PointerTexts.SLOTS - 1;
    let i = h & mask;
    for (;;) {
      const t = this.texts[i];
      if (t === undefined) break;
      if (this.hashes[i] === h && sameText(t, buf, a, b)) return t;
      i = (i + 1) & mask;
    }
    const s = buf.toString('latin1', a, b);
    if (this.used >= (PointerTexts.SLOTS >> 1)) {
      // full: start again (a trace with this many live pointers is rare; the texts stay correct)
      this.texts.fill(undefined);
      this.used = 0;
      i = h & mask;
    }
    this.used++;
    this.hashes[i] = h;
    this.texts[i] = s;
    return s;
  }
}

function sameText(t: string, buf: Buffer, a: number, b: number): boolean {
  if (t.length !== b - a) return false;
  for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) !== buf[a + i]) return false;
  return true;
}

/** numberAt (events.ts) over bytes: decimal (signed) or 0x-hex in buf[start, end), trailing ",)" and ":" ignored; NaN otherwise. */
export function numberAtBytes(buf: Buffer, start: number, end: number): number {
  while (end > start) {
    const c = buf[end - 1]!;
    if (c === 44 || c === 41 || c === 58) end--;
    else break;
  }
  if (end <= start) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
  }
  if (i >= end) return NaN;
  let v = 0;
  if (buf[i] === 48 && end - i > 2 && (buf[i + 1]! | 32) === 120) {
    for (i += 2; i < end; i++) {
      const c = buf[i]! | 32;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return NaN;
      v = v * 16 + d;
    }
  } else {
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) return c === 46 ? parseNumber(buf.toString('utf8', start, end)) : NaN;
      v = v * 10 + (c - 48);
    }
  }
  return neg ? -v : v;
}

/** looksLikeValueAt (events.ts): a digit, '-', "'" or "(nil)" at p (the "(nil)" may run past the token, as there). */
function looksLikeValue(buf: Buffer, p: number, end: number): boolean {
  const c = buf[p]!;
  if ((c >= 48 && c <= 57) || c === 45 || c === 39) return true;
  return c === 40 && p + 5 <= end && buf[p + 1] === 110 && buf[p + 2] === 105 && buf[p + 3] === 108 && buf[p + 4] === 41;
}

/**
 * Decode buf[start, end), the arguments of an event of `kind` (not Other, not
 * ScsiRequest: those are decoded from their text), into `e` as decodeArgs
 * does. `e.args` is left to the caller.
 */
export function decodeArgBytes(e: QemuEvent, kind: QemuKind, buf: Buffer, start: number, end: number, pointers: PointerTexts): void {
  let pos = start;
  let pending: Key | undefined;
  while (pos < end) {
    while (pos < end && buf[pos] === 32) pos++;
    if (pos >= end) break;
    if (pending !== undefined) {
      const k = pending;
      pending = undefined;
      if (!k.asText) {
        // the usual value, decimal digits or 0x and hex digits up to the next space, read in one pass;
        // anything else by numberAt's rules
        let q = pos;
        let v = 0;
        let plain = true;
        if (buf[pos] === 48 && (buf[pos + 1]! | 32) === 120 && pos + 2 < end && buf[pos + 2] !== 32) {
          for (q = pos + 2; q < end; q++) {
            const b = buf[q]!;
            if (b === 32) break;
            const c = b | 32;
            const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
            if (d < 0) {
              plain = false;
              break;
            }
            v = v * 16 + d;
          }
        } else {
          for (; q < end; q++) {
            const c = buf[q]!;
            if (c === 32) break;
            if (c < 48 || c > 57) {
              plain = false;
              break;
            }
            v = v * 10 + (c - 48);
          }
        }
        if (!plain) {
          while (q < end && buf[q] !== 32) q++;
          v = numberAtBytes(buf, pos, q);
        }
        if (!Number.isNaN(v)) {
          setNumber(e, k.field, v);
          pos = q;
          continue;
        }
      } else if (looksLikeValue(buf, pos, end)) {
        if (k.field === 'text') {
          let q = pos;
          while (q < end && buf[q] !== 32) q++;
          setArg(e, k.text, buf.toString('utf8', pos, q));
          pos = q;
        } else {
          setPointer(e, k.text, k.field, pointers.token(buf, pos, end));
          pos = pointers.next;
        }
        continue;
      }
    }
    // the token [ts, q) as a key: its hash and first '=' past a leading '(' (the text walk drops it,
    // except from "(nil)", which is no key and has no '=' either way)
    const ts = buf[pos] === 40 ? pos + 1 : pos;
    let h = 0;
    let eq = -1;
    let q = ts;
    for (; q < end; q++) {
      const c = buf[q]!;
      if (c === 32) break;
      if (c === 61 && eq < 0) eq = q;
      h = (Math.imul(h, 31) + c) | 0;
    }
    pos = q;
    if (eq > ts) {
      setArg(e, buf.toString('utf8', ts, eq), buf.toString('utf8', eq + 1, q));
      continue;
    }
    if (q - ts <= MAX_KEY) pending = keyAt(h, buf, ts, q);
  }
  sectorsToBytes(e, kind);
}
