/**
 * Events and parse-context calls packed into transferable batches, so a parser
 * core can run in a worker thread while the analysis runs on the main thread
 * (src/io/parse-worker.ts, src/io/worker-pump.ts).
 *
 * A batch holds up to BATCH_EVENTS events as FIELDS float64 slots each (every
 * numeric field of BlockEvent is an integer below 2^53 or -1, so a double
 * holds it exactly) and a string table for `comm` and `text`. Calls the parser
 * makes on its context (diag.add, attach, setClock, limitation) are recorded
 * as ops with the index of the event they precede, and replayed in the same
 * order: the main thread sees exactly the calls an in-thread parser makes.
 */
import type { BlockEvent, EventSink } from '../model/event.js';
import type { Severity, SkipExample } from '../model/diagnostics.js';
import type { ClockDomain } from '../model/time.js';
import type { ParseContext } from '../formats/types.js';

export const FIELDS = 17;
export const BATCH_EVENTS = 8192;

export type Op =
  | { at: number; kind: 'add'; reason: string; severity: Severity; example?: SkipExample }
  | { at: number; kind: 'addMany'; reason: string; severity: Severity; n: number; example?: SkipExample }
  | { at: number; kind: 'clock'; domain: ClockDomain }
  | { at: number; kind: 'attach'; name: string; data: unknown }
  | { at: number; kind: 'limitation'; text: string };

export interface Batch {
  type: 'batch';
  n: number;
  data: Float64Array;
  strings: string[];
  ops: Op[];
}

/** Worker side: a sink and context recorder that fills batches and hands each full one to `send`. */
export class EventPacker implements EventSink {
  /** Batch buffers handed back by the main thread, reused before allocating. */
  private readonly free: Float64Array[] = [];
  private data = this.take();
  private n = 0;
  private strings: string[] = [''];
  private index = new Map<string, number>([['', 0]]);
  private lastString = '';
  private lastIndex = 0;
  private ops: Op[] = [];

  constructor(private readonly send: (b: Batch) => void) {}

  event(e: BlockEvent): void {
    const d = this.data;
    const o = this.n * FIELDS;
    d[o] = e.source;
    d[o + 1] = e.loc;
    d[o + 2] = e.time;
    d[o + 3] = e.dev;
    d[o + 4] = e.cpu;
    d[o + 5] = e.seq;
    d[o + 6] = e.pid;
    d[o + 7] = e.act;
    d[o + 8] = e.op;
    d[o + 9] = e.flags;
    d[o + 10] = e.sector;
    d[o + 11] = e.bytes;
    d[o + 12] = e.error;
    d[o + 13] = e.aux;
    d[o + 14] = e.auxDev;
    d[o + 15] = this.str(e.comm);
    d[o + 16] = e.text === '' ? 0 : this.str(e.text);
    if (++this.n === BATCH_EVENTS) this.flush();
  }

  /** A batch buffer the receiver is done with. */
  recycle(buf: ArrayBuffer): void {
    if (buf.byteLength === BATCH_EVENTS * FIELDS * 8 && this.free.length < 8) this.free.push(new Float64Array(buf));
  }

  private take(): Float64Array {
    return this.free.pop() ?? new Float64Array(BATCH_EVENTS * FIELDS);
  }

  op(op: Op): void {
    op.at = this.n;
    this.ops.push(op);
  }

  /** Sends what is pending (also an empty batch carrying only ops). */
  flush(): void {
    if (this.n === 0 && this.ops.length === 0) return;
    this.send({ type: 'batch', n: this.n, data: this.data, strings: this.strings, ops: this.ops });
    this.data = this.take();
    this.n = 0;
    this.strings = [''];
    this.index = new Map([['', 0]]);
    this.lastString = '';
    this.lastIndex = 0;
    this.ops = [];
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
    const diag = {
      add: (reason: string, severity: Severity, example?: SkipExample) => this.op({ at: 0, kind: 'add', reason, severity, example }),
      addMany: (reason: string, severity: Severity, n: number, example?: SkipExample) =>
        this.op({ at: 0, kind: 'addMany', reason, severity, n, example }),
    };
    return {
      sourceIndex,
      sourceName,
      sink: this,
      // Parsers only count into diagnostics (add/addMany); anything else would throw here and be reported.
      diag: diag as unknown as ParseContext['diag'],
      options,
      setClock: (domain) => this.op({ at: 0, kind: 'clock', domain }),
      attach: (name, data) => this.op({ at: 0, kind: 'attach', name, data }),
      limitation: (text) => this.op({ at: 0, kind: 'limitation', text }),
    };
  }
}

function replay(op: Op, ctx: ParseContext): void {
  switch (op.kind) {
    case 'add': ctx.diag.add(op.reason, op.severity, op.example); break;
    case 'addMany': ctx.diag.addMany(op.reason, op.severity, op.n, op.example); break;
    case 'clock': ctx.setClock(op.domain); break;
    case 'attach': ctx.attach(op.name, op.data); break;
    case 'limitation': ctx.limitation(op.text); break;
  }
}

/** Main side: feeds a batch's events (through one reused event object) and ops into the real context. */
export function unpackBatch(b: Batch, ev: BlockEvent, ctx: ParseContext): void {
  const d = b.data;
  const s = b.strings;
  const sink = ctx.sink;
  const ops = b.ops;
  let k = 0;
  for (let i = 0; i < b.n; i++) {
    while (k < ops.length && ops[k]!.at === i) replay(ops[k++]!, ctx);
    const o = i * FIELDS;
    ev.source = d[o]!;
    ev.loc = d[o + 1]!;
    ev.time = d[o + 2]!;
    ev.dev = d[o + 3]!;
    ev.cpu = d[o + 4]!;
    ev.seq = d[o + 5]!;
    ev.pid = d[o + 6]!;
    ev.act = d[o + 7]! as BlockEvent['act'];
    ev.op = d[o + 8]! as BlockEvent['op'];
    ev.flags = d[o + 9]!;
    ev.sector = d[o + 10]!;
    ev.bytes = d[o + 11]!;
    ev.error = d[o + 12]!;
    ev.aux = d[o + 13]!;
    ev.auxDev = d[o + 14]!;
    ev.comm = s[d[o + 15]!]!;
    ev.text = s[d[o + 16]!]!;
    sink.event(ev);
  }
  while (k < ops.length) replay(ops[k++]!, ctx);
}
