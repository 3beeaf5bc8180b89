/**
 * The count-level proof for flushes whose data cannot be followed below (no sector map: an image file on a
 * host filesystem) and whose lower level does make some things durable, so the "0 flushes below in the whole
 * trace" proof of rules.ts does not apply.
 *
 * A chain of upper flush promises F1 < F2 < … < Fk, where each Fj covers a write Wj (completed before Fj was
 * issued) that was itself issued after F(j-1) was acknowledged, needs k distinct durability points below:
 * Wj's data reaches the lower device only after Wj was issued (causality), a flush makes durable only what
 * completed before it was issued, and Fj's point must complete before Fj is acknowledged
 * (Documentation/block/writeback_cache_control.rst). So Dj is issued after Wj was issued, which is after
 * F(j-1)'s acknowledgement, which is after D(j-1) completed: the points are distinct and ordered. This needs
 * neither a map nor a clock: only the upper level's own order and real-time causality. A lower level with
 * fewer completed flushes + FUA writes + ops of unknown kind than k broke at least k − that many of them.
 *
 * What it assumes, as the whole-trace count proof does: the lower device holds the upper device's data (the
 * correlator linked them), and both were traced over the chain (with a timed clock, only promises inside the
 * lower trace count). Seen on a real capture: a guest on a raw image file on host ext4 mounted `nobarrier`
 * under QEMU cache=none — 89 fdatasync jobs acknowledged, loop1 completed one flush (at mount, before QEMU
 * started): fs/ext4/fsync.c ext4_sync_file issues blkdev_issue_flush only with the barrier option, and
 * fs/jbd2/commit.c sends no PREFLUSH/FUA without JBD2_BARRIER.
 */
import type { EvidenceRef } from '../model/event.js';
import type { Finding } from '../model/report.js';
import type { AnalysisEnv } from '../model/analysis.js';
import { opEvidence, type Level } from './level.js';
import { OpFlag, OpKind } from './ops.js';

export interface ChainInput {
  env: AnalysisEnv;
  upper: Level;
  lower: Level;
  /** Whether the lower trace was recording at this upper time (rules.ts `covered`). */
  covered: (t: number) => boolean;
  /** Finding time of an upper row (rules.ts evTime). */
  time: (row: number) => number;
  lowerId: string;
  /** The lower level's counts (rules.ts: its table's, or the whole trace's when checked on a segment). */
  lowerCounts?: { flushes: number; fua: number; unknown: number };
}

/** Upper flush rows forming the longest such chain (greedy on acknowledgement order), in order. */
export function flushChain(inp: Pick<ChainInput, 'upper' | 'covered'>): number[] {
  const U = inp.upper.table;
  const writes: number[] = [];
  const flushes: number[] = [];
  for (let u = 0; u < U.n; u++) {
    if (!U.done(u)) continue;
    // FUA / write-through writes are promises of their own; write-zeroes may be done below as metadata only
    if (U.kind[u] === OpKind.Write && !U.has(u, OpFlag.FUA) && !U.has(u, OpFlag.ZEROES) && !U.writeThrough) writes.push(u);
    else if (U.kind[u] === OpKind.Flush) flushes.push(u);
  }
  writes.sort((a, b) => U.tI[a]! - U.tI[b]!);
  flushes.sort((a, b) => U.tI[a]! - U.tI[b]!);
  // sufMinC[i]: the earliest completion among writes i.. (by issue)
  const sufMinC = new Float64Array(writes.length + 1).fill(Infinity);
  for (let i = writes.length - 1; i >= 0; i--) sufMinC[i] = Math.min(sufMinC[i + 1]!, U.tC[writes[i]!]!);
  const chain: number[] = [];
  let lastAck = -Infinity;
  let wi = 0;
  for (const f of flushes) {
    if (!inp.covered(U.tI[f]!) || !inp.covered(U.tC[f]!)) continue;
    while (wi < writes.length && U.tI[writes[wi]!]! <= lastAck) wi++;
    // a write issued after the previous link was acknowledged, completed before this flush was issued
    if (sufMinC[wi]! < U.tI[f]!) {
      chain.push(f);
      lastAck = U.tC[f]!;
    }
  }
  return chain;
}

