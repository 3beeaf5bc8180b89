/**
 * Host jobs with no read/write event before them, and the per-thread state
 * that tells what they are (the rules are listed in rebuild.ts, most specific
 * first; each cites the QEMU code that makes it true). QEMU 7.2 traces
 * neither bdrv_co_flush nor bdrv_co_pdiscard, so this is inference, and a job
 * it cannot place stays "unknown" — never silently a flush.
 */
import { QemuAio } from './event.js';
import type { FrontRequest, HostJob, JobKind, Stamp } from './records.js';

export const ENOTSUP = -95;

export interface OpenFront extends FrontRequest {
  vq: string;
  inNum: number;
  outNum: number;
  handled: boolean;
  linked: boolean;
  fuaFlushSeen: boolean;
  /**
   * A SCSI write whose CDB asks FUA: scsi-hd emulates it with a flush after the data (hw/scsi/scsi-disk.c
   * scsi_write_do_fua, need_fua_emulation = scsi_is_cmd_fua), issued when the data completes.
   */
  fuaDevice: boolean;
  /** A data job typed by the root node's own event carried FUA (a drive whose root is its protocol node). */
  fuaRootJob: boolean;
  /** A data job on a node below the root was seen: the root is a format node, its own event types no data job. */
  protocolData: boolean;
  /** Data jobs submitted and not yet complete. */
  openData: number;
  /** `opaque` of its last data job's submission (a RawPosixAIOData on the coroutine's stack), or -1. */
  dataOpaque: number;
  /**
   * A SCSI media command of a disk whose logical block size is not known yet: its CDB's LBA and length in
   * blocks (sector and nsectors assume 512 B blocks until the first data request shows the size), or null.
   */
  cdbBlocks: { lba: number; blocks: number } | null;
  last: Stamp;
  thread: number;
}

export interface Chain {
  fronts: OpenFront[];
  rootBs: string;
  sawRoot: boolean;
  /** The BlockBackend request's byte range: its root-node event carries the same (blk_co_do_pwritev_part). */
  offset: number;
  bytes: number;
}

export interface LastBdrv {
  kind: number;
  bs: string;
  offset: number;
  bytes: number;
  flags: number;
  zeroes: boolean;
}

export interface ThreadCtx {
  lastBdrv: LastBdrv | null;
  /** The one object lastBdrv points to when set (filled again for each bdrv event: no object per event). */
  bdrvRecord: LastBdrv;
  chain: Chain | null;
  flushCandidates: OpenFront[];
  lastCompletedJob: HostJob | null;
  qcow2Flush: boolean;
  openBlkFronts: OpenFront[];
  /** Writes with FUA at the format node only, data done, emulating flush not yet seen (oldest first). */
  fuaPending: OpenFront[];
  /** Protocol node of a data read/write event not yet followed by a host job. */
  leafData: string | null;
  /**
   * Requests whose coroutine yielded between its blk_co_* event and its root-node event (I/O throttling:
   * block/throttle-groups.c throttle_group_co_io_limits_intercept, called by blk_co_do_preadv/pwritev_part before
   * bdrv_co_preadv/pwritev_part): resumed later on the thread, they are found again by node and byte range.
   */
  waiting: Chain[];
}


export function newThreadCtx(): ThreadCtx {
  return { lastBdrv: null, bdrvRecord: { kind: 0, bs: '', offset: -1, bytes: -1, flags: -1, zeroes: false }, chain: null, flushCandidates: [], lastCompletedJob: null, qcow2Flush: false, openBlkFronts: [], fuaPending: [], leafData: null, waiting: [] };
}

