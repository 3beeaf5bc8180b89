/**
 * flush-failed: a flush request (C FN), or an empty flush bio, completed with
 * an error. D4 (shared reference §3.5): a failed flush guarantees nothing for
 * any write since the last successful flush — all of them stay at risk, and
 * every fsync that waited on this flush got (or should have got) the error.
 * The volatile set is left untouched by a failed flush, so what it holds at
 * that moment is exactly what the failure put at risk.
 */
import { timeMark } from '../../model/time-mark.js';
import type { BlockEvent, EvidenceRef } from '../../model/event.js';
import type { DeviceModel } from '../device-model.js';
import { mergeRanges } from '../volatile.js';
import { reqEvidence } from '../request.js';
import { errnoName } from './io-error.js';
import type { RuleFactory } from './rule.js';
import { formatBytes, makeFinding, MAX_FINDINGS_PER_DEVICE, plural, was } from './rule.js';

interface Failure {
  time: number;
  /**
   * The empty flush bio failed although a flush request dispatched after its Q completed without error: the
   * device flushed, the error is the block layer's (blk-flush.c flush_end_io returned fq->rq_status, left from an
   * earlier failed flush, until kernel commit 8a7518931baa "block: Fix fsync always failed if once failed", 2021, and its stable backports).
   */
  deviceOk: boolean;
  errno: number;
  writes: number;
  bytes: number;
  oldest: number | undefined;
  /** Source of the failed flush: its clock places `oldest` (same device, same layer). */
  source: number;
  ranges: number;
  evidence: EvidenceRef[];
}

export const flushFailed: RuleFactory = {
  info: {
    id: 'flush-failed',
    severity: 'error',
    meaning:
      'A flush completed with an error: nothing written since the last successful flush is known to be durable, and every sync that relied on it was not honoured. A warning when a failed empty flush bio was served by a flush request that completed without error: the device flushed, the error is the block layer\'s (a stale status, kernel commit 8a7518931baa), and nothing is lost by it.',
    evidence: 'the failed flush completion with its errno; the writes (count, bytes, oldest) not durable at that moment',
    citation: 'block/blk-flush.c flush_end_io → blk_flush_complete_seq(error): every waiter fails',
  },
  create() {
    const found: Failure[] = [];
    let count = 0;
    const record = (m2: DeviceModel, e: BlockEvent, extra: EvidenceRef[], deviceOk = false) => {
      count++;
      if (found.length >= MAX_FINDINGS_PER_DEVICE) return;
      const pending = m2.volatile.pending();
      const first = m2.volatile.oldestEvidence();
      found.push({
        time: e.time,
        deviceOk,
        errno: e.error,
        writes: m2.volatile.writes,
        bytes: m2.volatile.bytes,
        oldest: m2.volatile.oldestPending(),
        source: e.source,
        ranges: mergeRanges(pending).ranges.length,
        evidence: [...extra, m2.evidence(e, `flush failed: ${errnoName(e.error)}`), ...(first ? [first] : [])],
      });
    };
    return {
      flushComplete(m2, e) {
        if (e.error) record(m2, e, []);
      },
      finalComplete(m2, r, e, emptyFlush) {
        if (e.error && emptyFlush && r) {
          // the flush request's own failure was already counted when it served this bio
          if (m2.flushIssues > r.flushIssuesAtQ && m2.flushesFailed > 0) return;
          // served by a flush request dispatched after its Q that completed without error
          const deviceOk = r.qTime >= 0 && m2.flushIssues > r.flushIssuesAtQ && m2.lastOkFlushD >= r.qTime;
          record(m2, e, r.qTime >= 0 ? [reqEvidence(m2.env, r, 'Q', 'empty flush queued')] : [], deviceOk);
        }
      },
      finish(m2, ctx) {
        for (const f of found) {
          const since = f.oldest !== undefined ? `, the oldest completed at ${timeMark(f.source, f.oldest / 1e9)}` : '';
          if (f.deviceOk) {
            // no durability lost: what the flush covered is durable (the volatile set says so); the sync was told it failed
            ctx.emit(
              makeFinding(m2, 'flush-failed', 'warning', f.time,
                `an empty flush bio failed with ${errnoName(f.errno)} although the flush request that served it completed without error: the device flushed, the error came from the block layer (blk-flush.c flush_end_io reported a status left from an earlier failed flush until kernel commit 8a7518931baa), and the sync waiting on it was told it failed; ${f.writes === 0 ? 'no completed write was waiting for a flush then' : `${plural(f.writes, 'completed write')} (${formatBytes(f.bytes)}) ${was(f.writes)} still waiting for one then`}.`,
                f.evidence, { errno: f.errno, writesAtRisk: f.writes, bytesAtRisk: f.bytes, extents: f.ranges, deviceFlushOk: true }),
            );
            continue;
          }
          ctx.emit(
            makeFinding(m2, 'flush-failed', 'error', f.time,
              `a flush failed with ${errnoName(f.errno)}: ${plural(f.writes, 'completed write')} (${formatBytes(f.bytes)}) since the last successful flush ${f.writes === 1 ? 'is' : 'are'} not durable${since}.`,
              f.evidence, { errno: f.errno, writesAtRisk: f.writes, bytesAtRisk: f.bytes, extents: f.ranges }),
          );
        }
        if (count > found.length) {
          ctx.emit(makeFinding(m2, 'flush-failed', 'error', found[found.length - 1]!.time,
            `${count - found.length} more flushes failed.`, [], { more: count - found.length }));
        }
      },
    };
  },
};
