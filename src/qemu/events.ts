/**
 * Event names → QemuKind, and argument keys → QemuEvent fields. Format strings
 * come from hw/block/trace-events, block/trace-events, util/trace-events,
 * hw/virtio/trace-events, hw/scsi/trace-events and hw/nvme/trace-events (QEMU
 * 7.2, with the older and newer spellings listed in the reference §4.3). Both
 * the log backend ("key value key value") and simpletrace.py ("key=value",
 * integers in hex) fill the same fields through `setArg`.
 */
import { QemuKind, type QemuEvent } from './event.js';

export const EVENT_KINDS: ReadonlyMap<string, QemuKind> = new Map<string, QemuKind>([
  ['virtqueue_pop', QemuKind.VqPop],
  ['virtio_blk_handle_read', QemuKind.VblkRead],
  ['virtio_blk_handle_write', QemuKind.VblkWrite],
  ['virtio_blk_handle_flush', QemuKind.VblkFlush],
  ['virtio_blk_submit_multireq', QemuKind.VblkMultireq],
  ['virtio_blk_rw_complete', QemuKind.VblkRwComplete],
  ['virtio_blk_req_complete', QemuKind.VblkReqComplete],
  ['blk_co_preadv', QemuKind.BlkRead],
  ['blk_co_pwritev', QemuKind.BlkWrite],
  ['bdrv_co_preadv_part', QemuKind.BdrvRead],
  ['bdrv_co_pwritev_part', QemuKind.BdrvWrite],
  ['bdrv_co_preadv', QemuKind.BdrvRead],
  ['bdrv_co_pwritev', QemuKind.BdrvWrite],
  ['bdrv_co_readv', QemuKind.BdrvRead],
  ['bdrv_co_writev', QemuKind.BdrvWrite],
  ['bdrv_co_pwrite_zeroes', QemuKind.BdrvZeroes],
  ['bdrv_co_write_zeroes', QemuKind.BdrvZeroes],
  ['thread_pool_submit', QemuKind.PoolSubmit],
  ['thread_pool_submit_aio', QemuKind.PoolSubmit],
  ['thread_pool_complete', QemuKind.PoolComplete],
  ['thread_pool_complete_aio', QemuKind.PoolComplete],
  ['thread_pool_cancel', QemuKind.PoolCancel],
  ['thread_pool_cancel_aio', QemuKind.PoolCancel],
  ['luring_co_submit', QemuKind.LuringSubmit],
  ['luring_process_completion', QemuKind.LuringComplete],
  ['luring_cqe_handler', QemuKind.LuringComplete],
  ['paio_submit', QemuKind.PaioSubmit],
  ['file_paio_submit', QemuKind.PaioSubmit],
  ['posix_aio_process_queue', QemuKind.PaioComplete],
  ['file_flush_fdatasync_failed', QemuKind.FlushFailed],
  ['scsi_disk_new_request', QemuKind.ScsiRequest],
  ['scsi_disk_dma_command_WRITE', QemuKind.ScsiWrite],
  ['scsi_disk_dma_command_READ', QemuKind.ScsiRead],
  ['virtio_scsi_cmd_resp', QemuKind.ScsiComplete],
  ['virtio_scsi_cmd_req', QemuKind.ScsiVirtioReq],
  ['scsi_req_parsed', QemuKind.ScsiReqParsed],
  ['virtio_scsi_tmf_req', QemuKind.ScsiVirtioReq],
  ['virtio_scsi_an_req', QemuKind.ScsiVirtioReq],
  ['pci_nvme_io_cmd', QemuKind.NvmeIoCmd],
  ['pci_nvme_write', QemuKind.NvmeWrite],
  ['pci_nvme_read', QemuKind.NvmeRead],
  ['pci_nvme_flush', QemuKind.NvmeFlush],
  ['pci_nvme_flush_ns', QemuKind.NvmeFlush],
  ['pci_nvme_enqueue_req_completion', QemuKind.NvmeCompletion],
  ['qcow2_cache_flush', QemuKind.Qcow2CacheFlush],
  ['dropped_event', QemuKind.Dropped],
]);

/** Event name families that are QEMU's but carry nothing the analysis needs (not "unknown"). */
const KNOWN_PREFIXES = [
  'virtio_', 'virtqueue_', 'blk_', 'bdrv_', 'thread_pool_', 'luring_', 'laio_', 'paio_', 'file_', 'qcow2_',
  'scsi_', 'pci_nvme_', 'nvme_', 'qemu_', 'apic_', 'pic_', 'qcrypto_', 'raw_', 'handle_aiocb', 'posix_aio_',
];

