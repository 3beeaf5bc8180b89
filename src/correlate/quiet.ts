/**
 * When a level was quiet, and what may still have been waiting there.
 *
 * A long stack is correlated a segment at a time (segments.ts). A segment may
 * end only where no promise spans the cut: at an instant when every level had
 * nothing in flight, and every write completed before it was either already
 * made durable by the level's own rules (a flush issued after it completed
 * itself completed) or never will be in the trace (no flush follows on that
 * level). Otherwise a flush after the cut would cover writes before it, and
 * checking the two halves apart would hide, or invent, a broken promise.
 *
 * A QuietLog keeps, for one level (one clock), the quiet spans of at least
 * MIN_QUIET, thinned to one per THIN of trace (the longest), each with the
 * keys (a device, a QEMU protocol node) that then had writes no flush had yet
 * covered; and per key the issue time of its last successful flush, so that
 * a cut can be judged once the whole trace is read. It grows with the
 * trace's length divided by THIN, not with its events.
 */

import { OpFlag, OpKind, type OpTable } from './ops.js';

/** Shortest quiet span worth a cut (ns): a cut needs room for the clock alignment's width on both sides. */
const MIN_QUIET = 200_000;
/**
 * At most one quiet span is kept per this much trace (ns): the longest. Each level thins its own: a longer window
 * keeps spans that are not the same real instant in every level (10 s left the 40-copy stack of
 * test/stack-stream.test.ts with no cut). A day-long trace keeps at most 86,400 spans a level (a few MB).
 */
const THIN = 1e9;
const NONE: number[] = [];

/** `b` (a larger column) holding `a`'s values first. */
function grow<T extends Uint8Array | Int32Array | Float64Array>(a: T, b: T): T {
  b.set(a);
  return b;
}

export interface QuietSpan {
  from: number;
  to: number;
  /** Keys with writes not yet covered by a flush then (empty: none). */
  pending: number[];
}

export class QuietLog {
  /**
   * The spans kept, in columns (a long trace keeps tens of thousands: an object and two boxed times each were
   * most of what the reading of the 5,000-copy stack bench left on the heap); each span's pending keys are one
   * of `sets`, kept once.
   */
  private spanFrom = new Float64Array(64);
  private spanTo = new Float64Array(64);
  private spanSet = new Int32Array(64);
  /** Spans kept. */
  count = 0;
  private readonly sets: number[][] = [NONE];
  private readonly setIds = new Map<string, number>([['', 0]]);
  private since = NaN;
  /**
   * The keys pending when the level fell quiet: the first `nPending` (filled in place, its length kept — V8 drops
   * an array's store when its length is set to 0 — and copied only for a span kept).
   */
  private readonly sincePending: number[] = [];
  private nPending = 0;
  /**
   * Per key (a level has a handful: its devices, its protocol nodes), in columns: whether it had a write, the
   * completion of its last write and the issue of its last flush. Called after every event: no Map of boxed
   * times, no allocation per update.
   */
  private readonly keys: number[] = [];
  private wrote = new Uint8Array(4);
  private lastWrite = new Float64Array(4);
  private lastFlush = new Float64Array(4);
  /** Quiet since the last call of quiet() with no busy() since. */
  quietNow = false;

  private slot(key: number): number {
    let i = this.keys.indexOf(key);
    if (i >= 0) return i;
    i = this.keys.length;
    this.keys.push(key);
    if (i === this.wrote.length) {
      this.wrote = grow(this.wrote, new Uint8Array(2 * i));
      this.lastWrite = grow(this.lastWrite, new Float64Array(2 * i));
      this.lastFlush = grow(this.lastFlush, new Float64Array(2 * i));
    }
    this.lastWrite[i] = -Infinity;
    this.lastFlush[i] = -Infinity;
    return i;
  }

