/**
 * A QEMU layer as correlation sees it: two faces of one process, on one clock.
 *
 *  - front: what QEMU promised its user (virtio-blk requests, or BlockBackend
 *    requests for qemu-io): writes, flushes, FUA/write-through writes;
 *  - back: what it asked of the host (thread-pool / io_uring / paio jobs).
 *
 * The rebuild links each front request to the jobs it caused, so the pair
 * (front, back) needs no matching and no clock alignment; the pair (back,
 * host block layer) does. Tables hold every QEMU device; `select` keeps one.
 */
import type { Diagnostics } from '../model/diagnostics.js';
import type { QemuEvent, QemuSink } from '../qemu/event.js';
import { CacheModeTracker, type CacheModeInference } from '../qemu/cache-mode.js';
import { QemuRebuilder, type RebuildSummary } from '../qemu/rebuild.js';
import type { FrontRequest, HostJob, RebuildSink, Stamp } from '../qemu/records.js';
import { Links } from './links.js';
import { OpFlag, OpKind, OpTable } from './ops.js';

export interface QemuDeviceView {
  device: string;
  front: OpTable;
  back: OpTable;
  /** front row → back rows it caused (data, FUA-emulation flush, virtio flush). */
  links: Links;
  cache: CacheModeInference;
  writes: number;
}

export class QemuOpsBuilder implements RebuildSink, QemuSink {
  private frontTable: OpTable | undefined;
  private backTable: OpTable | undefined;
  /** job id → back row (ids are dense from 0). */
  private readonly jobRow: number[] = [];
  /** back row → index of its protocol node in `nodes` (-1 none). */
  private readonly jobNode: number[] = [];
  private readonly nodes: string[] = [];
  private readonly nodeIndex = new Map<string, number>();
  /**
   * Front rows with host jobs, in the order they came, and their job ids (`jobIds[jobStart[k] …
   * jobStart[k + 1])`): columns, not an array per request kept for the whole trace (the collector copied
   * every one of them while the trace was read).
   */
  private readonly frontsWithJobs = new IntColumn();
  private readonly jobStart = new IntColumn();
  private readonly jobIds = new IntColumn();
  /** Back rows whose read/write kind was taken from the bdrv event before them (aio=threads reasoning), in row order. */
  private readonly guessed = new IntColumn();
  private readonly devIndex = new Map<string, number>();
  private readonly devNames: string[] = [];
  private readonly trackers = new Map<string, CacheModeTracker>();
  private readonly rebuilder: QemuRebuilder;
  private orderOnly = false;
  summary: RebuildSummary | undefined;

  constructor(private readonly layer: string, diag?: Diagnostics, sourceName = '') {
    this.rebuilder = new QemuRebuilder(this, diag, sourceName);
  }

  qemu(e: QemuEvent): void {
    this.families |= family(e.kind);
    if (!this.frontTable) {
      this.orderOnly = e.time < 0;
      this.frontTable = new OpTable(this.layer, '', 'qemu-front', this.orderOnly);
      this.backTable = new OpTable(this.layer, '', 'qemu-back', this.orderOnly);
    }
    this.rebuilder.qemu(e);
  }

  private clock(s: Stamp): number {
    if (s.seq < 0) return NaN;
    return this.orderOnly ? s.seq : s.time;
  }

  private tagOf(dev: string): number {
    let i = this.devIndex.get(dev);
    if (i === undefined) {
      i = this.devNames.length;
      this.devNames.push(dev);
      this.devIndex.set(dev, i);
    }
    return i;
  }

  private tracker(dev: string): CacheModeTracker {
    let t = this.trackers.get(dev);
    if (!t) {
      t = new CacheModeTracker();
      this.trackers.set(dev, t);
    }
    return t;
  }

  front(r: FrontRequest): void {
    const t = this.frontTable!;
    const kind = r.kind === 'read' ? OpKind.Read : r.kind === 'flush' ? OpKind.Flush
      : r.kind === 'write' || r.kind === 'write-zeroes' ? OpKind.Write : OpKind.Unknown;
    let flags = 0;
    if (kind === OpKind.Write && (r.fuaAsked || r.fuaFormat)) flags |= OpFlag.FUA;
    if (kind === OpKind.Write && r.fuaFormat && !r.fuaAsked) flags |= OpFlag.WT;
    if (r.kind === 'write-zeroes') flags |= OpFlag.ZEROES;
    if (r.completeHow === 'last host job') flags |= OpFlag.ACK_INFERRED;
    const row = t.add(kind, kind === OpKind.Flush ? -1 : r.sector, Math.max(0, r.nsectors), this.clock(r.issue), r.issue.loc, r.source, flags, r.id);
    if (row < 0) return;
    if (r.complete.seq >= 0) t.complete(row, this.clock(r.complete), r.complete.loc, r.status === 0 || (r.iface === 'blk' && r.status >= 0));
    t.tag[row] = this.tagOf(r.device);
    if (r.jobs.length > 0) {
      this.frontsWithJobs.push(row);
      this.jobStart.push(this.jobIds.n);
      for (const id of r.jobs) this.jobIds.push(id);
    }
    this.tracker(r.device).front(r);
  }

