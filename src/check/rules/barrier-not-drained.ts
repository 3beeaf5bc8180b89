/**
 * barrier-not-drained: before 2.6.37 a barrier request (REQ_HARDBARRIER,
 * `B` in blkparse) promised ordering: every request queued before it finishes
 * first, every request queued after it starts after it (Documentation/block/
 * barrier.txt; shared reference §3.4). Under the QUEUE_ORDERED_DRAIN* modes
 * the block layer delivers this by draining:
 *   - the barrier is dispatched only when nothing else is at the driver;
 *   - nothing queued after it is dispatched until it completes.
 * A trace that shows otherwise broke the promise — unless the queue used
 * ordered tags (QUEUE_ORDERED_TAG*, used by virtio-blk and xen-blkfront of
 * that era), where the device orders by tag and overlap is legal. The trace
 * cannot show the mode, so this is a warning.
 *
 * What counts as a barrier, conservatively: a write *queued* (Q) with `B` and
 * data. Not `B` on D/C of reads (2.6.17 flag aliasing, shared/wild/05), not an
 * empty `WBS` (on 3.x traced by an old blkparse, `B` is REQ_FLUSH: wild/06).
 * A 3.x data write with REQ_FLUSH printed by a pre-1.0.3 blkparse looks like a
 * barrier too; blk-flush never drained, so this rule may misfire there.
 */
import type { EvidenceRef } from '../../model/event.js';
import { isWriteOp } from '../../model/rwbs.js';
import { Flag } from '../../model/rwbs.js';
import { reqEvidence, type Req } from '../request.js';
import type { RuleFactory } from './rule.js';
import { makeFinding, MAX_FINDINGS_PER_DEVICE } from './rule.js';

interface Violation {
  time: number;
  kind: 'earlier-in-flight' | 'later-overtook';
  evidence: EvidenceRef[];
  sector: number;
}

export const barrierNotDrained: RuleFactory = {
  info: {
    id: 'barrier-not-drained',
    severity: 'warning',
    meaning:
      'A pre-2.6.37 barrier write was dispatched while requests queued before it were still at the driver, or a request queued after it was dispatched before it completed: the drain that QUEUE_ORDERED_DRAIN* promised did not happen (legal only with ordered tags).',
    evidence: 'the barrier Q and D, and the D of the request that overlapped it',
    citation: 'block/blk-barrier.c (2.6.30–2.6.36) QUEUE_ORDERED_DRAIN; Documentation/block/barrier.txt',
  },
  create(m) {
    const open: Req[] = [];
    const found: Violation[] = [];
    let count = 0;
    const env = m.env;
    const note = (v: Violation) => {
      count++;
      if (found.length < MAX_FINDINGS_PER_DEVICE) found.push(v);
    };
    const isBarrier = (r: Req) => r.qFlags & Flag.BARRIER && r.bytes > 0 && isWriteOp(r.op);
    const close = (r: Req | undefined) => {
      if (!r) return;
      const i = open.indexOf(r);
      if (i >= 0) open.splice(i, 1);
    };
    return {
      flaggedQueue(_m, r) {
        if (isBarrier(r) && open.length < 64) open.push(r);
      },
      issue(m2, r) {
        if (isBarrier(r) && open.includes(r)) {
          for (let x = m2.inflight.first; x; x = x.inNext) {
            if (x === r || (x.qOrder >= 0 && r.qOrder >= 0 && x.qOrder > r.qOrder)) continue;
            note({
              time: r.dTime, kind: 'earlier-in-flight', sector: r.sector,
              evidence: [
                reqEvidence(env, r, 'Q', 'barrier queued'),
                reqEvidence(env, x, 'D', 'still at the driver'),
                reqEvidence(env, r, 'D', 'barrier dispatched before it completed'),
              ],
            });
            break;
          }
        }
        if (r.qOrder < 0) return;
        for (const b of open) {
          if (b === r || b.qOrder < 0 || r.qOrder <= b.qOrder) continue;
          note({
            time: r.dTime, kind: 'later-overtook', sector: b.sector,
            evidence: [
              reqEvidence(env, b, 'Q', 'barrier queued'),
              reqEvidence(env, r, 'Q', 'queued after the barrier'),
              reqEvidence(env, r, 'D', 'dispatched before the barrier completed'),
            ],
          });
          break;
        }
      },
      dataComplete(_m, r) {
        if (r && r.remaining <= 0) close(r);
      },
      finish(m2, ctx) {
        for (const v of found) {
          const msg =
            v.kind === 'earlier-in-flight'
              ? `the barrier write at sector ${v.sector} was dispatched while an earlier request was still at the driver: the queue was not drained before the barrier.`
              : `a request queued after the barrier write at sector ${v.sector} was dispatched before the barrier completed: the barrier did not hold later requests back.`;
          ctx.emit(makeFinding(m2, 'barrier-not-drained', 'warning', v.time, msg + ' (Legal only if the queue used ordered tags.)', v.evidence, { kind: v.kind }));
        }
        if (count > found.length) {
          ctx.emit(makeFinding(m2, 'barrier-not-drained', 'warning', found[found.length - 1]!.time,
            `${count - found.length} more barrier ordering violations.`, [], { more: count - found.length }));
        }
      },
    };
  },
};
