/**
 * The two checks blkparse text gets across consecutive event lines, kept
 * apart from the line parser so they can run where the lines meet again when
 * blocks of one file are parsed in parallel (src/io/worker-pump.ts): an event
 * line repeated verbatim (a concatenated or doubled file: counted, not read
 * twice) and time going backwards (counted; blkparse output is sorted).
 * Example texts are built from the event's fields, so they are the same
 * whichever thread parsed the line.
 */
import type { BlockEvent } from '../../model/event.js';
import { ACT_LETTERS } from '../../model/event.js';
import { formatDev } from '../../model/device.js';
import { formatRwbs } from '../../model/rwbs.js';
import type { ParseContext } from '../types.js';

export const DUPLICATE_REASON = 'blkparse: event line repeated (same device, CPU, sequence, time and action as the line before)';
export const BACKWARDS_REASON = 'time went backwards';

/** A short rendering of an event for a diagnostic's example text. */
export function describeEvent(e: BlockEvent): string {
  const sec = Math.floor(e.time / 1e9);
  const ns = String(e.time - sec * 1e9).padStart(9, '0');
  const where = e.sector >= 0 ? ` ${e.sector}${e.bytes > 0 ? ` + ${e.bytes / 512}` : ''}` : '';
  return `${formatDev(e.dev)} ${e.cpu} ${e.seq} ${sec}.${ns} ${e.pid} ${ACT_LETTERS[e.act] ?? e.act} ${formatRwbs(e.op, e.flags)}${where}`;
}

export class OrderChecks {
  private prevSeq = -1;
  private prevTime = -1;
  private prevCpu = -1;
  private prevDev = -1;
  private prevAct = -1;
  private lastTime = -Infinity;

  constructor(private readonly ctx: ParseContext) {}

  /** False when `e` repeats the event before it (counted; the caller drops it). */
  accept(e: BlockEvent): boolean {
    const seq = e.seq;
    const time = e.time;
    if (seq > 0 && seq === this.prevSeq && time === this.prevTime && e.cpu === this.prevCpu && e.dev === this.prevDev && e.act === this.prevAct) {
      this.ctx.diag.add(DUPLICATE_REASON, 'info', { source: this.ctx.sourceName, locKind: 'line', loc: e.loc, text: describeEvent(e) });
      return false;
    }
    this.prevSeq = seq;
    this.prevTime = time;
    this.prevCpu = e.cpu;
    this.prevDev = e.dev;
    this.prevAct = e.act;
    if (time < this.lastTime) {
      this.ctx.diag.add(BACKWARDS_REASON, 'info', { source: this.ctx.sourceName, locKind: 'line', loc: e.loc, text: describeEvent(e) });
    } else {
      this.lastTime = time;
    }
    return true;
  }
}
