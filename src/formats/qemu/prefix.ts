/**
 * Line prefixes of QEMU's `log` trace backend (reference §4.6):
 *
 *   `TID@SEC.USEC:`                      scripts/tracetool/backend/log.py "%d@%zu.%06zu:" —
 *                                        always printed up to 5.2, with `-msg timestamp=on` 6.0–10.0
 *   `2025-07-21T18:43:28.089797Z `       10.1 (qemu_log, g_date_time_format_iso8601), no TID;
 *                                        the short-lived June 2025 form adds `(TID) `
 *   `[workload] prog(TID:thread): `      10.2-series qmessage_context, after the timestamp if any
 *   `PID@NS `                            qemu-trace-stap (the dtrace backend read by SystemTap, the way
 *                                        Fedora/RHEL builds are traced): scripts/tracetool/format/log_stap.py
 *                                        printf("%d@%d name fmt", pid(), gettimeofday_ns(), …) — the
 *                                        process id, not the thread's: every thread of QEMU is one id
 *   nothing                              no timestamp: only the order is known
 *
 * `parsePrefix` reads them from a string at `pos` and leaves the result in
 * `prefix` (one scratch object, no allocation per line).
 */

export const prefix = {
  /** Position after the prefix (the event name starts here). */
  pos: 0,
  /** Absolute seconds (integer part) and microseconds, or -1 when no timestamp. */
  sec: -1,
  usec: 0,
  tid: -1,
  /** Which prefix style was found: "tid@time", "iso8601", "prog", "pid@ns", "none". */
  style: 'none' as PrefixStyle,
};
export type PrefixStyle = 'tid@time' | 'iso8601' | 'prog' | 'pid@ns' | 'none';

function digitsEnd(s: string, p: number): number {
  while (p < s.length) {
    const c = s.charCodeAt(p);
    if (c < 48 || c > 57) break;
    p++;
  }
  return p;
}

/** `TID@SEC.USEC:` at p. */
function tidAtTime(s: string, p: number): boolean {
  const a = digitsEnd(s, p);
  if (a === p || s.charCodeAt(a) !== 64 /* @ */) return false;
  const b = digitsEnd(s, a + 1);
  if (b === a + 1 || s.charCodeAt(b) !== 46 /* . */) return false;
  const c = digitsEnd(s, b + 1);
  if (c === b + 1 || s.charCodeAt(c) !== 58 /* : */) return false;
  prefix.tid = Number(s.slice(p, a));
  prefix.sec = Number(s.slice(a + 1, b));
  // "%06zu": 6 digits; be tolerant of other widths
  const frac = s.slice(b + 1, c);
  prefix.usec = Math.round(Number(frac) * Math.pow(10, 6 - frac.length));
  prefix.pos = c + 1;
  prefix.style = 'tid@time';
  return true;
}

/**
 * `PID@NS ` at p (qemu-trace-stap): nanoseconds of CLOCK_REALTIME, read as text (19 digits are past a double's
 * exact integers); the id is SystemTap's pid(), the process's, so no thread id is kept (tid -1).
 */
function pidAtNs(s: string, p: number): boolean {
  const a = digitsEnd(s, p);
  if (a === p || s.charCodeAt(a) !== 64 /* @ */) return false;
  const b = digitsEnd(s, a + 1);
  // at least a second's worth of nanoseconds (10 digits), then a space and the event name
  if (b - a - 1 < 10 || s.charCodeAt(b) !== 32) return false;
  prefix.tid = -1;
  prefix.sec = Number(s.slice(a + 1, b - 9));
  prefix.usec = Math.floor(Number(s.slice(b - 9, b)) / 1000);
  prefix.pos = b + 1;
  prefix.style = 'pid@ns';
  return true;
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]Z ` at p, then an optional `(TID) `. */
function iso8601(s: string, p: number): boolean {
  if (s.length < p + 20) return false;
  if (s.charCodeAt(p + 4) !== 45 || s.charCodeAt(p + 7) !== 45 || s.charCodeAt(p + 10) !== 84 /* T */) return false;
  if (s.charCodeAt(p + 13) !== 58 || s.charCodeAt(p + 16) !== 58) return false;
  const y = Number(s.slice(p, p + 4));
  const mo = Number(s.slice(p + 5, p + 7));
  const d = Number(s.slice(p + 8, p + 10));
  const h = Number(s.slice(p + 11, p + 13));
  const mi = Number(s.slice(p + 14, p + 16));
  const se = Number(s.slice(p + 17, p + 19));
  if ([y, mo, d, h, mi, se].some((v) => !Number.isInteger(v))) return false;
  let q = p + 19;
  let usec = 0;
  if (s.charCodeAt(q) === 46) {
    const e = digitsEnd(s, q + 1);
    const frac = s.slice(q + 1, e);
    if (frac.length === 0) return false;
    usec = Math.round(Number(frac.slice(0, 9)) * Math.pow(10, 6 - Math.min(frac.length, 9)));
    q = e;
  }
  if (s.charCodeAt(q) !== 90 /* Z */) return false;
  q++;
  if (s.charCodeAt(q) === 32) q++;
  prefix.sec = Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
  prefix.usec = usec;
  prefix.tid = -1;
  if (s.charCodeAt(q) === 40 /* ( */) {
    const e = digitsEnd(s, q + 1);
    if (e > q + 1 && s.charCodeAt(e) === 41 && s.charCodeAt(e + 1) === 32) {
      prefix.tid = Number(s.slice(q + 1, e));
      q = e + 2;
    }
  }
  prefix.pos = q;
  prefix.style = 'iso8601';
  return true;
}

/** `[workload] prog(TID:thread): ` at p (the workload part optional). */
function progThread(s: string, p: number): boolean {
  let q = p;
  if (s.charCodeAt(q) === 91 /* [ */) {
    const close = s.indexOf('] ', q);
    if (close < 0) return false;
    q = close + 2;
  }
  const open = s.indexOf('(', q);
  if (open <= q) return false;
  for (let i = q; i < open; i++) if (s.charCodeAt(i) === 32) return false;
  const e = digitsEnd(s, open + 1);
  if (e === open + 1 || s.charCodeAt(e) !== 58 /* : */) return false;
  const close = s.indexOf('): ', e);
  if (close < 0) return false;
  prefix.tid = Number(s.slice(open + 1, e));
  prefix.pos = close + 3;
  if (prefix.style === 'none') prefix.style = 'prog';
  return true;
}

/** Reads an optional prefix at pos. Always succeeds (style "none" when there is none). */
export function parsePrefix(s: string, pos: number): void {
  prefix.pos = pos;
  prefix.sec = -1;
  prefix.usec = 0;
  prefix.tid = -1;
  prefix.style = 'none';
  const c = s.charCodeAt(pos);
  if (c >= 48 && c <= 57) {
    if (tidAtTime(s, pos)) return;
    if (pidAtNs(s, pos)) return;
    if (iso8601(s, pos)) {
      const tid = prefix.tid;
      if (progThread(s, prefix.pos)) {
        if (tid >= 0 && prefix.tid < 0) prefix.tid = tid;
      }
      return;
    }
    return;
  }
  progThread(s, pos);
}

/** A trace event name: an identifier with at least one "_" (every QEMU trace event has one). */
export function eventNameEnd(s: string, p: number): number {
  let underscore = false;
  let q = p;
  while (q < s.length) {
    const c = s.charCodeAt(q);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57 && q > p) || c === 95;
    if (!ok) break;
    if (c === 95) underscore = true;
    q++;
  }
  if (q === p || !underscore) return -1;
  if (q < s.length && s.charCodeAt(q) !== 32) return -1;
  return q;
}