  /** A write of `key` completed at `tC` (successfully, not durable at completion). */
  write(key: number, tC: number): void {
    const i = this.slot(key);
    this.wrote[i] = 1;
    if (!(this.lastWrite[i]! >= tC)) this.lastWrite[i] = tC;
  }

  /**
   * A flush of `key` issued at `tI` completed successfully (or, with `maybe`, a job that may have been
   * one): writes completed before `tI` are covered.
   */
  flush(key: number, tI: number): void {
    const i = this.slot(key);
    if (!(this.lastFlush[i]! >= tI)) this.lastFlush[i] = tI;
  }

  /** The level has nothing in flight from `t` on. */
  quiet(t: number): void {
    if (this.quietNow) return;
    this.quietNow = true;
    this.since = t;
    let n = 0;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.wrote[i] && !(this.lastWrite[i]! < this.lastFlush[i]!)) this.sincePending[n++] = this.keys[i]!;
    }
    this.nPending = n;
  }

  /** Something started at `t`: the quiet span since quiet() ends there. */
  busy(t: number): void {
    if (!this.quietNow) return;
    this.quietNow = false;
    this.add(this.since, t);
  }

  /** End of the trace: a level quiet at its end stays so (its span is open). */
  end(): void {
    if (this.quietNow) this.add(this.since, Infinity);
    this.quietNow = false;
  }

  private add(from: number, to: number): void {
    if (!(to - from >= MIN_QUIET)) return;
    const last = this.count - 1;
    const same = last >= 0 && Math.floor(this.spanFrom[last]! / THIN) === Math.floor(from / THIN);
    // thinned: the longest of a THIN stretch is kept
    if (same && !(to - from > this.spanTo[last]! - this.spanFrom[last]!)) return;
    const k = same ? last : this.count++;
    if (k === this.spanFrom.length) {
      this.spanFrom = grow(this.spanFrom, new Float64Array(2 * k));
      this.spanTo = grow(this.spanTo, new Float64Array(2 * k));
      this.spanSet = grow(this.spanSet, new Int32Array(2 * k));
    }
    this.spanFrom[k] = from;
    this.spanTo[k] = to;
    this.spanSet[k] = this.pendingSet();
  }

  /** The id of the pending keys' set (made once for each set seen). */
  private pendingSet(): number {
    const keys = this.sincePending.slice(0, this.nPending);
    const name = keys.join(',');
    let id = this.setIds.get(name);
    if (id === undefined) {
      id = this.sets.push(keys) - 1;
      this.setIds.set(name, id);
    }
    return id;
  }

  /** Span `k` (0 ≤ k < count, in time order). */
  span(k: number): QuietSpan {
    return { from: this.spanFrom[k]!, to: this.spanTo[k]!, pending: this.sets[this.spanSet[k]!]! };
  }

  /** The span that overlaps [a, b], if one does. */
  around(a: number, b: number): QuietSpan | undefined {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spanTo[mid]! < a) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.count && this.spanFrom[lo]! <= b ? this.span(lo) : undefined;
  }

  /**
   * Whether a cut inside `span` leaves no write behind that a later flush covers (see the file comment):
   * the span has no activity, so "later" is "issued at its end or after".
   */
  cutOk(span: QuietSpan): boolean {
    for (const k of span.pending) if (this.lastFlush[this.keys.indexOf(k)]! >= span.from) return false;
    return true;
  }
}

/** What a completed row tells a quiet log: a write waiting for a flush, a flush covering writes (quiet.ts). */
export function noteDurability(q: QuietLog, t: OpTable, i: number, key: number): void {
  if (!t.done(i)) return;
  const k = t.kind[i];
  if (k === OpKind.Flush) q.flush(key, t.tI[i]!);
  else if (k === OpKind.Write && !t.has(i, OpFlag.FUA)) q.write(key, t.tC[i]!);
  else if (k === OpKind.Unknown) {
    // a job of unknown kind may have been data no flush covered, or a flush
    q.write(key, t.tC[i]!);
    q.flush(key, t.tI[i]!);
  }
}

