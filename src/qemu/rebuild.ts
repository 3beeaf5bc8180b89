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
 *   3b. right after a data write of the request the thread serves, on the same coroutine stack: that
 *      request's, of unknown kind (a format driver's bdrv_co_pwrite_sync flush, or the write of a padded
 *      read-modify-write whose read has no event; job-kinds.ts sameCoroutineJob);
 *   4. while a virtio request popped without any read/write handled waits (FIFO,
 *      bdrv_co_flush serialises flushes): its flush (out_num 1) or discard (out_num ≥ 2);
 *   5. otherwise "unknown": a flush, a discard or a fallback write (QEMU 7.2
 *      traces none of bdrv_co_flush, bdrv_co_pdiscard).
 * Request pointers are reused as soon as a request is freed: maps are keyed by
 * pointer for one lifetime only.
 *
 * Other device models say what each command is, so their flushes need no inference:
 *   scsi-hd (hw/scsi/scsi-disk.c): scsi_disk_new_request prints the CDB (opcode, LBA, length, FUA bit) and the
 *     tag; SYNCHRONIZE CACHE (0x35/0x91) is scsi_disk_emulate_command → blk_aio_flush; the data goes through
 *     dma_blk_io → blk_aio_p{read,write}v (one or more blk requests inside the command's range); a write
 *     with FUA is followed by blk_aio_flush once its data completed (scsi_write_do_fua); virtio_scsi_cmd_resp
 *     completes the command to the guest (tag, response, SCSI status);
 *   QEMU's NVMe controller (hw/nvme/ctrl.c): pci_nvme_io_cmd (cid, sqid, opcode) → pci_nvme_write/read (lba,
 *     nlb, bytes) → blk_aio_p{read,write}v, or a Flush (opcode 0) → blk_aio_flush per namespace
 *     (pci_nvme_flush_ns); pci_nvme_enqueue_req_completion (cid, cqid, status) completes it. The trace does
 *     not print a write's FUA bit, and QEMU 7.2 does not act on it (nvme_do_write submits the data with no
 *     BDRV_REQ_FUA): an NVMe write is promised nothing at its completion (VWC is always reported present).
 */
import type { Diagnostics } from '../model/diagnostics.js';
import { BdrvFlag, QemuKind, type QemuEvent, type QemuSink } from './event.js';
import type { FrontIface, FrontKind, HostJob, QemuDeviceInfo, RebuildSink, Stamp } from './records.js';
import { isDataWrite, isDeviceModel, NO_STAMP } from './records.js';
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
  /**
   * Device models whose commands were traced but not one completion ('scsi': no virtio_scsi_cmd_resp — virtio_scsi_*
   * not traced, or another HBA; 'nvme': no pci_nvme_enqueue_req_completion): what they acknowledged cannot be told.
   */
  modelsWithoutCompletions: string[];
}

/**
 * A virtio request whose pop shows a device-writable segment besides the status byte (in_num ≥ 2): data the
 * device writes for the driver (a read, GET_ID). -1 (no pop seen) is not known to.
 */
function readsFromDevice(f: OpenFront): boolean {
  return f.inNum >= 2;
}

