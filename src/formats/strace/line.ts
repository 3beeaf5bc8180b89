/**
 * One strace output line taken apart (strace(1), src/strace.c printleader,
 * src/syscall.c syscall_exiting_trace): the leader — `[pid N] ` or `N ` with
 * -f, then the clock of -t / -tt / -ttt — and one of
 *
 *   name(args) = ret [note] [<dur>]          a complete call (-T adds <dur>)
 *   name(args <unfinished ...>               the entry of a call another thread interrupted
 *   <... name resumed>args) = ret … <dur>    its return
 *   --- SIGCHLD {…} ---  /  +++ exited with 0 +++   signals and exits (not calls)
 *
 * Arguments are split at top-level ", " — not inside quotes, brackets, braces,
 * or the -y decoration `3</path,with,commas>`.
 */
export interface Leader {
  pid: number;
  /** Seconds as printed (-ttt: epoch seconds; -tt/-t: seconds of the day); NaN when no clock. */
  secs: number;
  /** Whole seconds of `secs` and the fraction in ns, kept apart so epoch ns stay exact. */
  whole: number;
  fracNs: number;
  clock: 'epoch' | 'time-of-day' | 'none';
  /** Index of the first byte after the leader. */
  rest: number;
}

const PID_BRACKET = /^\[pid\s+(\d+)\]\s+/;
const PID_PLAIN = /^(\d+)\s+(?=\d|[a-z_<+-])/;
const TOD = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const EPOCH = /^(\d{1,12})\.(\d{1,9})\s+/;

export function readLeader(s: string): Leader {
  let p = 0;
  let pid = -1;
  let m = PID_BRACKET.exec(s);
  if (!m) {
    // "12345 1796537001.927884 fdatasync(" — a pid then a clock; a bare "1796537001.927884 x(" is a clock
    const pm = PID_PLAIN.exec(s);
    if (pm && !/^\d+\.\d/.test(s)) m = pm;
  }
  if (m) {
    pid = Number(m[1]);
    p = m[0].length;
  }
  const r = s.slice(p);
  const e = EPOCH.exec(r);
  if (e) {
    const frac = e[2]!;
    const fracNs = Number(frac.padEnd(9, '0'));
    return { pid, secs: Number(e[1]) + fracNs / 1e9, whole: Number(e[1]), fracNs, clock: 'epoch', rest: p + e[0].length };
  }
  const t = TOD.exec(r);
  if (t) {
    const whole = Number(t[1]) * 3600 + Number(t[2]) * 60 + Number(t[3]);
    const fracNs = t[4] ? Number(t[4].padEnd(9, '0')) : 0;
    return { pid, secs: whole + fracNs / 1e9, whole, fracNs, clock: 'time-of-day', rest: p + t[0].length };
  }
  return { pid, secs: NaN, whole: 0, fracNs: 0, clock: 'none', rest: p };
}

/** Index just after the ")" closing the argument list that starts at `open` ("(" index + 1), or -1. */
export function argsEnd(s: string, start: number): number {
  let depth = 0;
  let inStr = false;
  let angle = 0;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inStr) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inStr = false;
      continue;
    }
    if (angle > 0) {
      if (c === 62 /* > */ && (i + 1 >= s.length || /[,) ]/.test(s[i + 1]!))) angle--;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 60 /* < */ && i > start && /[0-9A-Z]/.test(s[i - 1]!)) angle++;
    else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) depth--;
    else if (c === 41 /* ) */) {
      if (depth === 0) return i + 1;
      depth--;
    }
  }
  return -1;
}

/** Split "a, b, [c, d], "e, f"" at top-level commas. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inStr = false;
  let angle = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
      continue;
    }
    if (angle > 0) {
      if (c === 62 && (i + 1 >= s.length || /[,) ]/.test(s[i + 1]!))) angle--;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 60 && i > 0 && /[0-9A-Z]/.test(s[i - 1]!)) angle++;
    else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0) {
      out.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  const last = s.slice(from).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out;
}

export interface Ret {
  ret: number;
  retPath: string;
  note: string;
  /** -T duration in ns, or -1. */
  durNs: number;
}

const DUR = /\s<(\d+)\.(\d+)>\s*$/;

/** The text after the closing ")": " = 0 <0.000370>", " = 3</p> <0.1>", " = -1 EIO (Input/output error) <0.1>", " = ?". */
export function readRet(s: string): Ret | undefined {
  const m = /^\s*=\s*(\S+)/.exec(s);
  if (!m) return undefined;
  let durNs = -1;
  let tail = s.slice(m[0].length);
  const d = DUR.exec(tail);
  if (d) {
    durNs = Number(d[1]) * 1e9 + Number(d[2]!.padEnd(9, '0').slice(0, 9));
    tail = tail.slice(0, d.index);
  }
  let tok = m[1]!;
  let retPath = '';
  const lt = tok.indexOf('<');
  if (lt > 0) {
    // "3</path>" — the path may hold spaces, so take it from the whole tail
    const whole = tok + tail;
    const close = whole.lastIndexOf('>');
    retPath = whole.slice(lt + 1, close > lt ? close : whole.length);
    tail = close > lt ? whole.slice(close + 1) : '';
    tok = tok.slice(0, lt);
  }
  let ret: number;
  if (tok === '?') ret = NaN;
  else if (/^0x[0-9a-f]+$/i.test(tok)) ret = Number.parseInt(tok, 16);
  else if (/^-?\d+$/.test(tok)) ret = Number(tok);
  else return undefined;
  return { ret, retPath, note: tail.trim(), durNs };
}
