/**
 * QEMU trace events packed into batches (the QEMU counterpart of packed.ts),
 * so a QEMU log is parsed in a worker thread while the main thread rebuilds
 * requests and runs the analysis. Measured on the 1,000-copy stack bench
 * (README, Performance): the log's parse was about 0.9 CPU s of the main
 * thread's reading.
 *
 * Each event is QEMU_FIELDS float64 slots: its numbers (a `ret` that is NaN
 * stays NaN), five strings as indexes into a string table, and where its
 * argument text is. The strings are pointers and event names, a few
 * thousand at most in a real trace (a freed request is reused by the next,
 * hw/block/virtio-blk.c virtio_blk_alloc_request), so the table is kept
 * across batches: a batch carries only the strings new since the one
 * before, and the table starts again past MAX_STRINGS.
 *
 * `args` is read for few events (a thread-pool job's opaque, an example in a
 * diagnostic), so it is never made in the worker: its bytes are copied into
 * the slot's part of a shared byte area and the main thread's event makes
 * the text only when read (lazyArgsEvent), as the reader does in one thread.
 * An argument text longer than a slot's whole byte area goes as a string.
 */
import type { ParseContext } from '../formats/types.js';
import { lazyArgsEvent, type LazyArgs, type QemuEvent, type QemuKind, type QemuSink } from '../qemu/event.js';
import { release, replay, RING_SLOTS, RingWriter, type Batch, type BatchFeeder, type Op, type Ring } from './packed.js';

export const QEMU_FIELDS = 25;
export const QEMU_BATCH_EVENTS = 4096;
const SLOT_DOUBLES = QEMU_BATCH_EVENTS * QEMU_FIELDS;
/** Argument bytes per slot (about 60 per event in a virtio/thread-pool log). */
export const ARGS_SLOT_BYTES = 1 << 19;
/** Strings kept in the table before it starts again. */
export const MAX_STRINGS = 1 << 16;

/** Field positions in an event's slots. */
const F = {
  loc: 0, time: 1, tid: 2, seq: 3, kind: 4, offset: 5, bytes: 6, sector: 7, nsectors: 8, flags: 9, ret: 10,
  status: 11, type: 12, inNum: 13, outNum: 14, numReqs: 15, start: 16, isWrite: 17,
  /** Strings, consecutive (QemuPacker.qemu packs them in a loop). */
  name: 18, obj: 19, req: 20, bs: 21, text: 22,
  /** Offset of the argument bytes in the slot's area; -1 - k: the text is string k. */
  argsAt: 23,
  argsLen: 24,
} as const;

export function createQemuRing(): Ring {
  return {
    data: new SharedArrayBuffer(RING_SLOTS * SLOT_DOUBLES * 8),
    ctrl: new SharedArrayBuffer(4),
    args: new SharedArrayBuffer(RING_SLOTS * ARGS_SLOT_BYTES),
  };
}

/** Worker side: a QemuSink that fills ring slots and hands each full batch to `send`. */
export class QemuPacker extends RingWriter implements QemuSink {
  private readonly argBytes: Buffer;
  private base = 0;
  private argsBase = 0;
  private argsPos = 0;
  private readonly index = new Map<string, number>([['', 0]]);
  private strings: string[] = [''];
  private stringBase = 0;
  /** Each string field's (name, obj, req, bs, text) last value and its index. */
  private readonly last: string[] = ['', '', '', '', ''];
  private readonly lastAt = new Int32Array(5);
  /** The reader whose `args` bytes the events come with (the log reader); without one, `e.args` is read. */
  raw: LazyArgs | undefined;

  constructor(ring: Ring, private readonly send: (b: Batch) => void) {
    super(ring, SLOT_DOUBLES);
    if (!ring.args) throw new Error('QEMU ring without an argument area');
    this.argBytes = Buffer.from(ring.args);
  }

  /**
   * The chunk the reader is being given (set by the reading loop around each push, cleared by endChunk): it
   * stays as it is until then, so the arguments of the lines read from it are copied in one piece per batch
   * (`region`) instead of line by line. A line joined across two chunks comes from the reader's own buffer,
   * which it reuses: its arguments are copied at once.
   */
  chunk: Buffer | null = null;
  private regionBuf: Buffer | null = null;
  private regionStart = 0;
  private regionEnd = 0;
  /** Where the region's first byte goes in the slot's byte area. */
  private regionDst = 0;

