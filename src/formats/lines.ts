/**
 * Line framing over raw bytes (split2's job, without a string per line, with exact
 * line numbers past an overlong line; README "Libraries" has the measurement):
 * `push(chunk)` calls `onLine(buf, start, end, lineNo)` for every complete
 * line, where buf[start..end) excludes the "\n" and a trailing "\r". The
 * buffer passed may be reused after the callback returns: copy what you keep.
 *
 * Parsers may peek at buf[end] without a bounds check: it is always readable
 * and is "\n" or "\r" (never a byte of the next line's content).
 *
 * A line longer than `maxLineLength` is not buffered without bound: its bytes
 * are discarded and `onOverlong(lineNo, length)` is called once when it ends.
 * Chunk boundaries never change what is emitted (tested with 1-byte chunks).
 */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;

export const DEFAULT_MAX_LINE = 1 << 20; // 1 MiB

export class LineSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;
  private overlong = false;
  private overlongLen = 0;
  private lineNo = 0;

  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineLength: number = DEFAULT_MAX_LINE,
    private readonly onOverlong: (lineNo: number, length: number) => void = () => {},
  ) {}

  /** Lines fully emitted so far. */
  get lines(): number {
    return this.lineNo;
  }

  push(chunk: Buffer): void {
    let start = 0;
    const n = chunk.length;
    while (start < n) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.stash(chunk, start, n);
        return;
      }
      if (this.overlong) {
        this.overlongLen += nl - start;
        this.finishOverlong();
      } else if (this.carryLen > 0) {
        this.stash(chunk, start, nl);
        if (this.overlong) {
          this.finishOverlong();
        } else {
          this.emitCarry();
        }
      } else if (nl - start > this.maxLineLength) {
        this.overlongLen = nl - start;
        this.finishOverlong();
      } else {
        this.emit(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  /** Flush a final line that has no trailing newline. */
  end(): void {
    if (this.overlong) {
      this.finishOverlong();
    } else if (this.carryLen > 0) {
      this.emitCarry();
    }
  }

  /** Emit the stashed line with a "\n" sentinel after it (see the peek contract above). */
  private emitCarry(): void {
    const len = this.carryLen;
    this.carryLen = 0;
    this.reserve(len + 1);
    this.carry[len] = 10;
    this.emit(this.carry, 0, len);
  }

  private reserve(size: number): void {
    if (this.carry.length < size) {
      const grown = Buffer.allocUnsafe(Math.max(256, size * 2));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
  }

  private emit(buf: Buffer, start: number, end: number): void {
    this.lineNo++;
    if (end > start && buf[end - 1] === 13) end--;
    this.onLine(buf, start, end, this.lineNo);
  }

  private finishOverlong(): void {
    this.lineNo++;
    this.onOverlong(this.lineNo, this.overlongLen);
    this.overlong = false;
    this.overlongLen = 0;
    this.carryLen = 0;
  }

  private stash(chunk: Buffer, start: number, end: number): void {
    const add = end - start;
    if (this.overlong) {
      this.overlongLen += add;
      return;
    }
    if (this.carryLen + add > this.maxLineLength) {
      this.overlong = true;
      this.overlongLen = this.carryLen + add;
      this.carryLen = 0;
      return;
    }
    this.reserve(this.carryLen + add + 1);
    chunk.copy(this.carry, this.carryLen, start, end);
    this.carryLen += add;
  }
}
