import type { FormatSpec } from '../types.js';
import { BlkparseParser } from './parser.js';
import { isSummaryLine } from './summary.js';

/**
 * An event line of blkparse's default output: dev, cpu, sequence, time with a
 * fraction, pid, then a 1–2 letter action. The sequence column is what sets it
 * apart from the ftrace blk tracer's `blk_classic` lines (dev cpu time pid act).
 */
const EVENT_LINE = /^\s*\d+,\d+\s+\d+\s+\d+\s+\d+\.\d+\s+\d+\s+(?:\d+,\d+\s+)?(?:[A-Z]{1,2}|m)\s/;

export function blkparseConfidence(head: Buffer): number {
  const text = head.toString('latin1');
  const lines = text.split('\n').slice(0, 200);
  let events = 0;
  let other = 0;
  for (const l of lines) {
    if (l.trim() === '') continue;
    if (EVENT_LINE.test(l)) events++;
    else other++;
  }
  // A device that saw no I/O: blkparse prints only its trailer ("Events (loop0): 0 entries"). That is a
  // trace of nothing, which a stack needs to say (a host that never received the guest's flushes).
  if (events === 0) return other > 0 && /^Events \(/m.test(text) && lines.every((l) => l.trim() === '' || isSummaryLine(l)) ? 0.6 : 0;
  // Excerpts from mail and blogs carry prose between events: still blkparse.
  return 0.5 + 0.45 * (events / (events + other));
}

export const blkparseFormat: FormatSpec = {
  name: 'blkparse',
  title: 'blkparse default text output (blkparse -i DEV -o -, btrace), with its summary trailer',
  example: '  7,1    1        1     0.000000000 11214  Q  RM 33928 + 8 [python3]',
  detectedBy: 'lines of "maj,min cpu seq sec.nsec pid ACT RWBS …" (a sequence column, unlike blk_classic)',
  kind: 'text',
  produces: 'block',
  detect: blkparseConfidence,
  create: (ctx) => new BlkparseParser(ctx),
};
