/**
 * Buffered stdout with backpressure: commands that print one line per event
 * append to a buffer and `await drain()` between input chunks, so a slow
 * reader (a pipe into less or head) never makes memory grow.
 * EPIPE (the reader went away, e.g. `| head`) ends the run quietly.
 */
import type { Writable } from 'node:stream';

export class Output {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly out: Writable = process.stdout) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
    });
  }

  write(s: string): void {
    if (this.closed) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) this.flushSync();
  }

  private flushSync(): boolean {
    if (this.parts.length === 0 || this.closed) return true;
    const data = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return this.out.write(data);
  }

  /** Flush and wait until the stream accepts more. */
  async drain(): Promise<void> {
    if (!this.flushSync() && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('error', done);
      });
    }
  }

  async end(): Promise<void> {
    await this.drain();
  }
}

export { safeText } from '../model/text.js';