  job(j: HostJob): void {
    const t = this.backTable!;
    const kind = j.kind === 'read' ? OpKind.Read : j.kind === 'flush' ? OpKind.Flush
      : j.kind === 'write' || j.kind === 'write-zeroes' ? OpKind.Write : j.kind === 'discard' ? OpKind.Discard : OpKind.Unknown;
    let flags = 0;
    if (j.kind === 'write-zeroes') flags |= OpFlag.ZEROES;
    if (kind === OpKind.Write && j.flags >= 0 && (j.flags & 0x10) !== 0) flags |= OpFlag.FUA;
    const sector = j.offset >= 0 ? j.offset / 512 : -1;
    const count = j.bytes >= 0 ? j.bytes / 512 : 0;
    const row = t.add(kind, sector, count, this.clock(j.submit), j.submit.loc, j.source, flags, j.id);
    if (row < 0) return;
    if (j.complete.seq >= 0) t.complete(row, this.clock(j.complete), j.complete.loc, !(j.ret < 0));
    // The device is known once the front request that caused it completes (after the job): set in finish().
    t.tag[row] = -1;
    this.jobRow[j.id] = row;
    if (j.kindHow === 'bdrv event before it' && (kind === OpKind.Read || kind === OpKind.Write) && !(flags & OpFlag.ZEROES)) this.guessed.push(row);
    let ni = -1;
    if (j.node) {
      ni = this.nodeIndex.get(j.node) ?? -1;
      if (ni < 0) {
        ni = this.nodes.length;
        this.nodes.push(j.node);
        this.nodeIndex.set(j.node, ni);
      }
    }
    this.jobNode[row] = ni;
  }

  /**
   * On a protocol node whose data I/O left no job (aio=native), a job after a data event is of unknown
   * kind: a flush, write-zeroes or discard as likely as that data (QEMU 7.2 types none of them).
   */
  private untypeUntraced(back: OpTable): void {
    const untraced = new Set(this.summary?.untracedDataNodes ?? []);
    if (untraced.size === 0) return;
    for (let k = 0; k < this.guessed.n; k++) {
      const r = this.guessed.a[k]!;
      const ni = this.jobNode[r] ?? -1;
      if (ni < 0 || !untraced.has(this.nodes[ni]!)) continue;
      back.kind[r] = OpKind.Unknown;
      back.sector[r] = -1;
      back.count[r] = 0;
    }
  }

  /**
   * Tag every job with its device: through the front request that caused it, else its protocol node.
   * `canonical` names a probing BlockBackend by the device that uses its blk (see finish): the image's
   * protocol node is read by both, and is still one device's node (a qcow2 flush's metadata writes and
   * flush jobs, linked to no request, are tagged through it).
   */
  private tagJobs(back: OpTable, canonical: (name: string) => string): void {
    for (let k = 0; k < this.frontsWithJobs.n; k++) {
      const tag = this.frontTable!.tag[this.frontsWithJobs.a[k]!]!;
      for (let x = this.jobStart.a[k]!, end = this.jobsEnd(k); x < end; x++) {
        const r = this.jobRow[this.jobIds.a[x]!];
        if (r !== undefined && back.tag[r] === -1) back.tag[r] = tag;
      }
    }
    const nodeDev = new Map<string, string | null>();
    for (const d of this.summary?.devices ?? []) {
      const dev = canonical(d.device);
      for (const n of d.protocol) nodeDev.set(n, nodeDev.has(n) && nodeDev.get(n) !== dev ? null : dev);
    }
    for (let r = 0; r < back.n; r++) {
      const ni = this.jobNode[r] ?? -1;
      if (back.tag[r] === -1 && ni >= 0) {
        const d = nodeDev.get(this.nodes[ni]!);
        if (d) back.tag[r] = this.tagOf(d);
      }
      if (back.tag[r] === -1) back.tag[r] = this.tagOf('');
      const dev = this.devNames[back.tag[r]!];
      if (dev) this.tracker(dev).jobKind(back.kind[r]! === OpKind.Flush ? 'flush' : back.kind[r]! === OpKind.Write ? 'write' : 'other');
    }
  }

  private jobsEnd(k: number): number {
    return k + 1 < this.jobStart.n ? this.jobStart.a[k + 1]! : this.jobIds.n;
  }

  private views: QemuDeviceView[] | undefined;
  /** Event families seen in the trace (FAMILY bits): a family never seen was not traced, or never ran. */
  private families = 0;