export function classifyUntyped(
  t: ThreadCtx, j: HostJob, frontById: { get(id: number): OpenFront | undefined }, popped: OpenFront | null = null,
): void {
  // Rule 0: the thread's previous event popped a request with no read/write, and this job follows it with
  // nothing between: the request's coroutine ran from the pop to the submission without yielding
  // (hw/block/virtio-blk.c virtio_blk_handle_request → blk_aio_flush → block/io.c bdrv_co_flush →
  // block/file-posix.c raw_co_flush_to_disk → thread pool), so the job is that request's, whatever older
  // request of another drive still waits (an elided flush completes later from a bottom half; flushes are
  // serialised per BlockDriverState only, not across drives).
  const pi = popped !== null && popped.jobs.length === 0 ? t.flushCandidates.indexOf(popped) : -1;
  if (pi >= 0) {
    t.flushCandidates.splice(pi, 1);
    candidateJob(j, popped!);
    return;
  }
  const last = t.lastCompletedJob;
  const lastFront = last && last.cause >= 0 ? frontById.get(last.cause) : undefined;
  if (j.kind === 'unknown' && last && last.kind === 'write-zeroes' && last.ret === ENOTSUP) {
    j.kind = 'write';
    j.kindHow = 'after a write-zeroes job failed with -ENOTSUP (bounce-buffer fallback)';
    attach(j, lastFront, 'zeroes-fallback', last.node, last.offset, last.bytes);
    return;
  }
  if (paddedWriteJob(t, j, last, lastFront)) return;
  const fuaFront = takeFuaPending(t, j.opaque);
  if (fuaFront && (j.kind === 'unknown' || j.kind === 'flush')) {
    fuaFront.fuaFlushSeen = true;
    markFlush(j, 'after the data of a write with FUA at the format node only (FUA emulation)');
    attach(j, fuaFront, 'fua-emulation', j.node);
    return;
  }
  if (t.qcow2Flush && (j.kind === 'unknown' || j.kind === 'flush')) {
    markFlush(j, 'after qcow2_cache_flush (flush of bs->file)');
    attach(j, t.chain?.fronts[0], 'qcow2-metadata', '');
    return;
  }
  if (sameCoroutineJob(t, j, last, lastFront)) return;
  const cand = t.flushCandidates.shift();
  if (cand) {
    candidateJob(j, cand);
    return;
  }
  if (j.kind === 'unknown') j.kindHow = 'no read/write event before it: a flush, a discard or a fallback write';
}

/**
 * Rule 3b: the job right after a data write of the request this thread serves, nothing between, on the same
 * coroutine stack (`opaque` within a page of that write's): that request's own work on bs->file, of a kind the
 * trace does not give — so it stays unknown, but it is the request's (on its device, on the write's node), not
 * nobody's. It is either the format driver flushing bs->file after a write of its own (block/io.c
 * bdrv_co_pwrite_sync, a write then bdrv_co_flush: block/vmdk.c vmdk_write_cid on the first write after open,
 * block/vhdx.c vhdx_update_header; block/vhdx-log.c vhdx_log_write_and_flush flushes the payload before
 * logging the BAT entry), or the write itself after an untraced read-modify-write: a write not aligned to the
 * protocol node's request_alignment (4 KiB for O_DIRECT on btrfs) is padded by block/io.c
 * bdrv_padding_rmw_read, whose reads go to the driver with no bdrv_co_preadv_part event, so the job typed by
 * the write's event is that read and the write comes next. The two look alike in the trace: an unknown job
 * may have been the flush, and the promises it could have kept are undecided, not broken. A write with FUA
 * is rule 2's (its emulating flush).
 */
function sameCoroutineJob(t: ThreadCtx, j: HostJob, last: HostJob | null, lastFront: OpenFront | undefined): boolean {
  if (!sameCoroutine(t, j, last, lastFront)) return false;
  if (lastFront!.fuaAsked || lastFront!.fuaFormat || lastFront!.fuaProtocol) return false;
  markSameCoroutine(j, last!, lastFront!);
  return true;
}

/**
 * Rule 1b (before rule 2): right after a data write of the same coroutine that is not 512-byte aligned, a job may be
 * the write of the read-modify-write block/io.c pads it into (bdrv_padding_rmw_read: O_DIRECT's request_alignment is
 * at least 512) — not the flush emulating a FUA (vhdx's 80-byte header updates under cache=directsync): unknown, the
 * request's. Rule 2 takes the job after it. A 512-aligned write padded to a 4 KiB alignment (O_DIRECT on btrfs) is
 * not told apart: its write would be taken for the emulating flush.
 */
function paddedWriteJob(t: ThreadCtx, j: HostJob, last: HostJob | null, lastFront: OpenFront | undefined): boolean {
  if (!sameCoroutine(t, j, last, lastFront) || last!.kind !== 'write') return false;
  if (last!.offset < 0 || last!.bytes < 0 || (last!.offset % 512 === 0 && last!.bytes % 512 === 0)) return false;
  markSameCoroutine(j, last!, lastFront!);
  return true;
}

