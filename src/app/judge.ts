/**
 * The verdict on one sync call against the devices of the layer below.
 *
 * Promise (call.ts): when the call returns, the data it covers is durable.
 * Its writes are the write bios its own thread queued inside its window (the
 * kernel waited for them before returning); they are durable at return when
 *   - the device is write-through (no volatile cache: nothing to flush), or
 *   - every one of them carried FUA (durable at completion), or
 *   - a flush completed successfully inside the window after the first of
 *     them was queued (an ext4/xfs fsync ends with its journal commit's
 *     PREFLUSH or blkdev_issue_flush: fs/ext4/fsync.c ext4_sync_file,
 *     fs/jbd2/commit.c; generic_write_sync does the same for O_DSYNC writes).
 * Violated (proof): own writes were queued and acknowledged in the window, none
 * with FUA, and no flush completed on that device between the first of them and
 * the return — on a device whose cache is volatile.
 *
 * The writes of an fsync/fdatasync also include those its thread queued for the
 * same file since its previous sync of it, inside sync_file_range hints and
 * plain O_DIRECT writes (JudgeContext.earlier): fsync covers the whole file and
 * waits for writeback already under way (file_write_and_wait_range).
 *
 * Not judged: a call that queued no write of its own (a directory fsync, or a
 * file fsync with nothing dirty: ext4 forces a commit only when a transaction
 * is running, and a previous flush already covered the data), sync_file_range
 * (a hint), plain O_DIRECT writes (no promise until a sync), failed calls. Undecided: the device cannot be tied to
 * the call (own writes on several devices, no --mount), the clocks are not
 * aligned, (a flush up to RETURN_SLACK_NS after the aligned return, but before the thread queued its next write, still counts: the benefit of the doubt).
 */
import type { SyncCall } from './call.js';
import { promises } from './call.js';
import type { AppAlignment } from './align.js';
import { lowerBound, type DeviceTimeline } from './timeline.js';

/**
 * How far past the aligned return a flush still counts: strace timestamps the
 * stops as it handles them and CLOCK_REALTIME slews against CLOCK_MONOTONIC,
 * so the aligned window is right to a few µs, not exactly; a flush completing
 * up to this much later (but before the thread queued its next write) may still
 * have been before the real return, and is given the benefit of the doubt.
 */
export const RETURN_SLACK_NS = 1e6;

export type Verdict =
  | { kind: 'honored'; dev: number; how: 'flush' | 'fua' | 'write-through'; flush: number; first: number; last: number }
  | { kind: 'violated'; dev: number; first: number; last: number; writes: number; bytes: number; acked: number }
  | { kind: 'undecided'; reason: string; dev?: number }
  | { kind: 'no-io' }
  | { kind: 'no-promise'; why: 'hint' | 'write' | 'failed' };

export interface JudgeContext {
  alignment: AppAlignment;
  /** Devices of the layer below, by dev id. */
  devices: Map<number, DeviceTimeline>;
  /** --mount: the device a path lives on (undefined = no mount matched). */
  mountDev(path: string): number | undefined;
  writeThrough(dev: number): boolean;
  /**
   * Earlier calls of the same thread on the same file whose writes this fsync/fdatasync covers: the
   * sync_file_range hints and plain O_DIRECT writes since its previous sync of that file (their bios
   * were queued in the caller's context, so they are that file's data; fsync waits for them).
   */
  earlier?(c: SyncCall): SyncCall[];
}

export function judge(c: SyncCall, j: JudgeContext): Verdict {
  const v = judgeAt(c, j, j.alignment);
  const rivals = j.alignment.rivals ?? [];
  if (rivals.length === 0 || (v.kind !== 'honored' && v.kind !== 'violated')) return v;
  // other offsets fit the clocks about as well (align.ts): a verdict stands only if none of them gives another
  for (const r of rivals) {
    const w = judgeAt(c, j, { ...j.alignment, offsetNs: r.offsetNs, widthNs: r.widthNs, rivals: [] });
    if (w.kind === v.kind) continue;
    if (v.kind === 'honored' && w.kind !== 'violated') continue;
    return { kind: 'undecided', reason: `the clocks fit about as well at ${rivals.length + 1} offsets, and the verdict differs between them (${v.kind} at the best, ${w.kind} ${((r.offsetNs - j.alignment.offsetNs) / 1e6).toFixed(3)} ms away)`, dev: v.dev };
  }
  return v;
}

