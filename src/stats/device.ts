/**
 * Everything `stats` knows about one device, fed that device's events in
 * order: blkparse's counters, btt's latencies (btt-compat.ts), the true
 * request lifetimes (lifetime.ts), flushes, per-process figures, request
 * sizes and queue depth.
 */
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import { formatDev } from '../model/device.js';
import { Flag, Op } from '../model/rwbs.js';
import { BTT_PHASES, BttDevice, isBttRemapper, type BttCounts, type BttPhase } from '../track/btt-compat.js';
import type { RequestTracker } from '../track/lifetime.js';
import { FactTracker, type DeviceFacts } from '../track/facts.js';
import type { AnalysisEnv } from '../model/analysis.js';
import type { Bio, TrackCounts } from '../track/request.js';
import { CounterSet, blkparseIsWrite, type BlkparseCounters } from './counters.js';
import { PhaseSet, PhaseStat, type PhaseJson } from './latency.js';
import { ProcessTable, type ProcessStats } from './per-process.js';
import { DepthTracker, type DepthJson } from './queue-depth.js';
import { SizeCounter, type SizeHistogram } from './sizes.js';

export interface FlushStats {
  /**
   * Flushes completed at the device (facts.flushesCompleted: `C FN`, a
   * bio-based device's PREFLUSH bios, barriers, flush rows of latency tools).
   */
  completed: number;
  /** Flush requests issued to the driver (`D FN`). */
  issued: number;
  /** Empty PREFLUSH bios queued (`Q FWS` with 0 bytes: fsync/fdatasync cache flushes). */
  emptyBios: number;
  /** Data bios queued with PREFLUSH (e.g. a journal commit `Q FWFSM`). */
  preflushWrites: number;
  /** Bios queued with FUA. */
  fuaWrites: number;
  /** FUA writes the device did not take as FUA (D without F): emulated by a post-flush. */
  fuaEmulated: number;
  /** Flushes completed with an error. */
  errors: number;
  /** Flush request latency, `D FN` → `C FN`, seconds. */
  latency: PhaseJson;
  /** Empty flush bios, Q → their final 0-byte completion, seconds. */
  emptyBioQ2C: PhaseJson;
}

export interface OpStats {
  reads: number;
  writes: number;
  discards: number;
  discardsKiB: number;
  secureErases: number;
  /** Only visible as such in tracepoint text (blktrace prints write-zeroes as W). */
  writeZeroes: number;
  writeZeroesKiB: number;
}

export interface DeviceStats {
  device: string;
  events: number;
  /** First and last event time, seconds in the source clock. */
  firstTime: number;
  lastTime: number;
  blkparse: BlkparseCounters;
  /** btt-compatible: the numbers `btt` prints for this device ("All Devices" when alone). */
  latency: Record<BttPhase, PhaseJson>;
  /** True lifetimes of completed bios: empty flushes included, Q2C to the final completion. */
  latencyTrue: Record<BttPhase, PhaseJson>;
  btt: BttCounts & { remapper: boolean; labels: Partial<Record<BttPhase, string>> };
  requests: TrackCounts & { completed: number };
  /** The per-device facts `check` states too, from the same code (src/track/facts.ts). */
  facts: DeviceFacts;
  flushes: FlushStats;
  ops: OpStats;
  queueDepth: { inFlight: DepthJson; atDevice: DepthJson };
  sizes: SizeHistogram;
  processes: ProcessStats[];
  /**
   * Latency as a latency tool reported it, one record per completed I/O
   * (biosnoop/iosnoop LAT, CSV latency columns: `IO` events), seconds.
   * Present only for such inputs; they carry no Q/D/C phases.
   */
  reported?: PhaseJson;
}

export class DeviceAccumulator {
  readonly counters = new CounterSet();
  readonly bttPhases = new PhaseSet<BttPhase>(BTT_PHASES);
  readonly truePhases = new PhaseSet<BttPhase>(BTT_PHASES);
  readonly btt: BttDevice;
  readonly tracker: RequestTracker;
  readonly facts: FactTracker;
  readonly procs = new ProcessTable();
  readonly sizes = new SizeCounter();
  readonly inFlight = new DepthTracker();
  readonly atDevice = new DepthTracker();
  readonly flushLatency = new PhaseStat();
  readonly emptyQ2C = new PhaseStat();
  readonly reported = new PhaseStat();
  readonly flush = { completed: 0, issued: 0, emptyBios: 0, preflushWrites: 0, fuaWrites: 0, fuaEmulated: 0, errors: 0 };
  readonly ops: OpStats = { reads: 0, writes: 0, discards: 0, discardsKiB: 0, secureErases: 0, writeZeroes: 0, writeZeroesKiB: 0 };
  completed = 0;
  events = 0;
  first = -1;
  last = -1;
  private lastQ = -1;
  private level = 0;
  private devLevel = 0;