  /** Finish the rebuild; returns every device that had requests, busiest (writes) first (made once). */
  finish(): QemuDeviceView[] {
    this.views ??= this.build();
    // the whole-process tables and the job maps are in the views now (copied when there are several
    // devices): a long trace's hundreds of thousands of rows are not kept twice
    this.frontTable = undefined;
    this.backTable = undefined;
    this.frontsWithJobs.clear();
    this.jobStart.clear();
    this.jobIds.clear();
    this.jobRow.length = 0;
    this.jobNode.length = 0;
    this.guessed.clear();
    return this.views;
  }

  /**
   * Host jobs the trace cannot show. With no job event at all, thread_pool_*, luring_* and laio_* were not
   * traced (or nothing ran through them: aio=native data with cache=unsafe); with no bdrv_co_* or blk_co_*
   * event, no job can be typed (QEMU 7.2's thread-pool events carry no type: the rebuild types a job by the
   * block-layer event before it), so flush jobs cannot be told from data jobs.
   */
  private unobservedJobs(): string | undefined {
    if ((this.families & FAMILY.jobs) === 0) return 'no host job event in the trace (thread_pool_*, luring_*, laio_* not traced, or none ran)';
    if ((this.families & (FAMILY.blk | FAMILY.bdrv)) === 0) return 'its host jobs cannot be typed: no blk_co_* or bdrv_co_* event in the trace';
    return undefined;
  }

  private build(): QemuDeviceView[] {
    this.summary = this.rebuilder.end();
    const front = this.frontTable;
    const back = this.backTable;
    if (!front || !back) return [];
    // BlockBackend requests seen before the device model used that blk (probing) belong to the device.
    const alias = new Map<string, string>();
    for (const d of this.summary.devices) {
      if (d.iface !== 'virtio') continue;
      for (const b of d.blk) alias.set(`blk:${b}`, d.device);
    }
    const canonical = (name: string) => alias.get(name) ?? name;
    this.untypeUntraced(back);
    this.tagJobs(back, canonical);
    front.tags.push(...this.devNames);
    back.tags.push(...this.devNames);
    const names = [...new Set(this.devNames.filter((n) => n !== '').map(canonical))];
    const views: QemuDeviceView[] = [];
    for (const name of names) {
      const tagsOf = new Set<number>();
      this.devNames.forEach((n, i) => { if (canonical(n) === name) tagsOf.add(i); });
      const f = front.filter((r) => tagsOf.has(front.tag[r]!), name);
      const b = back.filter((r) => tagsOf.has(back.tag[r]!) || (names.length === 1 && back.tag[r] === this.devIndex.get('')), name);
      const entries: Array<[number, number[]]> = [];
      for (let k = 0; k < this.frontsWithJobs.n; k++) {
        const nr = f.rowMap[this.frontsWithJobs.a[k]!] ?? -1;
        if (nr < 0) continue;
        const rows: number[] = [];
        for (let x = this.jobStart.a[k]!, end = this.jobsEnd(k); x < end; x++) {
          const jr = this.jobRow[this.jobIds.a[x]!];
          const br = jr === undefined ? -1 : b.rowMap[jr] ?? -1;
          if (br >= 0) rows.push(br);
        }
        entries.push([nr, rows]);
      }
      const tracker = new CacheModeTracker();
      for (const [dev, tr] of this.trackers) if (canonical(dev) === name) tracker.merge(tr);
      const cache = tracker.infer();
      f.table.writeThrough = false;
      let writes = 0;
      for (let i = 0; i < f.table.n; i++) if (f.table.kind[i] === OpKind.Write) writes++;
      f.table.unobserved = name.startsWith('blk:') ? 'BlockBackend flushes have no trace event in QEMU 7.2, and this trace has no virtio_blk_* events to show the guest\'s' : undefined;
      b.table.unobserved = this.unobservedJobs();
      views.push({ device: name, front: f.table, back: b.table, links: Links.from(f.table.n, entries), cache, writes });
    }
    views.sort((a, b) => b.writes - a.writes);
    return views;
  }
}

const FAMILY = { virtio: 1, blk: 2, bdrv: 4, jobs: 8 } as const;

/** The trace-event family of a QEMU event kind (QemuKind values: 1–9 virtio, 10s blk, 20s bdrv, 30s–40s host jobs). */
function family(kind: number): number {
  if (kind >= 1 && kind <= 9) return FAMILY.virtio;
  if (kind >= 10 && kind <= 19) return FAMILY.blk;
  if (kind >= 20 && kind <= 29) return FAMILY.bdrv;
  if (kind >= 30 && kind <= 44) return FAMILY.jobs;
  return 0;
}

/** A growing column of 32-bit integers. */
class IntColumn {
  a = new Int32Array(256);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(Math.max(256, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }

  /** Empty, its memory released. */
  clear(): void {
    this.a = new Int32Array(0);
    this.n = 0;
  }
}
