/**
 * Block events of one layer → an OpTable per device: the requests the device
 * was given (D … C), the flush requests (D FN … C FN), and for FUA writes the
 * final completion that tells the bio's owner (reference §3.2–3.3):
 *
 *   Q WFS s → D WS s → C WS s+n → D FN → C FN → C WS s [0]     FUA emulated: durable at the 0-byte C
 *   Q FWS → D FN → C FN → C WS 0 [0]                            empty flush: the flush request carries it
 *
 * A bio-based device (dm, md) shows no D: there the bio's Q … C is the op,
 * and an empty PREFLUSH bio is the flush. This is the minimal per-layer model
 * correlation needs (request level, for matching against the layer below);
 * the single-layer checker (src/check) keeps the full bio-level model.
 */
import type { BlockEvent, EventSink } from '../model/event.js';
import { Act } from '../model/event.js';
import { formatDev } from '../model/device.js';
import { Flag, Op } from '../model/rwbs.js';
import { OpFlag, OpKind, OpTable } from './ops.js';
import { RemapSet } from './remaps.js';

const MAX_PENDING = 8192;

interface QueuedBio {
  flags: number;
  time: number;
  loc: number;
  bytes: number;
}

interface DevState {
  table: OpTable;
  queued: Map<number, QueuedBio>;
  inflight: Map<number, number>;
  awaitingFinal: Map<number, number>;
  flushFifo: number[];
  emptyFlushBios: QueuedBio[];
  sawIssue: boolean;
  sawFlushRq: boolean;
  orphans: number;
  /** Remaps into this device, by the device they came from. */
  remaps: Map<number, RemapSet>;
}

/** One device of a layer: its dev_t, its operations, and the devices it received remapped bios from. */
export interface BlockDevice {
  dev: number;
  table: OpTable;
  remaps: Map<number, RemapSet>;
}

export class BlockOpsBuilder implements EventSink {
  private readonly devs = new Map<number, DevState>();
  private lastDev = -1;
  private last: DevState | undefined;

  constructor(private readonly layer: string) {}

  event(e: BlockEvent): void {
    const d = e.dev === this.lastDev && this.last ? this.last : this.state(e.dev);
    switch (e.act) {
      case Act.Queue: return this.queue(d, e);
      case Act.Issue: return this.issue(d, e);
      case Act.Complete: return this.completeEv(d, e);
      case Act.Remap: return this.remap(d, e);
      default: return;
    }
  }

  private state(dev: number): DevState {
    let d = this.devs.get(dev);
    if (!d) {
      d = {
        table: new OpTable(this.layer, formatDev(dev), 'block', false), queued: new Map(), inflight: new Map(),
        awaitingFinal: new Map(), flushFifo: [], emptyFlushBios: [], sawIssue: false, sawFlushRq: false, orphans: 0,
        remaps: new Map(),
      };
      this.devs.set(dev, d);
    }
    this.lastDev = dev;
    this.last = d;
    return d;
  }

  private remap(d: DevState, e: BlockEvent): void {
    if (e.auxDev < 0 || e.auxDev === e.dev) return;
    let r = d.remaps.get(e.auxDev);
    if (!r) {
      r = new RemapSet();
      d.remaps.set(e.auxDev, r);
    }
    r.add(e.aux, e.sector, e.bytes > 0 ? e.bytes / 512 : 0);
  }

  private queue(d: DevState, e: BlockEvent): void {
    const bio = { flags: e.flags, time: e.time, loc: e.loc, bytes: e.bytes };
    if (e.bytes > 0 && e.sector >= 0) {
      if (d.queued.size >= MAX_PENDING) d.queued.delete(d.queued.keys().next().value!);
      d.queued.set(e.sector, bio);
    } else if (e.flags & (Flag.PREFLUSH | Flag.BARRIER) || e.op === Op.Flush) {
      if (d.emptyFlushBios.length < MAX_PENDING) d.emptyFlushBios.push(bio);
    }
  }

