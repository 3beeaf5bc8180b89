/**
 * Content detection shared by the three ftrace-family specs (tracepoint text,
 * blk tracer default text, blk_classic text): one pass over the first lines
 * classifies each, and each spec scores its own share. Only bytes are
 * looked at, never a file name, so the answer is the same for stdin.
 *
 * The blk_classic line is blkparse's header without the sequence column
 * (`7,1  0  892.573504000 11683  Q WFS …` vs `7,1  0  1  0.000000000 11683  Q WFS …`),
 * which is what tells the two apart.
 */
export interface HeadStats {
  /** `comm-pid [cpu] … ts: maj,min ACT RWBS` */
  blkDefault: number;
  /** `maj,min cpu secs.nsecs pid ACT RWBS` */
  blkClassic: number;
  /** `… ts: block_xxx:`, `block:block_xxx:`, or a bare `block_xxx: maj,min` */
  tracepoint: number;
  /** blkparse event lines (with a sequence column) */
  blkparse: number;
  /** Syscall tracepoint lines (read beside block events as the application layer). */
  syscalls: number;
  /** Lines of other ftrace events (neutral). */
  otherEvents: number;
  /** Lines that are none of the above (prose, wrapped halves, other formats). */
  garbage: number;
  tracerBlkHeader: boolean;
  classicHeader: boolean;
  /** The `trace` file's own header (`# entries-in-buffer/entries-written: N/N`): an ftrace buffer, maybe empty. */
  ftraceHeader: boolean;
  binary: boolean;
}

const TS = /\s\d+\.\d+:(?:\s+|$)/;
const BLK_BODY = /^\d+,\d+\s+(?:(?:[0-9a-f]+,[0-9a-f]+|\/\S*|<\.\.\.>)\s+)?(?:[A-Z]{1,2}|m|[a-z_]{4,14})\s+[A-Z]+(?:\s|$)/;
const TP_BODY = /^(?:block:)?block_[a-z_]+:(?:\s|$)/;
/** syscall tracepoints (tracefs "sys_x(…)" / "sys_x -> r", trace-cmd/perf "sys_enter_x:"): tracepoint text too */
const SYS_BODY = /^(?:syscalls:)?sys_[a-z0-9_]+(?:\(|\s+->\s|:\s)/;
const OTHER_BODY = /^\w+(?::\w+)?:(?:\s|$)/;
const BARE_TP = /^\s*(?:block:)?block_[a-z_]+:\s+(?:\d+,\d+\s|\[)/;
const CLASSIC = /^\s*\d+,\d+\s+\d+\s+\d+\.\d+\s+\d+\s+(?:[A-Z]{1,2}|m|[a-z_]{4,14})\s+[A-Z]+(?:\s|$)/;
const BLKPARSE = /^\s*\d+,\d+\s+\d+\s+\d+\s+\d+\.\d+\s+\d+\s+/;

const MAX_LINES = 400;
const cache = new WeakMap<Buffer, HeadStats>();

export function scanHead(head: Buffer): HeadStats {
  const hit = cache.get(head);
  if (hit) return hit;
  const st: HeadStats = {
    blkDefault: 0, blkClassic: 0, tracepoint: 0, blkparse: 0, syscalls: 0, otherEvents: 0, garbage: 0,
    tracerBlkHeader: false, classicHeader: false, ftraceHeader: false, binary: head.indexOf(0) >= 0,
  };
  cache.set(head, st);
  if (st.binary) return st;
  // The last line may be cut by the head's size: only complete lines count.
  const lastNl = head.lastIndexOf(10);
  const text = head.toString('latin1', 0, lastNl < 0 ? head.length : lastNl);
  for (const line of text.split('\n', MAX_LINES)) {
    const t = line.trim();
    if (t === '') continue;
    if (t[0] === '#') {
      if (/^#\s*tracer:\s*blk\b/.test(t)) st.tracerBlkHeader = true;
      else if (/^#\s*DEV\s+CPU\s+TIMESTAMP\s+PID\s+ACT\s+FLG/.test(t)) st.classicHeader = true;
      else if (/^#\s*entries-in-buffer\/entries-written:\s*\d+\/\d+/.test(t)) st.ftraceHeader = true;
      continue;
    }
    const m = TS.exec(line);
    if (m) {
      const rest = line.slice(m.index + m[0].length);
      if (BLK_BODY.test(rest)) st.blkDefault++;
      else if (TP_BODY.test(rest)) st.tracepoint++;
      else if (SYS_BODY.test(rest)) st.syscalls++;
      else if (OTHER_BODY.test(rest)) st.otherEvents++;
      else if (CLASSIC.test(line)) st.blkClassic++;
      else if (BLKPARSE.test(line)) st.blkparse++;
      else st.garbage++;
      continue;
    }
    if (BARE_TP.test(line)) st.tracepoint++;
    else if (CLASSIC.test(line)) st.blkClassic++;
    else if (BLKPARSE.test(line)) st.blkparse++;
    else st.garbage++;
  }
  return st;
}

function share(mine: number, st: HeadStats): number {
  const all = st.blkDefault + st.blkClassic + st.tracepoint + st.syscalls + st.blkparse + 0.25 * st.garbage;
  return all > 0 ? mine / all : 0;
}

export function tracepointConfidence(head: Buffer): number {
  const st = scanHead(head);
  if (st.binary) return 0;
  if (st.tracepoint + st.syscalls === 0) {
    // an events-instance buffer with its header and no block event (markers at most): a device
    // traced and silent, not "not a trace" (issue 13)
    const none = st.blkDefault + st.blkClassic + st.blkparse + st.garbage === 0;
    return st.ftraceHeader && none && !st.tracerBlkHeader ? 0.3 : 0;
  }
  // a head of syscall lines only (an application starting up before its first I/O) is still this text
  return 0.6 + 0.35 * share(st.tracepoint + st.syscalls, st);
}

export function ftraceBlkConfidence(head: Buffer): number {
  const st = scanHead(head);
  if (st.binary) return 0;
  if (st.blkDefault === 0) return st.tracerBlkHeader && !st.classicHeader && st.blkClassic === 0 ? 0.3 : 0;
  return Math.min(0.99, 0.6 + 0.35 * share(st.blkDefault, st) + (st.tracerBlkHeader ? 0.04 : 0));
}

export function ftraceBlkClassicConfidence(head: Buffer): number {
  const st = scanHead(head);
  if (st.binary) return 0;
  if (st.blkClassic === 0) return st.classicHeader ? 0.35 : 0;
  return Math.min(0.99, 0.6 + 0.35 * share(st.blkClassic, st) + (st.classicHeader ? 0.04 : 0));
}