export function isKnownFamily(name: string): boolean {
  for (const p of KNOWN_PREFIXES) if (name.startsWith(p)) return true;
  return false;
}

export type Field = 'obj' | 'req' | 'bs' | 'offset' | 'bytes' | 'sector' | 'nsectors' | 'flags' | 'ret' | 'status' | 'type'
  | 'inNum' | 'outNum' | 'numReqs' | 'start' | 'isWrite' | 'text' | 'errno' | 'ignore';

/** Key as printed → field. Pointer fields keep the text; the others are numbers. */
export const ARG_SLOTS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['vdev', 'obj'], ['blk', 'obj'], ['vq', 'obj'], ['pool', 'obj'], ['s', 'obj'], ['LuringState', 'obj'],
  ['dataplane', 'obj'],
  ['req', 'req'], ['elem', 'req'], ['luringcb', 'req'], ['acb', 'req'], ['cid', 'req'], ['mrb', 'req'],
  // SCSI command tag (scsi_disk_new_request, virtio_scsi_cmd_resp: the same hex text); NVMe queue ids
  // (pci_nvme_io_cmd sqid, pci_nvme_enqueue_req_completion cqid: Linux pairs I/O SQ n with CQ n)
  ['tag', 'req'], ['sqid', 'obj'], ['cqid', 'obj'],
  ['bs', 'bs'],
  ['offset', 'offset'],
  ['bytes', 'bytes'], ['size', 'bytes'], ['nbytes', 'bytes'], ['count', 'bytes'],
  ['sector', 'sector'], ['sector_num', 'sector'], ['lba', 'sector'],
  ['nsectors', 'nsectors'], ['nb_sectors', 'nsectors'], ['nb_sector', 'nsectors'], ['nlb', 'nsectors'],
  ['flags', 'flags'],
  ['ret', 'ret'], ['errno', 'errno'],
  ['status', 'status'],
  ['type', 'type'], ['opc', 'type'],
  ['in_num', 'inNum'], ['out_num', 'outNum'], ['num_reqs', 'numReqs'], ['start', 'start'], ['is_write', 'isWrite'],
  ['opname', 'text'], ['data', 'text'],
]);

export const POINTER_FIELDS: ReadonlySet<Field> = new Set<Field>(['obj', 'req', 'bs']);

/** "(nil)" → "0"; pointers keep their text otherwise. */
function pointerText(v: string): string {
  return v === '(nil)' ? '0' : v;
}

