/**
 * The block tracepoints this reader understands, with the body grammar each
 * prints (include/trace/events/block.h TP_printk; 6.18 formats in shared
 * reference §2.5, older ones as noted) and the Act it maps to. The Act choice
 * follows what blktrace records for the same hook (kernel/trace/blktrace.c
 * blk_register_tracepoints), so the two views of one trace agree.
 */
import { Act } from '../../model/event.js';

export const Body = {
  /** "dev rwbs bytes (cmd) sector + nr [ioprio] [comm]" — rq_insert/issue/merge, io_start/done */
  Rq: 1,
  /** "dev rwbs (cmd) sector + nr [ioprio] [err]" — rq_complete/error/requeue/abort */
  RqErr: 2,
  /** "dev rwbs sector + nr [comm]" — bio_queue/backmerge/frontmerge/bounce, getrq, sleeprq */
  Bio: 3,
  /** "dev rwbs sector + nr [err]" — bio_complete */
  BioErr: 4,
  /** "dev rwbs sector + nr <- (dev) sector [nr_bios]" — bio_remap, rq_remap */
  Remap: 5,
  /** "dev rwbs sector / new_sector [comm]" — split */
  Split: 6,
  /** "[comm]" — plug (no device in the tracepoint) */
  Plug: 7,
  /** "[comm] depth" — unplug, unplug_io/unplug_timer (≤2.6.38) */
  Unplug: 8,
} as const;
export type Body = (typeof Body)[keyof typeof Body];

export interface TracepointDef {
  name: string;
  body: Body;
  /** Act emitted; -1 = understood but not emitted (see `why`). */
  act: number;
  /** Why an understood event is not emitted (the skip reason's detail). */
  why?: string;
}

/** block_io_done: blk_account_io_done, right after the request's last block_rq_complete. */
export const NOT_EMITTED = -1;
// block_plug/unplug print only "[comm]" (TP_printk in block.h): the queue is
// not in the record, so no device can be named. The blk tracer's P/U have one.
export const NO_DEVICE = 'no device; not emitted';

export const TRACEPOINTS: readonly TracepointDef[] = [
  { name: 'block_bio_queue', body: Body.Bio, act: Act.Queue },
  { name: 'block_bio_backmerge', body: Body.Bio, act: Act.BackMerge },
  { name: 'block_bio_frontmerge', body: Body.Bio, act: Act.FrontMerge },
  { name: 'block_bio_bounce', body: Body.Bio, act: Act.Bounce },
  { name: 'block_getrq', body: Body.Bio, act: Act.GetRq },
  { name: 'block_sleeprq', body: Body.Bio, act: Act.SleepRq },
  { name: 'block_bio_complete', body: Body.BioErr, act: Act.Complete },
  { name: 'block_bio_remap', body: Body.Remap, act: Act.Remap },
  { name: 'block_rq_remap', body: Body.Remap, act: Act.Remap },
  { name: 'block_split', body: Body.Split, act: Act.Split },
  { name: 'block_rq_insert', body: Body.Rq, act: Act.Insert },
  { name: 'block_rq_issue', body: Body.Rq, act: Act.Issue },
  // blktrace records block_rq_merge as a back merge (blk_add_trace_rq_merge)
  { name: 'block_rq_merge', body: Body.Rq, act: Act.BackMerge },
  { name: 'block_io_start', body: Body.Rq, act: Act.IoStart },
  { name: 'block_io_done', body: Body.Rq, act: NOT_EMITTED, why: 'accounting end; not emitted' },
  { name: 'block_rq_complete', body: Body.RqErr, act: Act.Complete },
  // block_rq_error always follows a block_rq_complete with the same error
  // (blk_update_request, 5.18+): a pseudo action so the failure is not counted twice.
  { name: 'block_rq_error', body: Body.RqErr, act: Act.Error },
  { name: 'block_rq_requeue', body: Body.RqErr, act: Act.Requeue },
  { name: 'block_rq_abort', body: Body.RqErr, act: Act.Abort },
  { name: 'block_plug', body: Body.Plug, act: NOT_EMITTED, why: NO_DEVICE },
  { name: 'block_unplug', body: Body.Unplug, act: NOT_EMITTED, why: NO_DEVICE },
  { name: 'block_unplug_io', body: Body.Unplug, act: NOT_EMITTED, why: NO_DEVICE },
  { name: 'block_unplug_timer', body: Body.Unplug, act: NOT_EMITTED, why: NO_DEVICE },
];

/** FNV-1a over the name bytes: a number key, so no string is built per line. */
export function nameHash(buf: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 16777619);
  return h >>> 0;
}

interface Entry {
  def: TracepointDef;
  bytes: Buffer;
  hash: number;
}

/** Open-addressing table (linear probing) over the name hashes: no Map lookup per line. */
const TABLE_MASK = 255;
const TABLE: Array<Entry | undefined> = new Array<Entry | undefined>(TABLE_MASK + 1).fill(undefined);
for (const def of TRACEPOINTS) {
  const bytes = Buffer.from(def.name, 'latin1');
  const hash = nameHash(bytes, 0, bytes.length);
  let i = hash & TABLE_MASK;
  while (TABLE[i] !== undefined) i = (i + 1) & TABLE_MASK;
  TABLE[i] = { def, bytes, hash };
}

/** The tracepoint named by bytes [s, e), or undefined. */
export function lookupTracepoint(buf: Buffer, s: number, e: number): TracepointDef | undefined {
  const h = nameHash(buf, s, e);
  for (let i = h & TABLE_MASK; ; i = (i + 1) & TABLE_MASK) {
    const hit = TABLE[i];
    if (hit === undefined) return undefined;
    if (hit.hash !== h || hit.bytes.length !== e - s) continue;
    for (let k = 0; k < hit.bytes.length; k++) if (hit.bytes[k] !== buf[s + k]) return undefined;
    return hit.def;
  }
}
