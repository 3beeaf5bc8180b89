/**
 * One request tracker per device per layer, heard by two subscribers
 * (STYLE habit 11: every event is matched once). The checker's device model
 * owns the tracker of each device (check/device-model.ts, through facts.ts);
 * a later stage of the same analysis and layer that follows the same
 * requests — the correlator's operation tables (correlate/block-ops.ts) —
 * offers a subscriber for each device here, before any event is read, instead
 * of running a second tracker over the same events. The first subscriber
 * keeps `Bio.ext` / `FlushRq.ext`, the second `ext2`.
 *
 * What the second subscriber then shares with the first: where time goes
 * backwards on the device the tracker forgets what was open (facts.ts), and
 * the one in-flight cap (--max-inflight) drops the same bios for both.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import type { BlockEvent } from '../model/event.js';
import type { FlushRq, LifecycleSink } from './lifecycle.js';
import type { Bio } from './request.js';

/** Both subscribers' hooks, the first's before the second's, for every lifecycle event. */
export class LifecyclePair implements LifecycleSink {
  constructor(private readonly a: LifecycleSink, private readonly b: LifecycleSink) {}

  done(x: Bio): void {
    this.a.done(x);
    this.b.done(x);
  }

  flush(issue: number, complete: number, error: number): void {
    this.a.flush(issue, complete, error);
    this.b.flush(issue, complete, error);
  }

  flushDone(e: BlockEvent): void {
    this.a.flushDone?.(e);
    this.b.flushDone?.(e);
  }

  orphan(e: BlockEvent): void {
    this.a.orphan?.(e);
    this.b.orphan?.(e);
  }

  queued(x: Bio, e: BlockEvent): void {
    this.a.queued?.(x, e);
    this.b.queued?.(x, e);
  }

  merged(x: Bio, e: BlockEvent): void {
    this.a.merged?.(x, e);
    this.b.merged?.(x, e);
  }

  split(from: Bio, piece: Bio): void {
    this.a.split?.(from, piece);
    this.b.split?.(from, piece);
  }

  remapped(e: BlockEvent): void {
    this.a.remapped?.(e);
    this.b.remapped?.(e);
  }

  issued(e: BlockEvent, bios: readonly Bio[]): void {
    this.a.issued?.(e, bios);
    this.b.issued?.(e, bios);
  }

  flushIssued(f: FlushRq, e: BlockEvent): void {
    this.a.flushIssued?.(f, e);
    this.b.flushIssued?.(f, e);
  }

  requeued(e: BlockEvent, bios: readonly Bio[]): void {
    this.a.requeued?.(e, bios);
    this.b.requeued?.(e, bios);
  }

  dataDone(e: BlockEvent, bios: readonly Bio[], partial: Bio | null): void {
    this.a.dataDone?.(e, bios, partial);
    this.b.dataDone?.(e, bios, partial);
  }

  finalDone(x: Bio, e: BlockEvent, empty: boolean): void {
    this.a.finalDone?.(x, e, empty);
    this.b.finalDone?.(x, e, empty);
  }

  flushRequestDone(f: FlushRq | undefined, e: BlockEvent): void {
    this.a.flushRequestDone?.(f, e);
    this.b.flushRequestDone?.(f, e);
  }

  evicted(x: Bio): void {
    this.a.evicted?.(x);
    this.b.evicted?.(x);
  }

  discontinuity(dropped: number, e: BlockEvent): void {
    this.a.discontinuity?.(dropped, e);
    this.b.discontinuity?.(dropped, e);
  }
}

/** A layer whose trackers the checker owns, and the second subscriber another stage offers for each device. */
export interface SharedTrackers {
  /** Set by the stage that subscribes (once per layer): its subscriber for a device, made when the tracker is. */
  second?: (dev: number) => LifecycleSink;
}

const layers = new WeakMap<AnalysisEnv, Map<string, SharedTrackers>>();

/** Called by the tracker owner when it is created for a layer: later stages may then subscribe. */
export function ownTrackers(env: AnalysisEnv, layer: string): SharedTrackers {
  let m = layers.get(env);
  if (!m) layers.set(env, (m = new Map()));
  let s = m.get(layer);
  if (!s) m.set(layer, (s = {}));
  return s;
}

/** The layer's shared trackers when a stage created before this one owns them, else undefined (track your own). */
export function sharedTrackers(env: AnalysisEnv, layer: string): SharedTrackers | undefined {
  return layers.get(env)?.get(layer);
}
