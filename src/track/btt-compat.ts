/**
 * btt's request model, reproduced so that `stats` prints the same Q2C, D2C,
 * Q2G, G2I, Q2M, I2D, M2D (and Q2Q) figures as `btt` on the same trace.
 * Every rule below was established against the real btt 1.2.0 binary on
 * crafted traces and on the whole corpus (test/track-btt.test.ts):
 *
 *  - every event with 0 bytes is ignored (Q, G, M, I, D, C alike), so empty
 *    flushes, flush requests (`D FN`/`C FN`) and the 0-byte final completion
 *    of a flush-sequenced write do not exist for btt;
 *  - passthrough (PC) events, notes and messages are ignored;
 *  - per device, a Q is put in a tree keyed by start sector; a second Q with
 *    the same start REPLACES the first (btt `rb_insert` → `rb_replace_node`),
 *    which then never completes;
 *  - G, M/F and I find "their" Q by descending the tree to the first Q whose
 *    range holds the event's sector (`rb_find_sec`); G sets g (Q2G), M sets m
 *    (Q2M), I sets i (G2I when g is set); a repeated G/I simply counts again;
 *  - D and C take every Q whose range lies inside theirs, found by btt's
 *    pruned walk (`rb_foreach`, see rbtree.ts); D adds I2D when i is set, else
 *    M2D when m is set, and sets d (overwriting); C adds Q2C, D2C when d is
 *    set, and removes the Q;
 *  - Q2Q is the gap between consecutive accepted Qs of the device;
 *  - on "remapper" majors (9 md, 253, 254 — btt `remapper_dev`) btt files
 *    Q2Q and Q2C under `Q2Qdm`/`Q2Cdm`; the numbers are the same.
 * Known consequence: btt's figures differ from the requests' real lifetimes
 * (lifetime.ts) whenever flushes, same-sector rewrites or splits occur.
 */
import type { BlockEvent } from '../model/event.js';
import { Act } from '../model/event.js';
import { Flag } from '../model/rwbs.js';
import { devMajor } from '../model/device.js';
import { RbTree, type RbNode } from './rbtree.js';
import { emptyInPlace } from '../model/arrays.js';

/** The phases btt prints in its "All Devices" table, in btt's order. */
export const BTT_PHASES = ['Q2Q', 'Q2G', 'G2I', 'Q2M', 'I2D', 'M2D', 'D2C', 'Q2C'] as const;
export type BttPhase = (typeof BTT_PHASES)[number];

/** Receives one latency sample (ns) for a phase. */
export type PhaseSink = (phase: BttPhase, ns: number) => void;

interface BttQ extends RbNode {
  q: number;
  g: number;
  i: number;
  m: number;
  d: number;
}

/** btt `remapper_dev`: md (9) and the two majors btt assumes are device-mapper. */
export function isBttRemapper(dev: number): boolean {
  const mj = devMajor(dev);
  return mj === 9 || mj === 253 || mj === 254;
}

/**
 * btt never forgets a Q it could not complete; past this many, the oldest
 * half is dropped (counted in `evicted`) so memory stays bounded on endless
 * traces. No capture in the corpus comes near it.
 */
export const MAX_BTT_QUEUED = 1 << 18;

export interface BttCounts {
  /** Events btt ignores because they carry 0 bytes. */
  zeroByteEvents: number;
  /** Qs btt dropped because a later Q had the same start sector. */
  replacedQueues: number;
  /** Qs still in btt's tree at the end (never completed for btt). */
  neverCompleted: number;
  /** Qs dropped because btt's tree outgrew MAX_BTT_QUEUED (btt itself would keep them). */
  evicted: number;
}

/** btt's per-device state. One per device; fed that device's events in order. */
export class BttDevice {
  private readonly tree = new RbTree<BttQ>();
  private lastQ = -1;
  private readonly found: BttQ[] = [];
  readonly counts: BttCounts = { zeroByteEvents: 0, replacedQueues: 0, neverCompleted: 0, evicted: 0 };

  constructor(
    private readonly sample: PhaseSink,
    private readonly maxQueued = MAX_BTT_QUEUED,
  ) {}

  event(e: BlockEvent): void {
    const act = e.act;
    if (act > Act.Insert || act === Act.SleepRq || act === Act.Requeue || act === Act.Plug || act === Act.Unplug || act === Act.UnplugTimer) return;
    if (e.flags & Flag.PC) return;
    if (e.bytes <= 0 || e.sector < 0) {
      this.counts.zeroByteEvents++;
      return;
    }
    const t = e.time;
    const sec = e.sector;
    switch (act) {
      case Act.Queue: {
        if (this.lastQ >= 0) this.sample('Q2Q', t - this.lastQ);
        this.lastQ = t;
        const q: BttQ = {
          start: sec, end: sec + Math.floor(e.bytes / 512), left: null, right: null, parent: null, red: true,
          q: t, g: -1, i: -1, m: -1, d: -1,
        };
        if (this.tree.insertReplace(q)) this.counts.replacedQueues++;
        else if (this.tree.size > this.maxQueued) {
          this.counts.evicted += this.tree.evictOldest(this.tree.size - Math.ceil(this.maxQueued / 2), (x) => x.q).length;
        }
        return;
      }
      case Act.GetRq: {
        const q = this.tree.findContaining(sec);
        if (q) {
          q.g = t;
          this.sample('Q2G', t - q.q);
        }
        return;
      }
      case Act.BackMerge:
      case Act.FrontMerge: {
        const q = this.tree.findContaining(sec);
        if (q) {
          q.m = t;
          this.sample('Q2M', t - q.q);
        }
        return;
      }
      case Act.Insert: {
        const q = this.tree.findContaining(sec);
        if (q) {
          q.i = t;
          if (q.g >= 0) this.sample('G2I', t - q.g);
        }
        return;
      }
      case Act.Issue: {
        const list = this.collect(sec, e.bytes);
        for (let k = 0; k < list.length; k++) {
          const q = list[k]!;
          if (q.i >= 0) this.sample('I2D', t - q.i);
          else if (q.m >= 0) this.sample('M2D', t - q.m);
          q.d = t;
        }
        emptyInPlace(list);
        return;
      }
      case Act.Complete: {
        const list = this.collect(sec, e.bytes);
        for (let k = 0; k < list.length; k++) {
          const q = list[k]!;
          this.sample('Q2C', t - q.q);
          if (q.d >= 0) this.sample('D2C', t - q.d);
          this.tree.erase(q);
        }
        emptyInPlace(list);
        return;
      }
      default:
        return;
    }
  }

  private collect(sec: number, bytes: number): BttQ[] {
    const out = this.found;
    emptyInPlace(out);
    this.tree.forEachContainedBtt(sec, sec + Math.floor(bytes / 512), out);
    return out;
  }

  finish(): BttCounts {
    this.counts.neverCompleted = this.tree.size;
    return this.counts;
  }
}