  /** The chunk given to the reader is done with (it may be read into again): its pending bytes are copied. */
  endChunk(): void {
    this.copyRegion();
    this.chunk = null;
  }

  /** Whether a line's argument bytes come after the region's in its buffer (the region can take them in). */
  private continues(buf: Buffer | null, raw: LazyArgs | undefined): boolean {
    return buf !== null && buf === this.regionBuf && raw!.argsStart >= this.regionEnd;
  }

  private copyRegion(): void {
    if (this.regionBuf === null) return;
    this.regionBuf.copy(this.argBytes, this.argsBase + this.regionDst, this.regionStart, this.regionEnd);
    this.regionBuf = null;
  }

  qemu(e: QemuEvent): void {
    const raw = this.raw;
    const buf = raw?.argsBuf ?? null;
    const text = buf === null ? (raw ? raw.argsText : e.args) : '';
    const len = buf !== null ? raw!.argsEnd - raw!.argsStart : text === '' ? 0 : Buffer.byteLength(text, 'utf8');
    // in the region, it grows to this line's arguments' end (the bytes between them come along)
    const need = this.continues(buf, raw) ? raw!.argsEnd - this.regionEnd : len;
    if (this.claimed && this.argsPos + need > ARGS_SLOT_BYTES) this.flush();
    if (!this.claimed) this.claimSlot();
    const d = this.all;
    const o = this.base + this.n * QEMU_FIELDS;
    d[o + F.loc] = e.loc;
    d[o + F.time] = e.time;
    d[o + F.tid] = e.tid;
    d[o + F.seq] = e.seq;
    d[o + F.kind] = e.kind;
    d[o + F.offset] = e.offset;
    d[o + F.bytes] = e.bytes;
    d[o + F.sector] = e.sector;
    d[o + F.nsectors] = e.nsectors;
    d[o + F.flags] = e.flags;
    d[o + F.ret] = e.ret;
    d[o + F.status] = e.status;
    d[o + F.type] = e.type;
    d[o + F.inNum] = e.inNum;
    d[o + F.outNum] = e.outNum;
    d[o + F.numReqs] = e.numReqs;
    d[o + F.start] = e.start;
    d[o + F.isWrite] = e.isWrite;
    // a field's string is most often the one it had in the event before (the same name, device, node):
    // compared first with that (one string object from the reader's tables), then looked up
    const last = this.last;
    const lastAt = this.lastAt;
    for (let f = 0; f < 5; f++) {
      const v = f === 0 ? e.name : f === 1 ? e.obj : f === 2 ? e.req : f === 3 ? e.bs : e.text;
      if (v !== last[f]) {
        last[f] = v;
        lastAt[f] = this.str(v);
      }
      d[o + F.name + f] = lastAt[f]!;
    }
    if (len > ARGS_SLOT_BYTES) {
      d[o + F.argsAt] = -1 - this.str(buf !== null ? buf.toString('utf8', raw!.argsStart, raw!.argsEnd) : text);
      d[o + F.argsLen] = len;
    } else if (buf !== null && buf === this.chunk) {
      // (a flush just above ended the region)
      if (!this.continues(buf, raw)) {
        // a new region (a new chunk or batch): the one before is copied first
        this.copyRegion();
        this.regionBuf = buf;
        this.regionStart = raw!.argsStart;
        this.regionDst = this.argsPos;
      }
      d[o + F.argsAt] = this.regionDst + (raw!.argsStart - this.regionStart);
      d[o + F.argsLen] = len;
      this.regionEnd = raw!.argsEnd;
      this.argsPos = this.regionDst + (this.regionEnd - this.regionStart);
    } else {
      this.copyRegion();
      const at = this.argsBase + this.argsPos;
      if (buf !== null) {
        // a byte loop: Buffer.copy's own cost is more than the ~60 bytes of a usual line's arguments
        const to = this.argBytes;
        for (let i = raw!.argsStart, k = at; i < raw!.argsEnd; i++, k++) to[k] = buf[i]!;
      }
      else if (len > 0) this.argBytes.write(text, at, len, 'utf8');
      d[o + F.argsAt] = this.argsPos;
      d[o + F.argsLen] = len;
      this.argsPos += len;
    }
    if (++this.n === QEMU_BATCH_EVENTS) this.flush();
  }

  private claimSlot(): void {
    this.base = this.claim();
    this.argsBase = this.slot * ARGS_SLOT_BYTES;
    this.argsPos = 0;
  }

