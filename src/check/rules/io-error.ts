/**
 * io-error: a request completed with an error. D4 (shared reference §3.5):
 * a failed completion gives no guarantee — after a failed write the sectors
 * hold old data, new data or a mix. A failed 0-byte final completion means the
 * write's flush sequence failed (blk-flush ends the whole sequence with the
 * error): the write must be treated as not durable. Failed flushes are
 * `flush-failed`. The errno is the kernel's (blk_status_to_errno); blkparse
 * prints it as unsigned 16 bits and the reader converts it (65531 → -EIO).
 * Severity: error when a data-modifying request failed at the device (after
 * its D, or on a device with no request stage); a warning when the block layer
 * rejected the bio (Q then a failed C with no G/I/D: it never became a
 * request, so the sectors are unchanged and the writer was told); info for reads and others — nothing on
 * the device is at risk (QEMU's O_DIRECT alignment probe fails reads with
 * -EINVAL this way on every start: the corpus qemu-io and guest host traces).
 */
import type { EvidenceRef } from '../../model/event.js';
import { modifiesData, OP_NAMES } from '../../model/rwbs.js';
import { reqEvidence } from '../request.js';
import type { FindingSeverity } from '../types.js';
import type { RuleFactory } from './rule.js';
import { formatBytes, makeFinding, MAX_FINDINGS_PER_DEVICE } from './rule.js';

/** blk_status_t errnos (block/blk-core.c blk_errors[]) and a few common others. */
const ERRNO: Record<number, string> = {
  1: 'EPERM', 5: 'EIO', 6: 'ENXIO', 11: 'EAGAIN', 12: 'ENOMEM', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL',
  28: 'ENOSPC', 52: 'EBADE', 61: 'ENODATA', 62: 'ETIME', 67: 'ENOLINK', 84: 'EILSEQ', 95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT', 121: 'EREMOTEIO',
};

export function errnoName(err: number): string {
  const name = ERRNO[Math.abs(err)];
  return name ? `-${name}` : String(err);
}

interface Failure {
  time: number;
  severity: FindingSeverity;
  message: string;
  evidence: EvidenceRef[];
  details: Record<string, unknown>;
}

export const ioError: RuleFactory = {
  info: {
    id: 'io-error',
    severity: 'error',
    meaning:
      'A request completed with an error: after a failed write (or a failed FUA/PREFLUSH sequence) the sectors may hold old data, new data or a mix, and nothing about them is durable. A write rejected before it reached the driver is a warning; failed reads are info.',
    evidence: 'the issue (D) and the failed completion with its errno; the sector range at risk',
    citation: 'block/blk-core.c blk_status_to_errno, blk_update_request',
  },
  create(m) {
    const found: Failure[] = [];
    let count = 0;
    let worst: FindingSeverity = 'info';
    const env = m.env;
    const add = (f: Failure) => {
      count++;
      if (f.severity === 'error' || (f.severity === 'warning' && worst === 'info')) worst = f.severity;
      if (found.length < MAX_FINDINGS_PER_DEVICE) found.push(f);
    };
    return {
      dataComplete(m2, r, e) {
        if (!e.error) return;
        const write = modifiesData(e.op);
        const sectors = Math.ceil(e.bytes / 512);
        const atDevice = r === undefined || r.gotRq || !m2.sawIssue;
        const severity: FindingSeverity = !write ? 'info' : atDevice ? 'error' : 'warning';
        add({
          time: e.time,
          severity,
          message: `a ${OP_NAMES[e.op]} of ${formatBytes(e.bytes)} at sector ${e.sector} failed with ${errnoName(e.error)}` +
            (!write ? '.' : atDevice
              ? `: sectors ${e.sector}–${e.sector + sectors - 1} may hold old, new or mixed data.`
              : ' before it became a request (no G/I/D): the block layer rejected it, so the sectors are unchanged and the writer was told.'),
          evidence: [...(r && r.dTime >= 0 ? [reqEvidence(env, r, 'D', 'issued')] : []), m.evidence(e, `failed: ${errnoName(e.error)}`)],
          details: { errno: e.error, op: OP_NAMES[e.op], sector: e.sector, sectors },
        });
      },
      finalComplete(_m, r, e, emptyFlush) {
        if (!e.error || emptyFlush || !r) return;
        add({
          time: e.time,
          severity: 'error',
          message: `the flush sequence of the ${OP_NAMES[r.op]} at sector ${r.sector} (queued with PREFLUSH/FUA) failed with ${errnoName(e.error)}: ` +
            `its data completed but is not durable.`,
          evidence: [
            ...(r.qTime >= 0 ? [reqEvidence(env, r, 'Q', 'queued with PREFLUSH/FUA')] : []),
            ...(r.dataTime >= 0 ? [reqEvidence(env, r, 'C', 'data completed')] : []),
            m.evidence(e, `final completion failed: ${errnoName(e.error)}`),
          ],
          details: { errno: e.error, op: OP_NAMES[r.op], sector: r.sector, sectors: r.end - r.sector },
        });
      },
      finish(m2, ctx) {
        for (const f of found) {
          ctx.emit(makeFinding(m2, 'io-error', f.severity, f.time, `${f.message}`, f.evidence, f.details));
        }
        if (count > found.length) {
          ctx.emit(makeFinding(m2, 'io-error', worst, found[found.length - 1]!.time,
            `${count - found.length} more requests failed.`, [], { more: count - found.length }));
        }
      },
    };
  },
};
