import { bestMatch } from './best-match.js';
import type { FormatSpec } from './types.js';
import { blkparseFormat } from './blkparse/spec.js';
import { qemuLogFormat } from './qemu/log.js';
import { qemuSimpletraceFormat } from './qemu/simpletrace.js';
import { eventsCsvFormat, eventsNdjsonFormat } from './events/spec.js';
import { blktraceFormat, ftraceBlkBinFormat } from './blktrace/spec.js';
import { tracepointFormat } from './tracepoint/spec.js';
import { ftraceBlkClassicFormat, ftraceBlkFormat } from './ftrace-blk/spec.js';
import { blkparseCustomFormat } from './blkparse-custom/spec.js';
import { csvFormat, csvMsrFormat } from './csv/spec.js';
import { biosnoopFormat, iosnoopFormat } from './snoop/spec.js';
import { straceFormat } from './strace/spec.js';
import { syncCsvFormat } from './sync-csv/spec.js';

/**
 * Every input format blkaudit reads. Detection asks each spec for its
 * confidence on the first bytes of the input and takes the highest; order
 * here only breaks ties (more specific formats first).
 */
export const FORMATS: readonly FormatSpec[] = [
  blkparseFormat,
  ftraceBlkClassicFormat,
  ftraceBlkFormat,
  tracepointFormat,
  blktraceFormat,
  ftraceBlkBinFormat,
  qemuSimpletraceFormat,
  qemuLogFormat,
  eventsNdjsonFormat,
  eventsCsvFormat,
  biosnoopFormat,
  iosnoopFormat,
  straceFormat,
  syncCsvFormat,
  csvMsrFormat,
  csvFormat,
  blkparseCustomFormat,
];

export function formatByName(name: string): FormatSpec | undefined {
  return FORMATS.find((f) => f.name === name);
}

export interface Detection {
  format: FormatSpec;
  confidence: number;
}

/** Best match for `head`, or undefined when nothing recognises it. */
export function detectFormat(head: Buffer): Detection | undefined {
  return bestMatch(FORMATS, head);
}
