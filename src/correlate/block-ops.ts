/**
 * Block events of one layer → an OpTable per device: the requests the device
 * was given (D … C), the flush requests (D FN … C FN), and for FUA writes the
 * final completion that tells the bio's owner (reference §3.2–3.3):
 *
 *   Q WFS s → D WS s → C WS s+n → D FN → C FN → C WS s [0]     FUA emulated: durable at the 0-byte C
 *   Q FWS → D FN → C FN → C WS 0 [0]                            empty flush: the flush request carries it
 *
 * A bio-based device (dm, md) shows no D: there the bio's Q … C is the op,
 * and an empty PREFLUSH bio is the flush.
 *
 * The requests are matched by the one request tracker (src/track/lifetime.ts),
 * one per device, whose lifecycle events this builder turns into rows: it
 * never matches Q…C itself (issue 12). A row is a request (D) or, on a device
 * with no request stage, a bio; the tracker's bios carry their row in `ext2`.
 * When the checker reads the same layer its trackers serve this builder too
 * (attached devices, track/lifecycle-pair.ts); otherwise each device has a
 * tracker of its own here.
 */
import { Act, type BlockEvent, type EventSink } from '../model/event.js';
import { formatDev } from '../model/device.js';
import { Flag, Op } from '../model/rwbs.js';
import { OpFlag, OpKind, OpTable } from './ops.js';
import { RemapSet } from './remaps.js';
import { RequestTracker, type FlushRq, type LifecycleSink } from '../track/lifetime.js';
import type { Bio } from '../track/request.js';
import { noteDurability, QuietLog } from './quiet.js';
import { rowSpan, type RowSpan, type SpilledRows, type SpillFile } from './spill.js';

/** What a device's request tracker has open (track/lifetime.ts): the device is quiet when all are 0. */
export interface OpenCounts {
  readonly inFlight: number;
  readonly atDevice: number;
  readonly flushesInFlight: number;
}

/** A device's streaming (segments.ts): its quiet spans, and the rows written out when it fell quiet. */
export interface DeviceStream {
  quiet: QuietLog;
  spill: SpillFile;
  rows: number;
  pieces: BlockPiece[];
  /** Rows of the table the quiet log has been told of. */
  scanned: number;
}

/** Tells the quiet log what the table's rows since the last call show: writes waiting, flushes covering them. */
function noteNewRows(st: DeviceStream, t: OpTable): void {
  for (let i = st.scanned; i < t.n; i++) noteDurability(st.quiet, t, i, 0);
  st.scanned = t.n;
}

/**
 * The end of a streamed device's trace: the rows after its last quiet instant told to the quiet log (their
 * flushes count for the cuts before them), which ends.
 */
export function endStream(d: BlockDevice): void {
  if (!d.stream) return;
  noteNewRows(d.stream, d.table);
  d.stream.quiet.end();
}

/** A run of a device's rows written to a SpillFile when the device fell quiet. */
export interface BlockPiece {
  rows: SpilledRows;
  span: RowSpan;
  /** The sources its rows came from. */
  srcs: number[];
}

/** One device of a layer: its dev_t, its operations, and the devices it received remapped bios from. */
export interface BlockDevice {
  dev: number;
  /** Its rows; when streamed, only those since the last piece written out. */
  table: OpTable;
  remaps: Map<number, RemapSet>;
  stream?: DeviceStream;
}

/** The row a bio belongs to (its request's), kept in the bio's second subscriber slot (-1: none). */
function rowOf(b: Bio): number {
  return b.ext2;
}

