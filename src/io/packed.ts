/**
 * Events and parse-context calls packed into batches, so a parser core can
 * run in a worker thread while the analysis runs on the main thread
 * (src/io/parse-worker.ts, src/io/worker-pump.ts).
 *
 * A batch holds up to BATCH_EVENTS events as FIELDS float64 slots each (every
 * numeric field of BlockEvent is an integer below 2^53 or -1, so a double
 * holds it exactly) and a string table for `comm` and `text`. The numbers go
 * in a ring of RING_SLOTS batch slots in one SharedArrayBuffer: the worker
 * fills a slot and posts only its number, the string table and the ops; the
 * main thread reads the slot, then releases it by counting it consumed. The
 * worker waits (Atomics.wait) while every slot is full, so at most
 * RING_SLOTS batches exist whatever the input length.
 *
 * Calls the parser makes on its context (diag.add, attach, setClock,
 * limitation) are recorded as ops with the index of the event they precede,
 * and replayed in the same order: the main thread sees exactly the calls an
 * in-thread parser makes.
 */
import { emptyEvent, type BlockEvent, type EventSink } from '../model/event.js';
import type { Severity, SkipExample } from '../model/diagnostics.js';
import type { ClockDomain } from '../model/time.js';
import type { ParseContext } from '../formats/types.js';

/** Numeric fields per event (BlockEvent minus `source`, which the main thread sets, plus two string indexes). */
export const FIELDS = 16;
export const BATCH_EVENTS = 8192;
export const RING_SLOTS = 6;
const SLOT_DOUBLES = BATCH_EVENTS * FIELDS;

export type Op =
  | { at: number; kind: 'add'; reason: string; severity: Severity; example?: SkipExample }
  | { at: number; kind: 'addMany'; reason: string; severity: Severity; n: number; example?: SkipExample }
  | { at: number; kind: 'clock'; domain: ClockDomain }
  | { at: number; kind: 'attach'; name: string; data: unknown }
  | { at: number; kind: 'limitation'; text: string };

export interface Batch {
  type: 'batch';
  /** Ring slot holding the numbers (batch k is in slot k % RING_SLOTS). */
  slot: number;
  n: number;
  /** Strings the events index: the batch's own table, or (stringBase set) new entries of a table kept across batches. */
  strings: string[];
  /** QEMU batches (packed-qemu.ts): where `strings` go in the kept table; 0 starts it again. */
  stringBase?: number;
  ops: Op[];
  /** Input bytes the worker had read when it sent this batch (progress). */
  bytes: number;
  /** Set on the last batch of a block of a text parsed in blocks: the block's number and line count. */
  blockEnd?: { block: number; lines: number };
}

/**
 * The shared memory of one worker's batches: the slots, ctrl[0] = batches consumed by the main thread, and
 * for QEMU events (packed-qemu.ts) each slot's argument bytes.
 */
export interface Ring {
  data: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  args?: SharedArrayBuffer;
}

export function createRing(): Ring {
  return { data: new SharedArrayBuffer(RING_SLOTS * SLOT_DOUBLES * 8), ctrl: new SharedArrayBuffer(4) };
}

/**
 * Worker side of a ring: which slot the batch being filled goes in, waiting (Atomics.wait) while every
 * slot is full, and the context calls recorded as ops before the event they precede.
 */
export class RingWriter {
  protected readonly all: Float64Array;
  private readonly ctrl: Int32Array;
  private produced = 0;
  protected slot = 0;
  protected claimed = false;
  protected n = 0;
  protected ops: Op[] = [];
  /** Input bytes read so far, reported with each batch (set by the reading loop). */
  bytes = 0;

  constructor(ring: Ring, private readonly slotDoubles: number) {
    this.all = new Float64Array(ring.data);
    this.ctrl = new Int32Array(ring.ctrl);
  }

