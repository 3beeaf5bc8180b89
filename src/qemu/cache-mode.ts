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
   * Set when the trace shows the guest switched its write cache at run time, once or more: QEMU added FUA to
   * every write issued in some stretches (WCE 0) and to none issued in the others (WCE 1). `spans` (ns, QEMU's
   * clock; ±Infinity open) bound the stretches written through so that a guest write inside one surely was:
   * not before the first write given FUA was issued nor before the last write without it (of the stretch
   * before) completed; not after the last write given FUA was issued.
   */
  switched?: WceSwitches;
}

export interface WceSwitches {
  spans: Array<[number, number]>;
  /** How many times the guest switched. */
  switches: number;
  how: string;
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
  /** The writes QEMU added FUA to and those it did not (writes not asked), in runs by issue time. */
  private readonly runs = new WceRuns();
  private timed = true;

  front(r: FrontRequest): void {
    if (r.kind === 'write' || r.kind === 'write-zeroes') {
      this.writes++;
      if (r.fuaFormat && !r.fuaAsked) this.fuaAdded++;
      if (r.fuaAsked) this.fuaAsked++;
      else if (r.issue.time < 0) this.timed = false;
      else this.runs.add(r.fuaFormat, r.issue.time, r.issue.time, r.complete.time, 1);
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
    this.runs.merge(o.runs);
    this.timed &&= o.timed;
  }

  infer(): CacheModeInference {
    const r = this.infer0();
    if (!r.writeThrough && this.fuaAdded === 0 && this.writes - this.fuaAsked >= MIN_WRITES_SHOWN) {
      r.volatileShown = `QEMU added FUA to none of its ${this.writes - this.fuaAsked} write(s) without FUA (cache.writeback=on): the guest sees a volatile write cache (virtio-blk WCE=1)`;
    }
    const plain = this.writes - this.fuaAsked - this.fuaAdded;
    if (!r.writeThrough && this.timed && this.fuaAdded >= MIN_WRITES_SHOWN && plain >= MIN_WRITES_SHOWN) {
      const switched = this.runs.switches(plain, this.fuaAdded);
      if (switched) r.switched = switched;
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

/** One run of writes by issue time: all given FUA by QEMU (`fua`), or none. */
interface WceRun {
  fua: boolean;
  firstIssue: number;
  lastIssue: number;
  /** Latest completion (ns) of its writes, -Infinity when none was timed. */
  lastComplete: number;
  writes: number;
}

/**
 * More runs than this (a guest toggling its write cache every few writes, or writes of both kinds interleaved
 * by something else): no switch is placed.
 */
const MAX_RUNS = 32;

/**
 * The writes QEMU added FUA to and those it did not, in runs by issue time (blk_co_do_pwritev_part decides
 * at issue: a write issued while WCE is 0 gets BDRV_REQ_FUA). Writes reach it in completion order; a write
 * of one kind issued inside a run of the other — the two kinds interleaved, not separated by switches —
 * makes it `mixed`, and nothing is placed. Memory: at most MAX_RUNS runs.
 */
class WceRuns {
  private runs: WceRun[] = [];
  private mixed = false;

  add(fua: boolean, firstIssue: number, lastIssue: number, lastComplete: number, writes: number): void {
    if (this.mixed) return;
    const runs = this.runs;
    const done = lastComplete >= 0 ? lastComplete : -Infinity;
    // the usual write (one per front request) is issued after every run's start: it extends the last run, or starts
    // the next after it — what the general path below gives, without its copy of the runs
    const last = runs[runs.length - 1];
    if (last && firstIssue >= last.firstIssue && last.fua === fua) {
      last.lastIssue = Math.max(last.lastIssue, lastIssue);
      last.lastComplete = Math.max(last.lastComplete, done);
      last.writes += writes;
      return;
    }
    if (last && firstIssue > last.lastIssue && runs.length < MAX_RUNS) {
      runs.push({ fua, firstIssue, lastIssue, lastComplete: done, writes });
      return;
    }
    let i = runs.length;
    while (i > 0 && runs[i - 1]!.firstIssue > firstIssue) i--;
    runs.splice(i, 0, { fua, firstIssue, lastIssue, lastComplete: done, writes });
    // neighbours of one kind become one run; runs of the two kinds must not overlap
    const out: WceRun[] = [];
    for (const r of runs) {
      const p = out[out.length - 1];
      if (p && p.fua === r.fua) {
        p.lastIssue = Math.max(p.lastIssue, r.lastIssue);
        p.lastComplete = Math.max(p.lastComplete, r.lastComplete);
        p.writes += r.writes;
      } else if (p && r.firstIssue <= p.lastIssue) {
        this.mixed = true;
        this.runs = [];
        return;
      } else out.push(r);
    }
    if (out.length > MAX_RUNS) {
      this.mixed = true;
      this.runs = [];
      return;
    }
    this.runs = out;
  }

  merge(o: WceRuns): void {
    if (o.mixed) {
      this.mixed = true;
      this.runs = [];
    }
    for (const r of o.runs) this.add(r.fua, r.firstIssue, r.lastIssue, r.lastComplete, r.writes);
  }

  /**
   * The stretches written through, when the runs show switches: at least two runs, each of at least
   * MIN_WRITES_SHOWN writes (a run of one or two writes is too little to place a switch on).
   */
  switches(plain: number, added: number): WceSwitches | undefined {
    const runs = this.runs;
    if (this.mixed || runs.length < 2 || runs.some((r) => r.writes < MIN_WRITES_SHOWN)) return undefined;
    const spans: Array<[number, number]> = [];
    runs.forEach((r, k) => {
      if (!r.fua) return;
      const from = k === 0 ? -Infinity : Math.max(r.firstIssue, runs[k - 1]!.lastComplete);
      spans.push([from, k === runs.length - 1 ? Infinity : r.lastIssue]);
    });
    const switches = runs.length - 1;
    if (switches === 1 && runs[1]!.fua) {
      const time = spans[0]![0];
      return {
        spans, switches,
        how: `QEMU added FUA to none of the ${plain} write(s) issued before ${at(runs[1]!.firstIssue)} and to every one of the ${added} issued from then on: the guest switched the device's write cache off at run time (virtio-blk WCE=0, virtio_blk_set_config), written through from ${at(time)} on`,
      };
    }
    if (switches === 1) {
      return {
        spans, switches,
        how: `QEMU added FUA to every one of the ${added} write(s) issued until ${at(runs[0]!.lastIssue)} and to none of the ${plain} issued after: the guest switched the device's write cache on at run time (virtio-blk WCE=1, virtio_blk_set_config), written through until then`,
      };
    }
    return {
      spans, switches,
      how: `QEMU added FUA to every one of the ${added} write(s) issued in ${spans.length} stretch(es) and to none of the ${plain} issued outside them: the guest switched the device's write cache ${switches} times at run time (virtio-blk WCE, virtio_blk_set_config), written through ${spans.map(spanWords).join(', ')}`,
    };
  }
}

/** A span in words: "until 1.000000 s", "from 2.000000 s to 3.000000 s", "from 4.000000 s on". */
export function spanWords([from, until]: readonly [number, number]): string {
  if (from === -Infinity) return `until ${at(until)}`;
  if (until === Infinity) return `from ${at(from)} on`;
  return `from ${at(from)} to ${at(until)}`;
}

/** A time (ns) in words: "1.000000 s". */
function at(t: number): string {
  return `${(t / 1e9).toFixed(6)} s`;
}
