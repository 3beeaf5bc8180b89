/**
 * Matches text written by blkparse with a custom format against the compiled
 * tokens (format-string.ts), straight from the bytes.
 *
 * Leniency, on purpose: whitespace in the format matches any run of blanks
 * (widths pad with spaces, mail clients re-flow them), blanks before a
 * literal or a field are skipped, and a line break inside a record is taken
 * as a blank, so a record wrapped by a mail client (`(` at the end of one
 * line, `   0) [blkdiscard]` on the next) still matches once the lines are
 * joined. Results: MATCH, MORE (the text ended inside the record: join the
 * next line and retry) or FAIL.
 *
 * Field syntax comes from blkparse_fmt.c `print_field`: numbers printed with
 * %d/%u/%lu (c e m M n N p s S T U u), %t zero-padded ns ("%0<w>lu", default
 * width 9), %D "%3d,%-3d", %a/%d short strings, %C the process name (may hold
 * blanks or brackets: tried from the last possible end backwards), %P hex bytes,
 * %g "ino,gen" hex, %z "HH:MM:SS.usec".
 */
import { Act } from '../../model/event.js';
import { parseRwbs, type Rwbs } from '../../model/rwbs.js';
import { packKey, TextCache } from '../blkparse/bytes.js';
import { OP, type CompiledFormat } from './format-string.js';

export const MATCH = 0;
export const MORE = 1;
export const FAIL = 2;

const ACTIONS: Record<string, number> = {
  Q: Act.Queue, M: Act.BackMerge, F: Act.FrontMerge, G: Act.GetRq, S: Act.SleepRq, R: Act.Requeue,
  D: Act.Issue, C: Act.Complete, P: Act.Plug, U: Act.Unplug, T: Act.UnplugTimer,
  I: Act.Insert, X: Act.Split, B: Act.Bounce, A: Act.Remap, m: Act.Message,
};
/** One-letter actions by char code ("UT" is handled apart). */
const ACT_BY_CODE: Array<number | undefined> = [];
for (const [k, v] of Object.entries(ACTIONS)) ACT_BY_CODE[k.charCodeAt(0)] = v;

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70));
}

/** The values of one matched record (scratch, reused: -1 = not in the format). */
export class RecordMatcher {
  act = -1;
  /** First letter of the printed action (char code), 0 when the format has no %a. */
  actLetter = 0;
  rwbs: Rwbs | undefined;
  secs = -1;
  nsec = -1;
  tod = -1;
  major = -1;
  minor = -1;
  cpu = -1;
  seq = -1;
  pid = -1;
  sector = -1;
  blocks = -1;
  bytes = -1;
  error = -1;
  pduInt = -1;
  comm = '';
  pdu = '';
  private buf: Buffer = Buffer.alloc(0);
  private end = 0;
  private format: CompiledFormat | undefined;
  private readonly rwbsCache = new Map<number, Rwbs | null>();
  private readonly commCache = new TextCache();

  match(f: CompiledFormat, buf: Buffer, start: number, end: number): number {
    this.buf = buf;
    this.end = end;
    this.format = f;
    this.act = -1;
    this.actLetter = 0;
    this.rwbs = undefined;
    this.secs = this.nsec = this.tod = -1;
    this.major = this.minor = this.cpu = this.seq = this.pid = -1;
    this.sector = this.blocks = this.bytes = this.error = this.pduInt = -1;
    this.comm = '';
    this.pdu = '';
    return this.run(0, start);
  }

  /** Match the format's tokens from index ti at p. */
  private run(ti: number, p: number): number {
    const buf = this.buf;
    const e = this.end;
    const f = this.format!;
    const ops = f.ops;
    const n = ops.length;
    for (; ti < n; ti++) {
      switch (ops[ti]) {
        case OP.ws:
          while (p < e && isBlank(buf[p]!)) p++;
          break;
        case OP.wsBeforeNl:
          while (p < e && (buf[p] === 32 || buf[p] === 9)) p++;
          break;
        case OP.nl:
          while (p < e && (buf[p] === 32 || buf[p] === 9 || buf[p] === 13)) p++;
          if (p === e) break;
          if (buf[p] === 10) p++;
          else if (!(p > 0 && buf[p - 1] === 10)) return FAIL;
          break;
        case OP.lit: {
          while (p < e && isBlank(buf[p]!)) p++;
          const lit = f.lits[f.args[ti]!]!;
          const len = lit.length;
          for (let k = 0; k < len; k++) {
            if (p + k >= e) return MORE;
            if (buf[p + k] !== lit[k]) return FAIL;
          }
          p += len;
          break;
        }
        case OP.comm:
          while (p < e && isBlank(buf[p]!)) p++;
          if (p >= e) return MORE;
          return this.comm_(ti, p);
        default: {
          const p0 = p;
          while (p < e && isBlank(buf[p]!)) p++;
          if (p >= e) return MORE;
          const w = f.widths[ti]!;
          p = this.field(f.args[ti]!, p, w > 0 ? Math.min(e, Math.max(p, p0 + w)) : e);
          if (p < 0) return FAIL;
        }
      }
    }
    while (p < e && isBlank(buf[p]!)) p++;
    return p < e ? FAIL : MATCH;
  }