  /** Waits until the main thread has released the slot the next batch goes in; returns its first double. */
  protected claim(): number {
    const ctrl = this.ctrl;
    for (;;) {
      const consumed = Atomics.load(ctrl, 0);
      if (this.produced - consumed < RING_SLOTS) break;
      Atomics.wait(ctrl, 0, consumed);
    }
    this.slot = this.produced % RING_SLOTS;
    this.claimed = true;
    return this.slot * this.slotDoubles;
  }

  /** The slot's batch is sent: the next one goes in the next slot. */
  protected sent(): void {
    this.produced++;
    this.claimed = false;
    this.n = 0;
    this.ops = [];
  }

  op(op: Op): void {
    op.at = this.n;
    this.ops.push(op);
  }

  /** A ParseContext whose calls land in the batches (options and names are the worker's copies). */
  protected recordingContext(
    sourceIndex: number,
    sourceName: string,
    options: ParseContext['options'],
    sinks: Pick<ParseContext, 'sink' | 'qemuSink'>,
  ): ParseContext {
    const diag = {
      add: (reason: string, severity: Severity, example?: SkipExample) => this.op({ at: 0, kind: 'add', reason, severity, example }),
      addMany: (reason: string, severity: Severity, n: number, example?: SkipExample) =>
        this.op({ at: 0, kind: 'addMany', reason, severity, n, example }),
    };
    return {
      sourceIndex,
      sourceName,
      ...sinks,
      // Parsers only count into diagnostics (add/addMany); anything else would throw here and be reported.
      diag: diag as unknown as ParseContext['diag'],
      options,
      setClock: (domain) => this.op({ at: 0, kind: 'clock', domain }),
      attach: (name, data) => this.op({ at: 0, kind: 'attach', name, data }),
      limitation: (text) => this.op({ at: 0, kind: 'limitation', text }),
    };
  }
}

/** Main side of a ring: a batch's slot handed back to the worker once read. */
export function release(ring: Ring): () => void {
  const ctrl = new Int32Array(ring.ctrl);
  return () => {
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  };
}

/** Worker side: a sink and context recorder that fills ring slots and hands each full batch to `send`. */
export class EventPacker extends RingWriter implements EventSink {
  private base = 0;
  private strings: string[] = [''];
  private index = new Map<string, number>([['', 0]]);
  private lastString = '';
  private lastIndex = 0;

  constructor(ring: Ring, private readonly send: (b: Batch) => void) {
    super(ring, SLOT_DOUBLES);
  }

  event(e: BlockEvent): void {
    if (!this.claimed) this.base = this.claim();
    const d = this.all;
    const o = this.base + this.n * FIELDS;
    d[o] = e.loc;
    d[o + 1] = e.time;
    d[o + 2] = e.dev;
    d[o + 3] = e.cpu;
    d[o + 4] = e.seq;
    d[o + 5] = e.pid;
    d[o + 6] = e.act;
    d[o + 7] = e.op;
    d[o + 8] = e.flags;
    d[o + 9] = e.sector;
    d[o + 10] = e.bytes;
    d[o + 11] = e.error;
    d[o + 12] = e.aux;
    d[o + 13] = e.auxDev;
    d[o + 14] = e.comm === this.lastString ? this.lastIndex : this.str(e.comm);
    d[o + 15] = e.text === '' ? 0 : this.str(e.text);
    if (++this.n === BATCH_EVENTS) this.flush();
  }

  /** Sends what is pending (also an empty batch carrying only ops, or only `blockEnd`). */
  flush(blockEnd?: Batch['blockEnd']): void {
    if (this.n === 0 && this.ops.length === 0 && !blockEnd) return;
    if (!this.claimed) this.base = this.claim();
    const b: Batch = { type: 'batch', slot: this.slot, n: this.n, strings: this.strings, ops: this.ops, bytes: this.bytes };
    if (blockEnd) b.blockEnd = blockEnd;
    this.send(b);
    this.sent();
    this.strings = [''];
    this.index = new Map([['', 0]]);
    this.lastString = '';
    this.lastIndex = 0;
  }

