/**
 * Rebuilds QEMU's requests from its trace events (reference §4.3–4.4):
 *
 *   virtqueue_pop → virtio_blk_handle_{read,write} → [virtio_blk_submit_multireq]
 *     → blk_co_p{read,write}v → bdrv_co_p{read,write}v_part (root, then protocol node)
 *     → thread_pool_submit | luring_co_submit | paio_submit … completion
 *     → virtio_blk_rw_complete → virtio_blk_req_complete
 *
 * No identity crosses these layers: links are made the way the code runs. A
 * coroutine goes from bdrv_co_pwritev_part down to the thread pool without
 * yielding (block/file-posix.c raw_co_prw → raw_thread_pool_submit), so a
 * pool job takes the bdrv event just before it in the same thread; a merged
 * blk request serves the handled virtio requests whose bytes it covers.
 *
 * Jobs with no read/write event before them are classified by what surrounds
 * them, most specific first (each rule cites the code that makes it true):
 *   0. right after the pop of a request with no read/write, nothing else of that
 *      thread between: that request's flush or discard (its coroutine ran from the
 *      pop to the submission without yielding; job-kinds.ts classifyUntyped);
 *   1. right after a write-zeroes job failed with -ENOTSUP: the bounce-buffer
 *      write (block/io.c bdrv_co_do_pwrite_zeroes fallback);
 *   2. right after the data job of a write that had FUA at the format node but
 *      not at the protocol node: the emulating flush (block/io.c
 *      bdrv_driver_pwritev: `bdrv_co_flush` when the driver lacks FUA);
 *   3. after qcow2_cache_flush: a flush of bs->file (block/qcow2-cache.c qcow2_cache_flush);
 *   4. while a virtio request popped without any read/write handled waits (FIFO,
 *      bdrv_co_flush serialises flushes): its flush (out_num 1) or discard (out_num ≥ 2);
 *   5. otherwise "unknown": a flush, a discard or a fallback write (QEMU 7.2
 *      traces none of bdrv_co_flush, bdrv_co_pdiscard).
 * Request pointers are reused as soon as a request is freed: maps are keyed by
 * pointer for one lifetime only.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import { BdrvFlag, QemuKind, type QemuEvent, type QemuSink } from './event.js';
import type { HostJob, QemuDeviceInfo, RebuildSink, Stamp } from './records.js';
import { NO_STAMP } from './records.js';
import { IdMap, OpenMap } from './open-map.js';
import { aioKind, classifyUntyped, ENOTSUP, newThreadCtx, type OpenFront, type ThreadCtx } from './job-kinds.js';

export interface RebuildSummary {
  fronts: number;
  jobs: number;
  devices: QemuDeviceInfo[];
  /** Jobs by kind, and how the untyped ones were classified. */
  jobKinds: Record<string, number>;
  jobCauses: Record<string, number>;
  /** file_flush_fdatasync_failed events. */
  fdatasyncFailures: number;
  /** Virtio requests merged into one blk request (virtio_blk_submit_multireq). */
  merged: number;
  inFlightAtEnd: number;
  /**
   * Protocol nodes whose data reads/writes left no host job (aio=native: laio has no trace event in QEMU 7.2;
   * block/file-posix.c raw_co_prw → laio_co_submit). On such a node a pool job after a data event is not that
   * data: it may be a flush, write-zeroes or discard (handle_aiocb_*), so its kind is unknown.
   */
  untracedDataNodes: string[];
}

/**
 * A virtio request whose pop shows a device-writable segment besides the status byte (in_num ≥ 2): data the
 * device writes for the driver (a read, GET_ID). -1 (no pop seen) is not known to.
 */
function readsFromDevice(f: OpenFront): boolean {
  return f.inNum >= 2;
}

export class QemuRebuilder implements QemuSink {
  private readonly threads = new Map<number, ThreadCtx>();
  private readonly openFronts = new OpenMap<OpenFront>();
  private readonly unlinked: OpenFront[] = [];
  private readonly openJobs = new OpenMap<HostJob>();
  private readonly frontById = new IdMap<OpenFront>();
  private readonly vqToVdev = new Map<string, string>();
  private readonly blkToDevice = new Map<string, string>();
  private readonly devices = new Map<string, QemuDeviceInfo>();
  private nextFront = 0;
  private nextJob = 0;
  private readonly summary: RebuildSummary = {
    fronts: 0, jobs: 0, devices: [], jobKinds: {}, jobCauses: {}, fdatasyncFailures: 0, merged: 0, inFlightAtEnd: 0,
    untracedDataNodes: [],
  };
  private readonly untraced = new Set<string>();

