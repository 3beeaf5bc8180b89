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

export interface QuietSpan {
  from: number;
  to: number;
  /** Keys with writes not yet covered by a flush then (empty: none). */
  pending: number[];
}

export class QuietLog {
  readonly spans: QuietSpan[] = [];
  private since = NaN;
  private sincePending: number[] = [];
  private readonly lastWrite = new Map<number, number>();
  private readonly lastFlush = new Map<number, number>();
  /** Quiet since the last call of quiet() with no busy() since. */
  quietNow = false;

  /** A write of `key` completed at `tC` (successfully, not durable at completion). */
  write(key: number, tC: number): void {
    if (!((this.lastWrite.get(key) ?? -Infinity) >= tC)) this.lastWrite.set(key, tC);
  }

  /**
   * A flush of `key` issued at `tI` completed successfully (or, with `maybe`, a job that may have been
   * one): writes completed before `tI` are covered.
   */
  flush(key: number, tI: number): void {
    if (!((this.lastFlush.get(key) ?? -Infinity) >= tI)) this.lastFlush.set(key, tI);
  }

  /** The level has nothing in flight from `t` on. */
  quiet(t: number): void {
    if (this.quietNow) return;
    this.quietNow = true;
    this.since = t;
    let pending = NONE;
    for (const [k, w] of this.lastWrite) {
      if (w < (this.lastFlush.get(k) ?? -Infinity)) continue;
      if (pending === NONE) pending = [];
      pending.push(k);
    }
    this.sincePending = pending;
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
    const span = { from, to, pending: this.sincePending };
    const last = this.spans[this.spans.length - 1];
    if (last && Math.floor(last.from / THIN) === Math.floor(from / THIN)) {
      if (to - from > last.to - last.from) this.spans[this.spans.length - 1] = span;
      return;
    }
    this.spans.push(span);
  }

  /**
   * Whether a cut inside `span` leaves no write behind that a later flush covers (see the file comment):
   * the span has no activity, so "later" is "issued at its end or after".
   */
  cutOk(span: QuietSpan): boolean {
    for (const k of span.pending) if ((this.lastFlush.get(k) ?? -Infinity) >= span.from) return false;
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

