/**
 * flush-never-issued: a filesystem keeps committing on a device with a
 * volatile cache, and no flush or FUA ever reaches the device (ext4/xfs
 * `nobarrier`, `barrier=0`, a stack that drops flushes above this device).
 *
 * The trigger is semantic, not a count fitted to captures. Journaling
 * filesystems write their commit points as sync metadata (REQ_SYNC|REQ_META)
 * *after waiting* for the metadata before them:
 *   jbd2   journal blocks, wait, commit block   (jbd2_journal_commit_transaction → journal_submit_commit_record)
 *   xfs    iclogs, wait, commit record iclog    (xlog_write_iclog; XLOG_ICL_NEED_FLUSH/NEED_FUA)
 *   btrfs  tree blocks, wait, superblocks       (btrfs_commit_transaction → write_all_supers)
 *   f2fs   node/meta pages, wait, CP pack       (do_checkpoint → commit_checkpoint)
 * With barriers these very writes carry PREFLUSH/FUA (or an explicit flush
 * precedes them), so on a device whose cache the kernel thinks volatile a
 * flush shows up at every commit point. The model counts ordering levels:
 * a sync+meta write queued after another one completed is one level deeper.
 *
 * Fires per flush epoch: when the sync+meta writes climb MIN_LEVELS levels
 * with no flush evidence in between (no flush request, no PREFLUSH/FUA/barrier
 * flag on any event) — over the whole trace when it has no flush at all, or
 * after the last flush seen (one flush at mount, from ext4lazyinit or a
 * journal commit before `remount,nobarrier`, must not hide the rest: real
 * capture fixtures/check/real/ext4-remount-nobarrier). With barriers every
 * jbd2/xfs commit record carries PREFLUSH|FUA, so an epoch spans a few levels
 * (MIN_LEVELS_AFTER_FLUSH says how many are allowed once a flush was seen). Margin: a commit cut by the trace's start and one cut
 * by its end can each show an unflagged level without a flush being missed
 * (the flagged write falls outside the trace), so 4 levels = at least one
 * whole commit acknowledged inside the trace with no flush, plus one spare.
 * Known blind spot: xfs with barriers inside one very large checkpoint (the
 * 8-iclog ring wraps, each wrap a level) — only on a trace shorter than that
 * checkpoint; the finding gives the counts so a reader can judge.
 * Plain data writes (O_DIRECT without fsync, as in host/mixed-rw) never count:
 * nothing in the trace asked to make them durable.
 */
import type { RuleFactory } from './rule.js';
import { cacheSeverity, formatBytes, formatSecs, makeFinding, plural } from './rule.js';
import { DEEP_STRETCH_LEVELS, type DeviceModel, type Stretch } from '../device-model.js';
import type { ResolvedCache } from '../cache.js';

export const MIN_LEVELS = 4;

/**
 * Levels needed after a flush was seen. Between two flushes of a filesystem
 * with barriers a stretch spans the levels of one commit plus whatever sync
 * metadata writeback fell in between (`sync` writing bitmaps and inodes as
 * WSM before jbd2's journal blocks): at most 4 on every real capture here
 * (fixtures/stacks vm-stack-directsync-threads dm-0/md0: commit, sync's
 * writes at two levels, the next journal blocks), and a trace may end inside
 * such a stretch. 16 = four of those back to back with no flush at all;
 * ext4 after `remount,barrier=0` reaches 122 (fixtures/check/real/ext4-remount-nobarrier).
 */
export const MIN_LEVELS_AFTER_FLUSH = DEEP_STRETCH_LEVELS;

/**
 * A trace with flushes but cut so that levels cannot be counted (no Q, or no C): a run of this many sync+meta
 * writes with no flush evidence between them is a stretch a filesystem may have committed through without
 * flushes (after `remount,nobarrier`, or a guest that switched queue/write_cache off: vm-wc-switch-writeback has
 * 127 such writes after its last flush), so the rule says it cannot tell. A jbd2 commit with barriers ends with a
 * flagged commit record, so a run spans one commit's journal blocks (a few requests once merged, as `-a complete`
 * shows them: vm-wc-switchback-writeback's 40 fsyncs with no flush completed 62); a run longer than a commit on a
 * clean trace gets the same honest note (info), never more.
 */
export const UNDECIDED_RUN = 2 * MIN_LEVELS_AFTER_FLUSH;