  /** Sends what is pending (also an empty batch carrying only ops). */
  flush(): void {
    if (this.n === 0 && this.ops.length === 0) return;
    if (!this.claimed) this.claimSlot();
    this.copyRegion();
    this.send({
      type: 'batch', slot: this.slot, n: this.n, strings: this.strings, stringBase: this.stringBase, ops: this.ops, bytes: this.bytes,
    });
    this.sent();
    if (this.index.size > MAX_STRINGS) {
      this.index.clear();
      this.index.set('', 0);
      this.strings = [''];
      this.stringBase = 0;
      this.last.fill('');
      this.lastAt.fill(0);
    } else {
      this.stringBase = this.index.size;
      this.strings = [];
    }
  }

  private str(s: string): number {
    if (s === '') return 0;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.index.size;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  /** A ParseContext whose calls land in the batches; block events are not expected from a QEMU reader. */
  context(sourceIndex: number, sourceName: string, options: ParseContext['options']): ParseContext {
    const sink = {
      event: () => {
        throw new Error('QEMU parse worker: a block event from a QEMU reader');
      },
    };
    return this.recordingContext(sourceIndex, sourceName, options, { sink, qemuSink: this });
  }
}

/** Main side: feeds a batch's QEMU events (one reused event, its `args` made when read) and ops into ctx. */
export class QemuBatchReader implements BatchFeeder, LazyArgs {
  private readonly all: Float64Array;
  private readonly argBytes: Buffer;
  private readonly release: () => void;
  private readonly table: string[] = [];
  private readonly ev: QemuEvent = lazyArgsEvent(this);
  argsBuf: Buffer | null = null;
  argsStart = 0;
  argsEnd = 0;
  argsText = '';

  constructor(ring: Ring) {
    if (!ring.args) throw new Error('QEMU ring without an argument area');
    this.all = new Float64Array(ring.data);
    this.argBytes = Buffer.from(ring.args);
    this.release = release(ring);
  }

  feed(b: Batch, ctx: ParseContext): void {
    try {
      const table = this.table;
      if (b.stringBase === 0) table.length = 0;
      if (b.stringBase !== table.length) throw new Error(`QEMU batch strings start at ${b.stringBase}, table has ${table.length}`);
      for (const s of b.strings) table.push(s);
      const d = this.all;
      const ev = this.ev;
      const sink = ctx.qemuSink;
      const ops = b.ops;
      const argsBase = b.slot * ARGS_SLOT_BYTES;
      const play = (op: Op) => replay(op, ctx);
      ev.source = ctx.sourceIndex;
      let k = 0;
      let o = b.slot * SLOT_DOUBLES;
      for (let i = 0; i < b.n; i++, o += QEMU_FIELDS) {
        while (k < ops.length && ops[k]!.at === i) play(ops[k++]!);
        ev.loc = d[o + F.loc]!;
        ev.time = d[o + F.time]!;
        ev.tid = d[o + F.tid]!;
        ev.seq = d[o + F.seq]!;
        ev.kind = d[o + F.kind]! as QemuKind;
        ev.offset = d[o + F.offset]!;
        ev.bytes = d[o + F.bytes]!;
        ev.sector = d[o + F.sector]!;
        ev.nsectors = d[o + F.nsectors]!;
        ev.flags = d[o + F.flags]!;
        ev.ret = d[o + F.ret]!;
        ev.status = d[o + F.status]!;
        ev.type = d[o + F.type]!;
        ev.inNum = d[o + F.inNum]!;
        ev.outNum = d[o + F.outNum]!;
        ev.numReqs = d[o + F.numReqs]!;
        ev.start = d[o + F.start]!;
        ev.isWrite = d[o + F.isWrite]!;
        ev.name = table[d[o + F.name]!]!;
        ev.obj = table[d[o + F.obj]!]!;
        ev.req = table[d[o + F.req]!]!;
        ev.bs = table[d[o + F.bs]!]!;
        ev.text = table[d[o + F.text]!]!;
        const at = d[o + F.argsAt]!;
        if (at < 0) {
          this.argsBuf = null;
          this.argsText = table[-1 - at]!;
        } else {
          this.argsBuf = this.argBytes;
          this.argsStart = argsBase + at;
          this.argsEnd = this.argsStart + d[o + F.argsLen]!;
          this.argsText = '';
        }
        sink?.qemu(ev);
        // the slot's bytes are the worker's again once released
        this.argsBuf = null;
      }
      while (k < ops.length) play(ops[k++]!);
    } finally {
      this.release();
    }
  }
}
