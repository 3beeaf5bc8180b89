/**
 * flush-flags-stripped: a bio queued with PREFLUSH or FUA reaches the driver
 * with neither and no flush sequence around it. blk_insert_flush()
 * (block/blk-flush.c) computes the sequence from the queue's features: with no
 * write cache advertised the policy is DATA only (or 0 for an empty flush,
 * completed at once) and the flags vanish. On a device that really has a
 * volatile cache this is the 2009 virtio-blk failure: the driver did not
 * advertise its cache, so every barrier was silently dropped.
 *
 * Detected per request, from what the flush machinery must show otherwise:
 *   PREFLUSH: a flush request (D FN) issued after the bio's Q and before its
 *             data reaches the driver (or, for an empty bio, before its C);
 *   FUA:      D carries FUA (native), or a flush request issued after the
 *             data completed and before the 0-byte final completion. A request
 *             still waiting is judged only once the trace has gone on for
 *             FLUSH_PENDING_TIMEOUT (5 s, blk-flush.c: the longest a pending
 *             flush may be deferred) without a flush.
 * Only the modern flag bits are judged: `B` comes from pre-2.6.37 kernels or
 * pre-1.0.3 blkparse, whose flush machinery left different traces.
 * Devices with no request stage (bio-based: Q and C only) are not judged.
 * Error when the device is declared write-back; a warning otherwise (the
 * kernel may have been right that there was no cache).
 *
 * What the trace must show for that: since 2.6.37 the flags are cleared
 * before the Q event when the queue has no write cache (submit_bio_noacct,
 * generic_make_request_checks before it: the filter precedes
 * trace_block_bio_queue), so a Q carrying them proves a write cache at
 * submission, and blk_insert_flush() then runs the sequence. A missing flush
 * request is the flags dropped afterwards (the cache switched off while the
 * request was in flight, a block-layer bug) only where the trace records
 * this device's flush requests at all. A device with PREFLUSH/FUA Qs and not
 * one flush request (D FN or C FN) in the whole trace was traced without
 * them (`blktrace -a write`, `blkparse -a sync`: the flush request's category
 * is neither) or lost them: one info finding says so, undecided.
 */
import type { EvidenceRef } from '../../model/event.js';
import { Flag } from '../../model/rwbs.js';
import { reqEvidence, type Req } from '../request.js';
import type { RuleFactory } from './rule.js';
import { makeFinding, MAX_FINDINGS_PER_DEVICE, plural } from './rule.js';

/** FLUSH_PENDING_TIMEOUT in block/blk-flush.c (5 * HZ). */
export const FLUSH_PENDING_TIMEOUT_NS = 5e9;

interface Stripped {
  time: number;
  what: string;
  evidence: EvidenceRef[];
}

