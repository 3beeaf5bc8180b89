/**
 * Per-process breakdown, like `blkparse -s` (the same counters, by the pid
 * that each event carries: completions usually land on an IRQ or softirq
 * pid) and `btt -A`/`-P` (latency of the requests a process submitted, by
 * the pid of their Q). Bounded: at most MAX_PROCESSES pids per device; the
 * rest are summed under pid -1 ("other") and counted.
 */
import type { BlockEvent } from '../model/event.js';
import { CounterSet, type BlkparseCounters } from './counters.js';
import { PhaseStat, type PhaseJson } from './latency.js';

export const MAX_PROCESSES = 4096;

export interface ProcessStats {
  pid: number;
  /** Last name seen for the pid ("" when the trace never named it). */
  comm: string;
  blkparse: BlkparseCounters;
  /** Q2C of the bios this pid queued (true lifetimes, empty flushes included). */
  q2c: PhaseJson;
  /** Bytes this pid queued. */
  queuedBytes: number;
}

interface Entry {
  pid: number;
  comm: string;
  counters: CounterSet;
  q2c: PhaseStat;
  queuedBytes: number;
}

export class ProcessTable {
  private readonly byPid = new Map<number, Entry>();
  /** Pids folded into "other" because the table was full. */
  overflowPids = 0;

  private entry(pid: number): Entry {
    let en = this.byPid.get(pid);
    if (!en) {
      // the table is full: fold into "other" (pid -1), which is always allowed in (one more entry at most)
      if (this.byPid.size >= MAX_PROCESSES && pid !== -1) {
        this.overflowPids++;
        pid = -1;
        en = this.byPid.get(-1);
        if (en) return en;
      }
      en = { pid, comm: '', counters: new CounterSet(), q2c: new PhaseStat(), queuedBytes: 0 };
      this.byPid.set(pid, en);
    }
    return en;
  }

  event(e: BlockEvent): void {
    const en = this.entry(e.pid);
    if (e.comm && en.comm !== e.comm && en.pid >= 0) en.comm = e.comm;
    en.counters.event(e);
    if (e.act === 1 /* Q */ && e.bytes > 0) en.queuedBytes += e.bytes;
  }

  /** A bio queued by `pid` ended after `ns`. */
  q2c(pid: number, ns: number): void {
    this.entry(pid).q2c.add(ns);
  }

  toJson(): ProcessStats[] {
    return [...this.byPid.values()]
      .sort((a, b) => a.pid - b.pid)
      .map((en) => ({ pid: en.pid, comm: en.comm, blkparse: en.counters.c, q2c: en.q2c.toJson(), queuedBytes: en.queuedBytes }));
  }
}
