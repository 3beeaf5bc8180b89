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
 *    bypassed (cache.direct) is not visible in QEMU's own trace;
 *  - switched at run time: a guest that writes "write through" or "write back" to a
 *    virtio disk's `cache_type` (Linux drivers/block/virtio_blk.c cache_type_store
 *    writes the config's wce byte) makes QEMU switch the BlockBackend's write cache
 *    (hw/block/virtio-blk.c virtio_blk_set_config → blk_set_enable_write_cache):
 *    the writes issued from then on get 0x10 at the format node, or lose it
 *    (fixtures/stacks/vm-ctype-switch-writeback, vm-ctype-switchback-writeback).
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
  /**
   * Set when the trace shows the guest switched its write cache once at run time: to write-through (WCE 1 → 0:
   * QEMU added FUA to none of the writes issued before, to every one after) or back to write-back (0 → 1).
   * `time` (ns, QEMU's clock) bounds the switch so that a guest write on the write-through side of it surely
   * was: to write-through, not before the first write given FUA was issued nor before the last one without
   * it completed; to write-back, the issue of the last write given FUA.
   */
  switched?: { to: 'writethrough' | 'writeback'; time: number; how: string };
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
  /** Issue and completion times (ns) of the writes QEMU added FUA to and of those it did not (writes not asked). */
  private readonly plain = new Span();
  private readonly added = new Span();
  private timed = true;

  front(r: FrontRequest): void {
    if (r.kind === 'write' || r.kind === 'write-zeroes') {
      this.writes++;
      if (r.fuaFormat && !r.fuaAsked) this.fuaAdded++;
      if (r.fuaAsked) this.fuaAsked++;
      else if (r.issue.time < 0) this.timed = false;
      else (r.fuaFormat ? this.added : this.plain).add(r.issue.time, r.complete.time);
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
    this.plain.merge(o.plain);
    this.added.merge(o.added);
    this.timed &&= o.timed;
  }

  infer(): CacheModeInference {
    const r = this.infer0();
    if (!r.writeThrough && this.fuaAdded === 0 && this.writes - this.fuaAsked >= MIN_WRITES_SHOWN) {
      r.volatileShown = `QEMU added FUA to none of its ${this.writes - this.fuaAsked} write(s) without FUA (cache.writeback=on): the guest sees a volatile write cache (virtio-blk WCE=1)`;
    }
    const plain = this.writes - this.fuaAsked - this.fuaAdded;
    if (!r.writeThrough && this.timed && this.fuaAdded >= MIN_WRITES_SHOWN && plain >= MIN_WRITES_SHOWN) {
      const at = (t: number) => `${(t / 1e9).toFixed(6)} s`;
      if (this.plain.lastIssue < this.added.firstIssue) {
        const time = Math.max(this.added.firstIssue, this.plain.lastComplete);
        r.switched = {
          to: 'writethrough', time,
          how: `QEMU added FUA to none of the ${plain} write(s) issued before ${at(this.added.firstIssue)} and to every one of the ${this.fuaAdded} issued from then on: the guest switched the device's write cache off at run time (virtio-blk WCE=0, virtio_blk_set_config), written through from ${at(time)} on`,
        };
      } else if (this.added.lastIssue < this.plain.firstIssue) {
        r.switched = {
          to: 'writeback', time: this.added.lastIssue,
          how: `QEMU added FUA to every one of the ${this.fuaAdded} write(s) issued until ${at(this.added.lastIssue)} and to none of the ${plain} issued after: the guest switched the device's write cache on at run time (virtio-blk WCE=1, virtio_blk_set_config), written through until then`,
        };
      }
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

/** The first and last issue and the last completion (ns) of a set of writes. */
class Span {
  firstIssue = Infinity;
  lastIssue = -Infinity;
  lastComplete = -Infinity;

  add(issue: number, complete: number): void {
    this.firstIssue = Math.min(this.firstIssue, issue);
    this.lastIssue = Math.max(this.lastIssue, issue);
    if (complete >= 0) this.lastComplete = Math.max(this.lastComplete, complete);
  }

  merge(o: Span): void {
    this.firstIssue = Math.min(this.firstIssue, o.firstIssue);
    this.lastIssue = Math.max(this.lastIssue, o.lastIssue);
    this.lastComplete = Math.max(this.lastComplete, o.lastComplete);
  }
}