export class DeviceOps implements LifecycleSink {
  readonly table: OpTable;
  /** Its own tracker, or null when another stage's tracker calls its hooks (attached). */
  readonly tracker: RequestTracker | null;
  /** Remaps into this device, by the device they came from. */
  readonly remaps = new Map<number, RemapSet>();
  sawIssue = false;
  sawFlushRq = false;
  orphans = 0;
  /**
   * Its events, its completions and its Q/D events: a trace with events and not one completion, or with
   * completions and not one Q or D, was cut by an action mask (`-a queue`, `-a complete`).
   */
  events = 0;
  completions = 0;
  starts = 0;
  /** The tracker another stage owns, when attached (its counts tell when the device is quiet). */
  watched: OpenCounts | null = null;
  /** Streaming (segments.ts): quiet spans, and the rows written out when the device fell quiet. */
  stream: DeviceStream | undefined;

  constructor(layer: string, dev: number, attached = false) {
    this.table = new OpTable(layer, formatDev(dev), 'block', false);
    this.table.bioBased = true; // until a D shows a request stage
    this.tracker = attached ? null : new RequestTracker(this);
  }

  done(): void {}
  flush(): void {}

  /** The attached device's tracker (track/lifecycle-pair.ts), for the quiet test. */
  watch(t: OpenCounts): void {
    this.watched = t;
  }

  /** After each of its events: note a quiet instant, and write the rows out when there are enough. */
  afterEvent(time: number): void {
    const st = this.stream!;
    const tr = this.tracker ?? this.watched;
    if (!tr) return;
    if (tr.inFlight > 0 || tr.atDevice > 0 || tr.flushesInFlight > 0) {
      st.quiet.busy(time);
      return;
    }
    if (st.quiet.quietNow) return;
    const t = this.table;
    noteNewRows(st, t);
    st.quiet.quiet(time);
    if (t.n < st.rows || !st.spill.ready()) return;
    const srcs = new Set<number>();
    for (let i = 0; i < t.n; i++) srcs.add(t.src[i]!);
    st.pieces.push({ rows: st.spill.write(t), span: rowSpan(t), srcs: [...srcs] });
    t.clear();
    st.scanned = 0;
  }

  orphan(): void {
    this.orphans++;
  }

  remapped(e: BlockEvent): void {
    if (e.auxDev < 0 || e.auxDev === e.dev) return;
    let r = this.remaps.get(e.auxDev);
    if (!r) {
      r = new RemapSet();
      this.remaps.set(e.auxDev, r);
    }
    r.add(e.aux, e.sector, e.bytes > 0 ? e.bytes / 512 : 0);
  }

  flushIssued(f: FlushRq, e: BlockEvent): void {
    this.sawIssue = true;
    this.table.bioBased = false;
    this.sawFlushRq = true;
    // ext2: row + 1 (0: no row)
    f.ext2 = this.table.add(OpKind.Flush, -1, 0, e.time, e.loc, e.source) + 1;
  }

  flushRequestDone(f: FlushRq | undefined, e: BlockEvent): void {
    if (f && f.ext2 > 0) this.table.complete(f.ext2 - 1, e.time, e.loc, e.error === 0);
  }

  issued(e: BlockEvent, bios: readonly Bio[]): void {
    this.sawIssue = true;
    this.table.bioBased = false;
    const kind = kindOf(e.op);
    if (kind === 0) return;
    const t = this.table;
    let qFlags = 0;
    for (const b of bios) qFlags |= b.flags;
    let flags = kind === OpKind.Write && e.op === Op.WriteZeroes ? OpFlag.ZEROES : 0;
    const fuaAsked = (qFlags | e.flags) & Flag.FUA;
    if (fuaAsked && kind === OpKind.Write) flags |= OpFlag.FUA;
    for (const b of bios) if (b.fromDev >= 0) flags |= OpFlag.REMAPPED;
    const i = t.add(kind, e.sector, e.bytes / 512, e.time, e.loc, e.source, flags);
    if (i < 0) return;
    // FUA kept at D: the device does it; stripped: blk-mq emulates it with a post-flush (final 0-byte C)
    if (fuaAsked && !(e.flags & Flag.FUA) && kind === OpKind.Write) t.flags[i] = t.flags[i]! | OpFlag.AWAIT_FINAL;
    for (const b of bios) b.ext2 = i;
  }

