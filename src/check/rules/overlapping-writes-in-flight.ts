/**
 * overlapping-writes-in-flight: two writes covering a common sector were at
 * the driver at the same time (both issued, neither completed). Since 2.6.37
 * the block layer imposes no order between outstanding requests (shared
 * reference §3.5 O1: "A before B" holds only if Q(B) > C(A)), and devices
 * reorder freely (NCQ, virtio queues, the loop driver's workers): whichever
 * lands last wins, so the sector's final content is undefined. Filesystems
 * and databases avoid this by waiting for completion before rewriting.
 *
 * Writes here are data-modifying requests: writes, write-zeroes, discards.
 * Judged at the request stage (D→C); bio-based devices, which show no D, are
 * not judged. A warning: the outcome is undefined, but the trace cannot say
 * whether the writer cared (it may have rewritten identical data).
 *
 * Proof needs the first write's completion: a pair is reported only once the
 * trace shows the earlier write completing after the later one was issued.
 * A trace with no completions (D-only excerpts, shared/wild/39) or one whose
 * completion was lost proves nothing. Two writes to the very same sectors
 * are as much a pair as any (fio jobs sharing an offset, shared/wild/09):
 * the request tracker keeps both. When a CPU's clock on this device was
 * re-based (cpu-clock-off), which of its events came first is approximate,
 * so such pairs are reported as undecided (info) with that reason.
 */
import type { EvidenceRef } from '../../model/event.js';
import { modifiesData } from '../../model/rwbs.js';
import { overlaps, reqEvidence, type Req } from '../request.js';
import type { RuleFactory } from './rule.js';
import { makeFinding, MAX_FINDINGS_PER_DEVICE } from './rule.js';

/** Candidate pairs kept per device while their first write has not completed. */
const MAX_PENDING_PAIRS = 4096;

interface Overlap {
  time: number;
  start: number;
  end: number;
  evidence: EvidenceRef[];
}

export const overlappingWritesInFlight: RuleFactory = {
  info: {
    id: 'overlapping-writes-in-flight',
    severity: 'warning',
    meaning:
      'Two writes covering a common sector were at the device at the same time (both issued, neither completed): the device may apply them in either order, so the sectors end up with either content.',
    evidence: 'the D of both writes (the first not yet completed when the second was issued)',
    citation: 'Documentation/block/writeback_cache_control.rst (no ordering among requests in flight)',
  },
  create(m) {
    const found: Overlap[] = [];
    let count = 0;
    const env = m.env;
    /** Pairs waiting for the earlier write's completion, by that write (bounded: completions may never come). */
    const pending = new Map<Req, Overlap[]>();
    let pendingPairs = 0;
    return {
      issue(m2, r) {
        if (!modifiesData(r.op)) return;
        for (let x = m2.inflight.first; x; x = x.inNext) {
          if (x === r || !modifiesData(x.op) || !overlaps(x, r)) continue;
          if (pendingPairs >= MAX_PENDING_PAIRS) break;
          const o: Overlap = {
            time: r.dTime,
            start: Math.max(x.sector, r.sector),
            end: Math.min(x.end, r.end),
            evidence: [reqEvidence(env, x, 'D', 'issued, not yet completed'), reqEvidence(env, r, 'D', 'overlapping write issued')],
          };
          const list = pending.get(x);
          if (list) list.push(o);
          else pending.set(x, [o]);
          pendingPairs++;
          break;
        }
      },
      dataComplete(_m2, r, e) {
        const list = r && pending.get(r);
        if (!list) return;
        // the earlier write completes only now: both were at the device when the later one was issued
        pending.delete(r);
        pendingPairs -= list.length;
        for (const o of list) {
          count++;
          if (found.length < MAX_FINDINGS_PER_DEVICE) {
            o.evidence.push(m.evidence(e, 'the earlier write completes only now'));
            found.push(o);
          }
        }
      },
      finish(m2, ctx) {
        const outliers = m2.facts.facts(m2.env, m2.dev).clockOutliers;
        if (count > 0 && outliers.length > 0) {
          const cpus = outliers.map((o) => o.cpu).join(', ');
          ctx.emit(makeFinding(m2, 'overlapping-writes-in-flight', 'info', found[0]!.time,
            `undecided: ${count} pair${count === 1 ? '' : 's'} of writes to the same sectors appear to have been at the device at the same time, ` +
              `but the clock of CPU ${cpus} was re-based on this device (cpu-clock-off), so which came first is approximate.`,
            found[0]!.evidence, { pairs: count, reason: 'clock' }));
          return;
        }
        for (const o of found) {
          ctx.emit(
            makeFinding(m2, 'overlapping-writes-in-flight', 'warning', o.time,
              `two writes to sectors ${o.start}–${o.end - 1} were at the device at the same time; it may apply them in either order, so those sectors may end up with the older data.`,
              o.evidence, { start: o.start, sectors: o.end - o.start }),
          );
        }
        if (count > found.length) {
          ctx.emit(makeFinding(m2, 'overlapping-writes-in-flight', 'warning', found[found.length - 1]!.time,
            `${count - found.length} more pairs of overlapping writes were at the device at the same time.`, [], { more: count - found.length }));
        }
      },
    };
  },
};