  constructor(private readonly out: RebuildSink, private readonly diag?: Diagnostics, private readonly sourceName = '') {}

  /** The request popped by thread `poppedTid`'s last event, until that thread's next event. */
  private popped: OpenFront | null = null;
  private poppedTid = -1;

  qemu(e: QemuEvent): void {
    let popped: OpenFront | null = null;
    if (this.popped !== null && e.tid === this.poppedTid) {
      popped = this.popped;
      this.popped = null;
    }
    switch (e.kind) {
      case QemuKind.VqPop: return this.pop(e);
      case QemuKind.VblkRead: case QemuKind.VblkWrite: return this.handle(e);
      case QemuKind.VblkMultireq: this.summary.merged += Math.max(0, e.numReqs); return;
      case QemuKind.VblkRwComplete: this.leafDone(e); return this.rwComplete(e);
      case QemuKind.VblkReqComplete: this.leafDone(e); return this.reqComplete(e);
      case QemuKind.BlkRead: case QemuKind.BlkWrite: return this.blkRequest(e);
      case QemuKind.BdrvRead: case QemuKind.BdrvWrite: case QemuKind.BdrvZeroes: return this.bdrv(e);
      case QemuKind.PoolSubmit: return this.submit(e, 'thread-pool', this.poolKey(e), undefined, popped);
      case QemuKind.PoolComplete: return this.complete(e, this.poolKey(e), e.ret);
      case QemuKind.PoolCancel: return this.complete(e, this.poolKey(e), -125);
      case QemuKind.LuringSubmit: return this.submit(e, 'io_uring', `uring/${e.req}`, e.type, popped);
      case QemuKind.LuringComplete: return this.complete(e, `uring/${e.req}`, e.ret);
      case QemuKind.PaioSubmit: return this.submit(e, 'paio', `paio/${e.req}`, e.type, popped);
      case QemuKind.PaioComplete: return this.paioDone(e);
      case QemuKind.FlushFailed: this.summary.fdatasyncFailures++; return;
      case QemuKind.Qcow2CacheFlush: this.thread(e).qcow2Flush = true; return;
      default: return;
    }
  }

  /**
   * `pool/req`, the key of a thread-pool job: one string per pair (a trace reuses a few hundred), made once,
   * instead of a new one for every submission and completion.
   */
  private readonly poolKeys = new Map<string, Map<string, string>>();

  private poolKey(e: QemuEvent): string {
    let m = this.poolKeys.get(e.obj);
    if (m === undefined) this.poolKeys.set(e.obj, (m = new Map()));
    let k = m.get(e.req);
    if (k === undefined) {
      k = `${e.obj}/${e.req}`;
      if (m.size < 1 << 16) m.set(e.req, k);
    }
    return k;
  }

  /** Nothing open: every request and job seen so far has been emitted (a quiet instant, correlate/quiet.ts). */
  idle(): boolean {
    return this.frontById.size === 0 && this.openJobs.size === 0;
  }

  /** Emit everything still open (in flight when the trace ended) and return the summary. */
  end(): RebuildSummary {
    for (const t of this.threads.values()) for (const f of t.openBlkFronts) this.emitFront(f);
    for (const f of this.openFronts.values()) {
      this.summary.inFlightAtEnd++;
      this.emitFront(f);
    }
    for (const j of this.openJobs.values()) {
      this.summary.inFlightAtEnd++;
      this.emitJob(j);
    }
    this.openFronts.clear();
    this.openJobs.clear();
    if (this.summary.inFlightAtEnd > 0) this.count('qemu: request still in flight at end of trace', this.summary.inFlightAtEnd);
    this.summary.devices = [...this.devices.values()];
    this.summary.untracedDataNodes = [...this.untraced];
    return this.summary;
  }

  private count(reason: string, n = 1, e?: QemuEvent): void {
    const ex = e ? { source: this.sourceName, locKind: 'line' as const, loc: e.loc, text: `${e.name} ${e.args}` } : undefined;
    this.diag?.addMany(reason, 'info', n, ex);
  }

