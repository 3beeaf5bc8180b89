/**
 * The per-line context that the ftrace `trace` file, `trace-cmd report` and
 * `perf script` print before an event body, read straight from the bytes:
 *
 *   ftrace `trace`   "<comm>-<pid> [(<tgid>)] [CPU] FLAGS SECS.USECS: "
 *                    (kernel/trace/trace_output.c trace_print_context; FLAGS is
 *                    4 chars before 4.x, 5 since, absent with options/noirq-info)
 *   latency format   "<comm>-<pid> CPUFLAGS SECS.USECS: "  (trace_print_lat_context,
 *                    `trace-cmd report -l`: the CPU number is glued to the flags)
 *   trace-cmd report "<comm>-<pid> [CPU] SECS.USECS: "     (its own padding)
 *   perf script      "<comm> <tid> [CPU] SECS.USECS: "     (or "<pid>/<tid>")
 *
 * The timestamp is found first (the first ": " preceded by " DIGITS.DIGITS"),
 * then the tokens before it are read right to left, so process names may hold
 * spaces, dashes, colons and brackets (`kworker/0:0H-10`, `Thread-6-11566`).
 */
import { isDigit, num, readSecondsNs } from '../blkparse/bytes.js';

export interface LineContext {
  /** Trace-clock time in ns. */
  time: number;
  cpu: number;
  pid: number;
  /** comm bytes [commStart, commEnd) in the line buffer; empty when commEnd <= commStart. */
  commStart: number;
  commEnd: number;
  /** First byte of the event text after "TS: " (spaces skipped). */
  body: number;
  /** Decimals printed in the timestamp (6 = µs: ftrace, trace-cmd, perf; 9 = ns). */
  fracDigits: number;
}

export function newLineContext(): LineContext {
  return { time: 0, cpu: -1, pid: -1, commStart: 0, commEnd: 0, body: 0, fracDigits: 0 };
}

function isBlank(c: number | undefined): boolean {
  return c === 32 || c === 9;
}

/**
 * Position of the ':' that ends the timestamp, with num.value = ns, or -1.
 * `tsStart` receives the timestamp's first byte via the returned scratch.
 */
const ts = { start: 0, dot: 0 };

function findTimestamp(buf: Buffer, s: number, e: number): number {
  for (let i = s + 3; i < e; i++) {
    if (buf[i] !== 58 /* : */) continue;
    if (i + 1 < e && !isBlank(buf[i + 1])) continue;
    let j = i - 1;
    if (!isDigit(buf[j]!)) continue;
    while (j > s && isDigit(buf[j]!)) j--;
    if (buf[j] !== 46 /* . */) continue;
    ts.dot = j;
    j--;
    if (j < s || !isDigit(buf[j]!)) continue;
    while (j > s && isDigit(buf[j]!)) j--;
    if (isDigit(buf[j]!)) {
      if (j !== s) continue;
    } else if (!isBlank(buf[j])) {
      continue;
    } else {
      j++;
    }
    ts.start = j;
    return i;
  }
  return -1;
}

/**
 * Reads the context of a prefixed event line [s, e). Returns false when the
 * line has no recognisable "… [CPU] … TS: " context (out is then undefined).
 */
