/**
 * QEMU's own requests, rebuilt from its trace (src/qemu/rebuild.ts):
 *
 *  - a FrontRequest is what QEMU was asked by its user: a virtio-blk request
 *    from `virtqueue_pop` to `virtio_blk_req_complete`, or — when no device
 *    model is traced (qemu-io, block jobs) — a BlockBackend request
 *    (`blk_co_preadv/pwritev`). It carries the promise: a write completed, a
 *    flush completed, a FUA write completed.
 *  - a HostJob is what QEMU asked of the host kernel: a thread-pool job
 *    (preadv/pwritev/fdatasync/fallocate…), an io_uring or a paio submission.
 *
 * Times are ns in the trace's clock, -1 when the trace has none; `seq` is the
 * event's order in the trace and always present.
 */

export type FrontIface = 'virtio' | 'scsi' | 'nvme' | 'blk';
/** A guest-facing device model whose requests the trace shows (not a bare BlockBackend). */
export function isDeviceModel(iface: FrontIface): boolean {
  return iface !== 'blk';
}

export type FrontKind = 'read' | 'write' | 'write-zeroes' | 'flush' | 'other';
export type JobKind = 'read' | 'write' | 'write-zeroes' | 'flush' | 'discard' | 'unknown';

export interface Stamp {
  time: number;
  seq: number;
  /** 1-based line in the source. */
  loc: number;
}

export const NO_STAMP: Readonly<Stamp> = { time: -1, seq: -1, loc: 0 };

export interface FrontRequest {
  id: number;
  source: number;
  /**
   * 'virtio' (virtio-blk), 'scsi' (scsi-hd: scsi_disk_new_request → virtio_scsi_cmd_resp), 'nvme' (QEMU's NVMe
   * controller: pci_nvme_io_cmd → pci_nvme_enqueue_req_completion), 'blk' (BlockBackend, e.g. qemu-io).
   */
  iface: FrontIface;
  /** Device identity: the vdev pointer, or "blk:<ptr>" for a BlockBackend without a traced device. */
  device: string;
  /** The req/elem pointer (reused by later requests: an identity only for this lifetime). */
  req: string;
  kind: FrontKind;
  /** How the kind was known, in words (e.g. "virtio_blk_handle_write", "no read/write handled; pop out_num 1 in_num 1"). */
  kindHow: string;
  /** 512-byte sector and count at this interface; -1 for flushes. */
  sector: number;
  nsectors: number;
  /** FUA asked by the user (blk_co_pwritev flags 0x10). */
  fuaAsked: boolean;
  /** FUA at the format (root) node: asked, or added by cache.writeback=off (blk_co_do_pwritev_part). */
  fuaFormat: boolean;
  /** FUA still set at the protocol node (else QEMU must emulate it with a flush). */
  fuaProtocol: boolean;
  issue: Stamp;
  complete: Stamp;
  /** How the completion was known: "virtio_blk_req_complete", or "last host job" for BlockBackend requests. */
  completeHow: string;
  /** virtio status (0 OK, 1 IOERR, 2 UNSUPP) or the last job's ret; -1 unknown. */
  status: number;
  /** Ids of the host jobs it caused, in submission order. */
  jobs: number[];
}

export interface HostJob {
  id: number;
  source: number;
  mech: 'thread-pool' | 'io_uring' | 'paio';
  kind: JobKind;
  kindHow: string;
  /** Protocol node (bs pointer) the job was issued for; "" unknown. */
  node: string;
  /** Byte offset and length in the protocol node (image file / host device); -1 for flushes and unknown. */
  offset: number;
  bytes: number;
  /** BdrvRequestFlags at the protocol node; -1 unknown. */
  flags: number;
  submit: Stamp;
  complete: Stamp;
  /** Return value (0 or bytes on success, -errno on failure); NaN if it never completed in the trace. */
  ret: number;
  /** FrontRequest id that caused it, or -1 (QEMU's own I/O: probing, metadata, block jobs). */
  cause: number;
  /**
   * Why it was issued: "data", "fua-emulation", "virtio-flush", "scsi-flush", "nvme-flush", "qcow2-metadata",
   * "zeroes-fallback", "".
   */
  causeHow: string;
  /** thread_pool_submit's `opaque` pointer as a number (the coroutine's stack), -1 when absent. */
  opaque: number;
}

export interface QemuDeviceInfo {
  /** vdev pointer, "scsi:t<T>:lun<N>" (or "scsi:lun<N>"), "nvme:ns<N>", or "blk:<ptr>". */
  device: string;
  iface: FrontIface;
  /** BlockBackend pointer(s) seen for it. */
  blk: string[];
  /** Root (format) node. */
  root: string;
  /** Protocol node(s) its host jobs went to. */
  protocol: string[];
  requests: { read: number; write: number; writeZeroes: number; flush: number; other: number };
}

/** Where the rebuild sends each request and job as it ends: read at once, never kept (the objects are the rebuild's). */
export interface RebuildSink {
  front(r: FrontRequest): void;
  job(j: HostJob): void;
}

export function isDataWrite(kind: FrontKind | JobKind): boolean {
  return kind === 'write' || kind === 'write-zeroes';
}