  dataDone(e: BlockEvent, bios: readonly Bio[], partial: Bio | null): void {
    if (partial) return; // the request goes on: it completes with its last bytes
    const t = this.table;
    const ok = e.error === 0;
    let last = -1;
    for (const b of bios) {
      const i = rowOf(b);
      if (i >= 0) {
        if (i === last) continue;
        last = i;
        if (t.has(i, OpFlag.AWAIT_FINAL)) {
          t.tC[i] = e.time;
          t.locC[i] = e.loc;
          if (!ok) t.complete(i, e.time, e.loc, false);
        } else t.complete(i, e.time, e.loc, ok);
        continue;
      }
      if (this.sawIssue || b.d >= 0) {
        // a request-based device's completion of a bio no request of the trace held
        this.orphans++;
        continue;
      }
      this.bioDone(b, e, ok);
    }
  }

  /** A bio-based device (no D in the trace): the bio is the op. */
  private bioDone(b: Bio, e: BlockEvent, ok: boolean): void {
    const kind = kindOf(b.op);
    if (kind === 0) return;
    const t = this.table;
    const queued = b.qOrder >= 0; // (times may be negative: a shifted clock)
    const flags = (b.flags & Flag.FUA && kind === OpKind.Write ? OpFlag.FUA : 0) | (b.op === Op.WriteZeroes ? OpFlag.ZEROES : 0)
      | (b.fromDev >= 0 ? OpFlag.REMAPPED : 0);
    // A data bio with PREFLUSH (a journal commit, `Q FWFSM` → `C WFSM`: dm clears the flag once its
    // flush stage is done, drivers/md/dm.c dm_submit_bio → __send_empty_flush) is also a flush: every
    // write completed before its Q is durable when it completes.
    if (queued && b.flags & (Flag.PREFLUSH | Flag.BARRIER) && kind === OpKind.Write) this.preflushDone(b, e, ok);
    // a request-based device traced without D (`-a queue -a complete`, block_bio_queue + block_rq_complete): a
    // FUA write blk-flush emulated (its C without the FUA its Q had) is acknowledged at its 0-byte final completion
    const awaitFinal = ok && kind === OpKind.Write && b.sequenced && b.flags & Flag.FUA && !(e.flags & Flag.FUA);
    const j = t.add(kind, b.start, b.end - b.start, queued ? b.q : e.time, queued ? b.qLoc : e.loc, e.source, awaitFinal ? flags | OpFlag.AWAIT_FINAL : flags);
    if (j < 0) return;
    if (awaitFinal) {
      t.tC[j] = e.time;
      t.locC[j] = e.loc;
      b.ext2 = j;
    } else t.complete(j, e.time, e.loc, ok);
  }

  /** A PREFLUSH write queued in the trace, complete at `e`: a flush from its Q (what completed before it is durable). */
  private preflushDone(b: Bio, e: BlockEvent, ok: boolean): void {
    const t = this.table;
    const f = t.add(OpKind.Flush, -1, 0, b.q, b.qLoc, e.source);
    if (f >= 0) t.complete(f, e.time, e.loc, ok);
  }