  private thread(e: QemuEvent): ThreadCtx {
    let t = this.threads.get(e.tid);
    if (!t) {
      t = newThreadCtx();
      this.threads.set(e.tid, t);
    }
    return t;
  }

  private device(id: string, iface: 'virtio' | 'blk'): QemuDeviceInfo {
    let d = this.devices.get(id);
    if (!d) {
      d = { device: id, iface, blk: [], root: '', protocol: [], requests: { read: 0, write: 0, writeZeroes: 0, flush: 0, other: 0 } };
      this.devices.set(id, d);
    }
    return d;
  }

  private newFront(e: QemuEvent, iface: 'virtio' | 'blk', device: string, req: string): OpenFront {
    const f: OpenFront = {
      id: this.nextFront++, source: e.source, iface, device, req, kind: 'other', kindHow: '', sector: -1, nsectors: -1,
      fuaAsked: false, fuaFormat: false, fuaProtocol: false, issue: stamp(e), complete: noStamp(),
      completeHow: '', status: -1, jobs: [], vq: '', inNum: -1, outNum: -1, handled: false, linked: false,
      fuaFlushSeen: false, openData: 0, dataOpaque: -1, last: stamp(e), thread: e.tid,
    };
    this.frontById.set(f.id, f);
    return f;
  }

  private pop(e: QemuEvent): void {
    // The thread popped a new request: a coroutine that issued a protocol-node read/write and no job since
    // yielded without the thread pool (aio=native: laio has no trace event in 7.2; with aio=threads the job
    // follows its bdrv event with no yield, block/file-posix.c raw_co_prw). A job after this pop is not that data.
    this.leafDone(e);
    const old = this.openFronts.get(e.req);
    if (old) {
      this.count('qemu: virtio request pointer reused before its completion', 1, e);
      this.emitFront(old);
    }
    const f = this.newFront(e, 'virtio', this.vqToVdev.get(e.obj) ?? '', e.req);
    f.vq = e.obj;
    f.inNum = e.inNum;
    f.outNum = e.outNum;
    this.openFronts.set(e.req, f);
    this.thread(e).flushCandidates.push(f);
    this.popped = f;
    this.poppedTid = e.tid;
  }

  private handle(e: QemuEvent): void {
    let f = this.openFronts.get(e.req);
    if (!f || f.handled) {
      if (f) this.emitFront(f);
      f = this.newFront(e, 'virtio', e.obj, e.req);
      this.openFronts.set(e.req, f);
    }
    f.device = e.obj || f.device;
    if (f.vq && e.obj) this.vqToVdev.set(f.vq, e.obj);
    f.handled = true;
    f.kind = e.kind === QemuKind.VblkWrite ? 'write' : 'read';
    f.kindHow = e.name;
    f.sector = e.sector;
    f.nsectors = e.nsectors;
    setStamp(f.last, e);
    removeFrom(this.thread(e).flushCandidates, f);
    this.unlinked.push(f);
    if (this.unlinked.length > 4096) this.unlinked.shift();
  }

  /** The thread moved on: a protocol-node data event it issued with no job was done without the pool. */
  private leafDone(e: QemuEvent): void {
    const t = this.thread(e);
    if (t.leafData) this.untraced.add(t.leafData);
    t.leafData = null;
    // A request completed: a job after this is not its data (with aio=threads the data job is submitted
    // before the request can complete; with aio=native there is none).
    t.lastBdrv = null;
  }

