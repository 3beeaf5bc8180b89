/** biosnoop / iosnoop text: description and detection (no parser: see formats/catalog.ts). */
import type { FormatMeta } from '../types.js';
import { looksLikeHeader, parseHeader } from './columns.js';

const HEADER_LINES = 50;
/** firstHeader's answer per head: biosnoop and iosnoop both ask, for every input detected. */
const headers = new WeakMap<Buffer, { names: string[] | undefined }>();

/** The first header line among the first 50 lines of `head`, parsed. */
function firstHeader(head: Buffer): string[] | undefined {
  let hit = headers.get(head);
  if (!hit) {
    hit = { names: scanHeader(head) };
    headers.set(head, hit);
  }
  return hit.names;
}

function scanHeader(head: Buffer): string[] | undefined {
  // only the bytes of the first 50 lines are decoded: the same lines as the whole head split at 50 (latin1: a char per byte)
  let end = -1;
  for (let i = 0; i < HEADER_LINES; i++) {
    end = head.indexOf(10, end + 1);
    if (end < 0) break;
  }
  const lines = head.toString('latin1', 0, end < 0 ? head.length : end).split('\n', HEADER_LINES);
  for (const l of lines) {
    if (!looksLikeHeader(l)) continue;
    const layout = parseHeader(l.replace(/\r$/, ''));
    if (layout) return layout.names;
  }
  return undefined;
}

export function biosnoopConfidence(head: Buffer): number {
  const names = firstHeader(head);
  if (!names) return 0;
  const timed = names[0] === 'TIME(s)' || names[0] === 'TIMESTAMP';
  return timed && names.includes('DISK') && names.includes('LAT(ms)') ? 0.95 : 0;
}

export function iosnoopConfidence(head: Buffer): number {
  const names = firstHeader(head);
  if (!names) return 0;
  return names.includes('TYPE') && names.includes('DEV') && names.includes('BLOCK') && names.includes('LATms') ? 0.95 : 0;
}

export const biosnoopMeta: FormatMeta = {
  name: 'biosnoop',
  title: 'bcc biosnoop text (biosnoop.py incl. -Q/-P and the 2015 layout, libbpf-tools biosnoop incl. -t): one row per completed I/O',
  example: '38.090366   md0_raid1      4800    nvme6n1   W 40         4096      0.01',
  detectedBy: 'a header "TIME(s)|TIMESTAMP COMM PID DISK T SECTOR BYTES [P] [QUE(ms)] LAT(ms)"',
  kind: 'text',
  produces: 'block',
  detect: biosnoopConfidence,
};

export const iosnoopMeta: FormatMeta = {
  name: 'iosnoop',
  title: 'perf-tools iosnoop text (ftrace based; plain, -s/-t STARTs/ENDs): one row per completed I/O',
  example: 'supervise        1809   W    202,1    17039968     4096       1.32',
  detectedBy: 'a header "[STARTs] [ENDs] COMM PID TYPE DEV BLOCK BYTES LATms"',
  kind: 'text',
  produces: 'block',
  detect: iosnoopConfidence,
};