  private issue(d: DevState, e: BlockEvent): void {
    d.sawIssue = true;
    const t = d.table;
    if (e.op === Op.Flush) {
      d.sawFlushRq = true;
      const i = t.add(OpKind.Flush, -1, 0, e.time, e.loc, e.source);
      if (i >= 0) d.flushFifo.push(i);
      return;
    }
    if (e.bytes <= 0 || e.sector < 0) return;
    const kind = kindOf(e.op);
    if (kind === 0) return;
    const q = d.queued.get(e.sector);
    let flags = kind === OpKind.Write && e.op === Op.WriteZeroes ? OpFlag.ZEROES : 0;
    const fuaAsked = ((q?.flags ?? 0) | e.flags) & Flag.FUA;
    if (fuaAsked && kind === OpKind.Write) flags |= OpFlag.FUA;
    const i = t.add(kind, e.sector, e.bytes / 512, e.time, e.loc, e.source, flags);
    if (i < 0) return;
    // FUA kept at D: the device does it; stripped: blk-mq emulates it with a post-flush (final 0-byte C)
    if (fuaAsked && !(e.flags & Flag.FUA) && kind === OpKind.Write) t.flags[i] = t.flags[i]! | OpFlag.AWAIT_FINAL;
    if (q) d.queued.delete(e.sector);
    d.inflight.set(e.sector, i);
  }

  private completeEv(d: DevState, e: BlockEvent): void {
    const t = d.table;
    const ok = e.error === 0;
    if (e.op === Op.Flush) {
      const i = d.flushFifo.shift();
      if (i !== undefined) t.complete(i, e.time, e.loc, ok);
      else d.orphans++;
      return;
    }
    if (e.bytes > 0 && e.sector >= 0) {
      const i = d.inflight.get(e.sector);
      if (i !== undefined) {
        d.inflight.delete(e.sector);
        if (t.has(i, OpFlag.AWAIT_FINAL)) {
          t.tC[i] = e.time;
          t.locC[i] = e.loc;
          if (!ok) t.complete(i, e.time, e.loc, false);
          else d.awaitingFinal.set(e.sector, i);
        } else {
          t.complete(i, e.time, e.loc, ok);
        }
        return;
      }
      if (!d.sawIssue) {
        // bio-based device: the bio is the op
        const q = d.queued.get(e.sector);
        const kind = kindOf(e.op);
        if (kind !== 0) {
          const flags = (q && q.flags & Flag.FUA && kind === OpKind.Write ? OpFlag.FUA : 0) | (e.op === Op.WriteZeroes ? OpFlag.ZEROES : 0);
          // A data bio with PREFLUSH (a journal commit, `Q FWFSM` → `C WFSM`: dm clears the flag once its
          // flush stage is done, drivers/md/dm.c dm_submit_bio → __send_empty_flush) is also a flush: every
          // write completed before its Q is durable when it completes.
          if (q && q.flags & (Flag.PREFLUSH | Flag.BARRIER) && kind === OpKind.Write) {
            const f = t.add(OpKind.Flush, -1, 0, q.time, q.loc, e.source);
            if (f >= 0) t.complete(f, e.time, e.loc, ok);
          }
          const j = t.add(kind, e.sector, e.bytes / 512, q ? q.time : e.time, q ? q.loc : e.loc, e.source, flags);
          if (j >= 0) t.complete(j, e.time, e.loc, ok);
          if (q) d.queued.delete(e.sector);
          return;
        }
      }
      d.orphans++;
      return;
    }
    // 0-byte completion: the final completion of a flush-sequenced request, or of an empty flush bio
    const i = e.sector >= 0 ? d.awaitingFinal.get(e.sector) : undefined;
    if (i !== undefined) {
      d.awaitingFinal.delete(e.sector);
      t.flags[i] = t.flags[i]! & ~OpFlag.AWAIT_FINAL;
      t.complete(i, e.time, e.loc, ok);
      return;
    }
    if (!d.sawFlushRq && d.emptyFlushBios.length > 0) {
      // bio-based device: the empty PREFLUSH bio is the flush
      const q = d.emptyFlushBios.shift()!;
      const j = t.add(OpKind.Flush, -1, 0, q.time, q.loc, e.source);
      if (j >= 0) t.complete(j, e.time, e.loc, ok);
      return;
    }
    if (d.emptyFlushBios.length > 0) d.emptyFlushBios.shift();
  }

  /** Every device with its remap sources, in first-seen order. */
  devices(): BlockDevice[] {
    return [...this.devs.entries()].map(([dev, d]) => ({ dev, table: d.table, remaps: d.remaps }));
  }

  orphans(): number {
    let n = 0;
    for (const d of this.devs.values()) n += d.orphans;
    return n;
  }
}

function kindOf(op: number): OpKind | 0 {
  switch (op) {
    case Op.Read: return OpKind.Read;
    case Op.Write: case Op.WriteZeroes: case Op.ZoneAppend: return OpKind.Write;
    case Op.Discard: case Op.SecureErase: return OpKind.Discard;
    default: return 0;
  }
}