  private blkRequest(e: QemuEvent): void {
    this.leafDone(e);
    const t = this.thread(e);
    this.closeBlkFronts(t);
    // A BlockBackend request has no completion event: once its thread starts the next request, a
    // FUA flush it still lacks was elided (bdrv_co_flush: write_gen == flushed_gen) or dropped.
    if (t.fuaPending.some((f) => f.iface === 'blk')) t.fuaPending = t.fuaPending.filter((f) => f.iface !== 'blk');
    t.lastBdrv = null;
    t.lastCompletedJob = null;
    t.qcow2Flush = false;
    const write = e.kind === QemuKind.BlkWrite;
    const start = e.offset;
    const end = e.offset + Math.max(0, e.bytes);
    const known = this.blkToDevice.get(e.obj);
    const fronts: OpenFront[] = [];
    for (let i = 0; i < this.unlinked.length; i++) {
      const f = this.unlinked[i]!;
      if ((f.kind === 'write') !== write || (known !== undefined && f.device !== known)) continue;
      const fs = f.sector * 512;
      if (fs >= start && fs + f.nsectors * 512 <= end) {
        fronts.push(f);
        removeAt(this.unlinked, i--);
      }
    }
    if (fronts.length === 0) {
      // No device model request: a BlockBackend request of its own (qemu-io, probing, block jobs).
      const dev = known ?? `blk:${e.obj}`;
      const f = this.newFront(e, 'blk', dev, '');
      f.kind = write ? ((e.flags & BdrvFlag.ZERO_WRITE) !== 0 ? 'write-zeroes' : 'write') : 'read';
      f.kindHow = e.name;
      f.sector = e.offset / 512;
      f.nsectors = Math.max(0, e.bytes) / 512;
      f.fuaAsked = (e.flags & BdrvFlag.FUA) !== 0 && write;
      f.completeHow = 'last host job';
      fronts.push(f);
      t.openBlkFronts.push(f);
      this.device(dev, 'blk');
    }
    for (const f of fronts) {
      f.linked = true;
      if (write && (e.flags & BdrvFlag.FUA) !== 0) f.fuaAsked = true;
      if (f.iface === 'virtio') this.blkToDevice.set(e.obj, f.device);
    }
    const dev = this.device(fronts[0]!.device, fronts[0]!.iface);
    if (!dev.blk.includes(e.obj)) dev.blk.push(e.obj);
    if (dev.root === '') dev.root = e.bs;
    t.chain = { fronts, rootBs: e.bs, sawRoot: false };
  }

  private bdrv(e: QemuEvent): void {
    const t = this.thread(e);
    const c = t.chain;
    if (c && !c.sawRoot && e.bs === c.rootBs) {
      c.sawRoot = true;
      for (const f of c.fronts) {
        if (e.kind !== QemuKind.BdrvRead && (e.flags & BdrvFlag.FUA) !== 0) f.fuaFormat = true;
        if (e.kind === QemuKind.BdrvWrite && (e.flags & BdrvFlag.ZERO_WRITE) !== 0) f.kind = 'write-zeroes';
      }
    }
    if (c) for (const f of c.fronts) setStamp(f.last, e);
    if (c && e.bs !== c.rootBs && (e.kind === QemuKind.BdrvRead || (e.kind === QemuKind.BdrvWrite && (e.flags & BdrvFlag.ZERO_WRITE) === 0))) {
      if (t.leafData && t.leafData !== e.bs) this.untraced.add(t.leafData);
      t.leafData = e.bs;
    }
    const prev = t.lastBdrv;
    const zeroes = e.kind === QemuKind.BdrvZeroes || (e.kind === QemuKind.BdrvWrite && (e.flags & BdrvFlag.ZERO_WRITE) !== 0)
      || (prev !== null && prev.kind === QemuKind.BdrvZeroes && prev.bs === e.bs && prev.offset === e.offset);
    // the thread's one record of its last bdrv event, filled again (prev, read above, may be it)
    const last = t.bdrvRecord;
    last.kind = e.kind;
    last.bs = e.bs;
    last.offset = e.offset;
    last.bytes = e.bytes;
    last.flags = e.flags;
    last.zeroes = zeroes;
    t.lastBdrv = last;
  }

