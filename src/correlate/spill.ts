/**
 * Rows a layer has finished with, kept on disk until correlation reaches them.
 *
 * Correlation cannot run before every layer's clock is aligned, and layers
 * are read one after another: the rows of a long trace would all be held at
 * once (about 100 bytes each). A builder instead writes its rows here each
 * time its level falls quiet with enough of them (nothing in flight, so no
 * row changes again) and starts its table afresh; `finish` reads them back
 * a segment at a time (segments.ts). The file is one temporary file per
 * correlation, removed when it ends (or when the process exits).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpTable } from './ops.js';

/** Where one run of rows is in the file. */
export interface SpilledRows {
  n: number;
  at: number;
}

/** Where a QEMU piece's integer columns are (QemuRows: job lists, protocol nodes, typed-by-guess rows). */
export interface SpilledInts {
  lengths: number[];
  at: number;
}

interface IntColumn {
  a: Int32Array;
  n: number;
  reserve(n: number): void;
}

/** Integer columns as a QemuRows has them. */
interface IntColumns {
  frontsWithJobs: IntColumn;
  jobStart: IntColumn;
  jobIds: IntColumn;
  jobNode: IntColumn;
  guessed: IntColumn;
}

/** First issue and last completion of a run of rows (its own clock; NaN times ignored). */
export interface RowSpan {
  first: number;
  last: number;
}

export function rowSpan(t: OpTable): RowSpan {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < t.n; i++) {
    const a = t.tI[i]!;
    const b = t.tC[i]!;
    if (a < first) first = a;
    if (a > last) last = a;
    if (b > last) last = b;
  }
  return { first, last };
}


export class SpillFile {
  private fd = -1;
  private dir = '';
  private size = 0;
  private readonly cleanup = () => this.close();
  /** Why no file could be made (rows are then kept in memory): said once in the correlation's limitations. */
  failure: string | undefined;

  /** The file can be written (made at the first call; false, with `failure` set, when it cannot be). */
  ready(): boolean {
    if (this.fd >= 0) return true;
    if (this.failure !== undefined) return false;
    try {
      this.dir = mkdtempSync(join(tmpdir(), 'blkaudit-rows-'));
      this.fd = openSync(join(this.dir, 'rows'), 'w+');
      process.once('exit', this.cleanup);
      return true;
    } catch (e) {
      this.failure = `no temporary file for the correlation's rows in ${tmpdir()} (${(e as Error).message}): every row kept in memory`;
      return false;
    }
  }

  private open(): number {
    if (!this.ready()) throw new Error(this.failure);
    return this.fd;
  }

  /** Writes rows [from, to) of a table; returns where they are. */
  write(t: OpTable, from = 0, to = t.n): SpilledRows {
    const n = to - from;
    const at = this.size;
    const put = (a: ArrayBufferView, width: number) => this.append(new Uint8Array(a.buffer, a.byteOffset + from * width, n * width));
    put(t.kind, 1);
    put(t.flags, 1);
    put(t.sector, 8);
    put(t.count, 8);
    put(t.tI, 8);
    put(t.tC, 8);
    put(t.locI, 8);
    put(t.locC, 8);
    put(t.src, 4);
    put(t.ext, 4);
    put(t.tag, 4);
    return { n, at };
  }

  /** Appends the rows written at `r` to table `t` (in their order). */
  readInto(r: SpilledRows, t: OpTable): void {
    t.reserve(t.n + r.n);
    let pos = r.at;
    const get = (a: ArrayBufferView, width: number) => {
      pos = this.fill(new Uint8Array(a.buffer, a.byteOffset + t.n * width, r.n * width), pos);
    };
    get(t.kind, 1);
    get(t.flags, 1);
    get(t.sector, 8);
    get(t.count, 8);
    get(t.tI, 8);
    get(t.tC, 8);
    get(t.locI, 8);
    get(t.locC, 8);
    get(t.src, 4);
    get(t.ext, 4);
    get(t.tag, 4);
    t.n += r.n;
  }

  /** Writes a QEMU piece's integer columns. */
  writeInts(c: IntColumns): SpilledInts {
    const at = this.size;
    const cols = [c.frontsWithJobs, c.jobStart, c.jobIds, c.jobNode, c.guessed];
    for (const col of cols) this.append(new Uint8Array(col.a.buffer, col.a.byteOffset, col.n * 4));
    return { lengths: cols.map((col) => col.n), at };
  }

  /** Appends the integer columns written at `r` to `c`'s (which are empty). */
  readInts(r: SpilledInts, c: IntColumns): void {
    let pos = r.at;
    const cols = [c.frontsWithJobs, c.jobStart, c.jobIds, c.jobNode, c.guessed];
    cols.forEach((col, k) => {
      const n = r.lengths[k]!;
      col.reserve(col.n + n);
      pos = this.fill(new Uint8Array(col.a.buffer, col.a.byteOffset + col.n * 4, n * 4), pos);
      col.n += n;
    });
  }

  /** Writes `b` at the end of the file. */
  private append(b: Uint8Array): void {
    const fd = this.open();
    let done = 0;
    while (done < b.length) done += writeSync(fd, b, done, b.length - done, this.size + done);
    this.size += b.length;
  }

  /** Fills `b` from the file at `pos`; returns the position after it. */
  private fill(b: Uint8Array, pos: number): number {
    let done = 0;
    while (done < b.length) {
      const k = readSync(this.fd, b, done, b.length - done, pos + done);
      if (k <= 0) throw new Error('correlation row file ended early');
      done += k;
    }
    return pos + b.length;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
      rmSync(this.dir, { recursive: true, force: true });
      process.removeListener('exit', this.cleanup);
    }
  }
}