/** A chain of upper flushes as its finding tells it: its length, where it starts and ends, durability points below. */
interface ChainFound {
  length: number;
  /** Finding time and evidence of its first link, evidence of its last. */
  time: number;
  first: EvidenceRef;
  last: EvidenceRef;
  below: EvidenceRef[];
}

/** The chain of `inp`'s upper level with its evidence, or undefined when it has no link. */
function chainFound(inp: ChainInput): ChainFound | undefined {
  const chain = flushChain(inp);
  if (chain.length === 0) return undefined;
  const { upper, lower, env } = inp;
  const L = lower.table;
  const first = chain[0]!;
  const below: EvidenceRef[] = [];
  for (let l = 0; l < L.n && below.length < 3; l++) {
    if (L.done(l) && (L.kind[l] === OpKind.Flush || L.has(l, OpFlag.FUA))) below.push(opEvidence(env, lower, l, 'C', 'a durability point below'));
  }
  return {
    length: chain.length, time: inp.time(first), below,
    first: opEvidence(env, upper, first, 'C', 'first flush of the chain acknowledged'),
    last: opEvidence(env, upper, chain[chain.length - 1]!, 'C', 'last flush of the chain acknowledged'),
  };
}

/** The finding for a chain longer than the lower level's durability points, or null. */
function chainFinding(c: ChainFound, upper: Level, lower: Level, lc: { flushes: number; fua: number; unknown: number }, lowerId: string): Finding | null {
  const points = lc.flushes + lc.fua + lc.unknown;
  if (c.length <= points) return null;
  const broken = c.length - points;
  return {
    rule: 'flush-not-passed-down',
    severity: 'error',
    layer: upper.layer,
    device: upper.table.device,
    time: c.time,
    message:
      `${upper.name} acknowledged ${c.length} flushes in a chain, each covering a write issued after the previous one was ` +
      `acknowledged, so each needed a flush of its own below; ${lower.name} completed ${lc.flushes} flush(es), ${lc.fua} FUA ` +
      `write(s)${lc.unknown ? ` and ${lc.unknown} operation(s) of unknown kind` : ''} in the whole trace: at least ${broken} of ` +
      `those flushes were not passed down (count-level: the data cannot be followed there, no map is needed for this).`,
    evidence: [c.first, c.last, ...c.below],
    details: { chain: c.length, lowerDurabilityPoints: points, notPassedDown: broken, lower: lowerId },
  };
}

/** The finding, or null when the lower level has durability points enough for the chain. */
export function flushChainFinding(inp: ChainInput): Finding | null {
  if (inp.lower.table.writeThrough) return null;
  const c = chainFound(inp);
  return c ? chainFinding(c, inp.upper, inp.lower, inp.lowerCounts ?? inp.lower.table.counts(), inp.lowerId) : null;
}

/**
 * The chains of one link found segment by segment (segments.ts: a link whose clocks stay ambiguous), added up into
 * one. A segment is cut where its upper level is quiet, so each of its chain's links was issued after every link of
 * the segment before it was acknowledged: the chains put end to end are one chain of the whole trace, held against
 * the lower level's durability points over the whole trace (a segment's rows below need not be those of the same
 * stretch). One finding, at the end, as the whole trace would give.
 */
export class ChainLedger {
  private found: ChainFound | undefined;
  private upper: Level | undefined;
  private lower: Level | undefined;
  private lowerId = '';

  /** A segment's chain (no finding made for it). */
  add(inp: ChainInput): void {
    if (inp.lower.table.writeThrough) return;
    const c = chainFound(inp);
    if (!c) return;
    this.upper = inp.upper;
    this.lower = inp.lower;
    this.lowerId = inp.lowerId;
    if (!this.found) {
      this.found = c;
      return;
    }
    this.found.length += c.length;
    this.found.last = c.last;
    if (this.found.below.length === 0) this.found.below = c.below;
  }

  /** The finding over every segment, or null. */
  finding(lowerWhole: { flushes: number; fua: number; unknown: number }): Finding | null {
    return this.found ? chainFinding(this.found, this.upper!, this.lower!, lowerWhole, this.lowerId) : null;
  }
}