  private submit(e: QemuEvent, mech: HostJob['mech'], key: string, aioType: number | undefined, popped: OpenFront | null = null): void {
    const t = this.thread(e);
    t.leafData = null;
    const j: HostJob = {
      id: this.nextJob++, source: e.source, mech, kind: 'unknown', kindHow: '', node: '', offset: -1, bytes: -1,
      flags: -1, submit: stamp(e), complete: noStamp(), ret: NaN, cause: -1, causeHow: '', opaque: opaqueOf(e),
    };
    const b = t.lastBdrv;
    if (aioType !== undefined && aioType >= 0) {
      j.kind = aioKind(aioType);
      j.kindHow = `${e.name} type ${aioType}`;
      j.node = e.bs || b?.bs || '';
      j.offset = e.offset;
      j.bytes = e.bytes;
      if (b && b.offset === e.offset) j.flags = b.flags;
    } else if (b) {
      j.kind = b.kind === QemuKind.BdrvRead ? 'read' : b.zeroes ? 'write-zeroes' : 'write';
      j.kindHow = 'bdrv event before it';
      j.node = b.bs;
      j.offset = b.offset;
      j.bytes = b.bytes;
      j.flags = b.flags;
    }
    if (j.kind === 'read' || j.kind === 'write' || j.kind === 'write-zeroes') {
      const front0 = t.chain?.fronts[0];
      const sameDirection = front0 !== undefined && (j.kind === 'read') === (front0.kind === 'read');
      if (b && t.chain && !sameDirection) {
        // e.g. qcow2 metadata written while serving a read or a flush: QEMU's own I/O
        j.causeHow = 'metadata';
      } else if (b && t.chain) {
        j.cause = t.chain.fronts[0]!.id;
        j.causeHow = 'data';
        for (const f of t.chain.fronts) {
          // A write after its emulating flush began is that flush's own work: qcow2's flush writes its
          // L2/refcount caches with a flush of bs->file between them (block/qcow2-cache.c
          // qcow2_cache_flush_dependency) and flushes the file again after them (block/io.c bdrv_co_flush,
          // flush_children). That last flush emulates the FUA as well: wait for it (rule 2).
          f.fuaFlushSeen = false;
          f.dataOpaque = j.opaque;
          f.jobs.push(j.id);
          f.openData++;
          if ((j.flags & BdrvFlag.FUA) !== 0) f.fuaProtocol = true;
          const dev = this.device(f.device, f.iface);
          if (j.node && !dev.protocol.includes(j.node)) dev.protocol.push(j.node);
        }
      }
    } else {
      classifyUntyped(t, j, this.frontById, popped);
    }
    const old = this.openJobs.get(key);
    if (old) {
      this.count('qemu: host job pointer reused before its completion', 1, e);
      this.emitJob(old);
    }
    this.openJobs.set(key, j);
    t.lastBdrv = null;
    t.lastCompletedJob = null;
  }

  private complete(e: QemuEvent, key: string, ret: number): void {
    const j = this.openJobs.get(key);
    if (!j) {
      this.count('qemu: host job completion without submission', 1, e);
      return;
    }
    this.openJobs.delete(key);
    setStamp(j.complete, e);
    j.ret = ret;
    const t = this.thread(e);
    t.lastCompletedJob = j;
    t.lastBdrv = null;
    const f = j.cause >= 0 ? this.frontById.get(j.cause) : undefined;
    if (j.causeHow === 'data' || j.causeHow === 'zeroes-fallback') {
      for (const g of this.frontsOf(j)) {
        if (j.causeHow === 'data') g.openData--;
        if (g.openData <= 0 && g.fuaFormat && !g.fuaProtocol && !g.fuaFlushSeen && g.kind !== 'read' && !t.fuaPending.includes(g)) {
          if (!(j.kind === 'write-zeroes' && j.ret === ENOTSUP)) t.fuaPending.push(g);
        }
      }
    }
    if (f && f.iface === 'blk') {
      setStamp(f.complete, e);
      f.status = Number.isNaN(ret) ? -1 : ret < 0 ? ret : 0;
    }
    if (f) setStamp(f.last, e);
    this.emitJob(j);
  }

  /** Every open front a job serves (a merged blk request serves several virtio requests). */
  private frontsOf(j: HostJob): OpenFront[] {
    const out: OpenFront[] = [];
    const first = j.cause >= 0 ? this.frontById.get(j.cause) : undefined;
    if (!first) return out;
    out.push(first);
    const fronts = this.frontById;
    for (let i = 0; i < fronts.entries; i++) {
      const f = fronts.at(i);
      if (f !== undefined && f !== first && f.jobs.includes(j.id)) out.push(f);
    }
    return out;
  }

  private paioDone(e: QemuEvent): void {
    if (this.openJobs.has(`paio/${e.req}`)) return this.complete(e, `paio/${e.req}`, e.ret);
    // QEMU 0.13 posix_aio_process_queue: only the completion was traced
    const j: HostJob = {
      id: this.nextJob++, source: e.source, mech: 'paio', kind: aioKind(e.type), kindHow: `${e.name} type ${e.type}`,
      node: '', offset: -1, bytes: -1, flags: -1, submit: noStamp(), complete: stamp(e), ret: e.ret, cause: -1,
      causeHow: '', opaque: -1,
    };
    this.emitJob(j);
  }

