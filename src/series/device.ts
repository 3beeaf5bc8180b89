/**
 * One device's series, fed by the project's own models rather than a second
 * request matcher: src/track's RequestTracker gives every bio's lifetime (Q →
 * final completion, flush-sequenced writes ending at their 0-byte completion)
 * and the flush requests' D→C, and counts requests at the driver; src/check's
 * DeviceModel (run with no rules) gives the bytes acknowledged but not yet
 * durable after every event. This file only samples them into buckets.
 */
import type { AnalysisEnv } from '../model/analysis.js';
import { Act, type BlockEvent } from '../model/event.js';
import type { DevId } from '../model/device.js';
import { isWriteOp, Op } from '../model/rwbs.js';
import type { RequestTracker } from '../track/lifetime.js';
import type { Bio } from '../track/request.js';
import { DeviceModel } from '../check/device-model.js';
import type { DeviceBuckets } from './buckets.js';

export class DeviceSeriesBuilder {
  /** Bucket of the event being processed (the tracker's callbacks run inside it). */
  private i = 0;
  private readonly tracker: RequestTracker;
  private readonly model: DeviceModel;

  constructor(env: AnalysisEnv, dev: DevId, layer: string, private readonly b: DeviceBuckets) {
    // the checker's model holds the request tracker (src/track): one matcher for lifetimes and durability
    this.model = new DeviceModel(env, dev, layer, [], {
      done: (bio: Bio) => this.done(bio),
      flush: (issue: number, complete: number, error: number) => b.flushDone(this.i, complete - issue, error === 0),
    });
    this.tracker = this.model.facts.tracker;
  }

  event(e: BlockEvent): void {
    const b = this.b;
    const i = (this.i = b.at(e.time));
    if (e.act === Act.IoDone) {
      // latency tools (biosnoop, CSV) give one record per completed I/O, latency in aux
      if (e.aux >= 0) b.q2cSample(i, e.aux);
      if (e.error === 0 && e.bytes > 0) this.bytes(i, e.op, e.bytes);
      return;
    }
    this.model.event(e);
    if (this.tracker.atDevice !== b.inFlight) b.setInFlight(i, this.tracker.atDevice);
    const v = this.model.volatile.bytes;
    if (v !== b.volatile) b.setVolatile(i, v);
  }

  finish(): void {
    this.tracker.finish();
  }

  private done(bio: Bio): void {
    if (bio.bytes <= 0) return; // empty flushes: their cost is the flush latency
    // a split bio counts once, when its last piece ends (as stats does)
    if (bio.q >= 0 && (!bio.origin || bio.origin.done === bio.origin.pieces)) {
      const end = bio.origin ? bio.origin.lastFinal : bio.final;
      if (end >= bio.q) this.b.q2cSample(this.i, end - bio.q);
    }
    if (bio.error === 0) this.bytes(this.i, bio.op, bio.bytes);
  }

  private bytes(i: number, op: Op, n: number): void {
    if (isWriteOp(op)) this.b.f.writeBytes[i]! += n;
    else if (op === Op.Read) this.b.f.readBytes[i]! += n;
  }
}