/** Decimal (signed) or 0x-hex; NaN when not a number. Trailing ",", ")" and ":" are ignored. */
export function parseNumber(v: string): number {
  let s = v;
  while (s.length > 0 && (s.endsWith(',') || s.endsWith(')') || s.endsWith(':'))) s = s.slice(0, -1);
  if (s.length === 0) return NaN;
  if (s.startsWith("'")) return NaN;
  if (s.startsWith('0x') || s.startsWith('0X')) {
    const n = Number.parseInt(s.slice(2), 16);
    return Number.isNaN(n) ? NaN : n;
  }
  if (s === '(nil)') return 0;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * Store a pointer value of `key` (whose field, ARG_SLOTS, is obj, req or bs). luring_co_submit has both "s"
 * (LuringState) and "luringcb"; vdev and vq are both objects: the first object key wins, except that "vq"
 * never overrides a vdev.
 */
export function setPointer(e: QemuEvent, key: string, field: Field, value: string): void {
  const p = pointerText(value);
  if (field === 'obj') {
    if (e.obj === '') e.obj = p;
  } else if (field === 'req') {
    if (key === 'mrb' && e.req !== '') return;
    e.req = p;
  } else {
    e.bs = p;
  }
}

/** Store one key/value pair. Returns false when the key is not one the analysis reads. */
export function setArg(e: QemuEvent, key: string, value: string): boolean {
  const field = ARG_SLOTS.get(key);
  if (field === undefined) return false;
  if (POINTER_FIELDS.has(field)) {
    setPointer(e, key, field, value);
    return true;
  }
  if (field === 'text') {
    e.text = value.startsWith("'") && value.endsWith("'") && value.length >= 2 ? value.slice(1, -1) : value;
    return true;
  }
  const n = parseNumber(value);
  if (Number.isNaN(n)) return false;
  setNumber(e, field, n);
  return true;
}

/** Decimal (signed) or 0x-hex number in s[start, end), trailing ",)" ignored; NaN otherwise. */
export function numberAt(s: string, start: number, end: number): number {
  while (end > start) {
    const c = s.charCodeAt(end - 1);
    if (c === 44 || c === 41 || c === 58) end--;
    else break;
  }
  if (end <= start) return NaN;
  let i = start;
  let neg = false;
  if (s.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  if (i >= end) return NaN;
  let v = 0;
  if (s.charCodeAt(i) === 48 && end - i > 2 && (s.charCodeAt(i + 1) | 32) === 120) {
    for (i += 2; i < end; i++) {
      const c = s.charCodeAt(i) | 32;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return NaN;
      v = v * 16 + d;
    }
  } else {
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return c === 46 ? parseNumber(s.slice(start, end)) : NaN;
      v = v * 10 + (c - 48);
    }
  }
  return neg ? -v : v;
}

export function setNumber(e: QemuEvent, field: Field, n: number): void {
  switch (field) {
    case 'offset': e.offset = n; break;
    case 'bytes': e.bytes = n; break;
    case 'sector': e.sector = n; break;
    case 'nsectors': e.nsectors = n; break;
    case 'flags': e.flags = n; break;
    case 'ret': e.ret = n > 0x7fffffff && n <= 0xffffffff ? n - 0x100000000 : n; break;
    // file_flush_fdatasync_failed prints a positive errno: store it as a negative ret
    case 'errno': e.ret = n > 0 ? -n : n; break;
    case 'status': e.status = n; break;
    case 'type': e.type = n; break;
    case 'inNum': e.inNum = n; break;
    case 'outNum': e.outNum = n; break;
    case 'numReqs': e.numReqs = n; break;
    case 'start': e.start = n; break;
    case 'isWrite': e.isWrite = n; break;
    default: break;
  }
}

function looksLikeValueAt(s: string, p: number): boolean {
  const c = s.charCodeAt(p);
  return (c >= 48 && c <= 57) || c === 45 /* - */ || c === 39 /* ' */ || s.startsWith('(nil)', p);
}


/**
 * Decode the argument text of one event. Both "key value" and "key=value"
 * pairs are read, so one decoder serves the log backend, simpletrace.py and
 * the few events whose format mixes the two (scsi_disk_new_request).
 */
export function decodeArgs(e: QemuEvent, args: string): void {
  e.args = args;
  const kind = EVENT_KINDS.get(e.name);
  e.kind = kind ?? QemuKind.Other;
  if (kind === undefined) return;
  if (kind === QemuKind.ScsiRequest) {
    // "Command: lun=%d tag=0x%x data=%s": the CDB hex runs to the end of the line
    const d = args.indexOf('data=');
    if (d >= 0) e.text = args.slice(d + 5).trim();
  }
  // Walk the tokens with indexOf: no array per line; numbers are read in place.
  let pos = 0;
  const n = args.length;
  let pendingKey = '';
  let pendingField: Field | undefined;
  while (pos < n) {
    while (pos < n && args.charCodeAt(pos) === 32) pos++;
    if (pos >= n) break;
    let end = args.indexOf(' ', pos);
    if (end < 0) end = n;
    if (pendingField !== undefined) {
      const key = pendingKey;
      const field = pendingField;
      pendingKey = '';
      pendingField = undefined;
      if (!POINTER_FIELDS.has(field) && field !== 'text') {
        const v = numberAt(args, pos, end);
        if (!Number.isNaN(v)) {
          setNumber(e, field, v);
          pos = end;
          continue;
        }
      } else if (looksLikeValueAt(args, pos) && setArg(e, key, args.slice(pos, end))) {
        pos = end;
        continue;
      }
    }
    let t = args.slice(pos, end);
    pos = end;
    if (t.charCodeAt(0) === 40 /* ( */ && t !== '(nil)') t = t.slice(1);
    const eq = t.indexOf('=');
    if (eq > 0) {
      if (kind !== QemuKind.ScsiRequest || t.slice(0, eq) !== 'data') setArg(e, t.slice(0, eq), t.slice(eq + 1));
      continue;
    }
    const f = ARG_SLOTS.get(t);
    if (f !== undefined) {
      pendingKey = t;
      pendingField = f;
    }
  }
  sectorsToBytes(e, kind);
}

/** Pre-2.x events carried sector_num / nb_sectors: their offset and bytes (after the arguments are read). */
export function sectorsToBytes(e: QemuEvent, kind: QemuKind): void {
  if (e.offset < 0 && e.sector >= 0 && (kind === QemuKind.BdrvRead || kind === QemuKind.BdrvWrite || kind === QemuKind.BdrvZeroes || kind === QemuKind.PaioSubmit)) {
    e.offset = e.sector * 512;
    if (e.bytes < 0 && e.nsectors >= 0) e.bytes = e.nsectors * 512;
  }
}