  private rwComplete(e: QemuEvent): void {
    const f = this.openFronts.get(e.req);
    if (f) f.status = Number.isNaN(e.ret) ? f.status : e.ret;
  }

  private reqComplete(e: QemuEvent): void {
    const f = this.openFronts.get(e.req);
    if (!f) {
      this.count('qemu: virtio completion without pop or handle', 1, e);
      return;
    }
    this.openFronts.delete(e.req);
    // Its coroutine is done (virtio_blk_req_complete runs after the blk request returned): I/O its thread
    // issues later is not its data. A qcow2 flush writes the L2/refcount caches with no blk request of its
    // own (block/qcow2.c qcow2_co_flush_to_os → qcow2_write_caches); without this they were taken as data of
    // the last write handled on that thread, and its guest flush as not passed down.
    for (const t of this.threads.values()) if (t.chain?.fronts.includes(f)) t.chain = null;
    if (e.obj) {
      f.device = e.obj;
      if (f.vq) this.vqToVdev.set(f.vq, e.obj);
    }
    if (!f.handled) this.handOver(e, f);
    setStamp(f.complete, e);
    f.completeHow = e.name;
    f.status = e.status;
    removeFrom(this.thread(e).fuaPending, f);
    if (!f.handled) {
      removeFrom(this.thread(e).flushCandidates, f);
      if (f.kind !== 'flush' && f.kind !== 'other') f.kind = 'other';
      if (f.kind === 'other' && f.jobs.length === 0) {
        // No job: an elided flush (write_gen == flushed_gen), a dropped one (cache=unsafe), or a discard
        // that QEMU answered itself. out_num 1 is a request with no data segment: a flush or GET_ID-less type.
        // A request with a device-writable data segment besides its status byte (in_num ≥ 2) reads from the
        // device: with no read handled, one QEMU answers itself (VIRTIO_BLK_T_GET_ID: the serial, as `cat
        // /sys/block/vdX/serial` asks; hw/block/virtio-blk.c virtio_blk_handle_request, no host job). A flush
        // carries no data (Linux virtblk_add_req: header out, status in): never one.
        if ((f.outNum === 1 || f.outNum < 0) && !readsFromDevice(f)) {
          f.kind = 'flush';
          f.kindHow = f.outNum === 1 ? 'no read/write handled; pop out_num 1 in_num 1; no host job' : 'no read/write handled; no host job';
        } else if (readsFromDevice(f)) {
          f.kindHow = `no read/write handled; pop out_num ${f.outNum} in_num ${f.inNum}: a data segment from the device (GET_ID), not a flush`;
        } else {
          f.kindHow = `no read/write handled; pop out_num ${f.outNum}`;
        }
      }
    } else {
      removeFrom(this.unlinked, f);
    }
    this.emitFront(f);
  }

  /**
   * A flush cannot complete before its host job: when a request popped with no read/write completes while
   * every job taken as its own still runs, those jobs belong to the next request waiting in that thread
   * (two devices flushed at once; this one elided by bdrv_co_flush's write_gen check, block/io.c).
   */
  private handOver(e: QemuEvent, f: OpenFront): void {
    if (f.jobs.length === 0) return;
    const open = this.openJobs.values().filter((j) => f.jobs.includes(j.id));
    if (open.length !== f.jobs.length) return;
    const t = this.thread(e);
    const first = Math.min(...open.map((j) => j.submit.seq));
    const g = t.flushCandidates.find((x) => x !== f && x.jobs.length === 0 && x.issue.seq < first);
    if (!g) return;
    removeFrom(t.flushCandidates, g);
    // classified again for the request they serve (rule 4: out_num 1 a flush, ≥ 2 a discard or write-zeroes)
    const flush = !(g.outNum >= 2);
    for (const j of open) {
      j.cause = g.id;
      if (j.causeHow === 'virtio-flush' || j.causeHow === 'virtio-discard') {
        j.kind = flush ? 'flush' : 'discard';
        j.causeHow = flush ? 'virtio-flush' : 'virtio-discard';
        j.kindHow = `virtio request with no read/write handled, out_num ${g.outNum} (handed over: the request first taken completed before it)`;
      }
    }
    g.jobs.push(...f.jobs);
    g.kind = flush ? 'flush' : 'other';
    g.kindHow = flush ? 'no read/write handled; its host flush job' : `no read/write handled; pop out_num ${g.outNum}`;
    f.jobs = [];
    f.kind = 'other';
    this.count('qemu: host job handed to the next request (the first completed before it)', 1, e);
  }