  finalDone(b: Bio, e: BlockEvent, empty: boolean): void {
    const t = this.table;
    const ok = e.error === 0;
    if (!empty) {
      // A PREFLUSH write sequenced by blk-flush on a device whose flush requests are not in the trace (`-a
      // write` keeps no `FN`): its final completion comes after its pre-flush completed, so it is a flush of
      // every write completed before its Q (block/blk-flush.c: PREFLUSH, then the data, then POSTFLUSH; a host
      // ext4's jbd2 commit serving QEMU's fdatasync). With flush requests traced they are the flushes.
      if (!this.sawFlushRq && b.qOrder >= 0 && b.flags & (Flag.PREFLUSH | Flag.BARRIER)) this.preflushDone(b, e, ok);
      // only a FUA write the driver did not get waits for this: its post-flush makes it durable. A PREFLUSH
      // write's own data completion is its completion here (its pre-flush came before the data).
      const i = rowOf(b);
      if (i < 0 || !t.has(i, OpFlag.AWAIT_FINAL)) return;
      t.flags[i] = t.flags[i]! & ~OpFlag.AWAIT_FINAL;
      t.complete(i, e.time, e.loc, ok);
      return;
    }
    // bio-based device: the empty PREFLUSH bio is the flush
    if (!this.sawFlushRq && (b.flags & (Flag.PREFLUSH | Flag.BARRIER) || b.op === Op.Flush)) {
      const j = t.add(OpKind.Flush, -1, 0, b.qOrder >= 0 ? b.q : e.time, b.qOrder >= 0 ? b.qLoc : e.loc, e.source);
      if (j >= 0) t.complete(j, e.time, e.loc, ok);
    }
  }
}

export class BlockOpsBuilder implements EventSink {
  /** Devices in the order their first event came (the order of devices()). */
  private readonly devs = new Map<number, DeviceOps>();
  private lastDev = -1;
  private last: DeviceOps | undefined;
  /** Devices whose hooks another stage's trackers call (adopt), made when those trackers were. */
  private attached: ReadonlyMap<number, DeviceOps> | undefined;

  /** Streaming: rows go to this file whenever a device falls quiet with enough of them (segments.ts). */
  private spill: SpillFile | undefined;
  private spillRows = 0;

  constructor(private readonly layer: string) {}

  streamTo(spill: SpillFile, rows: number): void {
    this.spill = spill;
    this.spillRows = rows;
  }

  /** Devices fed by the checker's trackers (track/lifecycle-pair.ts): their events only mark them seen here. */
  adopt(attached: ReadonlyMap<number, DeviceOps>): void {
    this.attached = attached;
  }

  event(e: BlockEvent): void {
    let d = this.last;
    if (e.dev !== this.lastDev || !d) {
      d = this.devs.get(e.dev);
      if (!d) {
        this.devs.set(e.dev, (d = this.attached?.get(e.dev) ?? new DeviceOps(this.layer, e.dev)));
        if (this.spill) d.stream = { quiet: new QuietLog(), spill: this.spill, rows: this.spillRows, pieces: [], scanned: 0 };
      }
      this.lastDev = e.dev;
      this.last = d;
    }
    d.events++;
    if (e.act === Act.Complete) d.completions++;
    else if (e.act === Act.Queue || e.act === Act.Issue) d.starts++;
    // attached: the checker's tracker already called this device's hooks for the event
    if (d.tracker) d.tracker.event(e);
    if (d.stream) d.afterEvent(e.time);
  }

  /** Every device with its remap sources, in first-seen order. */
  devices(): BlockDevice[] {
    for (const d of this.devs.values()) {
      // (an empty trace is a device traced and silent: nothing reached it, which proves what it proves)
      if (d.events > 0 && d.completions === 0 && d.table.unobserved === undefined) {
        d.table.unobserved = `its trace holds ${d.events} events and not one completion (traced with an action mask such as -a queue, or cut): what was made durable there cannot be counted`;
      } else if (d.completions > 0 && d.starts === 0 && d.table.unobserved === undefined) {
        d.table.unobserved = `its trace holds ${d.completions} completions and not one queue or issue event (traced with an action mask such as -a complete): when its flushes were issued, and so what they made durable, cannot be told`;
      }
    }
    return [...this.devs.entries()].map(([dev, d]) => ({ dev, table: d.table, remaps: d.remaps, ...(d.stream ? { stream: d.stream } : {}) }));
  }

  /** Rows its devices wrote out (a long trace: segments.ts reads them back). */
  spilledRows(): number {
    let n = 0;
    for (const d of this.devs.values()) for (const p of d.stream?.pieces ?? []) n += p.rows.n;
    return n;
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