export function flushNeverIssuedFires(m: DeviceModel, cache: ResolvedCache): boolean {
  if (cache.mode === 'writethrough') return false;
  const min = m.flushEvidence === 0 ? MIN_LEVELS : MIN_LEVELS_AFTER_FLUSH;
  if ((m.flushEvidence === 0 ? m.maxCompletedGen : m.maxLevelsWithoutFlush) < min) return false;
  // a guest that switched its virtio disk's write cache at run time (cache_type "write through" or "write back":
  // QEMU adds FUA to every write while it is off, hw/block/virtio-blk.c virtio_blk_set_config): its commits
  // while written through need no flush, so only the levels of a stretch reached outside that span count
  // (fixtures/stacks/vm-ctype-switch-writeback, vm-ctype-switchback-writeback; the same switches of
  // queue/write_cache, which QEMU never sees, stay errors: vm-wc-switch-writeback, vm-wc-switchback-writeback)
  const wt = cache.writeThroughSpans;
  if (!wt) return true;
  if (m.deepStretchesDropped > 0) return true;
  const stretches = [...m.deepStretches, m.currentStretch()];
  return stretches.some((s) => levelsOutside(s, wt) >= min);
}

/** Levels of a stretch reached outside every [from, until]; a level past the timed ones counts (the safe side). */
function levelsOutside(s: Readonly<Stretch>, spans: ReadonlyArray<readonly [number, number]>): number {
  let n = 0;
  for (let k = 1; k <= s.depth; k++) {
    const t = s.times[k];
    if (t === undefined || !withinOne(spans, t, t)) n++;
  }
  return n;
}

/** [from, to] lies inside one of the spans (written through all along it). */
function withinOne(spans: ReadonlyArray<readonly [number, number]>, from: number, to: number): boolean {
  return spans.some(([a, b]) => from >= a && to <= b);
}

