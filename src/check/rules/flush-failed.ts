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
      'A flush completed with an error: nothing written since the last successful flush is known to be durable, and every sync that relied on it was not honoured.',
    evidence: 'the failed flush completion with its errno; the writes (count, bytes, oldest) not durable at that moment',
    citation: 'block/blk-flush.c flush_end_io → blk_flush_complete_seq(error): every waiter fails',
  },
  create() {
    const found: Failure[] = [];
    let count = 0;
    const record = (m2: DeviceModel, e: BlockEvent, extra: EvidenceRef[]) => {
      count++;
      if (found.length >= MAX_FINDINGS_PER_DEVICE) return;
      const pending = m2.volatile.pending();
      const first = m2.volatile.oldestEvidence();
      found.push({
        time: e.time,
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
          record(m2, e, r.qTime >= 0 ? [reqEvidence(m2.env, r, 'Q', 'empty flush queued')] : []);
        }
      },
      finish(m2, ctx) {
        for (const f of found) {
          const since = f.oldest !== undefined ? `, the oldest completed at ${timeMark(f.source, f.oldest / 1e9)}` : '';
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
