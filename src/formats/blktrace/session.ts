/**
 * State shared by every record stream of one blktrace input (all per-CPU
 * files of a set, or one stdin stream): the pid → comm map filled by
 * BLK_TN_PROCESS notes (global in blkparse too: `add_ppm_hash`), the wall
 * clock samples of BLK_TN_TIMESTAMP notes, and the time base.
 *
 * Times: the kernel stamps records with `ktime_get()` ns (CLOCK_MONOTONIC,
 * kernel/trace/blktrace.c `__blk_add_trace`). Events keep that absolute value
 * when it is below 2^53 (104 days of uptime), so a number holds it exactly
 * and other sources on the same host clock line up without conversion.
 * Beyond that the base is moved to a whole second an hour before the first
 * record and the ClockDomain says so (`baseSeconds`). blkparse prints times
 * relative to its first event instead; differences are equal either way.
 */
import type { ParseContext } from '../types.js';
import type { ClockDomain } from '../../model/time.js';
import { formatDev } from '../../model/device.js';

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** Base margin below the first record, so other CPUs' slightly earlier records stay positive. */
const MARGIN_SECONDS = 3600;

/** One BLK_TN_TIMESTAMP note: the wall clock at BLKTRACESTART, and the record time of that moment. */
export interface WallclockSample {
  device: string;
  /** The note's record time in the event clock (ns, same domain as event times). */
  time: number;
  /** CLOCK_REALTIME at that moment: seconds and nanoseconds (u32 pair of the pdu). */
  realtimeSeconds: number;
  realtimeNanos: number;
}

export interface ClockNaming {
  name: string;
  origin: string;
}

export const KTIME_CLOCK: ClockNaming = {
  name: 'monotonic',
  origin: 'CLOCK_MONOTONIC ns (blktrace records, ktime_get)',
};

export class BlktraceSession {
  /**
   * pid → comm from BLK_TN_PROCESS; a later note for a pid replaces the name
   * (pid reuse, exec). pid 0 is each CPU's idle task (`swapper/N`), so its
   * names are kept per CPU (key -1 - cpu) instead of letting one CPU's note
   * rename another's.
   */
  readonly comms = new Map<number, string>();
  /** Bumped whenever `comms` changes, so readers can cache their last lookup. */
  commVersion = 0;
  readonly wallclock: WallclockSample[] = [];
  private baseHi = 0;
  private baseLo = 0;
  private based = false;

  constructor(readonly ctx: ParseContext, private readonly clock: ClockNaming = KTIME_CLOCK) {}

  /** Called with the first record's raw time (hi, lo words): fixes the base and reports the clock. */
  decideBase(hi: number, lo: number): void {
    if (this.based) return;
    this.based = true;
    let baseSeconds = 0;
    if (hi * TWO32 + lo >= TWO53) {
      baseSeconds = Math.max(0, Math.floor(Number((BigInt(hi) * 4294967296n + BigInt(lo)) / 1000000000n)) - MARGIN_SECONDS);
      const baseNs = BigInt(baseSeconds) * 1000000000n;
      this.baseHi = Number(baseNs >> 32n);
      this.baseLo = Number(baseNs & 0xffffffffn);
    }
    const domain: ClockDomain = {
      name: this.clock.name,
      origin: baseSeconds === 0 ? this.clock.origin : `${this.clock.origin}, minus ${baseSeconds} s`,
      baseSeconds,
    };
    this.ctx.setClock(domain);
  }

  get hasBase(): boolean {
    return this.based;
  }

  /** Raw u64 time words → event ns (exact while the difference to the base is below 2^53). */
  time(hi: number, lo: number): number {
    return (hi - this.baseHi) * TWO32 + (lo - this.baseLo);
  }

  setComm(pid: number, cpu: number, comm: string): void {
    const key = commKey(pid, cpu);
    if (this.comms.get(key) === comm) return;
    this.comms.set(key, comm);
    this.commVersion++;
  }

  /** The name of `pid` as known so far, or ''. */
  commOf(pid: number, cpu: number): string {
    return this.comms.get(commKey(pid, cpu)) ?? '';
  }

  addWallclock(device: number, time: number, seconds: number, nanos: number): void {
    for (const w of this.wallclock) {
      if (w.time === time && w.realtimeSeconds === seconds && w.realtimeNanos === nanos) return;
    }
    this.wallclock.push({ device: formatDev(device), time, realtimeSeconds: seconds, realtimeNanos: nanos });
    this.ctx.attach('wallclock', this.wallclock);
  }
}

export function commKey(pid: number, cpu: number): number {
  return pid === 0 ? -1 - cpu : pid;
}