/** Requests a thread keeps waiting for their root-node event (throttled); the oldest are dropped past it. */
const MAX_WAITING = 256;

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
    untracedDataNodes: [], modelsWithoutCompletions: [],
  };
  /** Commands and completions seen per device model (scsi, nvme). */
  private readonly modelSeen = { scsi: { commands: 0, completions: 0 }, nvme: { commands: 0, completions: 0 } };
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
      case QemuKind.BlkRead: case QemuKind.BlkWrite: return this.blkRequest(e, popped);
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
      case QemuKind.ScsiVirtioReq: return this.notVirtioBlk(e);
      case QemuKind.ScsiReqParsed: this.scsiParsed.set(e.tid, e.args); return;
      case QemuKind.ScsiRequest: this.notVirtioBlk(e); return this.scsiCommand(e);
      case QemuKind.ScsiComplete: this.leafDone(e); return this.modelComplete(e, `scsi/${e.req}`);
      case QemuKind.NvmeIoCmd: return this.nvmeCommand(e);
      case QemuKind.NvmeWrite: case QemuKind.NvmeRead: return this.nvmeData(e);
      case QemuKind.NvmeFlush: return this.nvmeFlushNs(e, popped);
      case QemuKind.NvmeCompletion: this.leafDone(e); return this.modelComplete(e, `nvme/${e.obj}/${e.req}`);
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
    this.summary.modelsWithoutCompletions = (['scsi', 'nvme'] as const).filter((m) => this.modelSeen[m].commands > 0 && this.modelSeen[m].completions === 0);
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

  private device(id: string, iface: FrontIface): QemuDeviceInfo {
    let d = this.devices.get(id);
    if (!d) {
      d = { device: id, iface, blk: [], root: '', protocol: [], requests: { read: 0, write: 0, writeZeroes: 0, flush: 0, other: 0 } };
      this.devices.set(id, d);
    }
    return d;
  }

  private newFront(e: QemuEvent, iface: FrontIface, device: string, req: string): OpenFront {
    const f: OpenFront = {
      id: this.nextFront++, source: e.source, iface, device, req, kind: 'other', kindHow: '', sector: -1, nsectors: -1,
      fuaAsked: false, fuaFormat: false, fuaProtocol: false, issue: stamp(e), complete: noStamp(),
      completeHow: '', status: -1, jobs: [], vq: '', inNum: -1, outNum: -1, handled: false, linked: false,
      fuaFlushSeen: false, fuaDevice: false, fuaRootJob: false, protocolData: false, openData: 0, dataOpaque: -1,
      cdbBlocks: null, last: stamp(e), thread: e.tid,
    };
    this.frontById.set(f.id, f);
    return f;
  }

  private pop(e: QemuEvent): void {
    // The thread popped a new request: a coroutine that issued a protocol-node read/write and no job since
    // yielded without the thread pool (aio=native: laio has no trace event in 7.2; with aio=threads the job
    // follows its bdrv event with no yield, block/file-posix.c raw_co_prw). A job after this pop is not that data.
    this.leafDone(e);
    // a virtio-scsi queue's element: its command is read from the SCSI events (scsiCommand)
    if (this.scsiVqs.has(e.obj)) return;
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
    this.lastPop.set(e.tid, f);
  }

  /** Virtqueues of virtio-scsi (their pops are no virtio-blk requests), and each thread's last pop. */
  private readonly scsiVqs = new Set<string>();
  private readonly lastPop = new Map<number, OpenFront>();
  private sawVirtioScsi = false;

  /**
   * The element this thread popped last is a virtio-scsi request (virtio_scsi_cmd_req follows its pop,
   * hw/scsi/virtio-scsi.c virtio_scsi_handle_cmd_req_prepare; scsi_disk_new_request when virtio_scsi_* is not
   * traced): not a virtio-blk request with no read/write, so never a flush candidate; its queue's later pops
   * are skipped.
   */
  private notVirtioBlk(e: QemuEvent): void {
    const f = this.lastPop.get(e.tid);
    this.lastPop.delete(e.tid);
    if (e.kind === QemuKind.ScsiVirtioReq) this.sawVirtioScsi = true;
    // scsi_disk_new_request alone says so only when virtio_scsi_* is not traced, and of a queue that never
    // carried a virtio-blk read/write (another HBA's command may follow a virtio-blk flush's pop)
    else if (f !== undefined && (this.sawVirtioScsi || this.vqToVdev.has(f.vq))) return;
    if (f === undefined || f.handled || f.jobs.length > 0 || f.iface !== 'virtio' || this.frontById.get(f.id) !== f) return;
    if (this.openFronts.get(f.req) === f) this.openFronts.delete(f.req);
    this.frontById.delete(f.id);
    for (const t of this.threads.values()) removeFrom(t.flushCandidates, f);
    if (f.vq) this.scsiVqs.add(f.vq);
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

  private blkRequest(e: QemuEvent, popped: OpenFront | null = null): void {
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
      if (isDataWrite(f.kind) !== write || (known !== undefined && f.device !== known)) continue;
      const fs = f.sector * 512;
      if (f.iface === 'scsi' || f.iface === 'nvme') {
        // a SCSI/NVMe command's data goes out as one blk request per mapped chunk (dma_blk_io), each inside
        // the command's range; the command stays open for the next one until its completion
        if (end > start && start >= fs && end <= fs + f.nsectors * 512) {
          if (f.cdbBlocks) this.scsiBlockSize(f.device, 512);
          fronts.push(f);
          break;
        }
        if (f.cdbBlocks && end > start && this.scsiBlockShown(f, start, end)) {
          fronts.push(f);
          break;
        }
        continue;
      }
      if (fs >= start && fs + f.nsectors * 512 <= end) {
        fronts.push(f);
        removeAt(this.unlinked, i--);
      }
    }
    if (fronts.length === 0 && write && (e.flags & BdrvFlag.ZERO_WRITE) !== 0 && popped !== null && popped.iface === 'virtio'
      && !popped.handled && popped.jobs.length === 0 && popped.outNum >= 2 && (known === undefined || popped.device === '' || popped.device === known)) {
      // A zero write issued right after a pop with no read/write handled is that request's: VIRTIO_BLK_T_WRITE_ZEROES
      // (hw/block/virtio-blk.c virtio_blk_handle_request → virtio_blk_handle_discard_write_zeroes →
      // blk_aio_pwrite_zeroes, whose coroutine runs at once; QEMU 7.2 traces no virtio event for it). Taken as a
      // BlockBackend request of its own, it had no completion event: the guest's ext4lazyinit zeroings were
      // acknowledged "at their last job", and with the drive throttled 42 promises over them stayed undecided
      // (fixtures/stacks/vm-throttle-none-threads).
      popped.handled = true;
      popped.kind = 'write-zeroes';
      popped.kindHow = 'a zero write issued right after its pop (VIRTIO_BLK_T_WRITE_ZEROES)';
      popped.sector = e.offset / 512;
      popped.nsectors = Math.max(0, e.bytes) / 512;
      for (const x of this.threads.values()) removeFrom(x.flushCandidates, popped);
      fronts.push(popped);
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
      if (isDeviceModel(f.iface)) this.blkToDevice.set(e.obj, f.device);
    }
    const dev = this.device(fronts[0]!.device, fronts[0]!.iface);
    if (!dev.blk.includes(e.obj)) dev.blk.push(e.obj);
    if (dev.root === '') dev.root = e.bs;
    // a request still before its root-node event yielded (throttled): it resumes later on this thread
    if (t.chain && !t.chain.sawRoot) {
      t.waiting.push(t.chain);
      if (t.waiting.length > MAX_WAITING) t.waiting.shift();
    }
    t.chain = { fronts, rootBs: e.bs, sawRoot: false, offset: e.offset, bytes: e.bytes };
  }

  private bdrv(e: QemuEvent): void {
    const t = this.thread(e);
    let c = t.chain;
    if (t.waiting.length > 0 && !(c && !c.sawRoot && c.rootBs === e.bs && c.offset === e.offset)) {
      // the root-node event of a request that yielded before it (throttled), resumed now: its data and jobs are
      // its own, not those of the request the thread handled last (fixtures/stacks/vm-throttle-none-threads)
      const i = t.waiting.findIndex((w) => w.rootBs === e.bs && w.offset === e.offset && w.bytes === e.bytes);
      if (i >= 0) {
        const w = t.waiting.splice(i, 1)[0]!;
        if (c && !c.sawRoot) t.waiting.push(c);
        c = t.chain = w;
      }
    }
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
      flags: -1, submit: stamp(e), complete: noStamp(), ret: NaN, cause: -1, causeHow: '',
      // where on its coroutine's stack the job's control block lies: a thread-pool job's RawPosixAIOData
      // (`opaque`), an io_uring job's LuringAIOCB (`luringcb`, a local of luring_co_submit: block/io_uring.c)
      opaque: mech === 'io_uring' ? pointerValue(e.req) : opaqueOf(e),
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
          // A job typed by the root node's own event, on a drive whose data goes on to a protocol node below it, is
          // the format driver's untraced work before the data (block/vhdx.c vhdx_allocate_block's bdrv_truncate), not
          // the write reaching the protocol node with its FUA: only the protocol node's jobs say whether FUA went down.
          const onRoot = j.node === t.chain.rootBs;
          if ((j.flags & BdrvFlag.FUA) !== 0) {
            if (onRoot) f.fuaRootJob = true;
            else f.fuaProtocol = true;
          }
          if (!onRoot) f.protocolData = true;
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
        // FUA emulated by a flush after the data: the block layer's (FUA at the format node only) or the
        // device model's (scsi_write_do_fua)
        const fuaBelow = g.fuaProtocol || (g.fuaRootJob && !g.protocolData);
        const emulated = (g.fuaFormat && !fuaBelow) || g.fuaDevice;
        if (g.openData <= 0 && emulated && !g.fuaFlushSeen && g.kind !== 'read' && !t.fuaPending.includes(g)) {
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
    for (const t of this.threads.values()) {
      if (t.chain?.fronts.includes(f)) t.chain = null;
      if (t.waiting.length > 0) t.waiting = t.waiting.filter((w) => !w.fronts.includes(f));
    }
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

  /**
   * scsi_disk_new_request: a media command becomes a request (READ/WRITE/WRITE AND VERIFY, SYNCHRONIZE CACHE,
   * UNMAP/WRITE SAME); others (INQUIRY, TEST UNIT READY, MODE SENSE …) carry no data to make durable.
   * Its device is `scsi:t<T>:lun<N>` (`scsi:lun<N>` when scsi_req_parsed, which has the target, is not traced): QEMU
   * 7.2 prints neither the HBA nor the drive, so two HBAs with a disk at the same target and LUN are one name
   * (sharedModelName in qemu-ops.ts).
   */
  private scsiCommand(e: QemuEvent): void {
    this.leafDone(e);
    const cdb = cdbBytes(e.text);
    const c = cdb.length > 0 ? scsiCommandOf(cdb) : undefined;
    if (c === undefined) return;
    const key = `scsi/${e.req}`;
    const old = this.openFronts.get(key);
    if (old) {
      this.count('qemu: SCSI tag reused before its completion', 1, e);
      this.emitFront(old);
    }
    const lun = /\blun=(\d+)/.exec(e.args)?.[1] ?? '?';
    this.modelSeen.scsi.commands++;
    const f = this.newFront(e, 'scsi', `scsi:${this.scsiTarget(e, lun)}lun${lun}`, e.req);
    f.kind = c.kind;
    f.kindHow = `SCSI ${c.name} (CDB 0x${cdb[0]!.toString(16).padStart(2, '0')})`;
    this.openFronts.set(key, f);
    this.device(f.device, 'scsi');
    const bs = this.scsiBlocks.get(f.device);
    if (bs === undefined && c.lba >= 0 && c.blocks > 0) f.cdbBlocks = { lba: c.lba, blocks: c.blocks };
    this.modelFront(e, f, (c.lba * (bs ?? 512)) / 512, c.blocks * (bs ?? 512), c.fua);
  }

  /**
   * Logical block size of each SCSI disk (bytes), once its data requests have shown it. scsi_disk_new_request
   * prints the CDB, whose LBA and length count the disk's logical blocks (scsi-hd logical_block_size: 512 by
   * default, 4096 for a 4Kn disk; hw/scsi/scsi-disk.c scsi_disk_dma_command → scsi_do_read/write at
   * sector_num = lba * (blocksize / 512)); QEMU 7.2 traces no READ CAPACITY answer, so the first data
   * request of a command says it: its byte range inside the command's blocks at one size only.
   */
  private readonly scsiBlocks = new Map<string, number>();

  private scsiBlockSize(device: string, bs: number): void {
    if (this.scsiBlocks.has(device)) return;
    this.scsiBlocks.set(device, bs);
    // the commands still open were placed at 512 B blocks: their CDB's blocks are this size
    for (const f of this.unlinked) {
      if (f.device !== device || !f.cdbBlocks) continue;
      f.sector = (f.cdbBlocks.lba * bs) / 512;
      f.nsectors = (f.cdbBlocks.blocks * bs) / 512;
      f.cdbBlocks = null;
    }
  }

  /** A data request [start, end) (bytes) inside command f's blocks at exactly one block size but 512: that size. */
  private scsiBlockShown(f: OpenFront, start: number, end: number): boolean {
    const { lba, blocks } = f.cdbBlocks!;
    const fits = SCSI_BLOCK_SIZES.filter((bs) => start >= lba * bs && end <= (lba + blocks) * bs);
    if (fits.length !== 1) return false;
    this.scsiBlockSize(f.device, fits[0]!);
    return true;
  }

  /** Each thread's last scsi_req_parsed (its arguments), read by the scsi_disk_new_request that follows. */
  private readonly scsiParsed = new Map<number, string>();

  /**
   * `t<N>:` for the target of this command: scsi_req_parsed (hw/scsi/scsi-bus.c scsi_req_new) comes just before
   * scsi_disk_new_request on the same thread, with the same LUN and the tag in decimal; "" when it was not traced.
   */
  private scsiTarget(e: QemuEvent, lun: string): string {
    const a = this.scsiParsed.get(e.tid);
    this.scsiParsed.delete(e.tid);
    const m = a === undefined ? null : /\btarget (\d+) lun (\d+) tag (-?\d+)/.exec(a);
    if (!m || m[2] !== lun || !e.req.startsWith('0x')) return '';
    return (Number(m[3]) >>> 0) === Number.parseInt(e.req.slice(2), 16) >>> 0 ? `t${m[1]}:` : '';
  }

  /** A device-model command, kind known: data commands wait for their blk requests, the others for a host job. */
  private modelFront(e: QemuEvent, f: OpenFront, sector: number, bytes: number, fua: boolean): void {
    if (f.kind === 'read' || isDataWrite(f.kind)) {
      f.sector = sector;
      f.nsectors = bytes / 512;
      f.handled = true;
      if (fua && f.kind !== 'read') {
        f.fuaAsked = true;
        f.fuaDevice = f.iface === 'scsi';
      }
      this.unlinked.push(f);
      if (this.unlinked.length > 4096) this.unlinked.shift();
      return;
    }
    // a flush (or a discard) runs from the command to its host job without yielding (blk_aio_flush enters its
    // coroutine at once): rule 0 takes the job right after it, rule 4 one that waited (flushes are serialised)
    this.thread(e).flushCandidates.push(f);
    this.popped = f;
    this.poppedTid = e.tid;
  }

  /** The last NVMe I/O command of each thread: its pci_nvme_write/read follows in the same call. */
  private readonly nvmeLast = new Map<number, OpenFront>();

  /** pci_nvme_io_cmd (I/O queues only; admin commands are pci_nvme_admin_cmd). */
  private nvmeCommand(e: QemuEvent): void {
    this.leafDone(e);
    this.nvmeLast.delete(e.tid);
    const c = nvmeCommandOf(e.type);
    if (c === undefined) return;
    const key = `nvme/${e.obj}/${e.req}`;
    const old = this.openFronts.get(key);
    if (old) {
      this.count('qemu: NVMe command id reused before its completion', 1, e);
      this.emitFront(old);
    }
    const ns = /\bnsid (0x[0-9a-fA-F]+|\d+)/.exec(e.args)?.[1];
    this.modelSeen.nvme.commands++;
    const f = this.newFront(e, 'nvme', `nvme:ns${ns === undefined ? '?' : Number(ns)}`, e.req);
    f.kind = c.kind;
    f.kindHow = `NVMe ${c.name} (opcode 0x${e.type.toString(16)})`;
    this.openFronts.set(key, f);
    this.device(f.device, 'nvme');
    if (f.kind === 'read' || isDataWrite(f.kind)) this.nvmeLast.set(e.tid, f);
    else this.modelFront(e, f, -1, 0, false);
  }

  /** pci_nvme_write/read: the command's LBA range, in bytes (count / nlb is the namespace's LBA size). */
  private nvmeData(e: QemuEvent): void {
    const f = this.nvmeLast.get(e.tid);
    this.nvmeLast.delete(e.tid);
    if (f === undefined || f.req !== e.req || e.sector < 0 || e.nsectors <= 0 || e.bytes <= 0) return;
    const lbaBytes = e.bytes / e.nsectors;
    this.modelFront(e, f, (e.sector * lbaBytes) / 512, e.bytes, false);
  }

  /** pci_nvme_flush_ns: the flush command's blk_aio_flush for one namespace follows at once. */
  private nvmeFlushNs(e: QemuEvent, popped: OpenFront | null): void {
    if (popped !== null && popped.iface === 'nvme' && popped.kind === 'flush') {
      this.popped = popped;
      this.poppedTid = e.tid;
    }
  }

  /** virtio_scsi_cmd_resp / pci_nvme_enqueue_req_completion: the command completed to the guest. */
  private modelComplete(e: QemuEvent, key: string): void {
    this.modelSeen[e.kind === QemuKind.ScsiComplete ? 'scsi' : 'nvme'].completions++;
    const f = this.openFronts.get(key);
    if (!f) return; // not a media command (INQUIRY, MODE SENSE …), or an admin queue's
    this.openFronts.delete(key);
    for (const t of this.threads.values()) {
      if (t.chain?.fronts.includes(f)) t.chain = null;
      removeFrom(t.fuaPending, f);
      removeFrom(t.flushCandidates, f);
    }
    removeFrom(this.unlinked, f);
    setStamp(f.complete, e);
    f.completeHow = e.name;
    f.status = e.status;
    if (f.iface === 'scsi') {
      // a virtio-scsi response other than VIRTIO_SCSI_S_OK (0) failed the command whatever its status
      const r = /\bresponse=(\d+)/.exec(e.args);
      if (r && r[1] !== '0') f.status = 0x100 + Number(r[1]);
    }
    if (f.kind === 'flush' && f.jobs.length === 0) f.kindHow += '; no host job';
    this.emitFront(f);
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
 * `opaque=0x…`) whose key starts a word and whose hex digits end one, at most 13 of them after leading zeros
 * (exact in a double; SystemTap's qemu-trace-stap prints %p zero-padded to 16 digits) —
 * /\bopaque[ =]0x0*([0-9a-fA-F]{1,13})\b/ but for a bare `0x0`, read without a match object (one per job otherwise).
 */
export function opaqueOf(e: QemuEvent): number {
  const s = e.args;
  for (let i = s.indexOf('opaque'); i >= 0; i = s.indexOf('opaque', i + 1)) {
    if (i > 0 && isWordChar(s.charCodeAt(i - 1))) continue;
    const sep = s.charCodeAt(i + 6);
    if ((sep !== 32 && sep !== 61) || s.charCodeAt(i + 7) !== 48 || s.charCodeAt(i + 8) !== 120) continue;
    let k = i + 9;
    while (k < s.length && hexDigit(s.charCodeAt(k)) >= 0) k++;
    if (k === s.length || !isWordChar(s.charCodeAt(k))) {
      const v = hexValue(s, i + 9, k);
      if (v >= 0) return v;
    }
  }
  return -1;
}

/** A pointer's text (`0x…`, zero-padded or not) as a number, -1 unless it has 1 to 13 significant hex digits. */
export function pointerValue(p: string): number {
  if (p.length < 3 || p.charCodeAt(0) !== 48 || (p.charCodeAt(1) !== 120 && p.charCodeAt(1) !== 88)) return -1;
  return hexValue(p, 2, p.length);
}

/**
 * The hex digits s[from, to) as a number: -1 when there is none, one is not a hex digit, or more than 13 remain
 * after leading zeros (past a double's exact integers; a zero-padded %p has 16).
 */
function hexValue(s: string, from: number, to: number): number {
  if (to <= from) return -1;
  let k = from;
  while (k + 1 < to && s.charCodeAt(k) === 48) k++;
  if (to - k > 13) return -1;
  let v = 0;
  for (; k < to; k++) {
    const d = hexDigit(s.charCodeAt(k));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** A hex digit's value, -1 for another character. */
function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
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

/** The bytes of a CDB printed as " 0x35 0x00 …" (scsi_disk_new_request); empty when it is not that. */
export function cdbBytes(text: string): number[] {
  const out: number[] = [];
  for (const t of text.split(' ')) {
    if (t === '') continue;
    if (!/^0x[0-9a-fA-F]{1,2}$/.test(t)) return out.length > 0 ? out : [];
    out.push(Number.parseInt(t.slice(2), 16));
  }
  return out;
}

/** Big-endian unsigned integer of cdb[from, from + n). */
function be(cdb: number[], from: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (cdb[from + i] ?? 0);
  return v;
}

export interface ScsiCommand {
  kind: FrontKind;
  name: string;
  /** Logical block address and length in blocks (512 B: scsi-hd's default logical_block_size), -1/0 if none. */
  lba: number;
  blocks: number;
  /** The write asks FUA (scsi-disk.c scsi_is_cmd_fua: the FUA bit of WRITE(10/12/16); WRITE AND VERIFY always). */
  fua: boolean;
}

/** Logical block sizes a SCSI disk may have besides 512 B (scsi-hd logical_block_size; CD-ROMs 2048). */
const SCSI_BLOCK_SIZES = [1024, 2048, 4096];

/** The media commands of SBC (opcode → kind, LBA and length from the CDB); undefined for the others. */
export function scsiCommandOf(cdb: number[]): ScsiCommand | undefined {
  const op = cdb[0]!;
  const fuaBit = ((cdb[1] ?? 0) & 0x08) !== 0;
  switch (op) {
    case 0x08: case 0x0a: {
      const n = cdb[4] ?? 0;
      return { kind: op === 0x08 ? 'read' : 'write', name: op === 0x08 ? 'READ(6)' : 'WRITE(6)', lba: be(cdb, 1, 3) & 0x1fffff, blocks: n === 0 ? 256 : n, fua: false };
    }
    case 0x28: return { kind: 'read', name: 'READ(10)', lba: be(cdb, 2, 4), blocks: be(cdb, 7, 2), fua: false };
    case 0xa8: return { kind: 'read', name: 'READ(12)', lba: be(cdb, 2, 4), blocks: be(cdb, 6, 4), fua: false };
    case 0x88: return { kind: 'read', name: 'READ(16)', lba: be(cdb, 2, 8), blocks: be(cdb, 10, 4), fua: false };
    case 0x2a: return { kind: 'write', name: 'WRITE(10)', lba: be(cdb, 2, 4), blocks: be(cdb, 7, 2), fua: fuaBit };
    case 0xaa: return { kind: 'write', name: 'WRITE(12)', lba: be(cdb, 2, 4), blocks: be(cdb, 6, 4), fua: fuaBit };
    case 0x8a: return { kind: 'write', name: 'WRITE(16)', lba: be(cdb, 2, 8), blocks: be(cdb, 10, 4), fua: fuaBit };
    case 0x2e: return { kind: 'write', name: 'WRITE AND VERIFY(10)', lba: be(cdb, 2, 4), blocks: be(cdb, 7, 2), fua: true };
    case 0xae: return { kind: 'write', name: 'WRITE AND VERIFY(12)', lba: be(cdb, 2, 4), blocks: be(cdb, 6, 4), fua: true };
    case 0x8e: return { kind: 'write', name: 'WRITE AND VERIFY(16)', lba: be(cdb, 2, 8), blocks: be(cdb, 10, 4), fua: true };
    case 0x35: return { kind: 'flush', name: 'SYNCHRONIZE CACHE(10)', lba: -1, blocks: 0, fua: false };
    case 0x91: return { kind: 'flush', name: 'SYNCHRONIZE CACHE(16)', lba: -1, blocks: 0, fua: false };
    // discard / zeroing: no promise of their own; a host job after them is theirs, not a flush's
    case 0x42: return { kind: 'other', name: 'UNMAP', lba: -1, blocks: 0, fua: false };
    case 0x41: return { kind: 'other', name: 'WRITE SAME(10)', lba: -1, blocks: 0, fua: false };
    case 0x93: return { kind: 'other', name: 'WRITE SAME(16)', lba: -1, blocks: 0, fua: false };
    default: return undefined;
  }
}

/** NVMe I/O opcodes (NVM command set) with data or a durability meaning; undefined for the others. */
export function nvmeCommandOf(opc: number): { kind: FrontKind; name: string } | undefined {
  switch (opc) {
    case 0x00: return { kind: 'flush', name: 'Flush' };
    case 0x01: return { kind: 'write', name: 'Write' };
    case 0x02: return { kind: 'read', name: 'Read' };
    case 0x08: return { kind: 'write-zeroes', name: 'Write Zeroes' };
    case 0x09: return { kind: 'other', name: 'Dataset Management' };
    default: return undefined;
  }
}
