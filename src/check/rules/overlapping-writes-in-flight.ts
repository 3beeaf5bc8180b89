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
 */
import type { EvidenceRef } from '../../model/event.js';
import { modifiesData } from '../../model/rwbs.js';
import { overlaps, reqEvidence } from '../request.js';
import type { RuleFactory } from './rule.js';
import { makeFinding, MAX_FINDINGS_PER_DEVICE } from './rule.js';

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
    return {
      issue(m2, r) {
        if (!modifiesData(r.op)) return;
        for (const x of m2.inflight.values()) {
          if (x === r || !modifiesData(x.op) || !overlaps(x, r)) continue;
          count++;
          if (found.length < MAX_FINDINGS_PER_DEVICE) {
            found.push({
              time: r.dTime,
              start: Math.max(x.sector, r.sector),
              end: Math.min(x.end, r.end),
              evidence: [reqEvidence(env, x, 'D', 'issued, not yet completed'), reqEvidence(env, r, 'D', 'overlapping write issued')],
            });
          }
          break;
        }
      },
      finish(m2, ctx) {
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