  /** One non-comm field at p; returns the position after it, or -1. */
  private field(spec: number, p: number, e: number): number {
    const buf = this.buf;
    switch (spec) {
      case 97: { // a
        // One or two letters: Q M F G S R D C P U UT I X B A, or m.
        const c0 = buf[p]!;
        const c1 = p + 1 < e ? buf[p + 1]! : 0;
        const two = c1 >= 65 && c1 <= 90;
        const act = two ? (c0 === 85 && c1 === 84 ? Act.UnplugTimer : undefined) : ACT_BY_CODE[c0];
        if (act === undefined) return -1;
        this.act = act;
        this.actLetter = c0;
        return p + (two ? 2 : 1);
      }
      case 100: { // d
        let q = p;
        while (q < e && buf[q]! >= 65 && buf[q]! <= 90) q++;
        if (q === p) return -1;
        const key = packKey(buf, p, q);
        let r = key >= 0 ? this.rwbsCache.get(key) : undefined;
        if (r === undefined) {
          r = parseRwbs(buf.toString('latin1', p, q), 'blktrace') ?? null;
          if (key >= 0) this.rwbsCache.set(key, r);
        }
        if (!r) return -1;
        this.rwbs = r;
        return q;
      }
      case 68: { // D
        let q = this.int(p, e);
        if (q < 0 || buf[q] !== 44 /* , */) return -1;
        this.major = this.v;
        q = this.int(q + 1, e);
        if (q < 0) return -1;
        this.minor = this.v;
        return q;
      }
      case 80: { // P
        // "12 00 00 .." (dump_pdu) or nothing.
        let q = p;
        while (q + 1 < e && isHex(buf[q]) && isHex(buf[q + 1]) && !isHex(buf[q + 2])) {
          q += 2;
          if (buf[q] === 32 && (isHex(buf[q + 1]) || buf[q + 1] === 46)) q++;
          else break;
        }
        if (buf[q] === 46 && buf[q + 1] === 46) q += 2;
        this.pdu = buf.toString('latin1', p, q).trim();
        return q;
      }
      case 103: { // g
        let q = p;
        while (q < e && (isHex(buf[q]) || buf[q] === 44)) q++;
        return q === p ? -1 : q;
      }
      case 122: { // z
        // HH:MM:SS.usec
        if (e - p < 10 || buf[p + 2] !== 58 || buf[p + 5] !== 58 || buf[p + 8] !== 46) return -1;
        const h = (buf[p]! - 48) * 10 + buf[p + 1]! - 48;
        const m = (buf[p + 3]! - 48) * 10 + buf[p + 4]! - 48;
        const s = (buf[p + 6]! - 48) * 10 + buf[p + 7]! - 48;
        let q = p + 9;
        let us = 0;
        let digits = 0;
        while (q < e && isDigit(buf[q])) {
          if (digits < 6) us = us * 10 + buf[q]! - 48;
          digits++;
          q++;
        }
        if (digits === 0 || h > 23 || m > 59 || s > 60) return -1;
        while (digits++ < 6) us *= 10;
        this.tod = (h * 3600 + m * 60 + s) * 1e9 + us * 1000;
        return q;
      }
      default: {
        const q = this.int(p, e);
        if (q < 0) return -1;
        const v = this.v;
        switch (spec) {
          case 99 /* c */: this.cpu = v; break;
          case 101 /* e */: this.error = v; break;
          case 109 /* m */: this.minor = v; break;
          case 77 /* M */: this.major = v; break;
          case 110 /* n */: this.blocks = v; break;
          case 78 /* N */: this.bytes = v; break;
          case 112 /* p */: this.pid = v; break;
          case 115 /* s */: this.seq = v; break;
          case 83 /* S */: this.sector = v; break;
          case 116 /* t */: this.nsec = v; break;
          case 84 /* T */: this.secs = v; break;
          case 85 /* U */: this.pduInt = v; break;
          default: break; // u: -t elapsed µs
        }
        return q;
      }
    }
  }

  private v = 0;

  /** Optionally signed decimal at p (to at most e); -1 when no digit. */
  private int(p: number, e: number): number {
    const buf = this.buf;
    let neg = false;
    if (buf[p] === 45 /* - */) {
      neg = true;
      p++;
    }
    const s = p;
    let v = 0;
    while (p < e && isDigit(buf[p])) v = v * 10 + (buf[p++]! - 48);
    if (p === s) return -1;
    this.v = neg ? -v : v;
    return p;
  }

  /**
   * %C: a process name may contain blanks and brackets, so every place it
   * could end is tried from the last one on the line backwards until the
   * rest of the format matches.
   */
  private comm_(ti: number, p: number): number {
    const buf = this.buf;
    const e = this.end;
    let lineEnd = buf.indexOf(10, p);
    if (lineEnd < 0 || lineEnd > e) lineEnd = e;
    const f = this.format!;
    const next = ti + 1 < f.ops.length ? f.ops[ti + 1]! : -1;
    this.more = false;
    if (next === -1 || next === OP.nl) {
      if (this.commEndsAt(ti, p, lineEnd)) return MATCH;
    } else if (next === OP.lit) {
      const first = f.lits[f.args[ti + 1]!]![0]!;
      for (let q = lineEnd - 1; q >= p; q--) if (buf[q] === first && this.commEndsAt(ti, p, q)) return MATCH;
    } else {
      // Blank or another field next: the name ends before a run of blanks.
      if (this.commEndsAt(ti, p, lineEnd)) return MATCH;
      for (let q = lineEnd - 1; q > p; q--) {
        if ((buf[q] === 32 || buf[q] === 9) && buf[q - 1] !== 32 && buf[q - 1] !== 9 && this.commEndsAt(ti, p, q)) return MATCH;
      }
    }
    return this.more || lineEnd === e ? MORE : FAIL;
  }

  private more = false;

  /** Does the rest of the format match when the name spans [p, q)? */
  private commEndsAt(ti: number, p: number, q: number): boolean {
    const buf = this.buf;
    let v = q;
    while (v > p && (buf[v - 1] === 32 || buf[v - 1] === 9)) v--;
    const r = this.run(ti + 1, q);
    if (r === MATCH) {
      this.comm = this.commCache.get(this.buf, p, v);
      return true;
    }
    if (r === MORE) this.more = true;
    return false;
  }
}