/** The job right after a data write of the request this thread serves (or after such a job), same coroutine stack. */
function sameCoroutine(t: ThreadCtx, j: HostJob, last: HostJob | null, lastFront: OpenFront | undefined): boolean {
  if (j.kind !== 'unknown' || !last || !lastFront) return false;
  // after the request's data write, or after such a job of its own (vmdk_L2update: two padded 4-byte writes, then
  // bdrv_co_flush of the extent file)
  if (!(last.kind === 'write' && last.causeHow === 'data') && last.causeHow !== 'same-coroutine') return false;
  if (lastFront.kind !== 'write' || !t.chain?.fronts.includes(lastFront)) return false;
  return j.opaque >= 0 && last.opaque >= 0 && Math.abs(j.opaque - last.opaque) < SAME_STACK;
}

function markSameCoroutine(j: HostJob, last: HostJob, front: OpenFront): void {
  j.kindHow = 'right after a data write of the same coroutine: a flush of bs->file (bdrv_co_pwrite_sync) or the write of a padded read-modify-write';
  attach(j, front, 'same-coroutine', last.node);
}

/** A job taken as the work of a request popped with no read/write handled (rule 4, or rule 0 above). */
function candidateJob(j: HostJob, cand: OpenFront): void {
  if (cand.iface === 'scsi' || cand.iface === 'nvme') {
    // the command itself says what it is: a flush (SYNCHRONIZE CACHE, NVMe Flush) has the host flush job
    // (scsi-disk.c scsi_disk_emulate_command → blk_aio_flush; nvme/ctrl.c nvme_flush → blk_aio_flush), an
    // UNMAP / WRITE SAME / Dataset Management a discard or zeroing job
    if (cand.kind === 'flush') {
      markFlush(j, `host job of a ${cand.kindHow}`);
      attach(j, cand, `${cand.iface}-flush`, '');
    } else {
      if (j.kind === 'unknown') {
        j.kind = 'discard';
        j.kindHow = `host job of a ${cand.kindHow}`;
      }
      attach(j, cand, `${cand.iface}-discard`, '');
    }
    return;
  }
  if (cand.outNum >= 2 && j.kind === 'unknown') {
    j.kind = 'discard';
    j.kindHow = `virtio request with no read/write handled, out_num ${cand.outNum} (discard or write-zeroes)`;
    cand.kind = 'other';
    attach(j, cand, 'virtio-discard', '');
  } else {
    markFlush(j, `virtio request with no read/write handled${cand.outNum === 1 ? ', out_num 1 in_num 1' : ''}`);
    cand.kind = 'flush';
    cand.kindHow = j.kindHow;
    attach(j, cand, 'virtio-flush', '');
  }
}

/**
 * The write whose FUA this job emulates. Several may wait in one thread (two mirror legs written at once);
 * the flush runs in the same coroutine as the write's data job (block/io.c bdrv_driver_pwritev →
 * bdrv_co_flush), so its RawPosixAIOData lies on the same coroutine stack: `opaque` within a page of the
 * data job's. Without opaque values, the oldest.
 */
const SAME_STACK = 0x1000;

function takeFuaPending(t: ThreadCtx, opaque: number): OpenFront | undefined {
  if (opaque >= 0) {
    const i = t.fuaPending.findIndex((f) => f.dataOpaque >= 0 && Math.abs(f.dataOpaque - opaque) < SAME_STACK);
    if (i >= 0) return t.fuaPending.splice(i, 1)[0];
  }
  return t.fuaPending.shift();
}

function markFlush(j: HostJob, how: string): void {
  if (j.kind === 'unknown') {
    j.kind = 'flush';
    j.kindHow = how;
  } else {
    j.kindHow += `; ${how}`;
  }
}

function attach(j: HostJob, f: OpenFront | undefined, how: string, node: string, offset = -1, bytes = -1): void {
  j.causeHow = how;
  if (node) j.node = node;
  if (offset >= 0) {
    j.offset = offset;
    j.bytes = bytes;
  }
  if (!f) return;
  j.cause = f.id;
  f.jobs.push(j.id);
}

/** QEMU_AIO_* type → job kind (include/block/raw-aio.h). */
export function aioKind(type: number): JobKind {
  switch (type & QemuAio.TYPE_MASK) {
    case QemuAio.READ: return 'read';
    case QemuAio.WRITE: return 'write';
    case QemuAio.FLUSH: return 'flush';
    case QemuAio.DISCARD: return 'discard';
    case QemuAio.WRITE_ZEROES: return 'write-zeroes';
    default: return 'unknown';
  }
}

