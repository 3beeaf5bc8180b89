/**
 * One bio's lifetime on one device, with one timestamp per phase — "not seen"
 * (-1) until reached — in the manner of btt's `struct io` (btt/globals.h),
 * but kept per bio and ended only at the completion the submitter sees.
 */
import type { Op } from '../model/rwbs.js';
import type { RbNode } from './rbtree.js';

export const BioState = {
  /** Q seen; no request yet. */
  Queued: 0,
  /** Has a request: G (own request) or M/F (merged into one). */
  InRequest: 1,
  /** I seen (elevator / flush machinery re-insert). */
  Inserted: 2,
  /** D seen for the request holding it. */
  Dispatched: 3,
  /** Data completed; waiting for the 0-byte final completion of a flush sequence. */
  DataDone: 4,
} as const;
export type BioState = (typeof BioState)[keyof typeof BioState];

/** Pieces of a split bio (X): the original bio ends when its last piece does. */
export interface SplitOrigin {
  pieces: number;
  done: number;
  lastFinal: number;
}

export interface Bio extends RbNode {
  /** Q time, or -1 when the request was first seen at D (its Q predates the trace). */
  q: number;
  g: number;
  m: number;
  i: number;
  d: number;
  /** Data completion time (first C). */
  c: number;
  /** Final completion time (the submitter's end_io). */
  final: number;
  op: Op;
  flags: number;
  /** Submitter pid and name (from Q). */
  pid: number;
  comm: string;
  /** Original size in bytes; 0 for an empty flush. */
  bytes: number;
  state: BioState;
  /** Expect a second, 0-byte completion after the data (flush machinery, blk-flush.c). */
  sequenced: boolean;
  /** D showed FUA still set (the device does FUA itself: no post-flush). */
  nativeFua: boolean;
  /** Error of the completion that ended it (0 = success). */
  error: number;
  origin: SplitOrigin | null;
  /** Remap source (A before Q): original device and sector, or -1. */
  fromDev: number;
  fromSector: number;
  /** Empty flushes: the flush request (`D FN`) that served it, by issue time; -1 none yet. */
  servedBy: number;
  /** Source and location of the Q (or of the D that created it), for evidence. */
  source: number;
  qLoc: number;
  /** Order of its Q among this device's Qs, -1 when it had none in the trace. */
  qOrder: number;
  /** A subscriber's own record for this bio (lifecycle.ts); null until one sets it. */
  ext: unknown;
  /** A second subscriber's number for this bio (the correlator's operation row, correlate/block-ops.ts); -1 until set. */
  ext2: number;
  /**
   * Runs of bios kept beside the tree (bio-index.ts): the next bio of this
   * run, the bio before it (the head is the one in the tree), whether this
   * bio is one of a head's followers, and a head's last follower.
   */
  fnext: Bio | null;
  fprev: Bio | null;
  follower: boolean;
  ftail: Bio | null;
}

/** Sets a finished bio back to what newBio(start, end) returns (the tracker reuses ended bios). */
export function resetBio(b: Bio, start: number, end: number): Bio {
  b.start = start; b.end = end; b.left = null; b.right = null; b.parent = null; b.red = true;
  b.q = -1; b.g = -1; b.m = -1; b.i = -1; b.d = -1; b.c = -1; b.final = -1;
  b.op = 0 as Op; b.flags = 0; b.pid = -1; b.comm = ''; b.bytes = 0; b.state = BioState.Queued;
  b.sequenced = false; b.nativeFua = false; b.error = 0; b.origin = null; b.fromDev = -1; b.fromSector = -1; b.servedBy = -1;
  b.source = -1; b.qLoc = -1; b.qOrder = -1; b.ext = null; b.ext2 = -1;
  b.fnext = null; b.fprev = null; b.follower = false; b.ftail = null;
  return b;
}

export function newBio(start: number, end: number): Bio {
  return {
    start, end, left: null, right: null, parent: null, red: true,
    q: -1, g: -1, m: -1, i: -1, d: -1, c: -1, final: -1,
    op: 0, flags: 0, pid: -1, comm: '', bytes: 0, state: BioState.Queued,
    sequenced: false, nativeFua: false, error: 0, origin: null, fromDev: -1, fromSector: -1, servedBy: -1,
    source: -1, qLoc: -1, qOrder: -1, ext: null, ext2: -1,
    fnext: null, fprev: null, follower: false, ftail: null,
  };
}

/** Named counters the tracker keeps per device (also sent to env.diag). */
export interface TrackCounts {
  /** C with data that matched no dispatched or queued bio (issued before the trace began, or lost events). */
  completionWithoutIssue: number;
  /** 0-byte C that matched no waiting bio. */
  zeroByteCompletionWithoutIssue: number;
  /** `C FN` with no `D FN` in flight. */
  flushCompletionWithoutIssue: number;
  /** D that matched no queued bio (the request was queued before the trace began). */
  issueWithoutQueue: number;
  /** G/M/I that matched no queued bio. */
  getrqWithoutQueue: number;
  mergeWithoutQueue: number;
  insertWithoutQueue: number;
  /** Splits (X, or a G inside a queued bio: implicit split). */
  splits: number;
  requeues: number;
  partialCompletions: number;
  remaps: number;
  /** Flush-sequenced writes whose 0-byte final completion never came (ended at their data completion). */
  finalCompletionMissing: number;
  /** Bios still in flight at the end of the trace. */
  inFlightAtEnd: number;
  /** Oldest bios dropped because more than MAX_IN_FLIGHT were in flight (lost completions). */
  evicted: number;
  /** Completions with an error. */
  errors: number;
}

export function emptyCounts(): TrackCounts {
  return {
    completionWithoutIssue: 0, zeroByteCompletionWithoutIssue: 0, flushCompletionWithoutIssue: 0,
    issueWithoutQueue: 0, getrqWithoutQueue: 0, mergeWithoutQueue: 0, insertWithoutQueue: 0,
    splits: 0, requeues: 0, partialCompletions: 0, remaps: 0, finalCompletionMissing: 0, inFlightAtEnd: 0, evicted: 0, errors: 0,
  };
}
