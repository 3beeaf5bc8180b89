/**
 * The rule catalogue: every rule id blkaudit can report, single-layer and
 * cross-layer, with its severity, meaning, evidence and the kernel/QEMU
 * source its semantics come from. `check --help` is generated from it and
 * the README's Rules table is tested against it (test/rule-catalogue.test.ts),
 * so neither can list a rule that is not here, nor leave one out.
 *
 * Single-layer entries are the `info` of the rule files in this folder (one
 * file per rule); cross-layer rules are implemented in src/correlate and
 * catalogued here; `sync-call-not-durable` is the application layer's
 * (src/app: an fsync/fdatasync/O_DSYNC write that returned before its data
 * was durable below).
 */
import type { RuleInfo } from '../types.js';
import { lostEventsInfo } from './lost-events.js';
import { flushNeverIssued } from './flush-never-issued.js';
import { flushFlagsStripped } from './flush-flags-stripped.js';
import { flushFailed } from './flush-failed.js';
import { ioError } from './io-error.js';
import { barrierNotDrained } from './barrier-not-drained.js';
import { overlappingWritesInFlight } from './overlapping-writes-in-flight.js';
import { completionWithoutIssue, cpuClockOff, inFlightAtEnd, unflushedAtEnd } from './end-state.js';

export type RuleScope = 'device' | 'cross-layer' | 'app';

export interface CatalogueEntry extends RuleInfo {
  /** device: one device's trace; cross-layer: two layers of a stack; app: the application's calls. */
  scope: RuleScope;
  /** Reserved: the id is taken, the rule fires nowhere yet. */
  reserved?: boolean;
  /** How --help states the severity when it varies ("warning or info"); `severity` is the highest. */
  severityText?: string;
}

const device = (info: RuleInfo): CatalogueEntry => ({ ...info, scope: 'device' });

/** The single-layer rules, in report order (lost-events first: it qualifies every other verdict). */
export const DEVICE_RULE_INFOS: readonly CatalogueEntry[] = [
  lostEventsInfo,
  flushNeverIssued.info,
  flushFlagsStripped.info,
  flushFailed.info,
  ioError.info,
  barrierNotDrained.info,
  overlappingWritesInFlight.info,
  unflushedAtEnd.info,
  inFlightAtEnd.info,
  completionWithoutIssue.info,
  cpuClockOff.info,
].map(device);

/** The cross-layer rules (src/correlate/rules.ts emits them). */
export const CROSS_LAYER_RULE_INFOS: readonly CatalogueEntry[] = [
  {
    id: 'flush-not-passed-down',
    scope: 'cross-layer',
    severity: 'error',
    meaning: "An upper layer's flush completed while writes it covered were not durable in the layer below (the layer between did not pass the flush down).",
    evidence: 'the upper flush, the uncovered lower writes',
    citation: 'QEMU block/io.c bdrv_co_flush (cache=unsafe: BDRV_O_NO_FLUSH returns at once); drivers/block/loop.c lo_req_flush → vfs_fsync',
  },
  {
    id: 'fua-not-honored',
    scope: 'cross-layer',
    severity: 'error',
    meaning: 'An upper FUA write completed before its data was durable below (neither FUA nor a flush followed it down).',
    evidence: 'the upper write, the lower write without FUA/flush',
    citation: 'QEMU block/io.c bdrv_driver_pwritev (BDRV_REQ_FUA emulated by bdrv_co_flush when the driver lacks it); hw/block/virtio-blk.c; hw/scsi/scsi-disk.c scsi_write_do_fua; hw/nvme/ctrl.c nvme_do_write (7.2: the NVMe FUA bit is not acted on)',
  },
  {
    id: 'write-through-not-durable',
    scope: 'cross-layer',
    severity: 'error',
    meaning: 'A layer presenting itself as write-through completed a write before it was durable below.',
    evidence: 'the upper completion, the lower write',
    citation: 'QEMU block/block-backend.c blk_co_pwritev_part (BDRV_REQ_FUA on every write when the write cache is disabled); block.c bdrv_parse_cache_mode',
  },
  {
    id: 'durable-order-inverted',
    scope: 'cross-layer',
    severity: 'error',
    meaning: 'The upper layer ordered A before B (B issued after A and a flush covering A completed) but below B became durable while A was still volatile.',
    evidence: 'A and B at both layers',
    citation: 'Documentation/block/writeback_cache_control.rst (a flush orders what completed before it); QEMU block/io.c bdrv_co_flush',
  },
  {
    id: 'cross-layer-undecided',
    scope: 'cross-layer',
    severity: 'warning',
    severityText: 'warning or info',
    meaning: 'A promise could be neither proven kept nor proven broken below, with the reason and what would decide it: a warning when the data never became durable below and the lower trace ends before the promise (was it still traced?) or candidate devices below (mirror legs, a drive moved by a block job, quorum children) disagree on it; info when it became durable within the clock uncertainty, was found by sector only without timestamps or through a map not confirmed in time, when untyped QEMU jobs may have been the flush, or when no sector map fits.',
    evidence: 'the first undecided promise; the reason (clock, end, order, map, unknown-jobs, ack, cache, not-traced, no-map, not-followed)',
    citation: 'src/correlate/align.ts (clock alignment and its width); the evidence grades of issue 13',
  },
];

/** The application layer's rule (src/app). */
export const APP_RULE_INFOS: readonly CatalogueEntry[] = [
  {
    id: 'sync-call-not-durable',
    scope: 'app',
    severity: 'error',
    severityText: 'error',
    meaning: 'An application sync call (fsync, fdatasync, an O_DSYNC/O_SYNC write) returned before the data it covered was durable on the device below.',
    evidence: 'the call (begin/end markers), the writes it covered, the missing flush/FUA',
    citation: 'fs/sync.c vfs_fsync_range; fsync(2), fdatasync(2), open(2) O_DSYNC',
  },
];

/** Every rule id blkaudit knows, in help/README order. */
export const CATALOGUE: readonly CatalogueEntry[] = [...DEVICE_RULE_INFOS, ...CROSS_LAYER_RULE_INFOS, ...APP_RULE_INFOS];

export function ruleInfo(id: string): CatalogueEntry | undefined {
  return CATALOGUE.find((r) => r.id === id);
}

/** The rule list of `check --help`: id, severity, scope, one per line. */
export function rulesHelp(): string {
  const line = (r: CatalogueEntry) => `  ${r.id.padEnd(30)}${r.severityText ?? r.severity}${r.reserved ? ' (reserved)' : ''}`;
  return [
    'Rules (one device at a time):',
    ...DEVICE_RULE_INFOS.map(line),
    'Across layers (inputs named "layer=path", --stack or --map):',
    ...CROSS_LAYER_RULE_INFOS.map(line),
    'Application layer (strace -f -ttt -T -y, sync-call CSV, syscall tracepoints):',
    ...APP_RULE_INFOS.map(line),
  ].join('\n');
}