export function readLineContext(buf: Buffer, s: number, e: number, out: LineContext): boolean {
  const colon = findTimestamp(buf, s, e);
  if (colon < 0) return false;
  if (!readSecondsNs(buf, ts.start, colon)) return false;
  out.time = num.value;
  out.fracDigits = colon - ts.dot - 1;
  let b = colon + 1;
  while (b < e && isBlank(buf[b])) b++;
  out.body = b;
  // Right to left over the context: [CPU] or FLAGS or CPUFLAGS.
  let ce = ts.start;
  while (ce > s && isBlank(buf[ce - 1])) ce--;
  if (ce <= s) return false;
  let cpu = -1;
  if (buf[ce - 1] !== 93 /* ] */) {
    // a flags token: "d..1.", "....", or latency "0d..1." with the CPU in front
    let t = ce - 1;
    while (t > s && !isBlank(buf[t - 1])) t--;
    if (isDigit(buf[t]!)) {
      let v = 0;
      let k = t;
      while (k < ce && isDigit(buf[k]!)) v = v * 10 + (buf[k++]! - 48);
      if (k < ce) cpu = v; // digits followed by flags: latency format
    }
    ce = t;
    while (ce > s && isBlank(buf[ce - 1])) ce--;
  }
  if (cpu < 0) {
    if (ce <= s || buf[ce - 1] !== 93) return false;
    let o = ce - 2;
    let v = 0;
    let m = 1;
    while (o > s && isDigit(buf[o]!)) {
      v += (buf[o]! - 48) * m;
      m *= 10;
      o--;
    }
    if (buf[o] !== 91 /* [ */ || m === 1) return false;
    cpu = v;
    ce = o;
    while (ce > s && isBlank(buf[ce - 1])) ce--;
  }
  out.cpu = cpu;
  // optional "(tgid)" (options/record-tgid)
  if (ce > s && buf[ce - 1] === 41 /* ) */) {
    let o = ce - 2;
    while (o > s && buf[o] !== 40 /* ( */) o--;
    if (buf[o] !== 40) return false;
    ce = o;
    while (ce > s && isBlank(buf[ce - 1])) ce--;
  }
  let cs = s;
  while (cs < ce && isBlank(buf[cs])) cs++;
  if (cs >= ce) return false;
  // pid: trailing digits, after '-' (ftrace, trace-cmd) or a blank (perf, "pid/tid" too)
  let d = ce;
  while (d > cs && isDigit(buf[d - 1]!)) d--;
  if (d === ce) return false;
  let pid = 0;
  for (let k = d; k < ce; k++) pid = pid * 10 + (buf[k]! - 48);
  let commEnd: number;
  if (buf[d - 1] === 45 /* - */) {
    commEnd = d - 1;
  } else if (buf[d - 1] === 47 /* / */ || isBlank(buf[d - 1]) || d === cs) {
    // perf: "comm tid" or "comm pid/tid" (the tid is the kernel's pid)
    commEnd = d;
    if (buf[commEnd - 1] === 47) {
      commEnd--;
      while (commEnd > cs && isDigit(buf[commEnd - 1]!)) commEnd--;
    }
    while (commEnd > cs && isBlank(buf[commEnd - 1])) commEnd--;
  } else {
    return false;
  }
  out.pid = pid;
  out.commStart = cs;
  out.commEnd = commEnd;
  return true;
}

/**
 * A context cut down to its timestamp, `SECS.USECS: event: …` at the line's first byte `s`: `trace-cmd
 * report` output whose task and CPU columns the poster removed (linux-xfs, 2019-07-08,
 * `<20190708161919.GN1404256@magnolia>` quoting Dave Chinner: `53.633340: block_bio_queue:      8,80 RSM …`).
 * The time is kept; task, pid and CPU are unknown (comm from the body's `[comm]`).
 */
export function readTimeOnlyContext(buf: Buffer, s: number, e: number, out: LineContext): boolean {
  if (!isDigit(buf[s]!)) return false;
  const colon = findTimestamp(buf, s, e);
  if (colon < 0 || ts.start !== s) return false;
  if (!readSecondsNs(buf, s, colon)) return false;
  out.time = num.value;
  out.fracDigits = colon - ts.dot - 1;
  let b = colon + 1;
  while (b < e && isBlank(buf[b])) b++;
  out.body = b;
  out.cpu = -1;
  out.pid = -1;
  out.commStart = out.commEnd = 0;
  return true;
}

/** True when bytes [s, e) spell `<...>`, ftrace's "comm not in the cmdline cache". */
export function isUnknownComm(buf: Buffer, s: number, e: number): boolean {
  return e - s === 5 && buf[s] === 60 && buf[s + 1] === 46 && buf[s + 2] === 46 && buf[s + 3] === 46 && buf[s + 4] === 62;
}

/**
 * Event name at p: "name:" or perf's "sys:name:". Sets `name.start/end` and
 * returns the position after the final ':' (not after spaces), or -1.
 */
export const name = { start: 0, end: 0 };

function isNameByte(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

export function readEventName(buf: Buffer, p: number, e: number): number {
  let i = p;
  while (i < e && isNameByte(buf[i]!)) i++;
  // (bytes at or past e are never looked at: the line buffer may hold stale bytes there)
  if (i === p || i >= e || buf[i] !== 58) return -1;
  if (i + 1 < e && isNameByte(buf[i + 1]!)) {
    // "block:block_rq_issue:" — a system prefix
    let j = i + 1;
    while (j < e && isNameByte(buf[j]!)) j++;
    if (j < e && buf[j] === 58) {
      name.start = i + 1;
      name.end = j;
      return j + 1;
    }
    return -1;
  }
  name.start = p;
  name.end = i;
  return i + 1;
}
