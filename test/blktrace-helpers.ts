/**
 * Helpers for the blktrace tests: read a per-CPU set into copied events,
 * compare events with blkparse text event by event, and rewrite real v7
 * records into other shapes (byte-swapped, v8) per the documented layouts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/model/diagnostics.js';
import { Act, copyEvent, type BlockEvent } from '../src/model/event.js';
import type { ParseContext } from '../src/formats/types.js';
import type { ClockDomain } from '../src/model/time.js';
import { readBlktraceSet, type BlktraceSetOptions } from '../src/formats/blktrace/set-reader.js';
import { blkparseFormat } from '../src/formats/blkparse/spec.js';
import { parseBuffer } from './helpers/chunking.js';

export const fixturePath = (name: string) => fileURLToPath(new URL(`../../fixtures/blktrace/${name}`, import.meta.url));
export const fixture = (name: string) => readFileSync(fixturePath(name));

export interface Collected {
  events: BlockEvent[];
  diag: Diagnostics;
  attachments: Record<string, unknown>;
  clock?: ClockDomain;
  limitations: string[];
}

export function collectingContext(name = 'test-set'): { ctx: ParseContext; out: Collected } {
  const out: Collected = { events: [], diag: new Diagnostics(), attachments: {}, limitations: [] };
  const ctx: ParseContext = {
    sourceIndex: 0,
    sourceName: name,
    sink: { event: (e) => out.events.push(copyEvent(e)) },
    diag: out.diag,
    options: {},
    setClock: (d) => { out.clock = d; },
    attach: (k, d) => { out.attachments[k] = d; },
    limitation: (t) => { out.limitations.push(t); },
  };
  return { ctx, out };
}

export async function readSet(files: string[], options: BlktraceSetOptions = {}): Promise<Collected> {
  const { ctx, out } = collectingContext();
  await readBlktraceSet(files, ctx, options);
  return out;
}

/** An `open` for readBlktraceSet that serves in-memory buffers in fixed-size chunks. */
export function chunkedOpen(data: Map<string, Buffer>, size: number): BlktraceSetOptions['open'] {
  return (path) => (async function* () {
    const buf = data.get(path) ?? readFileSync(path);
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
  })();
}

export function parseBlkparseText(text: Buffer): BlockEvent[] {
  const r = parseBuffer(blkparseFormat, text);
  return r.events;
}

/**
 * Field-by-field comparison of binary events with blkparse's text of the
 * same trace, for what the text shows: times as differences from the first
 * event, sizes in 512-byte blocks, sector/comm/depth only where printed,
 * split sectors as blkparse's u32 `%u`. DRV_DATA records are never printed.
 * Names are compared except for pid 0 (see below).
 */
export function compareWithBlkparse(bin: BlockEvent[], text: BlockEvent[]): string[] {
  const b = bin.filter((e) => e.act !== Act.DrvData);
  const out: string[] = [];
  if (b.length !== text.length) out.push(`event count: binary ${b.length}, blkparse ${text.length}`);
  const g = b[0]?.time ?? 0;
  const n = Math.min(b.length, text.length);
  for (let i = 0; i < n && out.length < 10; i++) {
    const x = b[i]!;
    const t = text[i]!;
    const bad: string[] = [];
    for (const k of ['dev', 'cpu', 'seq', 'pid', 'act', 'op', 'flags', 'error', 'auxDev', 'text'] as const) {
      if (x[k] !== t[k]) bad.push(`${k} ${x[k]} ≠ ${t[k]}`);
    }
    if (x.time - g !== t.time) bad.push(`time ${x.time - g} ≠ ${t.time}`);
    if (t.sector !== -1 && x.sector !== t.sector) bad.push(`sector ${x.sector} ≠ ${t.sector}`);
    if (x.act !== Act.Split && Math.floor(x.bytes / 512) * 512 !== t.bytes) bad.push(`bytes ${x.bytes} ≠ ${t.bytes}`);
    // blkparse keeps the first name noted for a pid, so pid 0 (each CPU's idle task swapper/N) gets
    // whichever CPU's note was read first; the reader names it per CPU.
    if (t.comm !== '' && t.pid !== 0 && (t.comm === '(null)' ? '' : t.comm) !== x.comm) bad.push(`comm ${x.comm} ≠ ${t.comm}`);
    if (t.aux !== -1 && x.aux % 4294967296 !== t.aux) bad.push(`aux ${x.aux} ≠ ${t.aux}`);
    if (bad.length) out.push(`event ${i}: ${bad.join(', ')}`);
  }
  return out;
}

/** Walk v7 records of a buffer in its byte order: [offset, pduLen]. */
export function v7Records(buf: Buffer, le = true): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p + 48 <= buf.length;) {
    const pdu = le ? buf.readUInt16LE(p + 46) : buf.readUInt16BE(p + 46);
    out.push([p, pdu]);
    p += 48 + pdu;
  }
  return out;
}

/** The same v7 records written big-endian (pdus stay big-endian; the timestamp note's u32 pair is swapped). */
export function byteSwapV7(le: Buffer): Buffer {
  const out = Buffer.from(le);
  for (const [p, pdu] of v7Records(le)) {
    for (const off of [0, 4, 24, 28, 32, 36, 40]) out.writeUInt32BE(le.readUInt32LE(p + off), p + off);
    for (const off of [8, 16]) out.writeBigUInt64BE(le.readBigUInt64LE(p + off), p + off);
    for (const off of [44, 46]) out.writeUInt16BE(le.readUInt16LE(p + off), p + off);
    if (le.readUInt32LE(p + 28) === 0x04000001 && pdu === 8) {
      out.writeUInt32BE(le.readUInt32LE(p + 48), p + 48);
      out.writeUInt32BE(le.readUInt32LE(p + 52), p + 52);
    }
  }
  return out;
}