export const flushNeverIssued: RuleFactory = {
  info: {
    id: 'flush-never-issued',
    severity: 'error',
    meaning:
      'A filesystem kept committing (sync metadata writes ordered after one another, cycle after cycle) on a device with a volatile cache, and no flush or FUA reached the device over at least 4 of those ordered levels in a trace with no flush at all, or 16 after the last flush seen (one flush at mount does not hide a nobarrier remount): every write acknowledged in that stretch could be lost on power failure (nobarrier, or flushes dropped above). A warning when the cache mode is not known; one info, undecided, when the device has no Q event (traced with -a issue -a complete) or no completion (-a queue) in the trace: the ordering is seen only from both.',
    evidence: 'the first sync metadata writes of the unflushed stretch and the one that reached its depth (commit points); counts of writes and bytes left volatile, the longest unflushed stretch',
    citation: 'fs/jbd2/commit.c jbd2_journal_commit_transaction (commit block REQ_PREFLUSH|REQ_FUA with JBD2_BARRIER); fs/xfs/xfs_log.c xlog_write_iclog (XLOG_ICL_NEED_FLUSH/NEED_FUA)',
  },
  create: () => ({
    finish(m, ctx) {
      if (!flushNeverIssuedFires(m, ctx.cache)) {
        // the levels are counted from Q (a write queued after another completed; D order is not that: a queue of
        // depth 1 issues a batch queued at once one after another) and C: a trace cut by an action mask without
        // either cannot show them
        const noQueue = m.queuedBios === 0 && m.syncMetaCompleted >= MIN_LEVELS;
        // (sync+meta writes, the commit points the levels are counted on: reads or plain data queued can hold none)
        const noCompletion = m.completions === 0 && m.syncMetaQueued >= MIN_LEVELS;
        // with flushes in the trace: only a long run of sync metadata writes with none between them is in doubt
        const longest = noQueue ? m.syncMetaDoneRun : m.syncMetaQueuedRun;
        const run = longest.max;
        const [from, to] = longest.span;
        // ... unless the layer below shows the device written through all along that run (cache.ts writeThroughSpans)
        const runDoubt = run >= UNDECIDED_RUN && !withinOne(ctx.cache.writeThroughSpans ?? [], from, to);
        if ((noQueue || noCompletion) && (m.flushEvidence === 0 || runDoubt) && ctx.cache.mode !== 'writethrough') {
          const none = m.flushEvidence === 0;
          const what = noQueue
            ? `${plural(none ? m.syncMetaCompleted : run, 'sync metadata write')} completed ${none ? 'and no flush or FUA reached the device' : 'in a row with no flush or FUA between them'}, but the trace has no queue (Q) event on it (an action mask such as -a issue -a complete, or a cut trace)`
            : `${plural(none ? m.syncMetaQueued : run, 'sync metadata write')} queued ${none ? 'with no flush or FUA' : 'in a row with no flush or FUA between them'}, but the trace has not one completion (C) on the device (an action mask such as -a queue, or a cut trace)`;
          ctx.emit(makeFinding(m, 'flush-never-issued', 'info', m.firstSyncMeta?.time != null ? m.firstSyncMeta.time * 1e9 : m.firstTime,
            `${what}: a commit is seen ordered after the one before it only from Q and C, so whether a filesystem committed without flushes (nobarrier) ` +
              'cannot be told: undecided. A trace with every action decides it.',
            m.firstSyncMeta ? [m.firstSyncMeta] : [],
            { kind: 'undecided', missing: noQueue ? 'Q' : 'C', syncMetaWrites: m.syncMetaCompleted, syncMetaQueued: m.syncMetaQueued, queued: m.queuedBios, flushesCompleted: m.flushesCompleted, syncMetaRunWithoutFlush: run }));
        }
        return;
      }
      const v = m.volatile;
      const oldest = v.oldestPending() ?? m.firstTime;
      const stretch = Math.max(0, m.lastTime - oldest);
      const unknown = ctx.cache.source !== 'declared' && ctx.cache.fromBelow === undefined;
      const last = m.lastSyncMeta();
      const whole = m.flushEvidence === 0;
      const source = whole ? [m.firstSyncMeta, ...m.genEvidence, last] : m.worstStretch;
      const evidence = source
        .filter((x): x is NonNullable<typeof x> => x !== undefined)
        .filter((x, i, a) => a.findIndex((y) => y.loc === x.loc && y.source === x.source) === i)
        .slice(0, 5);
      const since = whole
        ? 'and no flush or FUA ever reached the device: '
        : m.worstStretchAfterFlush < 0
          // the deepest stretch began with the trace: flushes came only later (the queue's cache switched on, or
          // a remount with barriers)
          ? `and from the start of the trace to its first flush or FUA ${m.maxLevelsWithoutFlush} ordered commit levels completed with none reaching the device: `
          : `and after the last flush or FUA (at ${formatSecs(m.worstStretchAfterFlush)}) ${m.maxLevelsWithoutFlush} more ordered commit levels completed with none reaching the device: `;
      ctx.emit(
        makeFinding(
          m,
          'flush-never-issued',
          cacheSeverity(ctx, 'error'),
          whole ? (m.firstSyncMeta?.time != null ? m.firstSyncMeta.time * 1e9 : m.firstTime) : (evidence[0]?.time ?? 0) * 1e9,
          // counted by this device's own flushes: where its cache is the devices' below (md, dm), flushes it sent them
          // on its own (md's superblock updates) may have made part of it durable there later
          `${plural(m.writesCompleted, 'write completion')} (${v.bytes > 0 ? `${formatBytes(v.bytes)} never covered by a flush of this device` : 'each covered by a flush of this device only later'}` +
            `${ctx.cache.fromBelow && !ctx.cache.fromQemu ? ', though flushes of the layer below not sent through this device (md\'s own superblock updates) may have made part of it durable there later' : ''}), ` +
            `including ${plural(m.syncMetaCompleted, 'sync metadata write')} over ${m.maxCompletedGen} ordered commit levels, ` +
            since +
            (unknown ? 'if its write cache is volatile, ' : 'with its volatile write cache, ') +
            `all of them could be lost on power failure; the oldest has been unflushed for ${formatSecs(stretch)}` +
            (!unknown ? (ctx.cache.fromBelow ? ` (the layer below shows it: ${ctx.cache.fromBelow}).` : '.')
              // its own flushes show the kernel saw a write cache (cache.ts), not that it is volatile: still a warning
              : ctx.cache.source === 'inferred' ? ' (write-back inferred from its own flushes, not declared: declare it with --cache DEV=writeback|writethrough).'
              : ' (cache mode unknown: declare it with --cache DEV=writeback|writethrough).'),
          evidence,
          {
            writesCompleted: m.writesCompleted,
            volatileWrites: v.writes,
            volatileBytes: v.bytes,
            syncMetaWrites: m.syncMetaCompleted,
            orderingLevels: m.maxCompletedGen,
            levelsWithoutFlush: m.maxLevelsWithoutFlush,
            minLevels: m.flushEvidence === 0 ? MIN_LEVELS : MIN_LEVELS_AFTER_FLUSH,
            longestUnflushedSeconds: stretch / 1e9,
            flushesCompleted: m.flushesCompleted,
          },
        ),
      );
    },
  }),
};
