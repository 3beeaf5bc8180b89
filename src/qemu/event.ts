import type { Nanos } from '../model/time.js';

/**
 * One QEMU trace event as the readers in src/formats/qemu produce it (the QEMU
 * counterpart of BlockEvent). Readers REUSE one object: a sink copies what it
 * keeps (`copyQemuEvent`). Arguments are decoded by key name, not by event, so
 * a renamed or re-ordered format string still reads (see `ARG_SLOTS`).
 *
 * Pointers stay strings exactly as printed ("0x5648dc466000", "(nil)" → "0"):
 * they are identities with a lifetime, never numbers (a freed VirtIOBlockReq is
 * reused for the next request, hw/block/virtio-blk.c virtio_blk_alloc_request).
 */
export const QemuKind = {
  /** Any event the analysis does not use (counted, never fatal). */
  Other: 0,
  /** virtqueue_pop "vq %p elem %p in_num %u out_num %u" (hw/virtio/trace-events). */
  VqPop: 1,
  /** virtio_blk_handle_read/write "vdev %p req %p sector %"PRIu64" nsectors %zu". */
  VblkRead: 2,
  VblkWrite: 3,
  /** virtio_blk_submit_multireq "vdev %p mrb %p start %d num_reqs %d offset %"PRIu64" size %zu is_write %d". */
  VblkMultireq: 4,
  /** virtio_blk_rw_complete "vdev %p req %p ret %d". */
  VblkRwComplete: 5,
  /** virtio_blk_req_complete "vdev %p req %p status %d" (0 OK, 1 IOERR, 2 UNSUPP). */
  VblkReqComplete: 6,
  /** virtio_blk_handle_flush, should a build have it (none up to 10.x). */
  VblkFlush: 7,
  /** blk_co_preadv / blk_co_pwritev "blk %p bs %p offset %ld bytes %ld flags 0x%x" (block/trace-events). */
  BlkRead: 10,
  BlkWrite: 11,
  /** bdrv_co_preadv_part / bdrv_co_pwritev_part "bs %p offset %ld bytes %ld flags 0x%x" (older: bdrv_co_preadv/pwritev, bdrv_co_readv/writev). */
  BdrvRead: 20,
  BdrvWrite: 21,
  /** bdrv_co_pwrite_zeroes "bs %p offset %ld bytes %ld flags 0x%x". */
  BdrvZeroes: 22,
  /** thread_pool_submit[_aio] "pool %p req %p opaque %p" (util/trace-events). */
  PoolSubmit: 30,
  /** thread_pool_complete[_aio] "pool %p req %p opaque %p ret %d". */
  PoolComplete: 31,
  PoolCancel: 32,
  /** luring_co_submit "bs %p s %p luringcb %p fd %d offset %ld nbytes %zd type %d" (block/trace-events). */
  LuringSubmit: 40,
  /** luring_process_completion "LuringState %p luringcb %p ret %d" / luring_cqe_handler "req %p ret %d". */
  LuringComplete: 41,
  /** paio_submit / file_paio_submit "acb %p opaque %p offset %ld count %d type %d" (older: sector_num, nb_sectors). */
  PaioSubmit: 42,
  /** posix_aio_process_queue (QEMU 0.13) "acb opaque type ret": a host job finishing. */
  PaioComplete: 43,
  /** file_flush_fdatasync_failed "errno %d". */
  FlushFailed: 44,
  /** scsi_disk_new_request "Command: lun=%d tag=0x%x data=%s" (CDB hex). */
  ScsiRequest: 50,
  /** scsi_disk_dma_command_WRITE "Write %s(sector %" PRId64 ", count %u)". */
  ScsiWrite: 51,
  ScsiRead: 52,
  /**
   * virtio_scsi_cmd_resp "virtio_scsi_cmd_resp lun=%u tag=0x%x response=%d status=0x%x" (hw/scsi/trace-events):
   * the command's completion to the guest (virtio_scsi_complete_cmd_req, from scsi_req_complete).
   */
  ScsiComplete: 53,
  /**
   * virtio_scsi_cmd_req / virtio_scsi_tmf_req / virtio_scsi_an_req: the virtqueue element just popped is a
   * virtio-scsi request (its command, if any, is scsi_disk_new_request's), not a virtio-blk one.
   */
  ScsiVirtioReq: 54,
  /**
   * scsi_req_parsed "target %d lun %d tag %d command %d dir %d length %d" (hw/scsi/trace-events): the target the
   * command is for (scsi_disk_new_request prints only the LUN), the tag in decimal.
   */
  ScsiReqParsed: 55,
  /** pci_nvme_io_cmd "cid … nsid … sqid … opc 0x%x opname '%s'". */
  NvmeIoCmd: 60,
  NvmeWrite: 61,
  NvmeRead: 62,
  /** pci_nvme_flush "cid %u nsid %u" / pci_nvme_flush_ns "nsid 0x%x". */
  NvmeFlush: 63,
  /** pci_nvme_enqueue_req_completion "cid … cqid … status 0x%x". */
  NvmeCompletion: 64,
  /** qcow2_cache_flush "co %p is_l2_cache %d": qcow2 writes its cache then flushes bs->file. */
  Qcow2CacheFlush: 70,
  /** simpletrace's dropped_event "num_events=…": records lost in the trace buffer. */
  Dropped: 80,
} as const;
export type QemuKind = (typeof QemuKind)[keyof typeof QemuKind];

