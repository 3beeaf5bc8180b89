/**
 * Record framing over raw bytes for one blktrace stream (one per-CPU file, a
 * `blkparse -d` dump, or `blktrace -o -` on stdin), with no stream code:
 * `append(chunk)` adds bytes, `next()` decodes the next event into `ev` or
 * returns false when it needs more bytes, `finish()` at end of input.
 * Notify records other than messages are folded into the session on the way.
 *
 * Byte order is decided from the first record's magic, as blkparse's
 * `check_data_endianness` does; the version byte (`magic & 0xff`) picks the
 * 48-byte v7 or the 64-byte v8 header per record. Anything else ends the
 * stream with a counted error: without a known header size there is no next
 * record to find.
 *
 * Framing `ftrace-bin` reads the blk tracer's `options/bin` output
 * (kernel/trace/blktrace.c `blk_trace_event_print_binary`): leading "#" text
 * lines, then per event an optional 16-byte ftrace context header
 * {u32 pid, u32 cpu, u64 ts} (`options/context-info`) before each v7 record.
 */
import { isMagic, layoutFor, MAGIC, MAGIC_MASK, type Layout } from './layout.js';
import { u16, u32, viewOf } from './bytes.js';
import { Reason, RecordDecoder } from './decode.js';
import type { BlktraceSession } from './session.js';

export type Framing = 'blktrace' | 'ftrace-bin';

const EMPTY = Buffer.alloc(0);
const CONTEXT_HEADER = 16;

export class RecordReader {
  readonly decoder: RecordDecoder;
  private buf: Buffer = EMPTY;
  /** The buffer input is copied into (see append). */
  private own: Buffer = EMPTY;
  private view: DataView = viewOf(EMPTY);
  private pos = 0;
  private end = 0;
  /** Input offset of buf[0]. */
  private base = 0;
  private le = true;
  private started = false;
  private dead = false;
  /** Bytes before each record (the ftrace context header), decided at the first record. */
  private prefix = 0;
  private lastLayout: Layout | undefined;
  private lastVersion = -1;

  constructor(
    session: BlktraceSession,
    readonly name: string,
    private readonly framing: Framing = 'blktrace',
    fileCpu = -1,
    locBase = 0,
  ) {
    this.decoder = new RecordDecoder(session, name, fileCpu, locBase);
  }

  get ev() {
    return this.decoder.ev;
  }

  /** True once the stream hit an error that stops it. */
  get stopped(): boolean {
    return this.dead;
  }

  /**
   * Adds input bytes. They are copied behind what is left of the last chunk
   * (less than one record) into a buffer this reader owns and reuses, so the
   * caller may reuse `chunk` at once and no memory is allocated per chunk.
   */
  append(chunk: Buffer): void {
    if (this.dead || chunk.length === 0) return;
    const left = this.end - this.pos;
    const need = left + chunk.length;
    let own = this.own;
    if (own.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, own.length * 2, 1 << 16));
      this.buf.copy(grown, 0, this.pos, this.end);
      own = this.own = grown;
    } else if (left > 0) {
      this.buf.copy(own, 0, this.pos, this.end);
    }
    chunk.copy(own, left);
    this.base += this.pos;
    // a view of exactly the bytes held: whatever lies beyond them in `own` is stale
    this.buf = own.subarray(0, need);
    this.view = viewOf(this.buf);
    this.pos = 0;
    this.end = need;
  }

  /** Decode up to the next event; false = need more bytes (or stopped). */
  next(): boolean {
    const b = this.buf;
    const v = this.view;
    for (;;) {
      if (this.dead) return false;
      if (!this.started && !this.start()) return false;
      const avail = this.end - this.pos;
      const p = this.pos + this.prefix;
      if (avail < this.prefix + 48) return false;
      const magic = u32(v, p, this.le);
      const version = magic & 0xff;
      let L = this.lastLayout;
      if (version !== this.lastVersion) {
        if ((magic & MAGIC_MASK) >>> 0 !== MAGIC) return this.stop(Reason.badMagic, p, `magic 0x${magic.toString(16)}`);
        L = layoutFor(version);
        if (!L) return this.stop(Reason.badVersion, p, `protocol version ${version} (7 and 8 are known)`);
        this.lastLayout = L;
        this.lastVersion = version;
      } else if ((magic & MAGIC_MASK) >>> 0 !== MAGIC) {
        return this.stop(Reason.badMagic, p, `magic 0x${magic.toString(16)}`);
      }
      if (avail < this.prefix + L!.size) return false;
      const pduLen = u16(v, p + L!.pduLen, this.le);
      const total = this.prefix + L!.size + pduLen;
      if (avail < total) return false;
      this.pos += total;
      if (this.decoder.decode(b, v, p, this.le, L!, pduLen, this.base + p)) return true;
    }
  }

  /** End of input: a partial record left over is counted, never decoded. */
  finish(): void {
    const left = this.end - this.pos;
    const onlyText = !this.started && this.framing === 'ftrace-bin' && this.buf[this.pos] === 35;
    if (!this.dead && left > 0 && !onlyText) {
      this.decoder.count(Reason.truncated, 'data-loss', this.base + this.pos, `${left} bytes of an incomplete record`);
    }
    this.buf = EMPTY;
    this.view = viewOf(EMPTY);
    this.pos = this.end = 0;
  }

  private stop(reason: string, p: number, text: string): false {
    this.dead = true;
    this.decoder.count(reason, 'error', this.base + p, text);
    this.buf = EMPTY;
    this.view = viewOf(EMPTY);
    this.pos = this.end = 0;
    return false;
  }

  /** First record: skip ftrace text lines, find the context header, decide the byte order. */
  private start(): boolean {
    const b = this.buf;
    const v = this.view;
    if (this.framing === 'ftrace-bin') {
      for (;;) {
        if (this.end - this.pos < CONTEXT_HEADER + 4) return false;
        if (isMagic(b, this.pos)) { this.prefix = 0; break; }
        if (isMagic(b, this.pos + CONTEXT_HEADER)) { this.prefix = CONTEXT_HEADER; break; }
        if (b[this.pos] !== 35 /* # */) return this.stop(Reason.badMagic, this.pos, 'no blk record after the ftrace header');
        const nl = b.indexOf(10, this.pos);
        if (nl < 0) return false;
        this.pos = nl + 1;
      }
    } else if (this.end - this.pos < 4) {
      return false;
    }
    const p = this.pos + this.prefix;
    if ((u32(v, p, true) & MAGIC_MASK) >>> 0 === MAGIC) this.le = true;
    else if ((u32(v, p, false) & MAGIC_MASK) >>> 0 === MAGIC) this.le = false;
    else return this.stop(Reason.badMagic, p, `magic 0x${u32(v, p, true).toString(16)}: not a blktrace record`);
    this.started = true;
    return true;
  }
}

export { isMagic };
