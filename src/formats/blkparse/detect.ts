/** blkparse default text: detection and description (no parser: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';

/**
 * An event line of blkparse's default output: dev, cpu, sequence, time with a
 * fraction, pid, then a 1–2 letter action. The sequence column is what sets it
 * apart from the ftrace blk tracer's `blk_classic` lines (dev cpu time pid act).
 */
const EVENT_LINE = /^\s*\d+,\d+\s+\d+\s+\d+\s+\d+\.\d+\s+\d+\s+(?:\d+,\d+\s+)?(?:[A-Z]{1,2}|m)\s/;

export function blkparseConfidence(head: Buffer): number {
  const text = head.toString('latin1');
  const lines = text.split('\n', 200);
  let events = 0;
  let other = 0;
  for (const l of lines) {
    if (l.trim() === '') continue;
    if (EVENT_LINE.test(l)) events++;
    else other++;
  }
  // blkparse over a trace that recorded nothing prints its summary alone (`Throughput (R/W):`,
  // `Events (dev): 0 entries`, `Skips:`): a device traced with no I/O is a fact, not an unreadable input
  if (events === 0) return /^Events \([^)\n]*\): \d+ entries/m.test(text) && /^Throughput \(R\/W\):/m.test(text) ? 0.9 : 0;
  // Excerpts from mail and blogs carry prose between events: still blkparse.
  return 0.5 + 0.45 * (events / (events + other));
}

export const blkparseMeta: FormatMeta = {
  name: 'blkparse',
  title: 'blkparse default text output (blkparse -i DEV -o -, btrace), with its summary trailer',
  example: '  7,1    1        1     0.000000000 11214  Q  RM 33928 + 8 [python3]',
  detectedBy: 'lines of "maj,min cpu seq sec.nsec pid ACT RWBS …" (a sequence column, unlike blk_classic)',
  kind: 'text',
  produces: 'block',
  detect: blkparseConfidence,
};
