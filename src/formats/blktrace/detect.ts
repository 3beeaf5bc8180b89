/** blktrace record streams: description and detection (no reader: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';
import { isMagic, MAGIC, MAGIC_MASK, layoutFor } from './layout.js';
import { u16, u32, viewOf } from './bytes.js';

/**
 * Confidence that `head` starts a blktrace stream: a magic in either byte
 * order with version 7 or 8 at offset 0, and the following records framed
 * by their pdu_len also starting with a magic.
 */
export function blktraceConfidence(head: Buffer, start = 0, prefix = 0): number {
  const p0 = start + prefix;
  if (head.length < p0 + 4) return 0;
  const v = viewOf(head);
  let le: boolean;
  if ((u32(v, p0, true) & MAGIC_MASK) >>> 0 === MAGIC) le = true;
  else if ((u32(v, p0, false) & MAGIC_MASK) >>> 0 === MAGIC) le = false;
  else return 0;
  let pos = start;
  let good = 0;
  while (good < 64) {
    const p = pos + prefix;
    if (p + 4 > head.length) break;
    const magic = u32(v, p, le);
    const L = layoutFor(magic & 0xff);
    if ((magic & MAGIC_MASK) >>> 0 !== MAGIC || !L) return good > 0 ? 0.3 : 0.05;
    if (p + L.size > head.length) break;
    pos = p + L.size + u16(v, p + L.pduLen, le);
    good++;
  }
  return good >= 2 ? 0.99 : 0.9;
}

const FTRACE_HEADER = '# tracer: blk\n';

export function ftraceBinConfidence(head: Buffer): number {
  if (head.length < 20 || head.toString('latin1', 0, FTRACE_HEADER.length) !== FTRACE_HEADER) return 0;
  // Skip the "#" lines, then a record with or without the 16-byte context header.
  let pos = 0;
  while (pos < head.length && head[pos] === 35) {
    if (isMagic(head, pos + 16)) break;
    const nl = head.indexOf(10, pos);
    if (nl < 0) return 0;
    pos = nl + 1;
  }
  if (isMagic(head, pos + 16)) return blktraceConfidence(head, pos, 16);
  if (isMagic(head, pos)) return blktraceConfidence(head, pos, 0);
  return 0;
}

export const blktraceMeta: FormatMeta = {
  name: 'blktrace',
  title: 'blktrace binary records (v7 48 B, v8 64 B; either byte order): one per-CPU file, a blkparse -d dump, or blktrace -o - on stdin',
  example: '07 74 61 65  01 00 00 00  …  (struct blk_io_trace, magic 0x65617407)',
  detectedBy: 'magic 0x656174 + version 7 or 8 at offset 0, in either byte order, repeated at each following record',
  kind: 'binary',
  produces: 'block',
  detect: (head) => blktraceConfidence(head),
};

export const ftraceBlkBinMeta: FormatMeta = {
  name: 'ftrace-blk-bin',
  title: 'ftrace blk tracer binary output (options/bin): "# tracer: blk" then blk_io_trace records',
  example: '# tracer: blk\\n#\\n{u32 pid, u32 cpu, u64 ts} 07 74 61 65 00 00 00 00 …',
  detectedBy: '"# tracer: blk" text header followed by a blktrace magic (with or without the 16-byte context header)',
  kind: 'binary',
  produces: 'block',
  detect: ftraceBinConfidence,
};
