/**
 * QEMU's cache mode as the trace shows it (reference §4.1), per device:
 *
 *  - writethrough / directsync (cache.writeback=off): blk_co_do_pwritev_part
 *    adds BDRV_REQ_FUA (0x10) to every write, so the format node shows 0x10 on
 *    writes whose blk_co_pwritev had none (block/block-backend.c);
 *  - unsafe (BDRV_O_NO_FLUSH): bdrv_co_flush returns before flush_to_disk, so
 *    flushes and emulated FUA writes complete with no host flush job at all
 *    (block/io.c bdrv_co_flush);
 *  - writeback / none: flushes reach the host; whether the host page cache is
 *    bypassed (cache.direct) is not visible in QEMU's own trace.
 */
import type { FrontRequest, HostJob } from './records.js';

export type QemuCacheMode = 'writethrough' | 'unsafe' | 'writeback-or-none' | 'unknown';

export interface CacheModeInference {
  mode: QemuCacheMode;
  /** How it was inferred, in words with the counts. */
  how: string;
  /** True when the guest sees no volatile write cache (WCE=0): its writes are promised durable at completion. */
  writeThrough: boolean;
  /**
   * Set when the trace shows the guest sees a volatile write cache (WCE=1): QEMU added FUA to none of its
   * writes (cache.writeback=on; blk_co_do_pwritev_part adds BDRV_REQ_FUA only when it is off). The words say so.
   */
  volatileShown?: string;
}

/** Writes needed before "QEMU added FUA to none of them" is taken as cache.writeback=on. */
const MIN_WRITES_SHOWN = 4;

export class CacheModeTracker {
  private writes = 0;
  private fuaAdded = 0;
  private fuaAsked = 0;
  private flushRequests = 0;
  private flushJobs = 0;
  private writeJobsBeforeFlush = 0;

  front(r: FrontRequest): void {
    if (r.kind === 'write' || r.kind === 'write-zeroes') {
      this.writes++;
      if (r.fuaFormat && !r.fuaAsked) this.fuaAdded++;
      if (r.fuaAsked) this.fuaAsked++;
    } else if (r.kind === 'flush' && r.status === 0) {
      this.flushRequests++;
    }
  }

  job(j: HostJob): void {
    this.jobKind(j.kind === 'write' || j.kind === 'write-zeroes' ? 'write' : j.kind === 'flush' ? 'flush' : 'other');
  }

  jobKind(kind: 'write' | 'flush' | 'other'): void {
    if (kind === 'flush') this.flushJobs++;
    else if (kind === 'write') this.writeJobsBeforeFlush++;
  }

  /** Add another tracker's counts (the same device seen under two names). */
  merge(o: CacheModeTracker): void {
    this.writes += o.writes;
    this.fuaAdded += o.fuaAdded;
    this.fuaAsked += o.fuaAsked;
    this.flushRequests += o.flushRequests;
    this.flushJobs += o.flushJobs;
    this.writeJobsBeforeFlush += o.writeJobsBeforeFlush;
  }

  infer(): CacheModeInference {
    const r = this.infer0();
    if (!r.writeThrough && this.fuaAdded === 0 && this.writes - this.fuaAsked >= MIN_WRITES_SHOWN) {
      r.volatileShown = `QEMU added FUA to none of its ${this.writes - this.fuaAsked} write(s) without FUA (cache.writeback=on): the guest sees a volatile write cache (virtio-blk WCE=1)`;
    }
    return r;
  }

  private infer0(): CacheModeInference {
    if (this.writes > 0 && this.fuaAdded === this.writes - this.fuaAsked && this.fuaAdded > 0) {
      return {
        mode: 'writethrough',
        how: `BDRV_REQ_FUA (0x10) at the format node on every write (${this.fuaAdded} added by QEMU${this.fuaAsked > 0 ? `, ${this.fuaAsked} asked` : ''}): cache.writeback=off, i.e. writethrough or directsync`,
        writeThrough: true,
      };
    }
    const promises = this.flushRequests + this.fuaAsked + this.fuaAdded;
    if (this.writeJobsBeforeFlush > 0 && promises > 0 && this.flushJobs === 0) {
      return {
        mode: 'unsafe',
        how: `${this.flushRequests} flush request(s) and ${this.fuaAsked + this.fuaAdded} FUA write(s) completed after ${this.writeJobsBeforeFlush} host write job(s), with no host flush job in the trace (BDRV_O_NO_FLUSH: cache=unsafe or cache.no-flush=on)`,
        writeThrough: false,
      };
    }
    if (this.flushJobs > 0) {
      return {
        mode: 'writeback-or-none',
        how: `${this.flushJobs} host flush job(s) seen; writes carry no FUA at the format node (cache.writeback=on); page-cache bypass (cache.direct) is not visible in the QEMU trace`,
        writeThrough: false,
      };
    }
    return { mode: 'unknown', how: 'no write followed by a flush or FUA in the trace', writeThrough: false };
  }
}
