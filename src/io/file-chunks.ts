/**
 * A file read in chunks through Node's callback API: what
 * `fs.createReadStream(path, { fd, highWaterMark })` did for the readers —
 * reads of `chunkBytes` at the file's position, a fresh buffer per chunk,
 * a short read copied to a buffer of its own size so that the big one is
 * not kept (lib/internal/fs/streams.js, ReadStream.prototype._read, Node 20)
 * — without the stream machinery. That machinery's first use cost `check`
 * about 3 ms of its start-up on a small trace: lib/internal/fs/streams.js
 * loads fs/promises, readline and the file watchers, and a Readable's async
 * iterator runs a good deal of cold code for one or two chunks (README,
 * Performance, start-up). Memory is one chunk in flight, as before.
 */
import { close, read } from 'node:fs';

/** Chunks of bytes, and a way to stop reading early (a Readable is one too). */
export interface ByteSource extends AsyncIterable<Buffer> {
  destroy(): void;
}

export class FileChunks implements ByteSource {
  private fd: number | undefined;
  private reading = false;
  private closing = false;

  /** `fd`: open for reading; closed at the end of the file, on an error, or by destroy(). */
  constructor(fd: number, private readonly chunkBytes: number) {
    this.fd = fd;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const fd = this.fd;
        if (fd === undefined || this.closing) return;
        const buf = Buffer.allocUnsafeSlow(this.chunkBytes);
        const n = await this.readInto(fd, buf);
        if (n === 0) return;
        if (n === buf.length) {
          yield buf;
        } else {
          const own = Buffer.allocUnsafeSlow(n);
          buf.copy(own, 0, 0, n);
          yield own;
        }
      }
    } finally {
      this.destroy();
    }
  }

  /** Stops reading and closes the file (once a read under way has returned: the descriptor must not be reused under it). */
  destroy(): void {
    this.closing = true;
    if (this.reading || this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    close(fd, () => {});
  }

  private readInto(fd: number, buf: Buffer): Promise<number> {
    this.reading = true;
    return new Promise((resolve, reject) => {
      // position null: from the file's current position, as ReadStream without `start`
      read(fd, buf, 0, buf.length, null, (err, n) => {
        this.reading = false;
        if (this.closing) this.destroy();
        if (err) reject(err);
        else resolve(n);
      });
    });
  }
}
