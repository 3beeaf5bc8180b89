/**
 * Writing `struct blk_io_trace` records (v7, 48 bytes, little-endian) the way
 * blktrace(8) leaves them in its per-CPU files `DEV.blktrace.N`.
 *
 * Layout (include/uapi/linux/blktrace_api.h): u32 magic (0x65617400 | version
 * 7), u32 sequence, u64 time (ns), u64 sector, u32 bytes, u32 action
 * (__BLK_TA_* | BLK_TC_* << 16), u32 pid, u32 device (dev_t, MINORBITS 20),
 * u32 cpu, u16 error, u16 pdu_len, then pdu_len bytes of pdu. The pdus used
 * here: remap = big-endian struct blk_io_trace_remap {be32 device_from, be32
 * device_to, be64 sector_from}; split and unplug = one be64 (new sector,
 * depth); BLK_TN_PROCESS = the 16-byte comm; BLK_TN_TIMESTAMP = u32 sec, u32 nsec.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const MAGIC = 0x65617407;
export const RECORD_SIZE = 48;

/** __BLK_TA_* (the low 16 bits of `action`). */
export const TA = { Q: 1, M: 2, F: 3, G: 4, S: 5, RQ: 6, D: 7, C: 8, P: 9, U: 10, UT: 11, I: 12, X: 13, B: 14, A: 15 } as const;

/** BLK_TC_* category bits (`action` >> 16). */
export const TC = {
  R: 0x1, W: 0x2, F: 0x4, S: 0x8, Q: 0x10, RQ: 0x20, IS: 0x40, CO: 0x80, FS: 0x100, PC: 0x200,
  NOTIFY: 0x400, AH: 0x800, M: 0x1000, DI: 0x2000, DD: 0x4000, FUA: 0x8000,
} as const;

/** BLK_TN_* note actions (category NOTIFY). */
export const TN = { PROCESS: 0, TIMESTAMP: 1, MESSAGE: 2 } as const;

/** The category bits the kernel adds for each action (kernel/trace/blktrace.c `ddir_act`/`what`). */
const ACT_CAT: Record<number, number> = {
  [TA.Q]: TC.Q, [TA.M]: TC.Q, [TA.F]: TC.Q, [TA.G]: TC.Q, [TA.S]: TC.Q, [TA.P]: TC.Q, [TA.U]: TC.Q,
  [TA.UT]: TC.Q, [TA.I]: TC.Q | TC.FS, [TA.A]: TC.Q, [TA.D]: TC.IS | TC.FS, [TA.C]: TC.CO | TC.FS,
  [TA.RQ]: TC.RQ | TC.FS, [TA.X]: 0, [TA.B]: TC.Q,
};

/** Full 32-bit action word for an action and its request's category flags. */
export function actionWord(a: number, flags: number): number {
  return (a | (((ACT_CAT[a] ?? 0) | flags) << 16)) >>> 0;
}

/** Which pdu a record carries (kept as a kind + a number, not a Buffer per event). */
export const Pdu = { None: 0, Remap: 1, Be64: 2, Comm: 3, Timestamp: 4 } as const;

export interface RecordFields {
  seq: number;
  time: number;
  sector: number;
  bytes: number;
  action: number;
  pid: number;
  dev: number;
  cpu: number;
  error: number;
  pduKind: number;
  /** Remap: sector_from; Be64: the value; Timestamp: wall-clock ns. */
  pduValue: number;
  /** Remap: device_from (device_to is `dev`). */
  pduDev: number;
  /** Comm note: the process name. */
  comm: string;
}

function writeU64LE(buf: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeUInt32LE(v - hi * 4294967296, off);
  buf.writeUInt32LE(hi, off + 4);
}

function writeU64BE(buf: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeUInt32BE(hi, off);
  buf.writeUInt32BE(v - hi * 4294967296, off + 4);
}

export function pduLength(kind: number): number {
  switch (kind) {
    case Pdu.Remap: return 16;
    case Pdu.Be64: case Pdu.Timestamp: return 8;
    case Pdu.Comm: return 16;
    default: return 0;
  }
}

/** Encodes one record at `off`; returns the offset after it. */
export function encodeRecord(buf: Buffer, off: number, r: RecordFields): number {
  const pduLen = pduLength(r.pduKind);
  buf.writeUInt32LE(MAGIC, off);
  buf.writeUInt32LE(r.seq >>> 0, off + 4);
  writeU64LE(buf, off + 8, r.time);
  writeU64LE(buf, off + 16, r.sector);
  buf.writeUInt32LE(r.bytes >>> 0, off + 24);
  buf.writeUInt32LE(r.action >>> 0, off + 28);
  buf.writeUInt32LE(r.pid >>> 0, off + 32);
  buf.writeUInt32LE(r.dev >>> 0, off + 36);
  buf.writeUInt32LE(r.cpu >>> 0, off + 40);
  buf.writeUInt16LE(r.error & 0xffff, off + 44);
  buf.writeUInt16LE(pduLen, off + 46);
  const p = off + RECORD_SIZE;
  switch (r.pduKind) {
    case Pdu.Remap:
      buf.writeUInt32BE(r.pduDev >>> 0, p);
      buf.writeUInt32BE(r.dev >>> 0, p + 4);
      writeU64BE(buf, p + 8, r.pduValue);
      break;
    case Pdu.Be64:
      writeU64BE(buf, p, r.pduValue);
      break;
    case Pdu.Timestamp: {
      const sec = Math.floor(r.pduValue / 1e9);
      buf.writeUInt32LE(sec >>> 0, p);
      buf.writeUInt32LE((r.pduValue - sec * 1e9) >>> 0, p + 4);
      break;
    }
    case Pdu.Comm:
      buf.fill(0, p, p + 16);
      buf.write(r.comm.slice(0, 15), p, 'latin1');
      break;
  }
  return p + pduLen;
}

/** A file written through one large buffer with synchronous writes (no stream, bounded memory). */
export class BufferedFile {
  private readonly fd: number;
  private readonly buf: Buffer;
  private pos = 0;
  bytes = 0;

  constructor(path: string, size = 1 << 20) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Space for `n` more bytes; returns the buffer and the offset to write at. */
  reserve(n: number): number {
    if (this.pos + n > this.buf.length) this.flush();
    return this.pos;
  }

  get buffer(): Buffer {
    return this.buf;
  }

  commit(newPos: number): void {
    this.bytes += newPos - this.pos;
    this.pos = newPos;
  }

  writeString(s: string): void {
    const n = Buffer.byteLength(s, 'latin1');
    if (n > this.buf.length) {
      this.flush();
      writeSync(this.fd, s, null, 'latin1');
      this.bytes += n;
      return;
    }
    const at = this.reserve(n);
    this.buf.write(s, at, 'latin1');
    this.commit(at + n);
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