export const flushFlagsStripped: RuleFactory = {
  info: {
    id: 'flush-flags-stripped',
    severity: 'error',
    meaning:
      'A write queued with PREFLUSH or FUA reached the driver with neither and no flush request around it, on a device whose trace records its flush requests: the flags were lost after the Q (the write cache switched off while it was in flight, a block-layer bug; since 2.6.37 a device that advertises no write cache has them cleared before the Q). On a device declared write-back the write was acknowledged while only in the volatile cache. A warning when the cache is not declared; one info, undecided, when the trace holds no flush request of the device at all (traced with an action mask such as -a write, or events lost).',
    evidence: 'the Q with the flags, the D without them, the completion, and the absence of a D FN in between',
    citation: 'block/blk-core.c submit_bio_noacct (REQ_PREFLUSH/REQ_FUA cleared without a write cache, before trace_block_bio_queue); block/blk-flush.c blk_insert_flush, blk_flush_policy',
  },
  create(m) {
    const found: Stripped[] = [];
    let count = 0;
    const env = m.env;
    /** One finding per request even when both its PREFLUSH and its FUA were dropped. */
    const noted = new WeakSet<Req>();
    const note = (time: number, what: string, evidence: EvidenceRef[], r?: Req) => {
      if (r) {
        if (noted.has(r)) return;
        noted.add(r);
      }
      count++;
      if (found.length < MAX_FINDINGS_PER_DEVICE) found.push({ time, what, evidence });
    };
    const fuaUnserved = (r: Req) => r.qFlags & Flag.FUA && !(r.dFlags & Flag.FUA) && m.flushIssues === r.flushIssuesAtData;
    const fuaNote = (r: Req, final?: EvidenceRef) =>
      note(r.qTime >= 0 ? r.qTime : r.dTime, 'FUA', [
        ...(r.qTime >= 0 ? [reqEvidence(env, r, 'Q', 'queued with FUA')] : []),
        reqEvidence(env, r, 'D', 'issued without FUA'),
        reqEvidence(env, r, 'C', 'data completed; no flush request follows'),
        ...(final ? [final] : []),
      ], r);
    return {
      issue(m2, r) {
        if (r.qTime >= 0 && r.qFlags & Flag.PREFLUSH && m2.flushIssues === r.flushIssuesAtQ) {
          note(r.qTime, 'PREFLUSH', [
            reqEvidence(env, r, 'Q', 'queued with PREFLUSH'),
            reqEvidence(env, r, 'D', 'issued with no flush request since the Q'),
          ], r);
        }
      },
      finalComplete(m2, r, e, emptyFlush) {
        if (!r || e.error) return;
        if (emptyFlush) {
          if (r.qFlags & Flag.PREFLUSH && m2.sawIssue && m2.flushIssues === r.flushIssuesAtQ) {
            note(r.qTime, 'empty flush', [
              reqEvidence(env, r, 'Q', 'empty flush queued'),
              m2.evidence(e, 'completed with no flush request issued to the device'),
            ], r);
          }
          return;
        }
        if (fuaUnserved(r)) fuaNote(r, m2.evidence(e, 'final completion with no flush after the data'));
      },
      abandoned(_m2, r) {
        if (fuaUnserved(r)) fuaNote(r);
      },
      finish(m2, ctx) {
        for (const r of m2.awaitingFinal()) {
          if (fuaUnserved(r) && m2.lastTime - r.dataTime >= FLUSH_PENDING_TIMEOUT_NS) fuaNote(r);
        }
        if (count === 0 || ctx.cache.mode === 'writethrough') return;
        if (m2.flushIssues === 0 && m2.flushesCompleted === 0) {
          // Not one flush request of this device in the trace, though the Qs above prove a write cache at
          // submission: the trace lacks them (an action mask, lost events); nothing shows the flags dropped.
          ctx.emit(makeFinding(m2, 'flush-flags-stripped', 'info', found[0]!.time,
            `${plural(count, 'request')} queued with PREFLUSH or FUA ${count === 1 ? 'shows' : 'show'} no flush request, and this device's trace holds no flush request at all (no D FN or C FN): ` +
              'Linux queues a bio with these flags only when the device advertises a write cache (submit_bio_noacct clears them before the Q event otherwise), ' +
              'so the flush requests are missing from the trace (traced with an action mask such as -a write or -a sync, or events lost) rather than dropped by the block layer: undecided. ' +
              'A trace of every action (blktrace without -a) decides it.',
            found[0]!.evidence, { kind: 'undecided', requests: count }));
          return;
        }
        const severity = ctx.cache.source === 'declared' ? 'error' : 'warning';
        const cacheWords = ctx.cache.source === 'declared'
          ? 'declared write-back'
          : 'whose write cache the kernel saw at submission (declare it with --cache DEV=writeback to make this an error)';
        for (const s of found) {
          const msg =
            s.what === 'FUA'
              ? `a write queued with FUA reached the driver without FUA and no flush request followed its completion, on a device ${cacheWords}: it was acknowledged while only in the volatile cache.`
              : s.what === 'PREFLUSH'
                ? `a write queued with PREFLUSH reached the driver with no flush request before it, on a device ${cacheWords}: the writes completed before it were never flushed.`
                : `an empty flush bio completed without any flush request reaching the driver, on a device ${cacheWords}: the block layer dropped it.`;
          ctx.emit(makeFinding(m2, 'flush-flags-stripped', severity, s.time, msg, s.evidence, { kind: s.what }));
        }
        if (count > found.length) {
          ctx.emit(
            makeFinding(m2, 'flush-flags-stripped', severity, found[found.length - 1]!.time,
              `${count - found.length} more requests lost their PREFLUSH/FUA the same way.`, [], { more: count - found.length }),
          );
        }
      },
    };
  },
};
