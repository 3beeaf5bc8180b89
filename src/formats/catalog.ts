/**
 * Every input format as detection sees it — name, description, detect() —
 * with its parser module loaded only when an input is read with it: a run
 * on blkparse text never loads the CSV, QEMU or tracepoint readers (CLI
 * start-up). Same formats and order as registry.ts, which holds the full
 * specs for library users and tests; a test checks that the two agree.
 */
import { bestMatch } from './best-match.js';
import type { FormatMeta, FormatSpec } from './types.js';
import { blkparseMeta } from './blkparse/detect.js';
import { ftraceBlkClassicMeta, ftraceBlkMeta } from './ftrace-blk/detect.js';
import { tracepointMeta } from './tracepoint/meta.js';
import { blktraceMeta, ftraceBlkBinMeta } from './blktrace/detect.js';
import { qemuLogMeta, qemuSimpletraceMeta } from './qemu/detect.js';
import { eventsCsvMeta, eventsNdjsonMeta } from './events/meta.js';
import { biosnoopMeta, iosnoopMeta } from './snoop/meta.js';
import { csvMeta, csvMsrMeta } from './csv/meta.js';
import { blkparseCustomMeta } from './blkparse-custom/meta.js';
import { straceMeta } from './strace/meta.js';
import { syncCsvMeta } from './sync-csv/meta.js';

export interface FormatEntry extends FormatMeta {
  /** The full spec, parser included (its module is imported on first call). */
  load(): Promise<FormatSpec>;
}

const entry = (meta: FormatMeta, load: () => Promise<FormatSpec>): FormatEntry => ({ ...meta, load });

/** Detection order = registry.ts FORMATS order (it only breaks ties). */
export const CATALOG: readonly FormatEntry[] = [
  entry(blkparseMeta, async () => (await import('./blkparse/spec.js')).blkparseFormat),
  entry(ftraceBlkClassicMeta, async () => (await import('./ftrace-blk/spec.js')).ftraceBlkClassicFormat),
  entry(ftraceBlkMeta, async () => (await import('./ftrace-blk/spec.js')).ftraceBlkFormat),
  entry(tracepointMeta, async () => (await import('./tracepoint/spec.js')).tracepointFormat),
  entry(blktraceMeta, async () => (await import('./blktrace/spec.js')).blktraceFormat),
  entry(ftraceBlkBinMeta, async () => (await import('./blktrace/spec.js')).ftraceBlkBinFormat),
  entry(qemuSimpletraceMeta, async () => (await import('./qemu/simpletrace.js')).qemuSimpletraceFormat),
  entry(qemuLogMeta, async () => (await import('./qemu/log.js')).qemuLogFormat),
  entry(eventsNdjsonMeta, async () => (await import('./events/spec.js')).eventsNdjsonFormat),
  entry(eventsCsvMeta, async () => (await import('./events/spec.js')).eventsCsvFormat),
  entry(biosnoopMeta, async () => (await import('./snoop/spec.js')).biosnoopFormat),
  entry(iosnoopMeta, async () => (await import('./snoop/spec.js')).iosnoopFormat),
  entry(straceMeta, async () => (await import('./strace/spec.js')).straceFormat),
  entry(syncCsvMeta, async () => (await import('./sync-csv/spec.js')).syncCsvFormat),
  entry(csvMsrMeta, async () => (await import('./csv/spec.js')).csvMsrFormat),
  entry(csvMeta, async () => (await import('./csv/spec.js')).csvFormat),
  entry(blkparseCustomMeta, async () => (await import('./blkparse-custom/spec.js')).blkparseCustomFormat),
];

export function entryByName(name: string): FormatEntry | undefined {
  return CATALOG.find((f) => f.name === name);
}

/** Best match for `head` (the same answer as registry.ts detectFormat), or undefined. */
export function detectEntry(head: Buffer): { format: FormatEntry; confidence: number } | undefined {
  return bestMatch(CATALOG, head);
}
