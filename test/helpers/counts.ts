import { Act, type BlockEvent } from '../../src/model/event.js';
import { formatDev } from '../../src/model/device.js';
import { Flag, Op } from '../../src/model/rwbs.js';

/** Per device: queued / dispatched / completed × read / write / flush / FUA, as blkparse counts them. */
export function qdcCounts(events: BlockEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const a = e.act === Act.Queue ? 'Q' : e.act === Act.Issue ? 'D' : e.act === Act.Complete ? 'C' : '';
    if (!a) continue;
    const add = (k: string) => (out[`${formatDev(e.dev)} ${a}${k}`] = (out[`${formatDev(e.dev)} ${a}${k}`] ?? 0) + 1);
    if (e.op === Op.Read) add('R');
    if (e.op === Op.Write || e.op === Op.WriteZeroes) add('W');
    if (e.op === Op.Flush || e.flags & Flag.PREFLUSH) add('F');
    if (e.flags & Flag.FUA) add('FUA');
  }
  return out;
}