/** QEMU_AIO_* (include/block/raw-aio.h), the `type` of luring/paio events. */
export const QemuAio = {
  READ: 0x1,
  WRITE: 0x2,
  IOCTL: 0x4,
  FLUSH: 0x8,
  DISCARD: 0x10,
  WRITE_ZEROES: 0x20,
  TYPE_MASK: 0x1ff,
} as const;

/** BdrvRequestFlags (include/block/block-common.h, QEMU 7.2). */
export const BdrvFlag = {
  COPY_ON_READ: 0x1,
  ZERO_WRITE: 0x2,
  MAY_UNMAP: 0x4,
  /** 7.2+: BDRV_REQ_REGISTERED_BUF (before 6.0 this bit was NO_SERIALISING). */
  REGISTERED_BUF: 0x8,
  FUA: 0x10,
  WRITE_COMPRESSED: 0x20,
  NO_FALLBACK: 0x100,
} as const;

export interface QemuEvent {
  source: number;
  /** 1-based line number. */
  loc: number;
  /** ns in the source clock; -1 when the line carried no timestamp (order only). */
  time: Nanos;
  /** Thread id from the prefix; -1 when none was printed. */
  tid: number;
  /** 1-based index among the events of this source: the order when time is missing. */
  seq: number;
  /** Event name as printed. */
  name: string;
  kind: QemuKind;
  /** Arguments as printed (untrusted text). */
  args: string;
  /** Primary object: vdev, blk, vq, pool, LuringState, NVMe sqid/cqid; "" when absent. */
  obj: string;
  /** Request identity: req, elem, luringcb, acb, NVMe cid. "" when absent. */
  req: string;
  /** BlockDriverState pointer. */
  bs: string;
  /** Byte offset; -1 when absent. */
  offset: number;
  /** Bytes (bytes, size, nbytes, count); -1 when absent. */
  bytes: number;
  /** 512-byte sector (virtio, scsi; NVMe lba in LBA units); -1 when absent. */
  sector: number;
  /** Sectors (nsectors, nb_sectors, nlb); -1 when absent. */
  nsectors: number;
  /** BdrvRequestFlags; -1 when absent. */
  flags: number;
  /** ret / errno (signed); NaN when absent. */
  ret: number;
  /** virtio status, NVMe status; -1 when absent. */
  status: number;
  /** QEMU_AIO type; NVMe opc; -1 when absent. */
  type: number;
  inNum: number;
  outNum: number;
  numReqs: number;
  start: number;
  isWrite: number;
  /** Free-text argument (opname, SCSI CDB hex); "" when absent. */
  text: string;
}

export function emptyQemuEvent(): QemuEvent {
  return {
    source: 0, loc: 0, time: -1, tid: -1, seq: 0, name: '', kind: QemuKind.Other, args: '',
    obj: '', req: '', bs: '', offset: -1, bytes: -1, sector: -1, nsectors: -1, flags: -1, ret: NaN,
    status: -1, type: -1, inNum: -1, outNum: -1, numReqs: -1, start: -1, isWrite: -1, text: '',
  };
}

/** Reset the decoded fields (not source/loc/time/tid/seq/name) before decoding a new line. */
export function clearQemuArgs(e: QemuEvent): void {
  e.args = '';
  clearQemuFields(e);
}

/** clearQemuArgs but `args` (a reader that makes it when read sets it itself). */
export function clearQemuFields(e: QemuEvent): void {
  e.kind = QemuKind.Other;
  e.obj = '';
  e.req = '';
  e.bs = '';
  e.offset = -1;
  e.bytes = -1;
  e.sector = -1;
  e.nsectors = -1;
  e.flags = -1;
  e.ret = NaN;
  e.status = -1;
  e.type = -1;
  e.inNum = -1;
  e.outNum = -1;
  e.numReqs = -1;
  e.start = -1;
  e.isWrite = -1;
  e.text = '';
}

/**
 * Where an event's `args` comes from when it is made only if read: the bytes it is decoded from
 * (`argsBuf[argsStart, argsEnd)`, valid while a sink handles the event), or else `argsText`.
 */
export interface LazyArgs {
  argsBuf: Buffer | null;
  argsStart: number;
  argsEnd: number;
  argsText: string;
}

/**
 * A reader's one event, with `args` made from `p`'s bytes only when read (the rebuild reads it for a few
 * events): an own enumerable accessor, so a copy ({ ...e }, copyQemuEvent) gets the text. It is added to an
 * object that has no `args` yet: turning a data property into an accessor, or an accessor in the literal,
 * would leave the object a slow dictionary for every field.
 */
export function lazyArgsEvent(p: LazyArgs): QemuEvent {
  const { args: _, ...fields } = emptyQemuEvent();
  Object.defineProperty(fields, 'args', {
    enumerable: true,
    configurable: true,
    get(): string {
      if (p.argsBuf !== null) {
        p.argsText = p.argsBuf.toString('utf8', p.argsStart, p.argsEnd);
        p.argsBuf = null;
      }
      return p.argsText;
    },
    set(v: string) {
      p.argsText = v;
      p.argsBuf = null;
    },
  });
  return fields as QemuEvent;
}

export function copyQemuEvent(e: QemuEvent): QemuEvent {
  return { ...e };
}

/** Receives QEMU events synchronously, in source order. */
export interface QemuSink {
  qemu(e: QemuEvent): void;
}