function judgeAt(c: SyncCall, j: JudgeContext, a: AppAlignment): Verdict {
  if (!promises(c)) return { kind: 'no-promise', why: c.op === 'sync_file_range' ? 'hint' : c.op === 'direct-write' ? 'write' : 'failed' };
  if (a.method === 'none') return { kind: 'undecided', reason: a.note.startsWith('the block trace') ? a.note : `clocks not aligned (${a.note})` };
  // own writes: anywhere the window can be within the alignment uncertainty and the per-window noise
  const half = a.widthNs / 2 + a.toleranceNs;
  const inTo = c.end + a.offsetNs + half;
  // the return happened by inTo, give or take the clock noise (RETURN_SLACK_NS), and surely
  // before the thread queued anything else (its next own write); same-stream clocks are exact
  const slack = a.method === 'same-stream' ? 0 : RETURN_SLACK_NS;
  const mounted = c.path ? j.mountDev(c.path) : undefined;
  const own = ownWrites(c, j, a, mounted, -half);
  if (own.length === 0) return { kind: 'no-io' };
  if (own.length > 1) {
    return { kind: 'undecided', reason: 'its thread queued writes on several devices in the window and no --mount says which holds the file' };
  }
  const [t, idx] = own[0]!;
  const first = idx[0]!;
  const last = idx[idx.length - 1]!;
  if (j.writeThrough(t.dev)) return { kind: 'honored', dev: t.dev, how: 'write-through', flush: -1, first, last };
  let bytes = 0;
  let allFua = true;
  for (const x of idx) {
    bytes += t.qBytes.at(x);
    if (!t.qFua.at(x)) allFua = false;
  }
  if (allFua) return { kind: 'honored', dev: t.dev, how: 'fua', flush: -1, first, last };
  let outTo = inTo + slack;
  if (slack > 0) {
    const [n] = t.queuedIn(inTo + 0.5, Infinity);
    for (let x = n; x < t.qTime.n && t.qTime.at(x) < outTo; x++) {
      if (t.qPid.at(x) === c.pid) {
        outTo = t.qTime.at(x);
        break;
      }
    }
  }
  const f = t.flushIn(t.qTime.at(first), outTo);
  if (f >= 0) return { kind: 'honored', dev: t.dev, how: 'flush', flush: f, first, last };
  // acknowledged: write completions on the device between the first own queue and the return
  const ci = lowerBound(t.cTime, t.qTime.at(first));
  let acked = 0;
  for (let x = ci; x < t.cTime.n && t.cTime.at(x) <= outTo; x++) acked++;
  if (acked === 0) return { kind: 'undecided', reason: 'no write completed on the device inside the window', dev: t.dev };
  if (a.widthNs > 0) {
    // proof needs the writes that are the call's at every offset the alignment allows (each with its tolerance): the
    // window shrunk by half the alignment's width. A write only near its edges may be the neighbouring call's (or
    // its thread's next write)
    const sure = ownWrites(c, j, a, mounted, a.widthNs / 2 - a.toleranceNs).find(([d]) => d === t);
    if (!sure) return { kind: 'undecided', reason: `its own writes lie within the clocks' uncertainty (±${(a.widthNs / 2e3).toFixed(0)} µs) of the window's edges`, dev: t.dev };
    if (t.flushIn(t.qTime.at(sure[1][0]!), outTo) >= 0) {
      return { kind: 'undecided', reason: `a flush covers the writes surely its own, not those within the clocks' uncertainty (±${(a.widthNs / 2e3).toFixed(0)} µs) of the window's edges`, dev: t.dev };
    }
  }
  return { kind: 'violated', dev: t.dev, first, last, writes: idx.length, bytes, acked };
}

/**
 * The writes the call's thread queued inside its window (and the windows of earlier calls it covers), per device:
 * the window widened by `-margin` on each side (margin < 0: every write that may be inside under the alignment's
 * uncertainty) or narrowed by `margin` (margin > 0: the writes inside at every offset it allows).
 */
function ownWrites(c: SyncCall, j: JudgeContext, a: AppAlignment, mounted: number | undefined, margin: number): Array<[DeviceTimeline, number[]]> {
  const windows: Array<[number, number]> = [[c.begin + a.offsetNs + margin, c.end + a.offsetNs - margin]];
  for (const e of j.earlier?.(c) ?? []) windows.push([e.begin + a.offsetNs + margin, e.end + a.offsetNs - margin]);
  const own: Array<[DeviceTimeline, number[]]> = [];
  for (const t of j.devices.values()) {
    if (mounted !== undefined && t.dev !== mounted) continue;
    const idx: number[] = [];
    for (const [from, to] of windows) {
      if (to < from) continue;
      const [i, k] = t.queuedIn(from, to);
      for (let x = i; x < k; x++) if (t.qPid.at(x) === c.pid && !idx.includes(x)) idx.push(x);
    }
    if (idx.length > 0) own.push([t, idx.sort((p, q) => p - q)]);
  }
  return own;
}
