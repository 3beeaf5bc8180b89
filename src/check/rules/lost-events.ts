/**
 * lost-events: the readers count events the tracer dropped — blkparse's
 * `Skips: N forward` (gaps in the per-CPU sequence numbers, blkparse.c
 * check_sequence), sequence gaps in blktrace files, ftrace "LOST EVENTS"
 * notes — in the diagnostics under reasons starting with "lost-events".
 * A missing flush or completion can hide a violation or invent one, so every
 * verdict of the layer may be incomplete; reports show this first.
 */
import type { AnalysisEnv } from '../../model/analysis.js';
import type { EvidenceRef } from '../../model/event.js';
import type { Finding, RuleInfo } from '../types.js';
import { LOST_EVENTS_PREFIX } from '../../model/diagnostics.js';

export { LOST_EVENTS_PREFIX };

export const lostEventsInfo: RuleInfo = {
  id: 'lost-events',
  severity: 'warning',
  meaning: 'The tracer dropped events (blkparse "Skips", sequence gaps, lost-event notes): every verdict of this layer may be incomplete.',
  evidence: 'the counter and where the loss was reported',
  citation: 'blkparse.c check_sequence ("Skips"); kernel/trace/blktrace.c relay buffers (blk_dropped); ftrace ring buffer overruns',
};

/** Findings for the lost-event counters of this layer's sources (read at finish). */
export function lostEventFindings(env: AnalysisEnv, layer: string): Finding[] {
  const mine = new Set(env.sources.filter((s) => s.layer === layer).map((s) => s.name));
  const single = new Set(env.sources.map((s) => s.layer)).size <= 1;
  const out: Finding[] = [];
  for (const c of env.diag.list()) {
    if (!c.reason.startsWith(LOST_EVENTS_PREFIX)) continue;
    const examples = c.examples.filter((x) => mine.has(x.source));
    // counters are per analysis; each occurrence is attributed to its source (two layers that each
    // lost 3 events report 3 each, not 6); those with no source only when there is one layer
    let count = 0;
    for (const [source, n] of env.diag.sourcesOf(c.reason)) if (mine.has(source) || (single && source === '')) count += n;
    if (count === 0) continue;
    const evidence: EvidenceRef[] = examples.slice(0, 3).map((x) => ({
      source: x.source, locKind: x.locKind, loc: x.loc, time: 0, device: '', action: '', rwbs: '', sector: -1, bytes: 0,
      note: x.text,
    }));
    out.push({
      rule: 'lost-events',
      severity: 'warning',
      layer,
      device: '',
      time: 0,
      message: `${count} trace events were lost (${c.reason.slice(LOST_EVENTS_PREFIX.length).replace(/^[:\s]+/, '') || 'reported by the reader'}): every verdict below may be incomplete.`,
      evidence,
      details: { reason: c.reason, count },
    });
  }
  return out;
}