  /** BlockBackend requests end when their thread has moved on and all their jobs are done. */
  private closeBlkFronts(t: ThreadCtx): void {
    if (t.openBlkFronts.length === 0) return;
    const keep: OpenFront[] = [];
    const jobs = this.openJobs.values();
    for (const f of t.openBlkFronts) {
      const pending = f.jobs.some((id) => jobs.some((j) => j.id === id));
      if (pending) keep.push(f);
      else this.emitFront(f);
    }
    t.openBlkFronts = keep;
  }

  private emitFront(f: OpenFront): void {
    this.frontById.delete(f.id);
    if (f.iface === 'blk' && f.complete.seq < 0) Object.assign(f.complete, f.last);
    const d = this.device(f.device || '?', f.iface);
    const r = d.requests;
    if (f.kind === 'read') r.read++;
    else if (f.kind === 'write') r.write++;
    else if (f.kind === 'write-zeroes') r.writeZeroes++;
    else if (f.kind === 'flush') r.flush++;
    else r.other++;
    this.summary.fronts++;
    // the request itself, read as a FrontRequest (RebuildSink.front keeps nothing: a copy per request was garbage)
    this.out.front(f);
  }

  private emitJob(j: HostJob): void {
    this.summary.jobs++;
    this.summary.jobKinds[j.kind] = (this.summary.jobKinds[j.kind] ?? 0) + 1;
    if (j.causeHow) this.summary.jobCauses[j.causeHow] = (this.summary.jobCauses[j.causeHow] ?? 0) + 1;
    this.out.job(j);
  }
}

/**
 * The `opaque` pointer of a thread-pool event's arguments, -1 when absent: the first `opaque 0x…` (or
 * `opaque=0x…`) whose key starts a word and whose 1 to 13 hex digits end one — /\bopaque[ =](0x[0-9a-fA-F]{1,13})\b/,
 * read without a match object (one per job otherwise).
 */
export function opaqueOf(e: QemuEvent): number {
  const s = e.args;
  for (let i = s.indexOf('opaque'); i >= 0; i = s.indexOf('opaque', i + 1)) {
    if (i > 0 && isWordChar(s.charCodeAt(i - 1))) continue;
    const sep = s.charCodeAt(i + 6);
    if ((sep !== 32 && sep !== 61) || s.charCodeAt(i + 7) !== 48 || s.charCodeAt(i + 8) !== 120) continue;
    let v = 0;
    let k = i + 9;
    for (; k < s.length; k++) {
      const c = s.charCodeAt(k);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    const digits = k - (i + 9);
    if (digits >= 1 && digits <= 13 && (k === s.length || !isWordChar(s.charCodeAt(k)))) return v;
  }
  return -1;
}

/** A character of \w: [A-Za-z0-9_]. */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A stamp not yet set (NO_STAMP's values), an object of its own. */
function noStamp(): Stamp {
  return { time: NO_STAMP.time, seq: NO_STAMP.seq, loc: NO_STAMP.loc };
}

function stamp(e: QemuEvent): Stamp {
  return { time: e.time, seq: e.seq, loc: e.loc };
}

/**
 * A request's stamp set again in place: each stamp belongs to one request field only (made by stamp() or
 * copied from NO_STAMP), and a record handed to the sink is read before the call returns.
 */
function setStamp(s: Stamp, e: QemuEvent): void {
  s.time = e.time;
  s.seq = e.seq;
  s.loc = e.loc;
}

function removeFrom<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i >= 0) removeAt(list, i);
}

/** list.splice(i, 1) without the array of what it removed. */
function removeAt<T>(list: T[], i: number): void {
  for (let k = i + 1; k < list.length; k++) list[k - 1] = list[k]!;
  list.length--;
}