  constructor(readonly dev: number, maxInFlight?: number) {
    this.btt = new BttDevice((p, ns) => this.bttPhases.add(p, ns));
    this.facts = new FactTracker({
      done: (b) => this.done(b),
      flush: (d, c) => this.flushLatency.add(c - d),
    }, maxInFlight);
    this.tracker = this.facts.tracker;
  }

  event(e: BlockEvent): void {
    this.events++;
    if (this.first < 0) this.first = e.time;
    if (e.time > this.last) this.last = e.time;
    this.counters.event(e);
    this.procs.event(e);
    this.btt.event(e);
    this.facts.event(e);
    if (e.act === Act.IoDone) {
      // one record per completed I/O from a latency tool: no phases to track
      if (e.aux >= 0) this.reported.add(e.aux);
      this.sizes.issue(e);
      this.completed++;
      return;
    }
    if (e.act === Act.Queue && !(e.flags & Flag.PC)) this.queued(e);
    else if (e.act === Act.Issue) {
      if (e.op === Op.Flush) this.flush.issued++;
      else this.sizes.issue(e);
    }
    const t = this.tracker;
    if (t.inFlight !== this.level) this.inFlight.set(e.time, (this.level = t.inFlight));
    if (t.atDevice !== this.devLevel) this.atDevice.set(e.time, (this.devLevel = t.atDevice));
  }

  private queued(e: BlockEvent): void {
    if (this.lastQ >= 0) this.truePhases.add('Q2Q', e.time - this.lastQ);
    this.lastQ = e.time;
    const kib = e.bytes > 0 ? Math.floor(e.bytes / 1024) : 0;
    if (e.flags & Flag.PREFLUSH) {
      if (e.bytes > 0) this.flush.preflushWrites++;
      else this.flush.emptyBios++;
    }
    if (e.flags & Flag.FUA) this.flush.fuaWrites++;
    switch (e.op) {
      case Op.Discard: this.ops.discards++; this.ops.discardsKiB += kib; break;
      case Op.SecureErase: this.ops.secureErases++; break;
      case Op.WriteZeroes: this.ops.writeZeroes++; this.ops.writeZeroesKiB += kib; break;
      default:
        if (blkparseIsWrite(e.op)) this.ops.writes++;
        else if (e.bytes > 0) this.ops.reads++;
    }
  }

  /** A bio's lifetime ended: true-model phases. */
  private done(b: Bio): void {
    this.completed++;
    const p = this.truePhases;
    if (b.q >= 0) {
      if (!b.origin || b.origin.done === b.origin.pieces) {
        const q2c = (b.origin ? b.origin.lastFinal : b.final) - b.q;
        p.add('Q2C', q2c);
        this.procs.q2c(b.pid, q2c);
        if (b.bytes === 0) this.emptyQ2C.add(q2c);
      }
      if (b.g >= 0) p.add('Q2G', b.g - b.q);
      if (b.m >= 0) p.add('Q2M', b.m - b.q);
    }
    if (b.g >= 0 && b.i >= 0) p.add('G2I', b.i - b.g);
    if (b.d >= 0) {
      if (b.i >= 0) p.add('I2D', b.d - b.i);
      else if (b.m >= 0) p.add('M2D', b.d - b.m);
      p.add('D2C', (b.c >= 0 ? b.c : b.final) - b.d);
    }
    if (b.flags & Flag.FUA && !b.nativeFua && b.d >= 0 && b.bytes > 0) this.flush.fuaEmulated++;
  }

  finish(env: AnalysisEnv): DeviceStats {
    const track = this.facts.finishTracker();
    const facts = this.facts.facts(env, this.dev);
    this.flush.completed = facts.flushesCompleted;
    this.flush.errors = facts.flushesFailed;
    const bttCounts = this.btt.finish();
    this.inFlight.touch(this.last);
    this.atDevice.touch(this.last);
    const remapper = isBttRemapper(this.dev);
    const out: DeviceStats = {
      device: formatDev(this.dev),
      events: this.events,
      firstTime: this.first < 0 ? 0 : this.first / 1e9,
      lastTime: this.last < 0 ? 0 : this.last / 1e9,
      blkparse: this.counters.c,
      latency: this.bttPhases.toJson(),
      latencyTrue: this.truePhases.toJson(),
      btt: { ...bttCounts, remapper, labels: remapper ? { Q2Q: 'Q2Qdm', Q2C: 'Q2Cdm' } : {} },
      requests: { ...track, completed: this.completed },
      facts,
      flushes: { ...this.flush, latency: this.flushLatency.toJson(), emptyBioQ2C: this.emptyQ2C.toJson() },
      ops: this.ops,
      queueDepth: { inFlight: this.inFlight.toJson(), atDevice: this.atDevice.toJson() },
      sizes: this.sizes.toJson(),
      processes: this.procs.toJson(),
    };
    if (this.reported.n > 0) out.reported = this.reported.toJson();
    return out;
  }
}
