/**
 * Informational findings about the edges of the trace — never violations:
 *  - unflushed-at-end: writes completed after the last successful flush and
 *    still not durable when the trace ended. A flush after the trace may well
 *    have covered them (and raw O_DIRECT writes that nobody fsyncs never ask
 *    to be durable), so this is information, not a verdict. Not reported
 *    when flush-never-issued already covers the device.
 *  - requests-in-flight-at-end: bios and requests the trace never saw finish.
 *  - completion-without-issue: completions whose Q/D came before the trace
 *    began (or were lost).
 */
import type { RuleFactory } from './rule.js';
import { formatBytes, formatSecs, makeFinding, plural, was } from './rule.js';
import { flushNeverIssuedFires } from './flush-never-issued.js';

export const unflushedAtEnd: RuleFactory = {
  info: {
    id: 'unflushed-at-end',
    severity: 'info',
    meaning: 'Writes completed after the last flush were not yet durable when the trace ended (a later flush may have covered them).',
    evidence: 'the first and last such writes; their count and bytes',
    citation: 'Documentation/block/writeback_cache_control.rst (a completed write is durable only after a flush)',
  },
  create: () => ({
    finish(m, ctx) {
      const v = m.volatile;
      if (v.writes === 0 || ctx.cache.mode === 'writethrough' || flushNeverIssuedFires(m, ctx.cache)) return;
      const first = v.pending()[0]!;
      // every one completed after the guest last switched the write cache off (cache.ts writeThroughSpans): written through
      const wt = ctx.cache.writeThroughSpans?.at(-1);
      if (wt && wt[1] === Infinity && first.oldest >= wt[0]) return;
      const evidence = v.firstAndLast();
      // (flush or FUA bios with no flush request completed: the trace shows no flush reaching the device either;
      // flush-flags-stripped says why it cannot tell more — fixtures/wild2, the bcache backing device)
      const none = m.flushesCompleted > 0 ? '' : m.flushEvidence > 0
        ? ' (no flush request completed on this device, though flush or FUA bios were sent to it)'
        : ' (no flush at all on this device)';
      ctx.emit(
        makeFinding(m, 'unflushed-at-end', 'info', first.oldest,
          `${plural(v.writes, 'completed write')} (${formatBytes(v.bytes)}) ${was(v.writes)} not yet flushed when the trace ended${none}; ` +
            `the oldest had waited ${formatSecs(m.lastTime - first.oldest)}.`,
          evidence, { writes: v.writes, bytes: v.bytes, oldestSeconds: first.oldest / 1e9 }),
      );
    },
  }),
};

export const inFlightAtEnd: RuleFactory = {
  info: {
    id: 'requests-in-flight-at-end',
    severity: 'info',
    meaning: 'Bios or requests were still queued, at the driver or in a flush sequence when the trace ended.',
    evidence: 'counts by stage',
    citation: 'kernel/trace/blktrace.c (events exist only inside the trace window)',
  },
  create: () => ({
    finish(m, ctx) {
      const n = m.inFlightAtEnd();
      if (m.discontinuities > 0) {
        ctx.emit(
          makeFinding(m, 'requests-in-flight-at-end', 'info', m.lastTime,
            `time went backwards ${plural(m.discontinuities, 'time')} (concatenated runs or a broken clock); ${plural(m.droppedAtDiscontinuity, 'open request')} ${was(m.droppedAtDiscontinuity)} forgotten there.`,
            [], { discontinuities: m.discontinuities, dropped: m.droppedAtDiscontinuity }),
        );
      }
      if (m.evictedQueued > 0) {
        ctx.emit(
          makeFinding(m, 'requests-in-flight-at-end', 'info', m.lastTime,
            `${plural(m.evictedQueued, 'request')} queued or issued but never completed ${was(m.evictedQueued)} dropped from memory (untraced merges or lost completions).`,
            [], { dropped: m.evictedQueued }),
        );
      }
      if (n === 0) return;
      const c = m.openCounts();
      const parts = [
        c.queued ? `${c.queued} queued` : '',
        c.atDriver ? `${c.atDriver} at the driver` : '',
        c.inFlushSequence ? `${c.inFlushSequence} waiting for their flush sequence` : '',
        c.emptyFlushes ? `${c.emptyFlushes} empty flushes` : '',
        c.flushRequests ? `${c.flushRequests} flush requests` : '',
      ].filter(Boolean);
      ctx.emit(
        makeFinding(m, 'requests-in-flight-at-end', 'info', m.lastTime,
          `${plural(n, 'request')} had not finished when the trace ended (${parts.join(', ')}).`, [], { ...c }),
      );
    },
  }),
};

export const completionWithoutIssue: RuleFactory = {
  info: {
    id: 'completion-without-issue',
    severity: 'info',
    meaning: 'Completions whose queue/issue events are not in the trace (issued before it began, or lost).',
    evidence: 'the first such completion; the count',
    citation: 'kernel/trace/blktrace.c (events exist only inside the trace window); blkparse.c check_sequence',
  },
  create: () => ({
    finish(m, ctx) {
      if (m.orphanCompletions === 0) return;
      ctx.emit(
        makeFinding(m, 'completion-without-issue', 'info', (m.orphanExample?.time ?? 0) * 1e9,
          `${plural(m.orphanCompletions, 'completion')} had no issue or queue event in the trace (issued before it began, or events lost).`,
          m.orphanExample ? [m.orphanExample] : [], { count: m.orphanCompletions }),
      );
    },
  }),
};

export const cpuClockOff: RuleFactory = {
  info: {
    id: 'cpu-clock-off',
    severity: 'info',
    meaning:
      'A CPU\'s timestamps on this device were more than a year ahead of the other CPUs\' (a broken per-CPU time base, as blkparse live mode showed on 4.4/5.4): its events were re-based by that offset, so their times are approximate.',
    evidence: 'the CPU, its offset, its first such event and how many were re-based',
    citation: 'kernel/trace/blktrace.c __blk_add_trace (each CPU stamps its own events)',
  },
  create: () => ({
    finish(m, ctx) {
      for (const o of m.facts.facts(m.env, m.dev).clockOutliers) {
        const src = m.env.sources[o.source];
        ctx.emit(
          makeFinding(m, 'cpu-clock-off', 'info', m.firstTime,
            `CPU ${o.cpu}'s clock was ${o.offsetSeconds.toFixed(6)} s ahead of the other CPUs' on this device; ` +
              `its ${plural(o.events, 'event')} ${was(o.events)} re-based by that offset (times approximate), not read as a gap of years.`,
            [{ source: src?.name ?? `#${o.source}`, locKind: src?.locKind ?? 'line', loc: o.firstLoc, time: 0, device: m.devText, action: '', rwbs: '', sector: -1, bytes: 0, note: `first event of CPU ${o.cpu} off by ${o.offsetSeconds.toFixed(3)} s` }],
            { cpu: o.cpu, offsetSeconds: o.offsetSeconds, events: o.events }),
        );
      }
    },
  }),
};