  private str(s: string): number {
    if (s === this.lastString) return this.lastIndex;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    this.lastString = s;
    this.lastIndex = i;
    return i;
  }

  /** A ParseContext whose calls land in the batches (options and names are the worker's copies). */
  context(sourceIndex: number, sourceName: string, options: ParseContext['options']): ParseContext {
    return this.recordingContext(sourceIndex, sourceName, options, { sink: this });
  }
}

export function replay(op: Op, ctx: ParseContext): void {
  switch (op.kind) {
    case 'add': ctx.diag.add(op.reason, op.severity, op.example); break;
    case 'addMany': ctx.diag.addMany(op.reason, op.severity, op.n, op.example); break;
    case 'clock': ctx.setClock(op.domain); break;
    case 'attach': ctx.attach(op.name, op.data); break;
    case 'limitation': ctx.limitation(op.text); break;
  }
}

/** How a block parsed on its own is joined to the blocks before it (BatchReader.unpack). */
export interface BlockJoin {
  lineOffset: number;
  accept?: (e: BlockEvent) => boolean;
  takeOp?: (op: Op) => boolean;
}

/** Main side of a ring: a batch's events and ops fed into the real context, then its slot released. */
export interface BatchFeeder {
  feed(b: Batch, ctx: ParseContext): void;
}

/** Main side: reads batches out of the ring and releases their slots. */
export class BatchReader implements BatchFeeder {
  private readonly all: Float64Array;
  private readonly release: () => void;
  private readonly ev = emptyEvent();

  constructor(ring: Ring) {
    this.all = new Float64Array(ring.data);
    this.release = release(ring);
  }

  /** A batch's events and ops into ctx (BatchFeeder). */
  feed(b: Batch, ctx: ParseContext): void {
    this.unpack(b, this.ev, ctx);
  }

  /**
   * Feeds a batch's events (through one reused event object) and ops into the
   * real context, then frees its slot. `join` is for a block of a file parsed
   * apart from the blocks before it: its line numbers are shifted by
   * `lineOffset`, each event passes `accept` first (false = dropped), and an
   * op `takeOp` returns true for is not replayed.
   */
  unpack(b: Batch, ev: BlockEvent, ctx: ParseContext, join?: BlockJoin): void {
    const d = this.all;
    const s = b.strings;
    const sink = ctx.sink;
    const ops = b.ops;
    const lineOffset = join?.lineOffset ?? 0;
    const accept = join?.accept;
    ev.source = ctx.sourceIndex;
    let k = 0;
    let o = b.slot * SLOT_DOUBLES;
    const play = (op: Op) => {
      if (join) {
        if (join.takeOp?.(op)) return;
        if ((op.kind === 'add' || op.kind === 'addMany') && op.example?.locKind === 'line' && op.example.loc > 0) op.example.loc += lineOffset;
      }
      replay(op, ctx);
    };
    try {
      for (let i = 0; i < b.n; i++, o += FIELDS) {
        while (k < ops.length && ops[k]!.at === i) play(ops[k++]!);
        ev.loc = d[o]! + lineOffset;
        ev.time = d[o + 1]!;
        ev.dev = d[o + 2]!;
        ev.cpu = d[o + 3]!;
        ev.seq = d[o + 4]!;
        ev.pid = d[o + 5]!;
        ev.act = d[o + 6]! as BlockEvent['act'];
        ev.op = d[o + 7]! as BlockEvent['op'];
        ev.flags = d[o + 8]!;
        ev.sector = d[o + 9]!;
        ev.bytes = d[o + 10]!;
        ev.error = d[o + 11]!;
        ev.aux = d[o + 12]!;
        ev.auxDev = d[o + 13]!;
        ev.comm = s[d[o + 14]!]!;
        ev.text = s[d[o + 15]!]!;
        if (accept !== undefined && !accept(ev)) continue;
        sink.event(ev);
      }
      while (k < ops.length) play(ops[k++]!);
    } finally {
      this.release();
    }
  }
}