/**
 * v7 → v8 (`struct blk_io_trace2`, 64 B): pid at 28, u64 action at 32,
 * device 40, cpu 44, error 48, pdu_len 50, pad[12]; `hiAction(i)` may set
 * the action's high word (v8 categories) of record i.
 */
export function toV8(le: Buffer, hiAction: (i: number) => number = () => 0): Buffer {
  const parts: Buffer[] = [];
  v7Records(le).forEach(([p, pdu], i) => {
    const h = Buffer.alloc(64);
    h.writeUInt32LE((le.readUInt32LE(p) & 0xffffff00) | 0x08, 0);
    le.copy(h, 4, p + 4, p + 28); // sequence, time, sector, bytes
    h.writeUInt32LE(le.readUInt32LE(p + 32), 28); // pid
    h.writeUInt32LE(le.readUInt32LE(p + 28), 32); // action low word
    h.writeUInt32LE(hiAction(i), 36); // action high word
    h.writeUInt32LE(le.readUInt32LE(p + 36), 40); // device
    h.writeUInt32LE(le.readUInt32LE(p + 40), 44); // cpu
    h.writeUInt16LE(le.readUInt16LE(p + 44), 48); // error
    h.writeUInt16LE(pdu, 50);
    parts.push(h, le.subarray(p + 48, p + 48 + pdu));
  });
  return Buffer.concat(parts);
}

export interface RecordFields {
  seq?: number; time?: bigint; sector?: bigint; bytes?: number; action: number;
  pid?: number; device?: number; cpu?: number; error?: number; pdu?: Buffer;
}

/** One v7 little-endian record. */
export function v7Record(f: RecordFields): Buffer {
  const pdu = f.pdu ?? Buffer.alloc(0);
  const h = Buffer.alloc(48);
  h.writeUInt32LE(0x65617407, 0);
  h.writeUInt32LE(f.seq ?? 0, 4);
  h.writeBigUInt64LE(f.time ?? 0n, 8);
  h.writeBigUInt64LE(f.sector ?? 0n, 16);
  h.writeUInt32LE(f.bytes ?? 0, 24);
  h.writeUInt32LE(f.action >>> 0, 28);
  h.writeUInt32LE(f.pid ?? 0, 32);
  h.writeUInt32LE(f.device ?? 0, 36);
  h.writeUInt32LE(f.cpu ?? 0, 40);
  h.writeUInt16LE(f.error ?? 0, 44);
  h.writeUInt16LE(pdu.length, 46);
  return Buffer.concat([h, pdu]);
}

/** Events without `loc` (which differs between layouts of the same records). */
export const withoutLoc = (events: BlockEvent[]) => events.map((e) => ({ ...e, loc: 0 }));

/** A message record blkparse 1.2.0 does not print (see `cgroupMessages`). */
export interface UnprintedMessage { device: number; cpu: number; pid: number; text: string }

/**
 * The BLK_TN_MESSAGE records of little-endian v7 files whose action also
 * carries `__BLK_TN_CGROUP` (0x100: an 8-byte cgroup id leads the pdu).
 * blkparse 1.2.0 prints none of them: `read_events`/`ms_prime` send every
 * notify whose action is not exactly BLK_TN_MESSAGE to `handle_notify`,
 * whose `switch (bit->action)` has no case for it (upstream blktrace fixed
 * this after 1.2.0, "blkparse: Handle cgroup information"). The kernel tags
 * a message with its cgroup whenever one is known (`trace_note`, 5.x+); the
 * blk tracer's own text renderings print it.
 */
export function cgroupMessages(files: string[]): UnprintedMessage[] {
  const out: UnprintedMessage[] = [];
  for (const f of files) {
    const buf = readFileSync(f);
    for (const [p, pdu] of v7Records(buf)) {
      if (buf.readUInt32LE(p + 28) !== ((1 << 10) << 16 | 0x100 | 2)) continue;
      let e = p + 48 + pdu;
      while (e > p + 56 && (buf[e - 1] === 0 || buf[e - 1] === 10)) e--;
      out.push({ device: buf.readUInt32LE(p + 36), cpu: buf.readUInt32LE(p + 40), pid: buf.readUInt32LE(p + 32), text: buf.toString('utf8', p + 56, e) });
    }
  }
  return out;
}

/**
 * `events` without one Message event per entry of `unprinted` (same device,
 * CPU, pid and text); throws when one is missing, so every removal is
 * accounted for by a record in the binary files.
 */
export function withoutMessages<E extends BlockEvent>(events: E[], unprinted: UnprintedMessage[]): E[] {
  const drop = new Set<number>();
  for (const m of unprinted) {
    const i = events.findIndex((e, j) => !drop.has(j) && e.act === Act.Message && e.dev === m.device && e.cpu === m.cpu && e.pid === m.pid && e.text === m.text);
    if (i < 0) throw new Error(`message ${JSON.stringify(m)} not among the events`);
    drop.add(i);
  }
  return events.filter((_, j) => !drop.has(j));
}
